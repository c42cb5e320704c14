import type { RuleMeta } from './rule';

const FIX_TEXT: Record<RuleMeta['fix'], string> = {
  safe: 'Safe fix available: applied by `reglens check --fix`, fix-all and `editor.codeActionsOnSave`.',
  unsafe:
    'Unsafe fix available: offered as a quick fix and applied by `reglens check --fix --unsafe-fixes`, never by ' +
    'fix-all, because it can change what the model does beyond the bug.',
  none: 'No automatic fix.',
};

/** The rule's documentation page, generated from its metadata (`npm run docs`); a test fails when docs/ is stale. */
export function renderRuleDoc(meta: RuleMeta): string {
  return [
    `<!-- Generated from server/rules by \`npm run docs\`; edit the rule's meta, not this file. -->`,
    `# ${meta.code} ${meta.name}`,
    '',
    `${meta.summary}`,
    '',
    `- Default severity: **${meta.defaultSeverity}**`,
    `- ${FIX_TEXT[meta.fix]}`,
    '',
    '## Why',
    '',
    meta.explanation,
    '',
    '## Example',
    '',
    'Wrong:',
    '',
    '```python',
    meta.wrong,
    '```',
    '',
    'Right:',
    '',
    '```python',
    meta.right,
    '```',
    '',
    '## Messages',
    '',
    ...Object.values(meta.messages).map((m) => `- ${m}`),
    '',
    '## Suppressing',
    '',
    `Add \`# noqa: ${meta.code}\` to the line, list \`"${meta.code}"\` under \`ignore\` (or \`per-file-ignores\`) ` +
      `in \`[tool.reglens]\` of pyproject.toml (or in reglens.toml), or set \`reglens.ignore\` in VS Code.`,
    '',
  ].join('\n');
}

export function renderRuleIndex(metas: readonly RuleMeta[]): string {
  const rows = metas.map(
    (m) =>
      `| [${m.code}](${m.code}.md) | ${m.name} | ${m.defaultSeverity} | ${m.fix === 'none' ? '' : m.fix} | ` +
      `${m.summary} |`,
  );
  return [
    `<!-- Generated from server/rules by \`npm run docs\`. -->`,
    '# Rules',
    '',
    '| Code | Name | Severity | Fix | What it finds |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
