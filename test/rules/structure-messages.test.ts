// RG002 and RG009 findings say what makes them: the module meant, the line where the branch joins the residual
// stream, the line of the sibling's dropout (or of the rate), and whether the mistake is latent (information).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { Analyzer, lintText } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile } from '../../server/engine/parser';
import { rules } from '../../server/rules';

before(() => initParser());

function findings(fixture: string, code: string): string[] {
  const text = fs.readFileSync(path.join(__dirname, code, fixture), 'utf8');
  return lintText(rules, text, new RuleSelection({ select: [code] })).map(
    (f) => `${f.range.start.line + 1} ${f.severity} ${f.message}`,
  );
}

test('RG002 names the sublayer, the add and the sibling dropout; a rate 0 by default makes it latent', () => {
  const [clip, sandwich, postNorm] = findings('fire_asymmetric_blocks.py', 'RG002');
  assert.match(clip, /^31 warning The output of `self\.attn` .* at line 31 .* sibling branch `self\.mlp` .* line 24\)/);
  // The norm around the attention is not the branch's module.
  assert.match(sandwich, /^47 warning The output of `self\.attention` \(attention\) joins .* at line 47/);
  assert.match(sandwich, /`self\.feed_forward` is dropped before its add \(by `self\.ffn_dropout`, line 48\)/);
  assert.match(postNorm, /^62 info .*`self\.attn`.* line 62 .*`self\.dropout2`, line 63\)\. Latent: `dropout` is 0/);
});

test('RG002 names the residual rate a branch ignores, and the constructor finding the line of the other branch', () => {
  const [, named] = findings('fire_mha.py', 'RG002');
  assert.match(named, /^34 warning .*`self\.self_attn`.* line 34 .*dropout rate `resid_dropout` \(line 28\)/);
  const [latent, raised] = findings('fire_timm.py', 'RG002');
  assert.match(latent, /^11 info `Attention\(…\)` leaves `proj_drop` out, .* to `Mlp` at line 14\. Latent:/);
  assert.match(raised, /^40 warning `Attention\(…\)` leaves `proj_drop` out, .* to `Mlp` at line 45\. Pass/);
});

test('RG002 stays a warning when the file itself raises a rate that is 0 by default', () => {
  const text = fs.readFileSync(path.join(__dirname, 'RG002', 'fire_asymmetric_blocks.py'), 'utf8');
  const selection = new RuleSelection({ select: ['RG002'] });
  const raised = `${text}\n\nlayer = PostNormLayer(512, 8, 2048, dropout=0.1)\n`;
  const severity = (t: string) =>
    lintText(rules, t, selection).find((f) => f.range.start.line + 1 === 62)?.severity ?? 'none';
  assert.equal(severity(text), 'info');
  assert.equal(severity(raised), 'warning');
  // The same analyzer, whose cache keeps the class statement's findings: the setting is part of their context.
  const analyzer = new Analyzer(rules);
  const cached = (t: string) => {
    const file = new SourceFile(t);
    try {
      return analyzer.analyze(file, selection).find((f) => f.range.start.line + 1 === 62)?.severity ?? 'none';
    } finally {
      file.dispose();
    }
  };
  assert.deepEqual([cached(text), cached(raised), cached(text)], ['info', 'warning', 'info']);
});
