// `reglens rule RG006`: a rule's documentation, from its metadata (the same source as docs/rules/ and hovers).
import { ruleDocsUrl } from '../engine/project';
import type { Rule } from '../engine/rule';
import { rules } from '../rules';

/** By code (`RG006`, any case) or by name (`regularizer-active-in-eval`). */
export function findRule(query: string): Rule | undefined {
  const q = query.trim();
  return rules.find((r) => r.meta.code === q.toUpperCase() || r.meta.name === q.toLowerCase());
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `    ${line}` : line))
    .join('\n');

const FIX_NOTE: Record<Rule['meta']['fix'], string> = {
  safe: 'safe: applied by `reglens check --fix`',
  unsafe: 'unsafe: applied by `reglens check --fix --unsafe-fixes`',
  none: 'none',
};

export function ruleDocs(rule: Rule): string {
  const m = rule.meta;
  return [
    `${m.code} ${m.name}`,
    '',
    m.summary,
    '',
    m.explanation,
    '',
    `Default severity: ${m.defaultSeverity}`,
    `Fix: ${FIX_NOTE[m.fix]}`,
    '',
    'Example:',
    indent(m.wrong),
    '',
    'Use instead:',
    indent(m.right),
    '',
    `Documentation: ${ruleDocsUrl(m.code)}`,
    '',
  ].join('\n');
}

export function ruleList(): string {
  const width = Math.max(...rules.map((r) => r.meta.name.length));
  return `${rules.map((r) => `${r.meta.code}  ${r.meta.name.padEnd(width)}  ${r.meta.summary}`).join('\n')}\n`;
}
