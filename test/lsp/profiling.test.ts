// Code lenses, profile commands, profile hovers and the worker's failures, through the real server over stdio.
// Kernels run in the server's worker process (dist/worker.js) on the cpu backend, which every machine has.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import {
  CodeLensRefreshRequest,
  CodeLensRequest,
  ExecuteCommandRequest,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type CodeLens,
  type MarkupContent,
  type ProgressToken,
} from 'vscode-languageserver-protocol/node';
import { positionOf, TestClient, tempProject, VSCODE_CAPABILITIES } from './client';
import { PROFILED_MODEL as MODEL } from './fixtures';
import type { ProfileResult } from '../../kernels/profile-result';
import { joined } from '../patterns';
import { PROFILER_STATUS_NOTIFICATION } from '../../server/lsp/protocol';

let client: TestClient;
const project = tempProject();
/** The `reglens` section the client answers; a test may change it or hold the answer back. */
let reglensSection: Record<string, unknown> = { profiler: { backend: 'cpu', timeoutMs: 120000 } };
let holdSettings: Promise<void> | undefined;
const settingsAnswer = async () => {
  await holdSettings;
  return reglensSection;
};
let refreshes = 0;
const progress: Array<{ token: ProgressToken; kind: string }> = [];
let onBegin: ((token: ProgressToken) => void) | undefined;

before(async () => {
  client = await TestClient.start({
    capabilities: {
      ...VSCODE_CAPABILITIES,
      workspace: { ...VSCODE_CAPABILITIES.workspace, codeLens: { refreshSupport: true } },
      window: { workDoneProgress: true },
    },
    settings: () => settingsAnswer(),
  });
  client.connection.onRequest(CodeLensRefreshRequest.type, () => {
    refreshes++;
    return null;
  });
  client.connection.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  client.connection.onNotification('$/progress', (p: { token: ProgressToken; value: { kind: string } }) => {
    progress.push({ token: p.token, kind: p.value.kind });
    if (p.value.kind === 'begin') onBegin?.(p.token);
  });
});

after(() => {
  client.dispose();
  project.cleanup();
});

const lenses = (uri: string) =>
  client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } }) as Promise<CodeLens[]>;
const execute = (command: string, args: unknown[]) =>
  client.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
const profileLenses = (all: CodeLens[]) => all.filter((l) => l.command?.command === 'reglens.profileSite');

test('lenses that offer a profile start the worker, so the first click does not wait for tfjs to load', async () => {
  const ready = new Promise<{ backend: string }>((resolve) =>
    client.connection.onNotification(PROFILER_STATUS_NOTIFICATION, resolve),
  );
  const uri = project.uri('warm.py');
  client.open(uri, MODEL);
  await client.diagnostics(uri, 1);
  assert.deepEqual(workerPids(client.child.pid!), [], 'no worker before any lens');
  assert.ok(profileLenses(await lenses(uri)).length > 0);
  // No profile was asked for: the worker started because the lenses offer one, and says which backend it chose.
  const late = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no worker started within 60 s of the lenses')), 60_000).unref(),
  );
  assert.equal((await Promise.race([ready, late])).backend, 'cpu');
  assert.equal(workerPids(client.child.pid!).length, 1);
});

test(
  'every regularizer site gets a "Profile train/eval" lens; running it puts the summary in the lens and a table ' +
    'in the hover',
  async () => {
    const uri = project.uri('lens.py');
    client.open(uri, MODEL);
    await client.diagnostics(uri, 1);
    const before = profileLenses(await lenses(uri));
    assert.deepEqual(
      before.map((l) => [l.range.start.line, l.command!.title]),
      [
        [7, 'Profile train/eval'],
        [10, 'Profile train/eval'],
        [11, 'Profile train/eval'],
      ],
    );
    const shapeLens = (await lenses(uri)).find((l) => l.command?.command === 'reglens.profileSiteWithShape');
    assert.equal(shapeLens?.command?.title, 'shape [4, 64, 96]…');

    const refreshesBefore = refreshes;
    const result = (await execute('reglens.profileSite', before[0].command!.arguments!)) as {
      train: { rateInside: boolean };
      backend: string;
    };
    assert.equal(result.backend, 'cpu');
    assert.equal(result.train.rateInside, true);
    assert.ok(refreshes > refreshesBefore, 'the server asked the client to refresh its lenses');

    const after = profileLenses(await lenses(uri));
    // What it measured, then the time; the backend is named in the status bar and the hover, not in every lens.
    assert.match(after[0].command!.title, /^train: \d+\.\d% dropped · mean ×\d\.\d\d \| eval: identity \| \S+ ms$/);
    assert.equal(after[1].command!.title, 'Profile train/eval', 'other sites are not profiled yet');

    const hover = await client.hover(uri, positionOf(MODEL, 'nn.Dropout(p)'));
    const text = (hover!.contents as MarkupContent).value;
    assert.match(
      text,
      /\*\*Reglens profile: dropout p=0\.1\*\*, shape \[4, 64, 96\] \(# reglens: shape comment; p=0\.1 \(default\)\)/,
    );
    assert.match(text, /\| values dropped \| \d+\.\d\d% \| 0\.00% \|/);
    // The pipes of `max |y − x|` are escaped, so the row keeps its two values.
    assert.match(text, /\| max \\\|y − x\\\| \| \d\.\d+(e[+-]\d+)? \| 0 \(identity\) \|/);
    // The rows a user reads: the interval, the rate check and the variance ratio are `reglens profile --details`'s.
    assert.doesNotMatch(text, /99\.9% interval|rate 0\.1 inside|Var\[y\]/);
    assert.match(text, / · cpu \(/, 'the hover names the backend');
    assert.match(text, /!\[y\/x in train and eval\]\(data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+\)/);
    assert.ok(text.indexOf('![y/x') < text.indexOf('| | train | eval |'), 'the chart comes before the table');
    const svg = Buffer.from(/base64,([A-Za-z0-9+/=]+)/.exec(text)![1], 'base64').toString();
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  },
);

test('a bracket left open in one class keeps the lenses of the classes after it while it is typed', async () => {
  // tree-sitter reads everything after this bracket as one ERROR node: the lenses come from the file as recovered.
  const text = [
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    '',
    'class Block(nn.Module):',
    '    def __init__(self, dim, drop_path=0.1):',
    '        super().__init__()',
    '        self.conv = nn.Conv2d(dim, dim, 3, padding=1)',
    '        self.bn = nn.BatchNorm2d(dim)',
    '        self.drop_path = drop_path',
    '',
    '    def forward(self, x):',
    '        y = self.bn(self.conv(x))',
    '        y = F.relu(y)',
    '        if self.training and torch.rand(1).item() < self.drop_path:',
    '            return x',
    '        return x + y',
    '',
    '',
    'class Head(nn.Module):',
    '    def __init__(self, dim, classes, p=0.2):',
    '        super().__init__()',
    '        self.fc = nn.Linear(dim, classes)',
    '        self.drop = nn.Dropout(p)',
    '',
    '    def forward(self, x):',
    '        return self.fc(self.drop(x))',
    '',
  ].join('\n');
  const uri = project.uri('typing.py');
  client.open(uri, text);
  await client.diagnostics(uri, 1);
  const before = profileLenses(await lenses(uri)).map((l) => l.range.start.line);
  assert.ok(before.includes(24), `lenses on lines ${before}`);
  client.change(uri, 2, [
    { range: { start: { line: 14, character: 0 }, end: { line: 14, character: 0 } }, text: '        y = torch.cat(\n' },
  ]);
  await client.diagnostics(uri, 2);
  const after = profileLenses(await lenses(uri)).map((l) => l.range.start.line);
  assert.deepEqual(
    after,
    before.map((line) => (line >= 14 ? line + 1 : line)),
  );
});

test('F.dropout without training= keeps dropping in eval; editing the site drops its cached result', async () => {
  const uri = project.uri('edit.py');
  client.open(uri, MODEL);
  await client.diagnostics(uri, 1);
  const site = profileLenses(await lenses(uri))[1];
  await execute('reglens.profileSite', site.command!.arguments!);
  assert.match(profileLenses(await lenses(uri))[1].command!.title, /eval: STILL ACTIVE, \d+\.\d% dropped/);
  const at = positionOf(MODEL, '0.2');
  client.change(uri, 2, [{ range: { start: at, end: { line: at.line, character: at.character + 3 } }, text: '0.3' }]);
  await client.diagnostics(uri, 2);
  assert.equal(profileLenses(await lenses(uri))[1].command!.title, 'Profile train/eval');
});

test('a profile that confirms a diagnostic adds its measured figure to the message', async () => {
  const uri = project.uri('measured.py');
  client.open(uri, MODEL);
  const before = await client.diagnostics(uri, 1);
  const rg006 = before.find((d) => d.code === 'RG006')!;
  assert.doesNotMatch(rg006.message, /Measured/);
  const next = client.nextDiagnostics(uri);
  await execute('reglens.profileSite', profileLenses(await lenses(uri))[1].command!.arguments!);
  const after = (await next).find((d) => d.code === 'RG006')!;
  assert.deepEqual(after.range, rg006.range);
  assert.match(
    after.message,
    /^.+ Measured in evaluation: (1\d|2\d)\.\d% of values dropped \(cpu, shape \[4, 64, 96\]\)\.$/,
  );
});

test('a drop path written by hand that masks in evaluation: its profile measures what it drops there', async () => {
  // Megatron-LM's DropPath with its training check left out (test/rules/RG006/fire_hand_written_module.py).
  const uri = project.uri('drop_path.py');
  const text = fs.readFileSync(`${__dirname}/../rules/RG006/fire_hand_written_module.py`, 'utf8');
  client.open(uri, text);
  const rg006 = (await client.diagnostics(uri, 1)).filter((d) => d.code === 'RG006');
  assert.equal(rg006.length, 3);
  const stochasticDepth = rg006.find((d) => d.message.startsWith('`StochasticDepth` draws a new random mask'))!;
  assert.doesNotMatch(stochasticDepth.message, /Measured/);
  const line = positionOf(text, 'class StochasticDepth').line;
  const lens = profileLenses(await lenses(uri)).find((l) => l.range.start.line === line)!;
  const next = client.nextDiagnostics(uri);
  await execute('reglens.profileSite', lens.command!.arguments!);
  const after = (await next).find((d) => d.message.startsWith('`StochasticDepth`'))!;
  assert.deepEqual(after.range, stochasticDepth.range);
  assert.match(after.message, / Measured in evaluation: \d+\.\d% of values dropped \(cpu, shape \[[\d, ]+\]\)\.$/);
  assert.doesNotMatch(after.message, / 0\.0% of values dropped/);
});

test("a construction's profile adds its figure to a finding in the class it builds, naming it", async () => {
  const uri = project.uri('handwritten.py');
  const text = fs.readFileSync(`${__dirname}/../../examples/handwritten_regularizers.py`, 'utf8');
  client.open(uri, text);
  const rg005 = (await client.diagnostics(uri, 1)).find((d) => d.code === 'RG005')!;
  assert.doesNotMatch(rg005.message, /Measured/);
  // At its default p = 0.5 the class's own run cannot show a rescale by 1/p; built with p = 0.1 it can.
  const line = positionOf(text, 'MyDropout(0.1)').line;
  const lens = profileLenses(await lenses(uri)).find((l) => l.range.start.line === line)!;
  const next = client.nextDiagnostics(uri);
  await execute('reglens.profileSite', lens.command!.arguments!);
  const after = (await next).find((d) => d.code === 'RG005')!;
  assert.match(
    after.message,
    new RegExp(
      '^.+ Measured by running its code: E\\[y\\]/E\\[x\\] = 8\\.9\\d+ in training .+ vs 1\\.000 in evaluation ' +
        `\\(as built by \`MyDropout\\(0\\.1\\)\` on line ${line + 1}, cpu, shape \\[[\\d, ]+\\]\\)\\.$`,
    ),
  );
});

test('a shape from the lens command overrides the inferred one, and a bad one is refused', async () => {
  const uri = project.uri('shape.py');
  client.open(uri, MODEL);
  await client.diagnostics(uri, 1);
  const [uriArg, id] = profileLenses(await lenses(uri))[0].command!.arguments!;
  const result = (await execute('reglens.profileSite', [uriArg, id, [2, 8, 16]])) as { shape: number[] };
  assert.deepEqual(result.shape, [2, 8, 16]);
  const bad = (await execute('reglens.profileSite', [uriArg, id, 'eight'])) as { error: string };
  assert.match(bad.error, /"eight" is not a shape/);
});

test('"Profile all sites in this file" reports progress and stops when cancelled', async () => {
  const uri = project.uri('all.py');
  client.open(uri, MODEL.replaceAll('[4, 64, 96]', '[8, 256, 768]'));
  await client.diagnostics(uri, 1);
  onBegin = (token) => void client.connection.sendNotification(WorkDoneProgressCancelNotification.type, { token });
  const first = (await execute('reglens.profileFile', [uri])) as { profiled: number; cancelled: boolean };
  onBegin = undefined;
  assert.equal(first.cancelled, true);
  assert.ok(first.profiled < 3, `stopped early (${first.profiled} of 3)`);
  const small = project.uri('all-small.py');
  client.open(small, MODEL);
  await client.diagnostics(small, 1);
  const done = (await execute('reglens.profileFile', [small])) as {
    profiled: number;
    failed: string[];
    cancelled: boolean;
  };
  assert.deepEqual(done, { profiled: 3, failed: [], cancelled: false });
  assert.ok(progress.some((p) => p.kind === 'begin') && progress.some((p) => p.kind === 'end'));
  assert.ok(profileLenses(await lenses(small)).every((l) => l.command!.title.startsWith('train: ')));
});

test('the backends command lists every backend with its reason', async () => {
  const info = (await execute('reglens.profilerBackends', [project.uri('lens.py')])) as {
    backend: string;
    statuses: Array<{ name: string; detail: string }>;
  };
  assert.equal(info.backend, 'cpu');
  assert.deepEqual(
    info.statuses.map((s) => s.name),
    ['cuda', 'webgpu', 'wasm', 'cpu'],
  );
  assert.ok(info.statuses.every((s) => s.detail.length > 0));
});

/** The server's worker processes (children running dist/worker.js). */
function workerPids(serverPid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === serverPid && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('worker.js'))
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

test('a worker killed mid-request: the request fails with a clear message, diagnostics keep coming, the next ' +
  'profile works', {
  skip: process.platform !== 'linux' && 'finds the worker through /proc',
}, async () => {
  const uri = project.uri('crash.py');
  const text = MODEL.replaceAll('[4, 64, 96]', '[8, 256, 768]');
  client.open(uri, text);
  await client.diagnostics(uri, 1);
  const site = profileLenses(await lenses(uri))[2];
  const pending = execute('reglens.profileSite', site.command!.arguments!);
  let pids: number[] = [];
  while (pids.length === 0) {
    await client.sync();
    pids = workerPids(client.child.pid!);
  }
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  const failed = (await pending) as { error?: string };
  assert.match(
    failed.error ?? '',
    /profiler worker was killed \(SIGKILL\).*restarts on the next request; diagnostics are not affected/,
  );
  assert.ok(client.messages.some((m) => /profiler worker was killed/.test(m.message)));
  const at = positionOf(text, '0.2');
  client.change(uri, 2, [{ range: { start: at, end: { line: at.line, character: at.character + 3 } }, text: '0.3' }]);
  assert.ok(
    (await client.diagnostics(uri, 2)).some((d) => d.code === 'RG006'),
    'diagnostics are still served',
  );
  const small = project.uri('after-crash.py');
  client.open(small, MODEL);
  await client.diagnostics(small, 1);
  const again = (await execute('reglens.profileSite', profileLenses(await lenses(small))[0].command!.arguments!)) as {
    train?: { rateInside: boolean };
  };
  assert.equal(again.train?.rateInside, true);
});

const STRUCTURE = `import torch
import torch.nn as nn
import torch.nn.functional as F


class VisionLanguage(nn.Module):
    def __init__(self, dim: int = 32, block_size: int = 16, img_size: int = 64, patch_size: int = 16, dropout: float = 0.1):
        super().__init__()
        self.embed_tokens = nn.Embedding(100, dim)
        self.vision_proj = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids, image_features):
        h = self.dropout(self.embed_tokens(input_ids))
        h = torch.cat([self.vision_proj(image_features), h], dim=1)
        return h


class Attention(nn.Module):
    def __init__(self, n_head: int = 2, p: float = 0.1):
        super().__init__()
        self.attn_drop = nn.Dropout(p)

    def forward(self, q, k, v):
        att = q @ k.transpose(-2, -1)
        att = self.attn_drop(att)
        att = F.softmax(att, dim=-1)
        return att @ v


def drop_path(x, drop_prob: float = 0.1, training: bool = False):  # reglens: shape=[64, 4, 8]
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    random_tensor = keep_prob + torch.rand(1, dtype=x.dtype, device=x.device)
    random_tensor.floor_()
    return x.div(keep_prob) * random_tensor


class StochasticDepth(nn.Module):  # reglens: shape=[64, 4, 8]
    def __init__(self, drop_prob: float = 0.1):
        super().__init__()
        self.keep_prob = 1.0 - drop_prob

    def forward(self, x):
        if not self.training:
            return x
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(self.keep_prob)
        return x * mask
`;

test(
  'fusion, logits and hand-written sites get lenses; their profiles add the measured figures to RG001, RG009, ' +
    'RG003 and RG004',
  async () => {
    const uri = project.uri('structure.py');
    client.open(uri, STRUCTURE);
    const before = await client.diagnostics(uri, 1);
    assert.deepEqual(
      before.map((d) => `${d.range.start.line} ${d.code}`).sort(),
      ['13 RG001', '25 RG009', '34 RG003', '48 RG004'].sort(),
    );
    for (const d of before) assert.doesNotMatch(d.message, /Measured/);
    const all = profileLenses(await lenses(uri));
    // Lenses on the RG001 and RG009 dropout calls and, twice, on each hand-written regularizer's name: its derived
    // semantics and its own code.
    assert.deepEqual(
      all.map((l) => l.range.start.line),
      [10, 13, 21, 25, 30, 30, 39, 39],
    );
    assert.deepEqual(
      all.filter((l) => l.range.start.line === 30).map((l) => l.command!.title),
      ['Profile train/eval', 'Profile this implementation (train/eval)'],
    );

    const next = client.nextDiagnostics(uri);
    const done = (await execute('reglens.profileFile', [uri])) as { profiled: number; failed: string[] };
    assert.deepEqual(done, { profiled: 8, failed: [], cancelled: false });
    await next;
    await client.sync();
    const titles = new Map(
      profileLenses(await lenses(uri)).map((l) => [
        `${l.range.start.line} ${l.command!.arguments![1].split(':')[0]}`,
        l.command!.title,
      ]),
    );
    assert.match(titles.get('13 fusion')!, /^train: text (9|10|11)\.\d% · image 0\.0% dropped \| eval: identity/);
    assert.match(
      titles.get('25 attention-logits')!,
      /^train: 0\.0% of probabilities dropped \(dropping logits drops nothing\) \| eval: identity/,
    );
    assert.match(titles.get('30 hand-written')!, /^as read: train: \d+\.\d% samples dropped/);
    // The two links on a hand-written regularizer's name read apart: the implementation's says it ran the code.
    assert.match(
      titles.get('30 implementation')!,
      /^its code: train: \d+\.\d% samples dropped \(per batch\) · mean ×\d\.\d\d \| eval: identity \|/,
    );
    assert.match(
      titles.get('39 implementation')!,
      /^its code: train: \d+\.\d% samples dropped \(per sample\) · mean ×0\.(8|9)\d \| eval: identity \|/,
    );
    // One lens line per site: its links all differ, and one shape link ends it and reruns every site of the line.
    const every = await lenses(uri);
    for (const line of [10, 13, 21, 25, 30, 39]) {
      const here = every.filter((l) => l.range.start.line === line).map((l) => l.command!);
      assert.equal(new Set(here.map((c) => c.title)).size, here.length, `distinct labels: ${JSON.stringify(here)}`);
      const shapes = here.filter((c) => c.command === 'reglens.profileSiteWithShape');
      assert.equal(shapes.length, 1, `one shape link on line ${line}`);
      assert.equal(here.at(-1), shapes[0], 'the shape link comes last');
      assert.deepEqual(
        shapes[0].arguments![1],
        here.filter((c) => c.command === 'reglens.profileSite').map((c) => c.arguments![1]),
      );
    }

    const dropPathHover = (await client.hover(uri, positionOf(STRUCTURE, 'drop_path(x, drop_prob')))!
      .contents as MarkupContent;
    assert.match(dropPathHover.value, /\*\*Reglens profile: drop_path \(its code, interpreted\)\*\*/);
    assert.match(
      dropPathHover.value,
      joined(
        /\*\*Granularity:\*\* its name promises one decision per sample, but the code makes one decision for th/,
        /e whole batch/,
      ),
    );
    assert.match(
      dropPathHover.value,
      /\| mask granularity \(measured\) \| one decision for the whole batch \| nothing dropped \|/,
    );
    const depthHover = (await client.hover(uri, positionOf(STRUCTURE, 'StochasticDepth(nn')))!
      .contents as MarkupContent;
    assert.match(
      depthHover.value,
      joined(
        /\*\*Train and eval differ:\*\* E\[y\]\/E\[x\] = 0\.(8|9)\d\d in training \(99\.9% interval 0\.\d{3}–0/,
        /\.\d{3}\) vs 1\.000 in evaluation/,
      ),
    );

    const fusionHover = (await client.hover(uri, positionOf(STRUCTURE, 'self.dropout(self.embed')))!
      .contents as MarkupContent;
    assert.match(
      fusionHover.value,
      joined(
        /fusion dropout p=0\.1 \(text-before-merge\)\*\*, shape \[8, 32, 32\] \(from dim=32, block_size=16; 16/,
        / text tokens \(block_size\), 16 image tokens \(img_size=64\/patch_size=16\)/,
      ),
    );
    assert.match(fusionHover.value, /\| image tokens dropped \(16\) \| 0\.00% \|/);
    assert.match(fusionHover.value, /\| … if after-merge \| text \d+\.\d% · image (9|10|11)\.\d% \|/);

    const after = await client.diagnostics(uri, 1);
    const message = (code: string) => after.find((d) => d.code === code)!.message;
    assert.match(
      message('RG001'),
      joined(
        / Measured in training: (9|10|11)\.\d% of the 16 text tokens' values and 0\.0% of the 16 image tokens'/,
        / values dropped; after the merge: \d+\.\d% and \d+\.\d% \(cpu, shape \[8, 32, 32\]\)\.$/,
      ),
    );
    assert.match(
      message('RG009'),
      / Measured in training: 0\.0% of attention probabilities dropped at p=0\.1 \(cpu, shape \[8, 2, 16, 16\]\)\.$/,
    );
    // Each RG003/RG004 finding carries the derived semantics' figure, then the one measured by running the code.
    assert.match(
      message('RG003'),
      joined(
        / Measured in training: one decision per batch, 16 decisions for 1024 samples; \d+\.\d% of samples drop/,
        /ped whole \(cpu, shape \[64, 4, 8\]\)\. Measured by running its code: its name promises one decision p/,
        /er sample, but the code makes one decision for the whole batch: \d+\.\d% of values dropped, \d+\.\d% o/,
        /f samples dropped whole \(cpu, shape \[64, 4, 8\]\)\.$/,
      ),
    );
    assert.match(
      message('RG004'),
      joined(
        / Measured: E\[y\]\/E\[x\] = 0\.(8|9)\d\d in training \(99\.9% interval 0\.\d{3}–0\.\d{3}\) vs 1\.000 i/,
        /n evaluation \(cpu, shape \[64, 4, 8\]\)\. Measured by running its code: E\[y\]\/E\[x\] = 0\.(8|9)\d\d/,
        / in training \(99\.9% interval 0\.\d{3}–0\.\d{3}\) vs 1\.000 in evaluation \(cpu, shape \[64, 4, 8\]\)/,
        /\.$/,
      ),
    );
  },
);

test('a hand-written regularizer whose keep probability is not a number gets a lens that says why', async () => {
  const uri = project.uri('unknown-keep.py');
  const text =
    `import torch\n\n\ndef drop_path(x, p, training: bool = False):\n    if not training:\n        ` +
    `return x\n    mask = torch.rand(x.shape[0], 1, 1) < 1 - p\n    return x * mask\n`;
  client.open(uri, text);
  await client.diagnostics(uri, 1);
  const [lens] = profileLenses(await lenses(uri));
  assert.equal(lens.range.start.line, 3);
  assert.match(lens.command!.title, /^Not profiled: The keep probability `1 - p` is not a number Reglens can read/);
  const answer = (await execute('reglens.profileSite', lens.command!.arguments!)) as { error: string };
  assert.match(answer.error, /not a number Reglens can read/);
});

test('the implementation lens runs code the derived semantics could not read, with the rate it assumes', async () => {
  const uri = project.uri('unknown-keep-implementation.py');
  const text =
    `import torch\n\n\ndef drop_path(x, p, training: bool = False):\n    if not training:\n        ` +
    `return x\n    mask = torch.rand(x.shape[0], 1, 1) < 1 - p\n    return x * mask\n`;
  client.open(uri, text);
  await client.diagnostics(uri, 1);
  const lens = profileLenses(await lenses(uri)).find(
    (l) => l.command!.title === 'Profile this implementation (train/eval)',
  );
  assert.ok(lens, 'an implementation lens');
  const result = (await execute('reglens.profileSite', lens.command!.arguments!)) as ProfileResult;
  assert.equal(result.implementation!.granularity.train, 'sample');
  assert.equal(result.implementation!.granularity.eval, 'none');
  assert.ok(result.train.rateInside, `the assumed rate 0.1 lies in the measured interval ${result.train.interval}`);
  assert.ok(result.eval.identity);
  await client.sync();
  const titles = profileLenses(await lenses(uri)).map((l) => l.command!.title);
  assert.ok(
    titles.some((t) =>
      /^its code: train: \d+\.\d% samples dropped \(per sample\) · mean ×\S+ \| eval: identity \| \S+ ms$/.test(t),
    ),
    titles.join('\n'),
  );
  const hover = (await client.hover(uri, positionOf(text, 'drop_path')))!.contents as MarkupContent;
  assert.match(hover.value, /rate 0\.1 from its arguments; p=0\.1 assumed/);
});

test("a construction of the file's own drop path gets a lens running its code with the arguments passed", async () => {
  const uri = project.uri('constructions.py');
  const text = fs.readFileSync(`${__dirname}/../interpreter/constructions.py`, 'utf8');
  client.open(uri, text);
  await client.diagnostics(uri, 1);
  const line = (needle: string) => positionOf(text, needle).line;
  const at = (all: CodeLens[], needle: string) => profileLenses(all).filter((l) => l.range.start.line === line(needle));
  const [scaled] = at(await lenses(uri), 'SwitchedDropPath(0.25)');
  const [unscaled] = at(await lenses(uri), 'SwitchedDropPath(0.25, scale_by_keep=False)');
  assert.equal(unscaled?.command?.title, 'Profile this implementation (train/eval)');
  // No lens on the calls of the built module: they run what the construction built.
  assert.deepEqual(at(await lenses(uri), 'self.unscaled(self.scaled('), []);
  const on = (await execute('reglens.profileSite', scaled.command!.arguments!)) as ProfileResult;
  const off = (await execute('reglens.profileSite', unscaled.command!.arguments!)) as ProfileResult;
  for (const r of [on, off]) {
    assert.equal(r.implementation!.granularity.train, 'sample');
    assert.ok(r.train.rateInside, `the passed rate 0.25 lies in the measured interval ${r.train.interval}`);
    assert.ok(r.eval.identity);
  }
  // The switch the construction passes reaches the run: without the rescale, training keeps 3/4 of the mean.
  assert.ok(off.train.meanRatio < 0.9 && on.train.meanRatio > 0.85, `${on.train.meanRatio} / ${off.train.meanRatio}`);
  await client.sync();
  const hover = (await client.hover(uri, positionOf(text, 'SwitchedDropPath(0.25, scale_by_keep')))!
    .contents as MarkupContent;
  assert.match(hover.value, /rate 0\.25: drop_prob ← 0\.25/);
});

test('an implementation outside the interpreted subset names its construct and line, in the lens and run', async () => {
  const uri = project.uri('numpy-draw.py');
  const text =
    `import numpy as np\nimport torch\n\n\ndef drop_block(x, drop_prob=0.1, training=True):\n    if not ` +
    `training:\n        return x\n    gate = np.random.binomial(1, 1 - drop_prob)\n    return x * gate / (1 - ` +
    `drop_prob)\n`;
  client.open(uri, text);
  await client.diagnostics(uri, 1);
  const expected = 'not profiled: uses `np.random.binomial` at line 8 (unsupported)';
  const lens = profileLenses(await lenses(uri)).find((l) => l.command!.arguments![1].startsWith('implementation:'));
  assert.equal(lens?.command?.title, expected);
  const answer = (await execute('reglens.profileSite', lens!.command!.arguments!)) as { error: string };
  assert.equal(answer.error, expected);
});

test('reglens.codeLens: "findings" keeps the lenses of sites with a problem, "off" drops them all', async () => {
  const uri = project.uri('lens-mode.py');
  client.open(uri, MODEL);
  const diagnostics = await client.diagnostics(uri, 1);
  assert.deepEqual(
    profileLenses(await lenses(uri)).map((l) => l.range.start.line),
    [7, 10, 11],
  );
  const saved = reglensSection;
  try {
    reglensSection = { ...saved, codeLens: 'findings' };
    const refreshed = refreshes;
    client.configurationChanged();
    await client.sync();
    assert.ok(refreshes > refreshed, 'a changed setting refreshes the lenses');
    const kept = await lenses(uri);
    assert.ok(kept.length > 0, 'the sites with a problem keep their lenses');
    for (const lens of kept)
      assert.ok(
        diagnostics.some((d) => d.range.start.line === lens.range.start.line),
        `line ${lens.range.start.line} has a problem (${JSON.stringify(diagnostics.map((d) => d.range))})`,
      );
    assert.ok(profileLenses(kept).length < 3, 'a site without a problem has no lens');
    reglensSection = { ...saved, codeLens: 'off' };
    assert.deepEqual(await lenses(uri), []);
  } finally {
    reglensSection = saved;
  }
});

test('a click says "Profiling…" at once: lenses refresh before settings are read or the worker answers', async () => {
  const uri = project.uri('feedback.py');
  client.open(uri, MODEL);
  await client.diagnostics(uri, 1);
  const site = profileLenses(await lenses(uri))[2];
  let release!: () => void;
  holdSettings = new Promise((resolve) => {
    release = resolve;
  });
  const refreshed = refreshes;
  const clicked = performance.now();
  const pending = execute('reglens.profileSite', site.command!.arguments!);
  try {
    while (refreshes === refreshed && performance.now() - clicked < 2000) await new Promise((r) => setTimeout(r, 5));
    const took = performance.now() - clicked;
    assert.ok(refreshes > refreshed, 'the server asked for new lenses while the settings were still unanswered');
    assert.ok(took < 100, `lenses refreshed ${took.toFixed(0)} ms after the click`);
  } finally {
    holdSettings = undefined;
    release();
  }
  const titles = profileLenses(await lenses(uri)).map((l) => l.command!.title);
  assert.ok(titles[2] === 'Profiling…' || titles[2].startsWith('train:'), titles[2]);
  await pending;
  assert.match(profileLenses(await lenses(uri))[2].command!.title, /^train: /);
});

test('the shape setting is one value as Settings writes it; a list from settings.json is read too', async () => {
  const uri = project.uri('shape-setting.py');
  // No `# reglens: shape=` comment: the setting is what decides.
  client.open(uri, MODEL.replaceAll('  # reglens: shape=[4, 64, 96]', ''));
  await client.diagnostics(uri, 1);
  const saved = reglensSection;
  const current = async () =>
    (
      (await lenses(uri)).find((l) => l.command?.command === 'reglens.profileSiteWithShape')!.command!
        .arguments as unknown[]
    )[2];
  try {
    for (const shape of ['8, 32, 16', '[8, 32, 16]', [8, 32, 16]]) {
      reglensSection = { profiler: { ...(saved.profiler as object), shape } };
      assert.deepEqual(await current(), [8, 32, 16], JSON.stringify(shape));
    }
    // Not a shape: ignored, as an empty value is (the file's own defaults apply).
    reglensSection = { profiler: { ...(saved.profiler as object), shape: '' } };
    const inferred = await current();
    reglensSection = { profiler: { ...(saved.profiler as object), shape: 'large' } };
    assert.deepEqual(await current(), inferred);
    assert.notDeepEqual(inferred, [8, 32, 16]);
  } finally {
    reglensSection = saved;
  }
});

test('the shape link offers shapes that fit the budget, marks the current one; a refusal opens Settings', async () => {
  const uri = project.uri('shapes.py');
  client.open(uri, MODEL);
  await client.diagnostics(uri, 1);
  const saved = reglensSection;
  try {
    reglensSection = { profiler: { ...(saved.profiler as object), memoryBudgetMB: 64 } };
    const shape = (await lenses(uri)).find((l) => l.command?.command === 'reglens.profileSiteWithShape')!;
    const [, sites, current, choices] = shape.command!.arguments! as [
      string,
      string[],
      number[],
      Array<{ shape: number[]; bytes: number; current: boolean }>,
    ];
    assert.deepEqual(current, [4, 64, 96]);
    assert.equal(sites.length, 1);
    assert.deepEqual(
      choices.filter((c) => c.current).map((c) => c.shape),
      [[4, 64, 96]],
    );
    assert.ok(choices.length > 1, JSON.stringify(choices));
    for (const c of choices) assert.ok(c.bytes <= 64 * 1024 ** 2, `${c.shape} fits: ${c.bytes} bytes`);
    assert.ok(!choices.some((c) => c.shape.join() === '64,1024,1024'), 'a shape over the budget is not offered');

    // A shape over the budget, typed by hand: the warning has a button that opens the budget setting.
    const opened = new Promise<{ query: string }>((resolve) =>
      client.connection.onNotification('reglens/openSettings', resolve),
    );
    const asked = new Promise<{ message: string; actions?: Array<{ title: string }> }>((resolve) =>
      client.connection.onRequest('window/showMessageRequest', (p: { message: string; actions?: [] }) => {
        resolve(p);
        return { title: 'Open Settings' };
      }),
    );
    const refused = (await execute('reglens.profileSite', [uri, sites[0], [64, 1024, 1024]])) as { error: string };
    assert.match(refused.error, /more than the memory budget of 64 MiB|memory budget/);
    const request = await asked;
    assert.match(request.message, /reglens\.profiler\.memoryBudgetMB/);
    assert.deepEqual(
      request.actions?.map((a) => a.title),
      ['Open Settings'],
    );
    assert.deepEqual(await opened, { query: 'reglens.profiler.memoryBudgetMB' });
  } finally {
    reglensSection = saved;
  }
});
