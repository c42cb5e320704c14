// Edit storms: 1,000 rapid incremental edits through the real server, with code-action, code-lens and hover
// requests in between and some of them cancelled. The final diagnostics must equal a fresh analysis of the final
// text, and the server's memory after a full GC may grow by less than 20 MB. Plus the engine-level property the
// storm relies on: incremental re-analysis (per-statement cache) equals a fresh analysis after any edit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CancellationTokenSource,
  CodeActionRequest,
  CodeLensRequest,
  ErrorCodes,
  HoverRequest,
  LSPErrorCodes,
  ResponseError,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import { Analyzer, lintText } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, lineStarts, positionIn, SourceFile } from '../../server/engine/parser';
import type { Finding } from '../../server/engine/types';
import { MEMORY_AFTER_GC_REQUEST } from '../../server/lsp/protocol';
import { TestClient, tempProject } from '../lsp/client';
import { bounded, LONG, Rng, ruleFiles, SEED } from './harness';
import { rules } from '../../server/rules';

const EDITS = LONG ? 5_000 : 1_000;
const MEMORY_GROWTH_LIMIT = 20 * 1024 * 1024;
const STORM_BOUND_MS = 180_000;
const project = tempProject();
let client: TestClient;

before(async () => {
  await initParser();
  client = await TestClient.start({ env: { REGLENS_DEBUG: '1', REGLENS_TEST_HOOKS: '1' } });
});

after(() => {
  client.dispose();
  project.cleanup();
});

interface Memory {
  heapUsed: number;
  external: number;
  rss: number;
}

const memory = (): Promise<Memory> => client.connection.sendRequest(MEMORY_AFTER_GC_REQUEST);
const mb = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MB`;

/** A random edit of the kind typing, deleting and pasting make; never splits a \r\n or a surrogate pair. */
function randomEdit(text: string, rng: Rng, donors: readonly string[]): { start: number; end: number; insert: string } {
  const safe = (i: number) => {
    while (
      i > 0 &&
      i < text.length &&
      ((text[i - 1] === '\r' && text[i] === '\n') ||
        (/[\ud800-\udbff]/.test(text[i - 1]) && /[\udc00-\udfff]/.test(text[i])))
    )
      i--;
    return i;
  };
  const start = safe(rng.int(text.length + 1));
  const kind = rng.int(10);
  // typing
  if (kind < 5)
    return { start, end: start, insert: rng.pick(['x', 'y', ' ', '\n', '    ', '.', 'self', 'drop', '0.1', '_', '#']) };
  if (kind < 8) return { start, end: safe(Math.min(text.length, start + rng.range(1, 30))), insert: '' }; // deleting
  const donor = rng.pick(donors);
  const from = rng.int(donor.length);
  const lineStart = donor.lastIndexOf('\n', from) + 1;
  const lineEnd = donor.indexOf('\n', from);
  // pasting a line
  return { start, end: start, insert: donor.slice(lineStart, lineEnd < 0 ? donor.length : lineEnd + 1) };
}

const describeDiagnostic = (d: Diagnostic): string =>
  `${d.code} ${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ` +
  `${d.message}`;
const describeFinding = (f: Finding): string =>
  `${f.code} ${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ` +
  `${f.message}`;

test(`edit storm: ${EDITS} incremental edits with interleaved requests and cancellations`, {
  timeout: 10 * 60_000,
}, async (t) => {
  const rng = new Rng(SEED ^ 0x57041);
  const donors = ruleFiles().map((f) => f.text);
  // A model file of a few hundred lines: several fixtures one after another.
  let text = ruleFiles()
    .filter((f) => /RG00[1-9]|RG01/.test(f.name))
    .slice(0, 8)
    .map((f) => f.text)
    .join('\n');
  const uri = project.uri('storm.py');
  client.open(uri, text);
  await bounded('first diagnostics', client.diagnostics(uri, 1, 30_000));
  let version = 1;
  const pending: Promise<unknown>[] = [];
  let cancelled = 0;
  let answered = 0;
  let requests = 0;
  let settleMs = 0;

  const storm = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const edit = randomEdit(text, rng, donors);
      const starts = lineStarts(text);
      const range = { start: positionIn(starts, edit.start), end: positionIn(starts, edit.end) };
      text = text.slice(0, edit.start) + edit.insert + text.slice(edit.end);
      client.change(uri, ++version, [{ range, text: edit.insert }]);
      if (rng.chance(0.06)) {
        // A request in the middle of the storm, as an editor sends them while the user types; some cancelled.
        const lines = lineStarts(text);
        const position = positionIn(lines, rng.int(text.length + 1));
        const source = new CancellationTokenSource();
        const kind = rng.int(3);
        requests++;
        const request =
          kind === 0
            ? client.connection.sendRequest(
                CodeActionRequest.type,
                {
                  textDocument: { uri },
                  range: { start: position, end: position },
                  context: { diagnostics: [], only: rng.chance(0.5) ? ['source.fixAll'] : undefined },
                },
                source.token,
              )
            : kind === 1
              ? client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } }, source.token)
              : client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position }, source.token);
        pending.push(
          request.then(
            () => answered++,
            (e: unknown) => {
              if (e instanceof ResponseError && e.code === LSPErrorCodes.RequestCancelled) return;
              throw e;
            },
          ),
        );
        if (rng.chance(0.3)) {
          cancelled++;
          setImmediate(() => source.cancel());
        }
      }
      // Rapid, not instantaneous: most edits follow each other at once, some after a turn of the event loop.
      if (rng.chance(0.1)) await new Promise((resolve) => setImmediate(resolve));
    }
    // Working off a storm takes the server longer than one answer: every request analyses the text it sees.
    const settled = performance.now();
    await bounded(
      `diagnostics of version ${version}`,
      client.diagnostics(uri, version, STORM_BOUND_MS),
      undefined,
      STORM_BOUND_MS,
    );
    settleMs = Math.max(settleMs, performance.now() - settled);
  };

  // Warm up (caches, JIT, wasm memory), then measure.
  await storm(100);
  const before = await memory();
  const started = performance.now();
  await storm(EDITS);
  const stormMs = performance.now() - started;
  await bounded('every request of the storm', Promise.all(pending), [], STORM_BOUND_MS);
  const afterStorm = await memory();

  // The final diagnostics equal the engine's fresh analysis of the final text, and a freshly opened copy.
  const final = await client.diagnostics(uri, version);
  const fresh = lintText(rules, text, new RuleSelection({}));
  assert.deepEqual(final.map(describeDiagnostic), fresh.map(describeFinding));
  const copy = project.uri('storm-copy.py');
  client.open(copy, text);
  assert.deepEqual((await client.diagnostics(copy, 1, 30_000)).map(describeDiagnostic), final.map(describeDiagnostic));
  client.close(copy);

  const growth = afterStorm.heapUsed + afterStorm.external - (before.heapUsed + before.external);
  const summary =
    `edit storm: ${EDITS} edits sent and worked off in ${(stormMs / 1000).toFixed(1)} s (final ` +
    `diagnostics ${(settleMs / 1000).toFixed(1)} s after the last edit), ${requests} requests (${answered} ` +
    `answered, ${cancelled} cancelled), final text ${text.length} chars with ${final.length} diagnostics = fresh ` +
    `analysis; memory after GC: heap+external ${mb(before.heapUsed + before.external)} -> ` +
    `${mb(afterStorm.heapUsed + afterStorm.external)} (growth ${mb(growth)}), rss ${mb(before.rss)} -> ` +
    `${mb(afterStorm.rss)}; seed ${SEED}`;
  console.log(summary);
  t.diagnostic(summary);
  assert.ok(growth < MEMORY_GROWTH_LIMIT, `memory after GC grew by ${mb(growth)}`);
  assert.equal(client.logs.filter((l) => l.type === 1).length, 0, client.logs.map((l) => l.message).join('\n'));
  client.close(uri);
});

test('the memory request is test-only: a server started without REGLENS_TEST_HOOKS does not know it', async () => {
  const plain = await TestClient.start();
  try {
    await assert.rejects(
      plain.connection.sendRequest(MEMORY_AFTER_GC_REQUEST),
      (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound,
    );
  } finally {
    plain.dispose();
  }
});

test('incremental re-analysis equals a fresh analysis after edits anywhere in every fixture and example', () => {
  const selection = new RuleSelection({});
  const rng = new Rng(SEED ^ 0xed17);
  let checks = 0;
  const mismatches: string[] = [];
  for (const source of ruleFiles()) {
    const lines = source.text.split('\n').length;
    // Blank lines inserted above lines spread over the file (moves statements, the cache's hardest case), then
    // random edits. The long run takes every line.
    const step = LONG ? 1 : Math.max(1, Math.floor(lines / 10));
    const edits = [
      ...Array.from({ length: Math.ceil(lines / step) }, (_, i) => ({ line: i * step, random: false })),
      ...Array.from({ length: LONG ? 20 : 4 }, () => ({ line: 0, random: true })),
    ];
    for (const { line, random } of edits) {
      const file = new SourceFile(source.text);
      const analyzer = new Analyzer(rules);
      try {
        analyzer.analyze(file, selection);
        if (random) {
          const edit = randomEdit(file.text, rng, [source.text]);
          const starts = lineStarts(file.text);
          file.applyChange({ start: positionIn(starts, edit.start), end: positionIn(starts, edit.end) }, edit.insert);
        } else file.applyChange({ start: { line, character: 0 }, end: { line, character: 0 } }, '\n\n');
        checks++;
        const incremental = analyzer.analyze(file, selection).map(describeFinding);
        const fresh = lintText(rules, file.text, selection).map(describeFinding);
        if (JSON.stringify(incremental) !== JSON.stringify(fresh))
          mismatches.push(
            `${source.name}, ${random ? 'a random edit' : `blank lines above line ${line + 1}`}: ` +
              `${incremental.filter((f) => !fresh.includes(f)).join(' | ')}`,
          );
      } finally {
        file.dispose();
      }
    }
  }
  console.log(`incremental = fresh: ${checks} edits checked, ${mismatches.length} mismatches`);
  assert.deepEqual(mismatches.slice(0, 10), []);
});
