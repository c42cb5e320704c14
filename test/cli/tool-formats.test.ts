// The output formats Ruff users wire into other tools, each checked as that tool reads it: grouped (people), pylint,
// azure, json-lines, junit (CI test reports) and rdjson (reviewdog); `concise` is Ruff's name for the text format.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CELLS, notebookJson } from '../notebooks/fixtures';
import { joined } from '../patterns';
import { BLOCK, CLEAN, makeTree, parseJson, runCli } from './helpers';

/** RG007 at 8:9 (unsafe fix) and RG006 at 11:13 (safe fix) in a/model.py, RG008 (error, no fix) in b/rate.py. */
function project() {
  return makeTree({
    'a/model.py': BLOCK,
    'b/rate.py': CLEAN.replace('nn.Dropout(0.1)', 'nn.Dropout(1.5)'),
    'c/clean.py': CLEAN,
  });
}

const check = (dir: string, format: string, ...args: string[]) =>
  runCli(['check', '--output-format', format, ...args, '.'], { cwd: dir });

describe('reglens check --output-format for other tools', () => {
  it('grouped: each file once, its problems under it with aligned places, then the summary', () => {
    const r = check(project(), 'grouped');
    assert.equal(r.code, 1);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'a/model.py:');
    assert.match(lines[1], /^ {3}8:9 {2}RG007 warning: `self\.drop`/);
    assert.match(lines[2], /^ {2}11:13 RG006 warning: \[\*\] `F\.dropout`/);
    assert.equal(lines[3], '');
    assert.equal(lines[4], 'b/rate.py:');
    assert.match(lines[5], /^ {2}8:\d+ +RG008 error: /);
    assert.deepEqual(lines.slice(7), [
      'Found 3 problems.',
      '[*] 1 fixable with the --fix option.',
      '(1 hidden fix can be enabled with the --unsafe-fixes option.)',
      'Checked 3 files.',
      '',
    ]);
    const concise = check(project(), 'concise');
    assert.match(concise.stdout, /^a\/model\.py:8:9: RG007 warning: /m, 'concise is the text format');
  });

  it('pylint and azure: one line per problem, a notebook problem on its first line with its cell said', () => {
    const dir = makeTree({ 'model.py': BLOCK, 'train.ipynb': notebookJson(CELLS), 'x;y].py': BLOCK });
    const pylint = check(dir, 'pylint').stdout.trimEnd().split('\n');
    assert.ok(
      pylint.includes(
        'model.py:11: [RG006] `F.dropout` drops values in evaluation too: its `training` ' +
          'argument defaults to True. Pass `training=self.training`.',
      ),
      pylint.join('\n'),
    );
    assert.ok(pylint.some((l) => /^train\.ipynb:1: \[RG\d{3}\] cell \d+, line \d+, column \d+: /.test(l)));
    for (const line of pylint) assert.match(line, /^[^:]+:\d+: \[RG\d{3}\] \S/);

    const azure = check(dir, 'azure').stdout.trimEnd().split('\n');
    assert.ok(
      azure.includes(
        '##vso[task.logissue type=warning;sourcepath=model.py;linenumber=8;columnnumber=9;code=RG007;]`self.drop` ' +
          '(Dropout) is created in `__init__` but never used, so it regularizes nothing.',
      ),
      azure.join('\n'),
    );
    assert.ok(
      azure.some((l) => l.includes('sourcepath=x%3By%5D.py;')),
      'a path cannot end a property',
    );
    assert.ok(azure.some((l) => /sourcepath=train\.ipynb;linenumber=1;columnnumber=1;code=RG\d{3};\]cell /.test(l)));
  });

  it("json-lines: the json format's diagnostics, one object per line, nothing else", () => {
    const dir = project();
    const lines = check(dir, 'json-lines').stdout.trimEnd().split('\n');
    const json = parseJson(check(dir, 'json').stdout).diagnostics;
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      json,
    );
    assert.equal(lines.length, 3);
  });

  it('junit: a failed test case per problem in a suite per file; a clean run is one passing case', () => {
    const dir = makeTree({ 'a&b/model.py': BLOCK, 'train.ipynb': notebookJson(CELLS) });
    const xml = check(dir, 'junit').stdout;
    assert.match(
      xml,
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="reglens" tests="(\d+)" failures="\1" errors="0">/,
    );
    assert.match(
      xml,
      /<testsuite name="a&amp;b\/model\.py" tests="2" disabled="0" errors="0" failures="2" package="org\.reglens">/,
    );
    assert.match(
      xml,
      joined(
        /<testcase name="org\.reglens\.RG006" classname="a&amp;b\/model\.py" line="11" column="13">\n {6}/,
        /<failure message="`F\.dropout` drops/,
      ),
    );
    assert.match(
      xml,
      joined(
        /<testcase name="org\.reglens\.RG\d{3}" classname="train\.ipynb" line="1" column="1">\n {6}/,
        /<failure message="[^"]*">cell \d+, line \d+, col \d+, /,
      ),
    );
    assert.doesNotMatch(xml.replace(/&(amp|lt|gt|quot|apos);/g, ''), /&|<(?![?/a-z])/, 'every & and < is escaped');
    // Opening and closing tags pair up.
    for (const tag of ['testsuites', 'testsuite', 'testcase', 'failure'])
      assert.equal(xml.split(`<${tag} `).length - 1, xml.split(`</${tag}>`).length - 1, tag);

    const clean = check(makeTree({ 'clean.py': CLEAN }), 'junit');
    assert.equal(clean.code, 0);
    assert.match(clean.stdout, /<testsuites name="reglens" tests="1" failures="0" errors="0">/);
    assert.match(clean.stdout, /<testcase name="No problems found in 1 files" classname="reglens"\/>/);

    const broken = makeTree({ 'pyproject.toml': '[tool.reglens]\nselect = ["RG99"]\n', 'model.py': BLOCK });
    const failed = check(broken, 'junit');
    assert.equal(failed.code, 2);
    assert.match(failed.stdout, /<testsuites name="reglens" tests="1" failures="0" errors="1">/);
    assert.match(failed.stdout, /<error message="invalid configuration: [^"]*RG99/, 'what was not checked is said');
  });

  it('rdjson: reviewdog diagnostics, with the fixes --fix would apply as suggestions', () => {
    const dir = project();
    const read = (...args: string[]) => JSON.parse(check(dir, 'rdjson', ...args).stdout);
    const result = read();
    assert.equal(result.source.name, 'reglens');
    const [rg007, rg006, rg008] = result.diagnostics;
    assert.deepEqual(rg006.location, {
      path: 'a/model.py',
      range: { start: { line: 11, column: 13 }, end: { line: 11, column: 30 } },
    });
    assert.deepEqual(rg006.code, {
      value: 'RG006',
      url: 'https://github.com/reglens/reglens/blob/main/docs/rules/RG006.md',
    });
    assert.equal(rg006.severity, 'WARNING');
    assert.deepEqual(rg006.suggestions, [
      { range: { start: { line: 11, column: 29 }, end: { line: 11, column: 29 } }, text: ', training=self.training' },
    ]);
    assert.equal(rg007.suggestions, undefined, 'an unsafe fix is not suggested without --unsafe-fixes');
    assert.equal(rg008.severity, 'ERROR');
    assert.equal(read('--unsafe-fixes').diagnostics[0].suggestions.length, 1);
  });

  it('--fix-only lists no problem in a tool format; --show-fixes and --watch take grouped too', () => {
    const dir = project();
    for (const format of ['json-lines', 'pylint', 'azure']) {
      const r = runCli(['check', '--fix-only', '--output-format', format, '.'], { cwd: makeTree({ 'm.py': BLOCK }) });
      assert.equal(r.stdout, '', format);
    }
    const grouped = runCli(['check', '--fix', '--show-fixes', '--output-format', 'grouped', '.'], { cwd: dir });
    assert.match(grouped.stdout, /^Fixed 1 problem:\n- a\/model\.py:\n {4}1 × RG006 /m);
    assert.equal(runCli(['check', '--watch', '--format', 'junit'], { cwd: dir }).code, 2);
  });
});
