// Trust and safety through the real server: in an untrusted workspace nothing is read or loaded from it, and the
// only child process the server ever starts is its profiler worker, which starts none (Python least of all).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { CodeLensRequest, ExecuteCommandRequest, type CodeLens } from 'vscode-languageserver-protocol/node';
import { SERVER, TestClient, tempProject } from '../lsp/client';
import { BLOCK } from '../lsp/fixtures';
import { ruleFiles } from './harness';

const project = tempProject({
  // Would turn RG006 off, were it read.
  'pyproject.toml': '[tool.reglens]\nignore = ["RG006"]\n',
  'model.py': BLOCK,
});

after(() => project.cleanup());

const execute = (client: TestClient, command: string, args: unknown[]) =>
  client.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });

test('untrusted workspace: pyproject.toml is not read and the profiler loads no native CUDA package', async () => {
  const settings = () => ({ profiler: { backend: 'cuda', timeoutMs: 60_000 } });
  const untrusted = await TestClient.start({ initializationOptions: { workspaceTrusted: false }, settings });
  const trusted = await TestClient.start({ initializationOptions: { workspaceTrusted: true }, settings });
  try {
    const uri = project.uri('model.py');
    untrusted.open(uri, BLOCK);
    trusted.open(uri, BLOCK);
    assert.ok(
      (await untrusted.diagnostics(uri, 1)).some((d) => d.code === 'RG006'),
      'untrusted: pyproject.toml ignored',
    );
    assert.ok(!(await trusted.diagnostics(uri, 1)).some((d) => d.code === 'RG006'), 'trusted: pyproject.toml applies');
    const untrustedInfo = (await execute(untrusted, 'reglens.profilerBackends', [uri])) as {
      backend: string;
      statuses: { name: string; detail: string }[];
    };
    assert.match(
      untrustedInfo.statuses.find((s) => s.name === 'cuda')!.detail,
      /not loaded in an untrusted workspace \(Restricted Mode\)/,
    );
    assert.notEqual(untrustedInfo.backend, 'cuda');
    const trustedInfo = (await execute(trusted, 'reglens.profilerBackends', [uri])) as {
      statuses: { name: string; detail: string }[];
    };
    assert.doesNotMatch(trustedInfo.statuses.find((s) => s.name === 'cuda')!.detail, /untrusted/);
    assert.ok(
      untrusted.logs.some((l) => /untrusted workspace/.test(l.message)),
      'the server says it runs untrusted',
    );
  } finally {
    untrusted.dispose();
    trusted.dispose();
  }
});

test('the server starts no child process but its profiler worker, and nothing ever runs Python', {
  timeout: 10 * 60_000,
}, async () => {
  const log = project.path('spawns.jsonl');
  const pythonRuns = project.path('python-runs.txt');
  fs.writeFileSync(log, '');
  // Any Python found on PATH records that it ran (in case something reached it without child_process).
  const bin = project.path('bin');
  fs.mkdirSync(bin);
  for (const name of ['python', 'python3', 'python3.11', 'python3.12', 'python3.13']) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${pythonRuns}'\nexit 1\n`, {
      mode: 0o755,
    });
  }
  const client = await TestClient.start({
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'spawn-log.cjs')}`.trim(),
      REGLENS_SPAWN_LOG: log,
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    },
    settings: () => ({ profiler: { backend: 'cpu', timeoutMs: 60_000, shape: [2, 8, 16] } }),
  });
  let profiled = 0;
  try {
    // Every fixture and example: hand-written regularizers (interpreted, RG003–RG005), fusions, logits, modules.
    for (const [i, source] of ruleFiles().entries()) {
      const uri = project.uri(`spawn_${i}.py`);
      client.open(uri, source.text);
      await client.diagnostics(uri, 1, 30_000);
      const lenses = (await client.connection.sendRequest(CodeLensRequest.type, {
        textDocument: { uri },
      })) as CodeLens[];
      if (lenses.some((l) => l.command?.command === 'reglens.profileSite' && !/^Not profiled/.test(l.command.title))) {
        const result = (await execute(client, 'reglens.profileFile', [uri])) as { profiled: number };
        profiled += result.profiled;
        for (const lens of lenses) await client.hover(uri, lens.range.start);
      }
      client.close(uri);
    }
  } finally {
    await client.shutdown().catch(() => client.dispose());
  }
  const spawns = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { pid: number; script: string; api: string; file: string; args: string[] });
  const fromServer = spawns.filter((s) => s.script === SERVER);
  const fromOthers = spawns.filter((s) => s.script !== SERVER);
  console.log(
    `spawn watch: ${profiled} sites profiled; ${fromServer.length} child process(es) started by the server, ` +
      `${fromOthers.length} by its children`,
  );
  assert.ok(profiled > 10, `sites were profiled (${profiled})`);
  assert.ok(fromServer.length >= 1, 'the preload sees the worker start (so it would see anything else)');
  for (const s of fromServer) {
    assert.equal(s.file, process.execPath, `only Node is started: ${JSON.stringify(s)}`);
    assert.ok(
      s.args.some((a) => a.endsWith(path.join('dist', 'worker.js'))),
      `only the profiler worker: ${JSON.stringify(s)}`,
    );
  }
  assert.deepEqual(fromOthers, [], 'the worker starts nothing');
  assert.equal(fs.existsSync(pythonRuns) ? fs.readFileSync(pythonRuns, 'utf8') : '', '', 'no Python ran');
});
