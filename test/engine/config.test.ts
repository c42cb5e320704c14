import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { lintText } from '../../server/engine/analyze';
import { combineSettings, globMatches, globRoot, RuleSelection, validateSettings } from '../../server/engine/config';
import { expandPath, findConfigFile, loadConfigFile } from '../../server/engine/config-files';
import { initParser } from '../../server/engine/parser';
import { BLOCK } from '../lsp/fixtures';
import { rules, ruleCodes } from '../../server/rules';

before(() => initParser());

test('select and ignore resolve by the most specific prefix, as in Ruff', () => {
  const s = new RuleSelection({ select: ['RG0'], ignore: ['RG006'] });
  assert.equal(s.enabled('RG007'), true);
  assert.equal(s.enabled('RG006'), false);
  const t = new RuleSelection({ select: ['RG006'], ignore: ['RG0'] });
  assert.equal(t.enabled('RG006'), true, 'the more specific select wins');
  assert.equal(t.enabled('RG007'), false);
  assert.equal(new RuleSelection({}).enabled('RG011'), true, 'everything is on by default');
});

test('severity overrides apply by prefix', () => {
  const s = new RuleSelection({ severity: { RG0: 'info', RG008: 'error' } });
  assert.equal(s.severityOf('RG006', 'warning'), 'info');
  assert.equal(s.severityOf('RG008', 'warning'), 'error');
});

test('per-file-ignores match globs relative to the pyproject folder, and bare file names', () => {
  assert.equal(globMatches('tests/**/*.py', 'tests/a/b/test_x.py'), true);
  assert.equal(globMatches('tests/**/*.py', 'tests/x.py'), true);
  assert.equal(globMatches('*.py', 'pkg/x.py'), false);
  const s = new RuleSelection(
    { perFileIgnores: { 'legacy/*.py': ['RG006'], 'conftest.py': ['RG0'] } },
    '/repo/legacy/old.py',
    '/repo',
  );
  assert.equal(s.enabled('RG006'), false);
  assert.equal(s.enabled('RG007'), true);
  assert.equal(
    new RuleSelection({ perFileIgnores: { 'conftest.py': ['RG0'] } }, '/repo/a/conftest.py', '/repo').enabled('RG007'),
    false,
  );
});

test('the nearest pyproject with [tool.reglens] applies; an invalid one gives one error and the defaults', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-config-'));
  fs.mkdirSync(path.join(dir, 'pkg', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.reglens]\nignore = ["RG007"]\n');
  fs.writeFileSync(path.join(dir, 'pkg', 'pyproject.toml'), '[project]\nname = "x"\n');
  const found = findConfigFile(path.join(dir, 'pkg', 'sub'))!;
  assert.equal(found, path.join(dir, 'pyproject.toml'), 'a pyproject without [tool.reglens] is skipped');
  assert.deepEqual(loadConfigFile(found, ruleCodes).settings.ignore, ['RG007']);

  for (const [text, phrase] of [
    ['[tool.reglens\nignore = 1', 'invalid TOML'],
    ['[tool.reglens]\nignore = "RG006"', 'must be a list'],
    ['[tool.reglens]\nselect = ["E501"]', 'not a rule code'],
    ['[tool.reglens]\nseverity = { RG006 = "fatal" }', 'must be "error"'],
    ['[tool.reglens]\nexcludes = []', 'unknown key "excludes"'],
    ['[tool.reglens]\nexclude = [3]', 'list of glob patterns'],
  ]) {
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), text);
    const loaded = loadConfigFile(path.join(dir, 'pyproject.toml'), ruleCodes);
    assert.ok(loaded.error?.includes(phrase), `${text} → ${loaded.error}`);
    assert.deepEqual(loaded.settings, {});
  }
});

test("a folder's .reglens.toml, then reglens.toml, then pyproject.toml with [tool.reglens]: nearest wins", () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-config-')));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write('pyproject.toml', '[tool.reglens]\nignore = ["RG007"]\n');
  write('a/b/model.py', '');
  assert.equal(findConfigFile(path.join(dir, 'a', 'b')), path.join(dir, 'pyproject.toml'));
  // A standalone file nearer the file wins, even an empty one (the default rules, on purpose).
  write('a/reglens.toml', '');
  assert.equal(findConfigFile(path.join(dir, 'a', 'b')), path.join(dir, 'a', 'reglens.toml'));
  assert.deepEqual(loadConfigFile(path.join(dir, 'a', 'reglens.toml'), ruleCodes), {
    settings: {},
    root: path.join(dir, 'a'),
  });
  // In one folder: .reglens.toml before reglens.toml before pyproject.toml, as Ruff orders its own.
  write('a/b/pyproject.toml', '[tool.reglens]\nselect = ["RG006"]\n');
  assert.equal(findConfigFile(path.join(dir, 'a', 'b')), path.join(dir, 'a', 'b', 'pyproject.toml'));
  write('a/b/reglens.toml', 'select = ["RG007"]\n');
  assert.equal(findConfigFile(path.join(dir, 'a', 'b')), path.join(dir, 'a', 'b', 'reglens.toml'));
  write('a/b/.reglens.toml', 'select = ["RG008"]\n');
  assert.equal(findConfigFile(path.join(dir, 'a', 'b')), path.join(dir, 'a', 'b', '.reglens.toml'));
  // A pyproject.toml without the table is not a configuration.
  write('c/pyproject.toml', '[project]\nname = "c"\n');
  assert.equal(findConfigFile(path.join(dir, 'c')), path.join(dir, 'pyproject.toml'));

  // A reglens.toml holds the keys at its top level, its sub-tables as headers of their own.
  const standalone = path.join(dir, 'd', 'reglens.toml');
  write('d/reglens.toml', 'select = ["RG0"]\nunfixable = ["RG007"]\n\n[severity]\nRG006 = "error"\n');
  assert.deepEqual(loadConfigFile(standalone, ruleCodes).settings, {
    select: ['RG0'],
    unfixable: ['RG007'],
    severity: { RG006: 'error' },
  });
  for (const [text, message] of [
    ['select = ["RG0"]\nignore = ["RG99"]\n', ':2:11: ignore has "RG99", which matches no rule'],
    ['select = ["RG0"]\n[severity]\nRG006 = "fatal"\n', ':3:1: severity.RG006 must be "error"'],
    ['ignore = []\n[tool.reglens]\nselect = ["RG0"]\n', ':2:1: unknown key "tool" (expected select, ignore,'],
  ]) {
    write('d/reglens.toml', text);
    const loaded = loadConfigFile(standalone, ruleCodes);
    assert.ok(loaded.error?.startsWith(`${standalone}${message}`), `${text} → ${loaded.error}`);
    assert.deepEqual(loaded.settings, {});
  }
  // Written as a pyproject.toml, with nothing but the table: read as one.
  write('d/reglens.toml', '[tool.reglens]\nselect = ["RG006"]\n');
  assert.deepEqual(loadConfigFile(standalone, ruleCodes).settings, { select: ['RG006'] });
});

test('extend: `~` and environment variables name one shared file from any clone; an unset one is an error', () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-config-')));
  fs.mkdirSync(path.join(dir, 'home', '.config'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'repo'));
  fs.writeFileSync(path.join(dir, 'home', '.config', 'reglens.toml'), 'ignore = ["RG011"]\n');
  const config = path.join(dir, 'repo', 'reglens.toml');
  const saved = { HOME: process.env.HOME, SHARED: process.env.REGLENS_TEST_SHARED };
  try {
    process.env.HOME = path.join(dir, 'home');
    process.env.REGLENS_TEST_SHARED = path.join(dir, 'home', '.config');
    for (const extend of [
      '~/.config/reglens.toml',
      '$REGLENS_TEST_SHARED/reglens.toml',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the braced form Ruff expands, spelled as a user writes it
      '${REGLENS_TEST_SHARED}/reglens.toml',
    ]) {
      fs.writeFileSync(config, `extend = "${extend}"\n`);
      const loaded = loadConfigFile(config, ruleCodes);
      assert.equal(loaded.error, undefined, extend);
      assert.deepEqual(loaded.settings.ignore, ['RG011'], extend);
    }
    delete process.env.REGLENS_TEST_SHARED;
    fs.writeFileSync(config, 'select = ["RG0"]\nextend = "$REGLENS_TEST_SHARED/reglens.toml"\n');
    assert.match(
      loadConfigFile(config, ruleCodes).error ?? '',
      /reglens\.toml:2:10: extend names \$REGLENS_TEST_SHARED\/reglens\.toml, but \$REGLENS_TEST_SHARED is not set;/,
    );
  } finally {
    for (const [key, value] of [
      ['HOME', saved.HOME],
      ['REGLENS_TEST_SHARED', saved.SHARED],
    ] as const)
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  }
  // `~` only at the start, as a whole name: `~user` and `a~b` are paths of their own.
  assert.deepEqual(expandPath('~alice/x.toml', {}, '/home/me'), { path: '~alice/x.toml' });
  assert.deepEqual(expandPath('~', {}, '/home/me'), { path: '/home/me' });
});

test("extend: a file's keys over those of the file it names; globs stay relative to the file that wrote them", () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-config-')));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write(
    'pyproject.toml',
    '[tool.reglens]\nignore = ["RG011"]\nexclude = ["pkg/legacy"]\nseverity = { RG006 = "info" }\n' +
      '[tool.reglens.per-file-ignores]\n"pkg/tests/*.py" = ["RG006"]\n',
  );
  write('pkg/reglens.toml', 'extend = "../pyproject.toml"\n[severity]\nRG006 = "error"\n');
  const child = loadConfigFile(path.join(dir, 'pkg', 'reglens.toml'), ruleCodes);
  assert.equal(child.error, undefined);
  assert.deepEqual(child.settings, {
    ignore: ['RG011'],
    exclude: ['pkg/legacy'],
    severity: { RG006: 'error' },
    perFileIgnores: { 'pkg/tests/*.py': ['RG006'] },
  });
  assert.deepEqual(child.chain, [path.join(dir, 'pkg', 'reglens.toml'), path.join(dir, 'pyproject.toml')]);
  // The base's globs are matched from the base's folder, the file's own from its own.
  assert.equal(globRoot(child, 'exclude'), dir);
  const testFile = path.join(dir, 'pkg', 'tests', 'test_a.py');
  assert.equal(new RuleSelection(child.settings, testFile, globRoot(child, 'perFileIgnores')).enabled('RG006'), false);
  write('pkg/reglens.toml', 'extend = "../pyproject.toml"\nexclude = ["old"]\n');
  const own = loadConfigFile(path.join(dir, 'pkg', 'reglens.toml'), ruleCodes);
  assert.deepEqual([own.settings.exclude, globRoot(own, 'exclude')], [['old'], path.join(dir, 'pkg')]);
  // Chains of three, and the mistakes, each at its place.
  write('pkg/sub/.reglens.toml', 'extend = "../reglens.toml"\nseverity = { RG007 = "error" }\n');
  const third = loadConfigFile(path.join(dir, 'pkg', 'sub', '.reglens.toml'), ruleCodes);
  assert.deepEqual(third.settings.ignore, ['RG011'], 'through two files');
  assert.equal(third.chain?.length, 3);
  for (const [file, text, message] of [
    [
      'pkg/reglens.toml',
      'extend = "sub/.reglens.toml"\n',
      /reglens\.toml:1:10: extend makes a cycle: sub\/\.reglens\.toml → reglens\.toml → sub\/\.reglens\.toml;/,
    ],
    ['pkg/reglens.toml', 'extend = "nowhere.toml"\n', /reglens\.toml:1:10: extend names nowhere\.toml, which does not/],
    ['pkg/reglens.toml', 'extend = 3\n', /reglens\.toml:1:1: extend must be the path of a reglens\.toml or pyproject/],
    ['pkg/reglens.toml', 'extend = "../c/pyproject.toml"\n', /which has no \[tool\.reglens\] table/],
  ] as const) {
    write('c/pyproject.toml', '[project]\nname = "c"\n');
    write(file, text);
    const loaded = loadConfigFile(path.join(dir, 'pkg', 'sub', '.reglens.toml'), ruleCodes);
    assert.match(loaded.error ?? '', message, text);
    assert.deepEqual(loaded.settings, {});
  }
  // Rule selection is layered, as in Ruff: a file without `select` adds its `ignore` on top of the base's, and it wins
  // over the base's `select` however specific; a file with `select` starts afresh.
  write(
    'layers/base.toml',
    'select = ["RG006", "RG007", "RG011"]\nignore = ["RG011"]\nunfixable = ["RG006"]\n' +
      'extend-safe-fixes = ["RG002"]\nseverity = { RG006 = "error", RG007 = "info" }\n',
  );
  const layered = (text: string) => {
    write('layers/reglens.toml', `extend = "base.toml"\n${text}`);
    const loaded = loadConfigFile(path.join(dir, 'layers', 'reglens.toml'), ruleCodes);
    assert.equal(loaded.error, undefined, text);
    const selection = new RuleSelection(loaded.settings);
    return {
      on: ['RG006', 'RG007', 'RG010', 'RG011'].filter((c) => selection.enabled(c)),
      fixable: ['RG006', 'RG007'].filter((c) => selection.fixable(c)),
      settings: loaded.settings,
    };
  };
  assert.deepEqual(layered('ignore = ["RG007"]\n').on, ['RG006'], "the base's ignore stays, the file's adds");
  assert.deepEqual(layered('ignore = ["RG00"]\n').on, [], "a broader ignore beats the base's exact select");
  assert.deepEqual(layered('select = ["RG01"]\n').on, ['RG010', 'RG011'], 'a select starts afresh');
  assert.deepEqual(layered('unfixable = ["RG007"]\n').fixable, [], 'unfixable adds up too');
  assert.deepEqual(layered('fixable = ["RG006"]\n').fixable, ['RG006'], 'fixable starts afresh');
  const merged = layered('extend-safe-fixes = ["RG007"]\nseverity = { RG007 = "warning" }\n').settings;
  assert.deepEqual(merged.extendSafeFixes, ['RG002', 'RG007']);
  assert.deepEqual(merged.severity, { RG006: 'error', RG007: 'warning' });
  // A mistake in the base is reported there.
  write('pkg/reglens.toml', 'extend = "../pyproject.toml"\n');
  write('pyproject.toml', '[tool.reglens]\nignore = ["RG99"]\n');
  assert.match(
    loadConfigFile(path.join(dir, 'pkg', 'reglens.toml'), ruleCodes).error ?? '',
    /^\/.*\/pyproject\.toml:2:11: \[tool\.reglens\]\.ignore has "RG99"/,
  );
});

test('editorFirst, filesystemFirst and editorOnly decide which side wins', () => {
  const editor = { ignore: ['RG006'] };
  const fsys = { ignore: ['RG007'], select: ['RG0'] };
  assert.deepEqual(combineSettings(editor, fsys, 'editorFirst').ignore, ['RG006']);
  assert.deepEqual(combineSettings(editor, fsys, 'editorFirst').select, ['RG0'], 'keys set on one side only are kept');
  assert.deepEqual(combineSettings(editor, fsys, 'filesystemFirst').ignore, ['RG007']);
  assert.deepEqual(combineSettings(editor, fsys, 'editorOnly'), editor);
  assert.ok(validateSettings({ select: [3] }, 'reglens', ruleCodes).error);
});

test("fixable, unfixable and extend-(un)safe-fixes decide each finding's fixes, by the most specific prefix", () => {
  // BLOCK: RG007 (unused dropout) has an unsafe fix; RG006 (functional dropout) a safe one.
  const fixes = (settings: Parameters<typeof validateSettings>[0]) => {
    const { settings: valid, error } = validateSettings(settings, '[tool.reglens]', ruleCodes);
    assert.equal(error, undefined);
    return lintText(rules, BLOCK, new RuleSelection(valid)).map(
      (f) => `${f.code} ${f.fix?.applicability ?? 'none'}${f.fix ? ` +${f.alternatives?.length ?? 0}` : ''}`,
    );
  };
  assert.deepEqual(fixes({}), ['RG007 unsafe +0', 'RG006 safe +0']);
  assert.deepEqual(fixes({ unfixable: ['RG007'] }), ['RG007 none', 'RG006 safe +0']);
  assert.deepEqual(fixes({ fixable: ['RG006'] }), ['RG007 none', 'RG006 safe +0'], 'only the rules fixable names');
  assert.deepEqual(fixes({ fixable: ['RG006'], unfixable: ['RG0'] }), ['RG007 none', 'RG006 safe +0']);
  assert.deepEqual(fixes({ unfixable: ['ALL'] }), ['RG007 none', 'RG006 none']);
  assert.deepEqual(fixes({ 'extend-safe-fixes': ['RG007'] }), ['RG007 safe +0', 'RG006 safe +0']);
  assert.deepEqual(fixes({ extendUnsafeFixes: ['RG006'] }), ['RG007 unsafe +0', 'RG006 unsafe +0']);
  assert.deepEqual(
    fixes({ 'extend-safe-fixes': ['RG0'], 'extend-unsafe-fixes': ['RG006'] }),
    ['RG007 safe +0', 'RG006 unsafe +0'],
    'the more specific prefix wins',
  );
  // A drop path built for residual branches: RG007 offers to apply it, and to remove it as an alternative. Both go
  // with the rule's fixability, and both count as what extend-safe-fixes makes of the rule.
  const vit = fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'vit_block.py'), 'utf8');
  const unused = (settings: Parameters<typeof validateSettings>[0]) =>
    lintText(rules, vit, new RuleSelection(validateSettings(settings, 'reglens', ruleCodes).settings)).find(
      (f) => f.code === 'RG007',
    )!;
  assert.equal(unused({}).alternatives?.[0].applicability, 'unsafe');
  assert.equal(unused({ unfixable: ['RG007'] }).fix, null);
  assert.equal(unused({ unfixable: ['RG007'] }).alternatives, undefined);
  const promoted = unused({ extendSafeFixes: ['RG007'] });
  assert.deepEqual([promoted.fix?.applicability, promoted.alternatives?.[0].applicability], ['safe', 'safe']);
  assert.deepEqual(fixes({ 'extend-safe-fixes': ['RG006'], 'extend-unsafe-fixes': ['RG006'] })[1], 'RG006 unsafe +0');
  // The settings are part of what a cached result depends on.
  const fingerprints = new Set(
    [{}, { unfixable: ['RG007'] }, { fixable: ['RG006'] }, { extendSafeFixes: ['RG007'] }].map((s) =>
      new RuleSelection(s).fingerprint(),
    ),
  );
  assert.equal(fingerprints.size, 4);
  // A fix-all of one rule keeps the fix settings.
  const one = new RuleSelection({ extendSafeFixes: ['RG007'], unfixable: ['RG006'] }).only('RG007');
  assert.equal(one.enabled('RG006'), false);
  assert.equal(one.applicabilityOf('RG007', 'unsafe'), 'safe');
  assert.equal(one.fixable('RG006'), false);
  for (const [toml, phrase] of [
    ['unfixable = "RG006"', '[tool.reglens].unfixable must be a list of rule codes'],
    ['fixable = ["RG6"]', '[tool.reglens].fixable has "RG6"'],
    ['extend-safe-fixes = ["RG099"]', '[tool.reglens].extend-safe-fixes has "RG099", which matches no rule'],
  ]) {
    const loaded = loadConfigFile(writeConfig(`[tool.reglens]\n${toml}\n`), ruleCodes);
    assert.ok(loaded.error?.includes(phrase), `${toml} → ${loaded.error}`);
    assert.match(loaded.error!, /pyproject\.toml:2:\d+: /, 'the error points at the line');
  }
});

function writeConfig(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-config-')), 'pyproject.toml');
  fs.writeFileSync(file, text);
  return file;
}

test('noqa comments suppress by code, bare noqa suppresses all, and a file-level noqa silences the file', () => {
  const base =
    'import torch.nn as nn\nimport torch.nn.functional as F\nclass A(nn.Module):\n    def __init__(self):\n        ' +
    'self.d = nn.Dropout(1.5)\n';
  assert.deepEqual(
    lintText(rules, base).map((f) => f.code),
    ['RG007', 'RG008'],
  );
  assert.deepEqual(
    lintText(rules, base.replace('(1.5)\n', '(1.5)  # noqa: RG008\n')).map((f) => f.code),
    ['RG007'],
  );
  assert.deepEqual(
    lintText(rules, base.replace('(1.5)\n', '(1.5)  # apply later  # noqa:RG007,RG008\n')).map((f) => f.code),
    [],
  );
  assert.deepEqual(
    lintText(rules, base.replace('(1.5)\n', '(1.5)  # NOQA\n')).map((f) => f.code),
    [],
  );
  assert.deepEqual(lintText(rules, `# reglens: noqa\n${base}`), []);
  assert.deepEqual(
    lintText(rules, `# reglens: noqa: RG007\n${base}`).map((f) => f.code),
    ['RG008'],
  );
  // "# noqa" inside a string is not a comment.
  assert.deepEqual(
    lintText(rules, base.replace('(1.5)\n', '(1.5); s = "# noqa"\n')).map((f) => f.code),
    ['RG007', 'RG008'],
  );
});

test('a noqa comment in code a syntax error swallowed still silences: that code is checked after recovery', () => {
  // Found by the CLI fuzzer (a docstring's tail cut from torch's DDP hooks): tree-sitter reads everything after the
  // stray `"""` as one ERROR, keeping no comment nodes there, while the analysis checks that code with the broken
  // lines blanked. Its RG006 was reported, and `--add-noqa` wrote a directive that did not silence it.
  const text =
    'import torch.nn as nn\nimport torch.nn.functional as F\n    ``DDPCommHookType.ALLREDUCE.value(model=model)``.\n' +
    '    """\nclass Head(nn.Module):\n    def forward(self, x):\n        return F.dropout(x, 0.1)\n';
  assert.deepEqual(
    lintText(rules, text).map((f) => f.code),
    ['RG006'],
  );
  assert.deepEqual(lintText(rules, text.replace('F.dropout(x, 0.1)\n', 'F.dropout(x, 0.1)  # noqa: RG006\n')), []);
});
