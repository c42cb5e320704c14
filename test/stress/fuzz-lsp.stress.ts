// Fuzzing the language server: mutated real code opened and edited through the real server over stdio, every
// request kind sent on each input. No answer may take longer than ANSWER_BOUND_MS, the server may not crash or log
// an error (REGLENS_DEBUG=1 makes a rule that throws log one), and nothing it returns may lie outside the document.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MessageType } from 'vscode-languageserver-protocol/node';
import { lineStarts } from '../../server/engine/parser';
import { cellUri, TestClient, tempProject, type TestCell } from '../lsp/client';
import {
  ANSWER_BOUND_MS,
  bounded,
  corpus,
  FIRST_INPUT,
  FUZZ_INPUTS,
  INPUT_KINDS,
  keepFailure,
  latencySummary,
  LONG,
  makeInput,
  notebookCells,
  outsideDocument,
  regressionInputs,
  REQUEST_KINDS,
  rngFor,
  SEED,
  TEXT_MUTATORS,
  tenMegabytes,
  type FuzzInput,
  type Located,
} from './harness';

let client: TestClient;
const project = tempProject();
const latencies = new Map<string, number[]>();
/** Diagnostics seen in notebook cells: a run where no cell ever had one did not exercise the notebook path. */
let cellDiagnostics = 0;
const sample = (name: string): number[] => {
  if (!latencies.has(name)) latencies.set(name, []);
  return latencies.get(name)!;
};

before(async () => {
  client = await TestClient.start({ env: { REGLENS_DEBUG: '1' } });
});

after(() => {
  client.dispose();
  project.cleanup();
});

function errorsLogged(): string[] {
  return client.logs.filter((l) => l.type === MessageType.Error).map((l) => l.message);
}

/** Opens the input, checks its diagnostics and every request kind, edits it once or twice, closes it. */
async function exercise(
  input: FuzzInput,
  kindIndex: number,
  state: { text: string; lastEdit?: string },
): Promise<string[]> {
  const kind = INPUT_KINDS[kindIndex % INPUT_KINDS.length];
  const uri = kind.uri(project.dir, input.index < 0 ? 1_000_000 - input.index : input.index);
  let text = typeof input.content === 'string' ? input.content : input.content.toString('utf8');
  state.text = text;
  const rng = rngFor(SEED ^ 0x5bd1e995, input.index);
  if (kind.cells) return exerciseNotebook(input, uri, text, rng, state);
  const problems: string[] = [];
  client.connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
  let version = 1;
  const edits = rng.chance(0.25) ? rng.range(1, 3) : 0;
  try {
    for (let round = 0; round <= edits; round++) {
      if (round > 0) {
        // An incremental edit as an editor sends it: a range of the current text replaced by a piece of another input.
        const { range, insert, after } = randomEdit(text, input, round, rng);
        state.lastEdit = `v${version} -> v${version + 1}: ${JSON.stringify({ range, text: insert })}`;
        text = after;
        state.text = text;
        client.change(uri, ++version, [{ range, text: insert }]);
      }
      const diagnostics = await bounded(
        `diagnostics of ${input.label} v${version}`,
        client.diagnostics(uri, version, ANSWER_BOUND_MS + 1000),
        sample('diagnostics'),
      );
      const located: Located[] = diagnostics.map((d) => ({ what: `diagnostic ${d.code}`, range: d.range }));
      for (const d of diagnostics)
        for (const r of d.relatedInformation ?? [])
          located.push({ what: `diagnostic ${d.code} related`, range: r.location.range });
      // Two request kinds per round keep 2,000 inputs within CI's time; each kind still gets about a thousand.
      const requests = LONG ? REQUEST_KINDS : [...REQUEST_KINDS].sort(() => rng.next() - 0.5).slice(0, 2);
      for (const request of requests) {
        located.push(
          ...(await bounded(
            `${request.name} on ${input.label} v${version}`,
            request.send(client, uri, text, diagnostics, rng),
            sample(request.name),
          )),
        );
      }
      problems.push(...outsideDocument(text, located).map((p) => `v${version}: ${p}`));
    }
  } finally {
    client.close(uri);
  }
  return problems;
}

/**
 * A random incremental edit of `text`: a range replaced by a piece of another input, never splitting \r\n or a
 * surrogate pair.
 */
function randomEdit(
  text: string,
  input: FuzzInput,
  round: number,
  rng: ReturnType<typeof rngFor>,
): {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  insert: string;
  after: string;
} {
  const starts = lineStarts(text);
  const at = (offset: number) => {
    let line = starts.length - 1;
    while (starts[line] > offset) line--;
    return { line, character: offset - starts[line] };
  };
  const splits = (i: number) =>
    i > 0 &&
    i < text.length &&
    ((text[i - 1] === '\r' && text[i] === '\n') ||
      (/[\ud800-\udbff]/.test(text[i - 1]) && /[\udc00-\udfff]/.test(text[i])));
  let a = rng.int(text.length + 1);
  while (splits(a)) a--;
  let b = Math.min(text.length, a + rng.int(80));
  while (b > a && splits(b)) b--;
  const donor = makeInput(SEED, input.index + 7919 * round, TEXT_MUTATORS).content as string;
  const from = rng.int(donor.length + 1);
  const insert = donor.slice(from, from + rng.int(120));
  return { range: { start: at(a), end: at(b) }, insert, after: text.slice(0, a) + insert + text.slice(b) };
}

/**
 * The input as a notebook: opened through notebookDocument sync, every request kind sent on a code cell, cells
 * edited once or twice. Each answer's ranges must lie inside the cell it names, related locations included.
 */
async function exerciseNotebook(
  input: FuzzInput,
  uri: string,
  text: string,
  rng: ReturnType<typeof rngFor>,
  state: { text: string; lastEdit?: string },
): Promise<string[]> {
  const cells: TestCell[] = notebookCells(text, rng).map((c, i) => ({
    uri: cellUri(uri, `c${i}`),
    kind: c.kind,
    text: c.text,
    version: 1,
  }));
  const code = cells.filter((c) => c.kind === 'code');
  const problems: string[] = [];
  client.openNotebook(uri, cells);
  let version = 1;
  const edits = rng.chance(0.25) ? rng.range(1, 3) : 0;
  try {
    for (let round = 0; round <= edits; round++) {
      if (round > 0) {
        const cell = rng.pick(code);
        const edit = randomEdit(cell.text, input, round, rng);
        state.lastEdit =
          `cell ${cells.indexOf(cell)} v${cell.version} -> v${cell.version! + 1}: ` +
          `${JSON.stringify({ range: edit.range, text: edit.insert })}`;
        cell.text = edit.after;
        cell.version = cell.version! + 1;
        client.changeCell(uri, ++version, cell.uri, cell.version, [{ range: edit.range, text: edit.insert }]);
      }
      state.text = cells.map((c) => c.text).join('\n');
      // A hover analyses what was sent before it, so afterwards every cell's diagnostics are published.
      const cell = rng.pick(code);
      await bounded(
        `settling ${input.label} as a notebook, round ${round}`,
        client.hover(cell.uri, { line: 0, character: 0 }),
        sample('hover'),
      );
      const diagnostics = client.current(cell.uri) ?? [];
      const located: Located[] = [];
      // Every cell's diagnostics, and their related locations in whichever cell they name.
      for (const c of code) {
        for (const d of client.current(c.uri) ?? []) {
          cellDiagnostics++;
          const at = (target: TestCell, range: Located['range'], what: string) =>
            problems.push(
              ...outsideDocument(target.text, [{ what, range }]).map(
                (p) => `round ${round}, cell ${cells.indexOf(target)}: ${p}`,
              ),
            );
          at(c, d.range, `diagnostic ${d.code}`);
          for (const r of d.relatedInformation ?? []) {
            const target = cells.find((t) => t.uri === r.location.uri);
            if (target) at(target, r.location.range, `diagnostic ${d.code} related`);
            else
              problems.push(
                `round ${round}: diagnostic ${d.code} has a related location in ${r.location.uri}, outside the ` +
                  `notebook`,
              );
          }
        }
      }
      const requests = LONG ? REQUEST_KINDS : [...REQUEST_KINDS].sort(() => rng.next() - 0.5).slice(0, 2);
      for (const request of requests) {
        located.push(
          ...(await bounded(
            `${request.name} on ${input.label} as a notebook, round ${round}`,
            request.send(client, cell.uri, cell.text, diagnostics, rng),
            sample(request.name),
          )),
        );
      }
      problems.push(
        ...outsideDocument(cell.text, located).map((p) => `round ${round}, cell ${cells.indexOf(cell)}: ${p}`),
      );
    }
  } finally {
    client.closeNotebook(uri, cells);
  }
  return problems;
}

test(`fuzzing the LSP: ${FUZZ_INPUTS} mutated inputs and the regression fixtures, every request answered in bounds`, {
  timeout: 30 * 60_000,
}, async (t) => {
  const { files, note } = corpus();
  const header =
    `seed ${SEED} (REGLENS_STRESS_SEED=${SEED} reproduces it); ${FUZZ_INPUTS} inputs from ` +
    `${files.length} files${note ? `; ${note}` : ''}`;
  console.log(`fuzz-lsp: ${header}`);
  t.diagnostic(header);
  const failures: string[] = [];
  const inputs = [...regressionInputs(), ...Array.from({ length: FUZZ_INPUTS }, (_, i) => FIRST_INPUT + i)];
  let done = 0;
  for (const item of inputs) {
    const input = typeof item === 'number' ? makeInput(SEED, item, TEXT_MUTATORS) : item;
    const errorsBefore = errorsLogged().length;
    const state: { text: string; lastEdit?: string } = { text: '' };
    try {
      const problems = await exercise(input, done, state);
      const errors = errorsLogged().slice(errorsBefore);
      if (errors.length > 0) problems.push(`the server logged an error: ${errors[0].slice(0, 600)}`);
      if (problems.length > 0) failures.push(keepFailure(input, problems.slice(0, 3).join('\n  ')));
    } catch (e) {
      // The text the server had when it failed (after the edits), and the last edit, which may be what hurt.
      const failed = { ...input, content: state.text };
      failures.push(
        keepFailure(
          failed,
          (e instanceof Error ? e.message.slice(0, 600) : String(e)) +
            (state.lastEdit ? `\n  last edit ${state.lastEdit.slice(0, 400)}` : ''),
        ),
      );
      // A server that did not answer is busy with this input: what follows would only time out behind it.
      if (/no answer within/.test(String(e))) break;
      if (client.child.exitCode !== null || client.child.signalCode !== null) {
        failures.push(
          `the server died (${client.child.exitCode ?? client.child.signalCode}): ${client.stderr.slice(-2000)}`,
        );
        break;
      }
    }
    done++;
    if (failures.length >= 10) break;
  }
  const summary = [
    `fuzz-lsp: ${done} inputs sent (${inputs.length - FUZZ_INPUTS} regression fixtures), ${failures.length} ` +
      `failures; seed ${SEED}`,
    ...[...latencies].map(([name, s]) => `  ${name}: ${latencySummary(s)}`),
  ];
  console.log(summary.join('\n'));
  t.diagnostic(summary.join('; '));
  assert.deepEqual(failures, [], failures.join('\n'));
  assert.equal(done, inputs.length);
  assert.ok(
    done < 20 || cellDiagnostics > 0,
    'no notebook cell ever had a diagnostic: the notebook inputs did not reach the analysis',
  );
  assert.ok(
    done >= 1000 || process.env.REGLENS_STRESS_INPUTS !== undefined,
    `CI sends at least 1,000 inputs through the LSP (and 1,000 others through the CLI), sent ${done}`,
  );
});

test('a 10 MB document: not analysed, the user is told why, requests on it still answered, the server still serves ' +
  'others', {
  timeout: 5 * 60_000,
}, async () => {
  const uri = project.uri('ten_megabytes.py');
  const text = tenMegabytes();
  client.open(uri, text);
  const diagnostics = await bounded(
    'diagnostics of the 10 MB file',
    client.diagnostics(uri, 1, ANSWER_BOUND_MS + 1000),
  );
  assert.deepEqual(diagnostics, []);
  const told = client.messages.find((m) =>
    /ten_megabytes\.py is 10\.0 MB, more than the 8\.0 MB Reglens analyses/.test(m.message),
  );
  assert.ok(told, `a message says the file is too large; got ${JSON.stringify(client.messages.map((m) => m.message))}`);
  for (const request of REQUEST_KINDS) {
    const located = await bounded(
      `${request.name} on the 10 MB file`,
      request.send(client, uri, text, [], rngFor(SEED, 1)),
    );
    assert.deepEqual(outsideDocument(text, located), []);
  }
  // Deleting most of it brings it under the limit: it is analysed again.
  const lines = text.split('\n').length;
  client.change(uri, 2, [
    { range: { start: { line: 200, character: 0 }, end: { line: lines - 1, character: 0 } }, text: '' },
  ]);
  assert.ok(
    Array.isArray(await bounded('diagnostics after shrinking', client.diagnostics(uri, 2, ANSWER_BOUND_MS + 1000))),
  );
  client.close(uri);
  assert.deepEqual(errorsLogged(), []);
});
