// The workspace index through the real language server (dist/server.js over stdio): cross-file findings in open
// files, edits and file-watch events reaching dependents, "Check workspace", and multi-root configuration.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import {
  CancellationTokenSource,
  CodeLensRequest,
  FileChangeType,
  type CodeAction,
  type CodeLens,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import type { ProfileResult } from '../../kernels/profile-result';
import { applyWorkspaceEdit, cellUri, contentChanges, editsFor, TestClient, VSCODE_CAPABILITIES } from '../lsp/client';
import { parseArgs } from '../../server/cli/args';
import { runCheck } from '../../server/cli/check';
import { copyFixture, expected } from './helpers';

const CAPABILITIES = { ...VSCODE_CAPABILITIES, window: { workDoneProgress: true } };
const clients: TestClient[] = [];
after(() => {
  for (const c of clients) c.dispose();
});

async function start(
  folders: string[],
  settings: (scope: string | undefined) => unknown = () => ({}),
): Promise<TestClient> {
  const client = await TestClient.start({ capabilities: CAPABILITIES, workspaceFolders: folders, settings });
  clients.push(client);
  return client;
}

const uriOf = (file: string) => pathToFileURL(file).href;
const ZERO = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const found = (diagnostics: readonly Diagnostic[]) =>
  diagnostics.map((d) => `${d.range.start.line + 1}:${d.code}`).sort();

/** Waits until the latest diagnostics published for `uri` satisfy `accept`; fails with the last ones seen. */
async function until(
  client: TestClient,
  uri: string,
  accept: (found: string[]) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Diagnostic[]> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] | undefined;
  for (;;) {
    const latest = [...client.published].reverse().find((p) => p.uri === uri);
    if (latest) {
      last = found(latest.diagnostics);
      if (accept(last)) return latest.diagnostics;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what} in ${uri}; last published: ${JSON.stringify(last)}\n${client.stderr}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

const same = (want: string[]) => (got: string[]) => JSON.stringify(got) === JSON.stringify([...want].sort());

describe('open files resolve through the workspace index', () => {
  test('a block whose sublayers live in other files gets RG002 and RG010, with indexing progress', async () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const client = await start([folder]);
    client.open(uriOf(blocks), fs.readFileSync(blocks, 'utf8'));
    await until(client, uriOf(blocks), same(expected(blocks)), 'the cross-file findings');
    const titles = client.progress.filter((p) => p.value.kind === 'begin').map((p) => p.value.title);
    assert.ok(titles.includes('Reglens: indexing the workspace'), JSON.stringify(client.progress));
    assert.ok(client.progress.some((p) => p.value.kind === 'end'));
    assert.ok(
      client.registrations.some((r) => JSON.stringify(r.registerOptions).includes('**/*.py')),
      'Python files are watched',
    );
    // The RG010 finding points into the file that holds the first dropout.
    const rg010 = (await client.diagnostics(uriOf(blocks))).find((d) => d.code === 'RG010')!;
    assert.equal(rg010.relatedInformation?.[0].location.uri, uriOf(path.join(folder, 'mypkg', 'layers.py')));
    assert.equal(rg010.relatedInformation?.[0].location.range.start.line, 12);
  });

  test('the open file is answered before the workspace is indexed; its cross-file findings follow', async () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const client = await start([folder]);
    client.open(uriOf(blocks), fs.readFileSync(blocks, 'utf8'));
    await until(client, uriOf(blocks), same(expected(blocks)), 'the cross-file findings');
    // The first answer came from the index in place at start (empty): RG010's first dropout is in layers.py, which
    // the index had not read yet. Indexing first would have made the first answer wait for every file.
    const first = client.published.find((p) => p.uri === uriOf(blocks))!;
    assert.ok(!found(first.diagnostics).includes('17:RG010'), JSON.stringify(found(first.diagnostics)));
    const log = client.logs.findIndex((l) => l.message.startsWith('Reglens: indexed'));
    assert.ok(log >= 0, 'the index was built, after the first answer');
  });

  test('editing the dependency (unsaved) changes the dependent; closing it without saving restores it', async () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const layers = path.join(folder, 'mypkg', 'layers.py');
    const client = await start([folder]);
    client.open(uriOf(blocks), fs.readFileSync(blocks, 'utf8'));
    await until(client, uriOf(blocks), (f) => f.includes('17:RG010'), 'RG010');
    const text = fs.readFileSync(layers, 'utf8');
    client.open(uriOf(layers), text);
    const line = text.split('\n').findIndex((l) => l.includes('return self.drop('));
    const column = text.split('\n')[line].indexOf('self.drop(');
    // `return self.drop(self.fc2(…))` → `return self.fc2(…)` plus a closing paren removed: FeedForward no longer ends
    // with dropout.
    const edited = text.split('\n')[line].replace('self.drop(', '').replace(/\)$/, '');
    client.change(uriOf(layers), 2, [
      {
        range: { start: { line, character: 0 }, end: { line, character: text.split('\n')[line].length } },
        text: edited,
      },
    ]);
    assert.ok(column > 0);
    await until(
      client,
      uriOf(blocks),
      (f) => !f.includes('17:RG010') && f.includes('16:RG002'),
      'RG010 gone after the edit',
    );
    client.close(uriOf(layers));
    await until(client, uriOf(blocks), (f) => f.includes('17:RG010'), 'RG010 back once the edit is discarded');
  });

  test('a script evaluating a model of another file gets RG015, until an unsaved edit drops its dropout', async () => {
    const folder = copyFixture('training-scripts');
    const train = path.join(folder, 'train.py');
    const net = path.join(folder, 'net.py');
    const client = await start([folder]);
    client.open(uriOf(train), fs.readFileSync(train, 'utf8'));
    await until(client, uriOf(train), same(expected(train)), 'RG015 through the model of net.py');
    const rg015 = (await client.diagnostics(uriOf(train))).find((d) => d.code === 'RG015')!;
    assert.equal(rg015.relatedInformation?.[0].location.uri, uriOf(net));
    const text = fs.readFileSync(net, 'utf8');
    client.open(uriOf(net), text);
    client.change(uriOf(net), 2, [{ text: text.replaceAll('nn.Dropout(', 'nn.Identity(') }]);
    await until(client, uriOf(train), same([]), 'RG015 gone: Net no longer drops');
    client.close(uriOf(net));
    await until(client, uriOf(train), same(expected(train)), 'RG015 back once the edit is discarded');
  });

  test("a script's bare import finds the module beside it (pytorch/examples' layout)", async () => {
    const folder = copyFixture('training-scripts');
    const sample = path.join(folder, 'examples', 'word_language_model', 'sample.py');
    const client = await start([folder]);
    client.open(uriOf(sample), fs.readFileSync(sample, 'utf8'));
    await until(client, uriOf(sample), same(expected(sample)), 'RG015 through model.py beside the script');
  });

  test("an unused copy of another file's drop path is RG007, until an edit makes that class draw nothing", async () => {
    const folder = copyFixture('vit-layers');
    const block = path.join(folder, 'vitpkg', 'layers', 'block.py');
    const dropPath = path.join(folder, 'vitpkg', 'layers', 'drop_path.py');
    const text = fs
      .readFileSync(block, 'utf8')
      .replace(
        '        self.head_drop = RowDrop(p=head_drop)\n',
        '        self.head_drop = RowDrop(p=head_drop)\n        self.drop_path2 = DropPath(drop_path)\n',
      );
    const client = await start([folder]);
    client.open(uriOf(block), text);
    await until(client, uriOf(block), (f) => f.includes('15:RG007'), 'RG007 on drop_path2');
    const source = fs.readFileSync(dropPath, 'utf8');
    client.open(uriOf(dropPath), source);
    const line = source.split('\n').findIndex((l) => l.includes('return drop_path(x, self.drop_prob, self.training)'));
    const old = source.split('\n')[line];
    client.change(uriOf(dropPath), 2, [
      { range: { start: { line, character: 0 }, end: { line, character: old.length } }, text: '        return x' },
    ]);
    await until(client, uriOf(block), (f) => !f.includes('15:RG007'), 'RG007 gone: DropPath is no regularizer now');
    client.close(uriOf(dropPath));
    await until(client, uriOf(block), (f) => f.includes('15:RG007'), 'RG007 back once the edit is discarded');
  });

  test('file-watch events: a deleted, re-created and changed dependency', async () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const plain = path.join(folder, 'mypkg', 'plain_attention.py');
    const layers = path.join(folder, 'mypkg', 'layers.py');
    const client = await start([folder]);
    client.open(uriOf(blocks), fs.readFileSync(blocks, 'utf8'));
    await until(client, uriOf(blocks), same(expected(blocks)), 'the cross-file findings');
    const plainText = fs.readFileSync(plain, 'utf8');
    fs.rmSync(plain);
    client.filesChanged([{ uri: uriOf(plain), type: FileChangeType.Deleted }]);
    await until(client, uriOf(blocks), (f) => !f.includes('16:RG002'), 'RG002 gone with its attention class');
    fs.writeFileSync(plain, plainText);
    client.filesChanged([{ uri: uriOf(plain), type: FileChangeType.Created }]);
    await until(client, uriOf(blocks), (f) => f.includes('16:RG002'), 'RG002 back with the file');
    fs.writeFileSync(
      layers,
      fs
        .readFileSync(layers, 'utf8')
        .replace('return self.drop(self.fc2(self.act(self.fc1(x))))', 'return self.fc2(self.act(self.fc1(x)))'),
    );
    client.filesChanged([{ uri: uriOf(layers), type: FileChangeType.Changed }]);
    await until(client, uriOf(blocks), (f) => !f.includes('17:RG010'), 'RG010 gone after the change on disk');
    // A deleted package folder arrives as one event for the folder.
    fs.rmSync(path.join(folder, 'mypkg', '__init__.py'));
    fs.rmSync(layers);
    client.filesChanged([{ uri: uriOf(path.join(folder, 'mypkg')), type: FileChangeType.Deleted }]);
    await until(client, uriOf(blocks), (f) => !f.includes('16:RG002'), 'nothing resolves once the folder is gone');
  });
});

describe('fix-all resolves through the workspace index, as the diagnostics do', () => {
  // `LSTMEncoder` is an nn.Module only through `FairseqEncoder`, imported from another file (fairseq's layout): its
  // RG006 findings, and their safe fixes, exist only with the index.
  const fixAll = async (client: TestClient, uri: string) =>
    ((await client.codeActions(uri, ZERO, [], ['source.fixAll'])) ?? []) as CodeAction[];

  test('in a file: the fix-all on save fixes both, and offers nothing once they are fixed', async () => {
    const folder = copyFixture('encoders');
    const lstm = path.join(folder, 'seqpkg', 'lstm.py');
    const text = fs.readFileSync(lstm, 'utf8');
    const client = await start([folder]);
    client.open(uriOf(lstm), text);
    await until(client, uriOf(lstm), same(expected(lstm)), 'the findings through the base class');
    const [action, ...more] = await fixAll(client, uriOf(lstm));
    assert.equal(more.length, 0);
    assert.ok(action?.edit, 'a fix-all with an edit');
    const fixed = applyWorkspaceEdit(text, uriOf(lstm), action.edit);
    assert.equal(fixed.match(/F\.dropout\(x, p=self\.dropout_(in|out), training=self\.training\)/g)?.length, 2);
    client.change(uriOf(lstm), 2, contentChanges(editsFor(action.edit, uriOf(lstm))));
    await until(client, uriOf(lstm), (f) => f.length === 0, 'no findings once fixed');
    assert.deepEqual(await fixAll(client, uriOf(lstm)), []);
    // The quick-fix menu's entry for the rule resolves to the same fix.
    client.close(uriOf(lstm));
    const again = uriOf(path.join(folder, 'seqpkg', 'lstm_copy.py'));
    client.open(again, text);
    const diagnostics = await until(client, again, same(expected(lstm)), 'the copy analysed');
    const menu = ((await client.codeActions(again, diagnostics[0].range, [diagnostics[0]])) ?? []) as CodeAction[];
    const entry = menu.find((a) => a.title === 'Fix all RG006 problems in this file');
    assert.ok(entry, menu.map((a) => a.title).join(', '));
    const resolved = await client.resolveCodeAction(entry);
    assert.equal(applyWorkspaceEdit(text, again, resolved.edit), fixed);
  });

  test('in a notebook cell', async () => {
    const folder = copyFixture('encoders');
    const lstm = fs.readFileSync(path.join(folder, 'seqpkg', 'lstm.py'), 'utf8');
    const notebook = uriOf(path.join(folder, 'encoder.ipynb'));
    const [imports, body] = [lstm.slice(0, lstm.indexOf('\n\n\nclass')), lstm.slice(lstm.indexOf('class'))];
    const cells = [
      { uri: cellUri(notebook, 0), kind: 'code' as const, text: imports },
      { uri: cellUri(notebook, 1), kind: 'code' as const, text: body },
    ];
    const client = await start([folder]);
    client.openNotebook(notebook, cells);
    await until(client, cells[1].uri, (f) => f.length === 2, 'the findings in the cell through the base class');
    const [action] = await fixAll(client, cells[1].uri);
    assert.ok(action?.edit, 'a fix-all with an edit for the cell');
    const fixed = applyWorkspaceEdit(body, cells[1].uri, action.edit);
    assert.equal(fixed.match(/training=self\.training/g)?.length, 2);
  });
});

describe("the profiler measures other files' regularizer classes where an open file builds them", () => {
  test('a lens at the construction, which follows an edit of the class in its own file', async () => {
    const folder = copyFixture('vit-layers');
    const block = path.join(folder, 'vitpkg', 'layers', 'block.py');
    const dropPath = path.join(folder, 'vitpkg', 'layers', 'drop_path.py');
    const text = fs.readFileSync(block, 'utf8');
    const client = await start([folder], () => ({ profiler: { backend: 'cpu', shape: '8, 4, 8', timeoutMs: 120000 } }));
    client.open(uriOf(block), text);
    await client.diagnostics(uriOf(block), 1);
    const lensAt = async (line: number): Promise<CodeLens | undefined> => {
      const all = (await client.connection.sendRequest(CodeLensRequest.type, {
        textDocument: { uri: uriOf(block) },
      })) as CodeLens[];
      return all.find((l) => l.command?.command === 'reglens.profileSite' && l.range.start.line === line);
    };
    // The first answer may come before the index has read drop_path.py.
    const line = text.split('\n').findIndex((l) => l.includes('DropPath(drop_path)'));
    let lens: CodeLens | undefined;
    for (const deadline = Date.now() + 15_000; !lens && Date.now() < deadline; ) {
      lens = await lensAt(line);
      if (!lens) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(lens?.command?.title, 'Profile this implementation (train/eval)');
    const profile = async (l: CodeLens) =>
      (await client.executeCommand('reglens.profileSite', l.command!.arguments!)) as ProfileResult;
    const scaled = await profile(lens!);
    assert.equal(scaled.implementation?.granularity.train, 'sample');
    assert.ok(scaled.train.rateInside, `rate 0.25 in ${scaled.train.interval}`);
    // drop_path.py edited in the editor (unsaved): its rescale by 1/keep removed. The block's lens is the new code's.
    const source = fs.readFileSync(dropPath, 'utf8');
    client.open(uriOf(dropPath), source);
    const rescale = source.split('\n').findIndex((l) => l.includes('random_tensor.div_(keep_prob)'));
    client.change(uriOf(dropPath), 2, [
      {
        range: { start: { line: rescale, character: 8 }, end: { line: rescale, character: 37 } },
        text: 'pass',
      },
    ]);
    let edited: CodeLens | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
      edited = await lensAt(line);
      if (edited && JSON.stringify(edited.command?.arguments) !== JSON.stringify(lens!.command?.arguments)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(edited?.command?.title, 'Profile this implementation (train/eval)', 'not the old result');
    const unscaled = await profile(edited!);
    assert.ok(
      unscaled.train.meanRatio < 0.9 && scaled.train.meanRatio > 0.85,
      `${scaled.train.meanRatio} → ${unscaled.train.meanRatio}`,
    );
  });
});

describe('folders arriving whole', () => {
  test('a package folder copied in, reported as one event for the folder, is indexed file by file', async () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    // The block imports its sublayers from a package `vendored` that is not there yet.
    const text = fs
      .readFileSync(blocks, 'utf8')
      .replace('from mypkg import', 'from vendored import')
      .replace('from mypkg.plain_attention', 'from vendored.plain_attention')
      .replace('from .attention', 'from vendored.attention');
    const outside = fs.mkdtempSync(path.join(path.dirname(folder), 'vendored-'));
    for (const name of ['__init__.py', 'attention.py', 'layers.py', 'plain_attention.py'])
      fs.copyFileSync(path.join(folder, 'mypkg', name), path.join(outside, name));
    const client = await start([folder]);
    client.open(uriOf(blocks), text);
    const none = (f: string[]) => !f.includes('16:RG002') && !f.includes('17:RG010') && !f.includes('24:RG002');
    await until(client, uriOf(blocks), none, 'no cross-file findings before the package exists');
    // Copied in whole, as a file manager or `cp -r` does, and reported as one event for the new folder.
    fs.cpSync(outside, path.join(folder, 'vendored'), { recursive: true });
    client.filesChanged([{ uri: uriOf(path.join(folder, 'vendored')), type: FileChangeType.Created }]);
    await until(
      client,
      uriOf(blocks),
      same(expected(blocks)),
      'the cross-file findings, through the files of the new folder',
    );
    // A folder a walk of the workspace skips (a virtual environment) is not walked when it is created either.
    const venv = path.join(folder, 'env');
    fs.mkdirSync(venv);
    fs.writeFileSync(path.join(venv, 'pyvenv.cfg'), 'home = /usr/bin\n');
    fs.cpSync(outside, path.join(venv, 'vendored2'), { recursive: true });
    client.filesChanged([{ uri: uriOf(venv), type: FileChangeType.Created }]);
    client.change(uriOf(blocks), 2, [{ text: text.replaceAll('from vendored', 'from env.vendored2') }]);
    await until(client, uriOf(blocks), none, 'nothing resolves into the virtual environment');
  });
});

describe('Check workspace', () => {
  function withIgnoredFiles(folder: string): void {
    const doubleDropout = fs.readFileSync(path.join(folder, 'legacy', 'old_block.py'), 'utf8');
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      fs.writeFileSync(path.join(folder, rel), text);
    };
    write('.gitignore', 'generated/\n');
    write('generated/gen.py', doubleDropout);
    write('env311/pyvenv.cfg', 'home = /usr/bin\n');
    write('env311/lib/site.py', doubleDropout);
    write('node_modules/pkg/mod.py', doubleDropout);
    write('scripts/tool.py', doubleDropout);
  }

  test('checks the files in folders no module name can reach (`model-zoo/`), as `reglens check` does', async () => {
    // A workspace opened above a hyphenated folder, as `scripts/data-prep/` or `my-project/` are: the index cannot
    // name these files as modules, and "Check workspace" once skipped them while counting them as checked.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-zoo-'));
    fs.cpSync(path.join(__dirname, '..', '..', 'examples'), path.join(folder, 'model-zoo'), { recursive: true });
    let stdout = '';
    const io = {
      cwd: folder,
      stdout: (t: string) => void (stdout += t),
      stderr: () => {},
      readStdin: () => Buffer.alloc(0),
      color: false,
    };
    const command = parseArgs(['check', '--format', 'json', '--exit-zero', '.']);
    if (command.kind === 'check') await runCheck(command.options, io);
    const cli: { path: string }[] = JSON.parse(stdout).diagnostics;
    assert.ok(cli.length > 10, `the examples have problems: ${cli.length}`);
    const client = await start([folder]);
    const result = (await client.executeCommand('reglens.checkWorkspace')) as { files: number; problems: number };
    assert.equal(result.problems, cli.length);
    const mlp = path.join(folder, 'model-zoo', 'gpt_mlp.py');
    const published = await until(client, uriOf(mlp), (f) => f.length > 0, 'gpt_mlp.py checked');
    const onDisk = cli.filter((d) => d.path === 'model-zoo/gpt_mlp.py').length;
    assert.equal(published.length, onDisk);
    // Opened and closed again, it shows its on-disk problems, as a file the index names does.
    client.open(uriOf(mlp), fs.readFileSync(mlp, 'utf8'));
    await client.diagnostics(uriOf(mlp), 1);
    client.close(uriOf(mlp));
    await client.sync();
    const closed = await until(client, uriOf(mlp), (f) => f.length === onDisk, 'gpt_mlp.py closed');
    assert.equal(closed.length, onDisk);
  });

  test('checks again only what changed since the last check: a file edited on disk, all after a setting', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-again-'));
    fs.cpSync(path.join(__dirname, '..', '..', 'examples'), folder, { recursive: true });
    let settings: Record<string, unknown> = {};
    const client = await start([folder], () => settings);
    const run = async () => {
      const result = (await client.executeCommand('reglens.checkWorkspace')) as { files: number; problems: number };
      const logged = client.logs.map((l) => l.message).filter((m) => m.startsWith('Reglens: checked '));
      return { ...result, log: logged[logged.length - 1] };
    };
    const first = await run();
    assert.doesNotMatch(first.log, /unchanged/);
    // Nothing changed: every file's problems are the ones published.
    const again = await run();
    assert.equal(again.problems, first.problems);
    assert.match(again.log, new RegExp(`\\(${first.files} unchanged since the last check, \\d+ ms\\)\\.$`));
    // An edit on disk that no watcher reported (the text differs from the one checked) is checked again.
    const mlp = path.join(folder, 'gpt_mlp.py');
    fs.writeFileSync(
      mlp,
      fs
        .readFileSync(mlp, 'utf8')
        .replace('F.dropout(x, self.dropout)', 'F.dropout(x, self.dropout, training=self.training)'),
    );
    const edited = await run();
    assert.equal(edited.problems, first.problems - 1);
    assert.match(edited.log, new RegExp(`\\(${first.files - 1} unchanged since the last check, `));
    assert.deepEqual(
      (await client.diagnostics(uriOf(mlp))).map((d) => d.code),
      ['RG011'],
    );
    // Other settings: every file is checked again under them.
    settings = { ignore: ['RG011'] };
    client.configurationChanged(null);
    await client.sync();
    const ignored = await run();
    assert.equal(ignored.problems, first.problems - 2);
    assert.doesNotMatch(ignored.log, /unchanged/);
  });

  test('counts what `reglens check` counts, notebooks and open files included, and logs the run', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-examples-'));
    fs.cpSync(path.join(__dirname, '..', '..', 'examples'), folder, { recursive: true });
    let stdout = '';
    const io = {
      cwd: folder,
      stdout: (t: string) => {
        stdout += t;
      },
      stderr: () => {},
      readStdin: () => Buffer.alloc(0),
      color: false,
    };
    const command = parseArgs(['check', '--format', 'json', '--exit-zero', '.']);
    assert.equal(command.kind, 'check');
    if (command.kind === 'check') await runCheck(command.options, io);
    const cli: { path: string; cell?: number; line: number }[] = JSON.parse(stdout).diagnostics;
    const checkedLine = /Checked (\d+) files?/;
    let summary = '';
    const textIo = { ...io, stdout: (t: string) => void (summary += t) };
    const text = parseArgs(['check', '--exit-zero', '.']);
    if (text.kind === 'check') await runCheck(text.options, textIo);
    const cliFiles = Number(checkedLine.exec(summary)?.[1]);

    const client = await start([folder]);
    // One file open with an edit that silences one of its problems: it counts with what it shows.
    const mlp = path.join(folder, 'gpt_mlp.py');
    const edited = fs
      .readFileSync(mlp, 'utf8')
      .replace('F.dropout(x, self.dropout)', 'F.dropout(x, self.dropout)  # noqa');
    client.open(uriOf(mlp), edited);
    await until(client, uriOf(mlp), (f) => f.length === 1, 'the open file analysed');
    const result = (await client.executeCommand('reglens.checkWorkspace')) as { files: number; problems: number };
    assert.deepEqual(result, { files: cliFiles, problems: cli.length - 1, cancelled: false });
    assert.match(
      client.logs.map((l) => l.message).join('\n'),
      /checked \d+ files \(1 notebook\): \d+ problems in \d+ files/,
    );
    // The unopened notebook's problems sit on its file, each naming its cell, until it is opened.
    const notebook = uriOf(path.join(folder, 'notebook_classifier.ipynb'));
    const onFile = await until(client, notebook, (f) => f.length === 2, 'the notebook checked');
    assert.deepEqual(
      onFile.map((d) => d.message.split(':')[0]),
      cli.filter((d) => d.path.endsWith('.ipynb')).map((d) => `cell ${d.cell}, line ${d.line}`),
    );
    const json = JSON.parse(fs.readFileSync(path.join(folder, 'notebook_classifier.ipynb'), 'utf8'));
    const cells = json.cells
      .filter((c: { cell_type: string }) => c.cell_type === 'code')
      .map((c: { source: string[] | string }, i: number) => ({
        uri: cellUri(notebook, i),
        kind: 'code' as const,
        text: Array.isArray(c.source) ? c.source.join('') : c.source,
      }));
    client.openNotebook(notebook, cells);
    await until(client, notebook, (f) => f.length === 0, 'the file diagnostics gone once the notebook is open');
  });

  test('publishes every unopened file, leaves out ignored and excluded ones, and keeps findings on close', async () => {
    const folder = copyFixture('project');
    withIgnoredFiles(folder);
    // `reglens.exclude` from the editor adds to pyproject's `legacy`.
    const client = await start([folder], () => ({ exclude: ['scripts'] }));
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const result = (await client.executeCommand('reglens.checkWorkspace')) as {
      files: number;
      problems: number;
      cancelled: boolean;
    };
    assert.deepEqual(result, { files: 5, problems: 3, cancelled: false });
    const publishedUris = new Set(client.published.map((p) => p.uri));
    assert.deepEqual(found(await client.diagnostics(uriOf(blocks))), [...expected(blocks)].sort());
    for (const rel of [
      'legacy/old_block.py',
      'generated/gen.py',
      'env311/lib/site.py',
      'node_modules/pkg/mod.py',
      'scripts/tool.py',
    ]) {
      assert.ok(!publishedUris.has(uriOf(path.join(folder, rel))), `${rel} is not checked`);
    }
    const check = client.progress.find(
      (p) => p.value.kind === 'begin' && p.value.title === 'Reglens: checking the workspace',
    );
    assert.equal(check?.value.cancellable, true);
    // Opened and closed: the on-disk findings stay (an editor would otherwise drop them from the Problems panel).
    client.open(
      uriOf(blocks),
      fs
        .readFileSync(blocks, 'utf8')
        .replace('x = x + self.attn(x)  # expect: RG002', 'x = x + self.attn(x)  # noqa: RG002'),
    );
    await until(client, uriOf(blocks), (f) => !f.includes('16:RG002'), 'the open text analysed');
    client.close(uriOf(blocks));
    await until(client, uriOf(blocks), same(expected(blocks)), 'the on-disk findings after close');
    // A file deleted after the check loses its diagnostics.
    fs.rmSync(blocks);
    client.filesChanged([{ uri: uriOf(blocks), type: FileChangeType.Deleted }]);
    await until(client, uriOf(blocks), (f) => f.length === 0, 'no diagnostics for a deleted file');
    // A new file after the check is checked when it appears.
    const copy = path.join(folder, 'mypkg', 'blocks2.py');
    fs.writeFileSync(copy, fs.readFileSync(path.join(folder, 'legacy', 'old_block.py'), 'utf8'));
    client.filesChanged([{ uri: uriOf(copy), type: FileChangeType.Created }]);
    await until(client, uriOf(copy), (f) => f.includes('12:RG010'), 'the new file checked');
  });

  test(
    'reglens.exclude changed: the index is rebuilt and excluded files lose their diagnostics; other settings do ' +
      'not rebuild',
    async () => {
      const folder = copyFixture('project');
      const blocks = path.join(folder, 'mypkg', 'blocks.py');
      let settings: Record<string, unknown> = { exclude: [] };
      const client = await start([folder], () => settings);
      await client.executeCommand('reglens.checkWorkspace');
      assert.deepEqual(found(await client.diagnostics(uriOf(blocks))), [...expected(blocks)].sort());
      const builds = () =>
        client.progress.filter((p) => p.value.kind === 'begin' && p.value.title === 'Reglens: indexing the workspace')
          .length;
      const before = builds();
      settings = { exclude: [], severity: { RG002: 'error' } };
      client.configurationChanged(null);
      await client.sync();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(builds(), before, 'a severity change does not re-index');
      settings = { exclude: ['mypkg'] };
      client.configurationChanged(null);
      await until(client, uriOf(blocks), (f) => f.length === 0, 'the excluded file cleared');
      assert.equal(builds(), before + 1);
    },
  );

  test('an open file that `exclude` matches gets no diagnostics and no profile lenses, as in Ruff', async () => {
    const folder = copyFixture('project');
    withIgnoredFiles(folder);
    let settings: Record<string, unknown> = { exclude: ['scripts'] };
    const client = await start([folder], () => settings);
    // pyproject's `exclude = ["legacy"]`, and the editor's `reglens.exclude`.
    const legacy = uriOf(path.join(folder, 'legacy', 'old_block.py'));
    const tool = uriOf(path.join(folder, 'scripts', 'tool.py'));
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    client.open(legacy, fs.readFileSync(path.join(folder, 'legacy', 'old_block.py'), 'utf8'), 1);
    client.open(tool, fs.readFileSync(path.join(folder, 'scripts', 'tool.py'), 'utf8'), 1);
    client.open(uriOf(blocks), fs.readFileSync(blocks, 'utf8'));
    await until(client, uriOf(blocks), same(expected(blocks)), 'a file not excluded is checked');
    assert.deepEqual(await client.diagnostics(legacy, 1), []);
    assert.deepEqual(await client.diagnostics(tool, 1), []);
    const lenses = async (uri: string) =>
      ((await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[]).filter(
        (l) => l.command?.command === 'reglens.profileSite',
      );
    assert.deepEqual(await lenses(legacy), [], 'no profile lens in an excluded file');
    // No longer excluded (the pyproject ignored, the editor's list emptied): both are checked where they are open.
    settings = { exclude: [], configurationPreference: 'editorOnly' };
    client.configurationChanged(null);
    await until(client, legacy, (f) => f.includes('12:RG010'), 'the legacy file checked once not excluded');
    await until(client, tool, (f) => f.includes('12:RG010'), 'the script checked once not excluded');
    assert.ok((await lenses(legacy)).length > 0, 'its dropout gets a profile lens once not excluded');
  });

  test('closing a file clears its diagnostics when no workspace check ran', async () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const client = await start([folder]);
    client.open(uriOf(blocks), fs.readFileSync(blocks, 'utf8'));
    await until(client, uriOf(blocks), same(expected(blocks)), 'the cross-file findings');
    client.close(uriOf(blocks));
    await until(client, uriOf(blocks), (f) => f.length === 0, 'cleared on close');
  });

  test('cancellation stops the check part-way', async () => {
    const folder = copyFixture('project');
    const model = fs.readFileSync(path.join(folder, 'legacy', 'old_block.py'), 'utf8');
    fs.mkdirSync(path.join(folder, 'many'));
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(folder, 'many', `m${i}.py`), model);
    const client = await start([folder]);
    const source = new CancellationTokenSource();
    const request = client.connection.sendRequest(
      'workspace/executeCommand',
      { command: 'reglens.checkWorkspace', arguments: [] },
      source.token,
    );
    await new Promise((r) => setTimeout(r, 300));
    source.cancel();
    const result = (await request.catch(() => null)) as { files: number; cancelled: boolean } | null;
    await client.sync();
    const checked = new Set(client.published.filter((p) => p.uri.includes('/many/')).map((p) => p.uri)).size;
    assert.ok(checked < 300, `stopped before the end: ${checked} files published`);
    if (result) assert.equal(result.cancelled, true);
  });
});

describe('multi-root workspaces', () => {
  test('a folder added to the workspace is indexed, one removed is forgotten', async () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const client = await TestClient.start({
      capabilities: { ...CAPABILITIES, workspace: { ...CAPABILITIES.workspace, workspaceFolders: true } },
    });
    clients.push(client);
    client.open(uriOf(blocks), fs.readFileSync(blocks, 'utf8'));
    await until(client, uriOf(blocks), (f) => f.length === 0, 'no cross-file findings outside any folder');
    const added = { uri: uriOf(folder), name: 'project' };
    void client.connection.sendNotification('workspace/didChangeWorkspaceFolders', {
      event: { added: [added], removed: [] },
    });
    await until(client, uriOf(blocks), same(expected(blocks)), 'the cross-file findings once the folder is added');
    void client.connection.sendNotification('workspace/didChangeWorkspaceFolders', {
      event: { added: [], removed: [added] },
    });
    await until(client, uriOf(blocks), (f) => f.length === 0, 'none once it is removed');
  });

  test('each folder uses its own pyproject.toml, in open files and in Check workspace', async () => {
    const root = copyFixture('multi-root');
    const alpha = path.join(root, 'alpha');
    const beta = path.join(root, 'beta');
    const client = await start([alpha, beta]);
    const alphaBlock = path.join(alpha, 'src', 'alpha_models', 'block.py');
    const betaBlock = path.join(beta, 'beta_models', 'block.py');
    client.open(uriOf(alphaBlock), fs.readFileSync(alphaBlock, 'utf8'));
    client.open(uriOf(betaBlock), fs.readFileSync(betaBlock, 'utf8'));
    await until(client, uriOf(alphaBlock), same(expected(alphaBlock)), 'RG010 in alpha (src layout)');
    await client.executeCommand('reglens.checkWorkspace');
    assert.deepEqual(found(await client.diagnostics(uriOf(betaBlock))), [], 'beta ignores RG010');
    const betaHead = path.join(beta, 'beta_models', 'head.py');
    const alphaHead = path.join(alpha, 'src', 'alpha_models', 'head.py');
    assert.deepEqual(found(await client.diagnostics(uriOf(betaHead))), expected(betaHead), 'beta keeps RG007');
    assert.deepEqual(found(await client.diagnostics(uriOf(alphaHead))), [], 'alpha selects only RG010');
  });
});
