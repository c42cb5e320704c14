// The layering ARCHITECTURE.md promises, read from the import statements of every source file: no import circle,
// arrows that point down (rules → engine, never back; the engine knows no front end), nothing of VS Code in the
// server, and one protocol module that client and server share and that imports nothing.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLIENT_COMMANDS } from '../server/lsp/protocol';

const root = path.join(__dirname, '..');
const LAYERS = ['client', 'server', 'kernels'];

function sources(): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) visit(rel);
      else if (entry.name.endsWith('.ts')) out.push(rel);
    }
  };
  for (const layer of LAYERS) visit(layer);
  return out.sort();
}

/** Every module a file imports (type-only imports included: they tie the files together just as well). */
function imports(file: string): { local: string[]; packages: string[] } {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s[^'";]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) {
      packages.push(spec);
      continue;
    }
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    if (base.endsWith('.json')) continue;
    const candidates = [`${base}.ts`, `${base}/index.ts`];
    const found = candidates.find((c) => fs.existsSync(path.join(root, c)));
    assert.ok(found, `${file} imports ${spec}, which is not a source file`);
    local.push(found);
  }
  return { local, packages };
}

const files = sources();
const graph = new Map(files.map((f) => [f, imports(f)]));

test('no import circle among the sources (type-only imports count)', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file)?.local ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test(
  'arrows point down: rules on the engine, the engine on neither rules nor a front end, the client on the ' +
    'protocol only',
  () => {
    const wrong: string[] = [];
    const forbid = (from: RegExp, to: RegExp, why: string) => {
      for (const [file, { local }] of graph) {
        if (!from.test(file)) continue;
        for (const target of local) if (to.test(target)) wrong.push(`${file} → ${target}: ${why}`);
      }
    };
    forbid(
      /^server\/engine\//,
      /^server\/(rules|lsp|cli|core)\//,
      'the engine receives its rules and knows no front end',
    );
    forbid(/^server\/rules\//, /^server\/(lsp|cli|core)\//, 'rules sit on the engine');
    forbid(/^server\/core\//, /^server\/(lsp|cli)\//, 'the core is shared by both front ends');
    forbid(/^server\/lsp\//, /^server\/cli\//, 'the language server and the CLI share server/core, not each other');
    forbid(/^server\/cli\//, /^server\/lsp\//, 'the language server and the CLI share server/core, not each other');
    forbid(/^kernels\//, /^(server|client)\//, 'kernels are plain data to the engine, never the other way');
    forbid(
      /^client\//,
      /^(server\/(?!lsp\/protocol\.ts$)|kernels\/)/,
      'the client holds no analysis: it shares server/lsp/protocol.ts only',
    );
    assert.deepEqual(wrong, []);
  },
);

test('the server never imports vscode, and the shared protocol module imports nothing', () => {
  for (const [file, { packages }] of graph) {
    if (file.startsWith('server/') || file.startsWith('kernels/'))
      assert.ok(!packages.includes('vscode'), `${file} imports vscode`);
  }
  const protocol = graph.get('server/lsp/protocol.ts')!;
  assert.deepEqual([...protocol.local, ...protocol.packages], []);
});

test('the commands the extension contributes are the client commands of the protocol module', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    contributes: { commands: { command: string }[] };
  };
  assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), Object.values(CLIENT_COMMANDS).sort());
});
