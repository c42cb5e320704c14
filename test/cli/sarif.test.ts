import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import pkg from '../../package.json';
import { ruleDocsUrl } from '../../server/engine/project';
import { rules } from '../../server/rules';
import { BLOCK, CLEAN, makeTree, runCli } from './helpers';

interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

// biome-ignore lint/suspicious/noExplicitAny: SARIF is read as untyped JSON, as a code-scanning upload reads it
type Sarif = any;

function sarif(args: string[], cwd: string): { code: number | null; log: Sarif } {
  const r = runCli(['check', '--format', 'sarif', ...args], { cwd });
  return { code: r.code, log: JSON.parse(r.stdout) };
}

describe('reglens check --format sarif', () => {
  it('describes the tool and lists every rule', () => {
    const dir = makeTree({ 'clean.py': CLEAN });
    const { code, log } = sarif(['.'], dir);
    assert.equal(code, 0);
    assert.equal(log.version, '2.1.0');
    assert.match(log.$schema, /sarif-2\.1\.0\.json$/);
    assert.equal(log.runs.length, 1);
    const driver = log.runs[0].tool.driver;
    assert.equal(driver.name, 'reglens');
    assert.equal(driver.version, pkg.version);
    assert.equal(driver.informationUri, pkg.repository.url.replace(/\.git$/, ''));
    assert.deepEqual(
      driver.rules.map((r: Sarif) => r.id),
      rules.map((r) => r.meta.code),
    );
    for (const [i, rule] of rules.entries()) {
      const entry = driver.rules[i];
      assert.equal(entry.name, rule.meta.name);
      assert.equal(entry.shortDescription.text, rule.meta.summary);
      assert.equal(entry.fullDescription.text, rule.meta.explanation);
      assert.equal(entry.helpUri, ruleDocsUrl(rule.meta.code));
      assert.equal(
        entry.defaultConfiguration.level,
        rule.meta.defaultSeverity === 'error' ? 'error' : rule.meta.defaultSeverity === 'warning' ? 'warning' : 'note',
      );
    }
    assert.deepEqual(log.runs[0].results, []);
  });

  it('reports results with rule index, level, relative forward-slash URIs, 1-based regions and fixes', () => {
    const dir = makeTree({ 'sub dir/model.py': BLOCK });
    // An absolute path on the command line still gives a URI relative to the working directory.
    const { code, log } = sarif([path.join(dir, 'sub dir')], dir);
    assert.equal(code, 1);
    const driverRules = log.runs[0].tool.driver.rules;
    const results = log.runs[0].results;
    assert.deepEqual(
      results.map((r: Sarif) => r.ruleId),
      ['RG007', 'RG006'],
    );
    for (const r of results) {
      assert.equal(driverRules[r.ruleIndex].id, r.ruleId);
      assert.equal(r.level, 'warning');
      assert.equal(typeof r.message.text, 'string');
      assert.equal(r.locations[0].physicalLocation.artifactLocation.uri, 'sub%20dir/model.py');
    }
    const rg006 = results[1];
    assert.deepEqual(rg006.locations[0].physicalLocation.region, {
      startLine: 11,
      startColumn: 13,
      endLine: 11,
      endColumn: 30,
    } satisfies SarifRegion);
    assert.equal(rg006.fixes.length, 1);
    const change = rg006.fixes[0].artifactChanges[0];
    assert.equal(change.artifactLocation.uri, 'sub%20dir/model.py');
    assert.deepEqual(change.replacements, [
      {
        deletedRegion: { startLine: 11, startColumn: 29, endLine: 11, endColumn: 29 },
        insertedContent: { text: ', training=self.training' },
      },
    ]);
    assert.deepEqual(results[0].locations[0].physicalLocation.region, {
      startLine: 8,
      startColumn: 9,
      endLine: 8,
      endColumn: 36,
    });
  });

  it('maps configured severities to SARIF levels', () => {
    const dir = makeTree({
      'pyproject.toml': '[tool.reglens]\nseverity = { RG006 = "error", RG007 = "info" }\n',
      'model.py': BLOCK,
    });
    const { log } = sarif(['model.py'], dir);
    assert.deepEqual(
      log.runs[0].results.map((r: Sarif) => `${r.ruleId}:${r.level}`),
      ['RG007:note', 'RG006:error'],
    );
  });
});
