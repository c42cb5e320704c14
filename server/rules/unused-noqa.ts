import { noqaComments, type NoqaComment } from '../engine/noqa';
import type { SourceFile } from '../engine/parser';
import type { FixSpec, Rule } from '../engine/rule';
import type { Range } from '../engine/types';

/** The codes this rule judges: Reglens's own. `E501`, `F401`… belong to other linters' directives. */
const OWN_CODE = /^RG\d+$/;
/** Never judged: syntax errors are reported outside the rules, and RG100 cannot judge its own code. */
const UNJUDGED = new Set(['RG000', 'RG100']);

export const unusedNoqa: Rule = {
  meta: {
    code: 'RG100',
    name: 'unused-noqa',
    summary: 'A `# noqa: RGxxx` comment silences nothing: no finding of that rule starts on its line.',
    explanation: [
      'A `# noqa: RG006` comment silences the RG006 findings that start on its line. Once the code changes (the ' +
        'mistake was fixed, the call moved, the rule stopped reporting that idiom), the comment silences nothing, ' +
        'and it goes on hiding any finding the line gets later. A comment on the wrong line of a statement that ' +
        'spans several lines never silenced anything: a finding is silenced on the line where it starts.',
      '',
      "The rule reads only Reglens's own codes (`RG…`): codes of other linters in the same comment (`# noqa: E501, " +
        'RG006`) are theirs, a bare `# noqa` silences every linter, and the file-level `# reglens: noqa` is not ' +
        'judged. A rule the configuration disables still counts: its comment is unused only if the rule, enabled, ' +
        'would find nothing there either. A code that names no Reglens rule is reported as such. While the file has ' +
        'a syntax error, the rule waits: the lines around it are not all checked.',
      '',
      'The fix (safe) removes the code from the comment, or the whole directive when it names nothing else, keeping ' +
        'any text the comment has after it.',
    ].join('\n'),
    wrong: [
      'class Head(nn.Module):',
      '    def forward(self, x):',
      '        return F.dropout(x, 0.1, training=self.training)  # noqa: RG006',
    ].join('\n'),
    right: [
      'class Head(nn.Module):',
      '    def forward(self, x):',
      '        return F.dropout(x, 0.1, training=self.training)',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'safe',
    tags: ['unnecessary'],
    triggers: /noqa/i,
    readsFindings: true,
    messages: {
      unused: '`{code}` in this `# noqa` comment silences nothing: no {code} finding starts on this line.',
      unusedAll: 'This `# noqa` comment silences nothing: no {codes} finding starts on this line.',
      unknown: '`{code}` in this `# noqa` comment is not a Reglens rule, so it silences nothing.',
      unknownAll: 'This `# noqa` comment silences nothing: `{code}` is not a Reglens rule.',
    },
  },

  create(context) {
    return {
      findings(findings, codes) {
        const file = context.file;
        if (file.root.hasError) return;
        const found = new Map<number, Set<string>>();
        for (const f of findings) {
          const line = f.range.start.line;
          if (!found.has(line)) found.set(line, new Set());
          found.get(line)!.add(f.code);
        }
        for (const comment of noqaComments(file)) {
          const idle = comment.codes.filter(
            ({ code }) => OWN_CODE.test(code) && !UNJUDGED.has(code) && !found.get(comment.line)?.has(code),
          );
          if (idle.length === 0) continue;
          if (idle.length === comment.codes.length) {
            const names = idle.map((c) => c.code);
            const unknown = names.length === 1 && !codes.known(names[0]);
            context.report({
              range: span(file, comment.directive.start, comment.directive.end),
              messageId: unknown ? 'unknownAll' : 'unusedAll',
              data: unknown
                ? { code: names[0] }
                : { codes: names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` },
              fix: directiveRemoval(file, comment),
            });
            continue;
          }
          for (const c of idle)
            context.report({
              range: span(file, c.start, c.end),
              messageId: codes.known(c.code) ? 'unused' : 'unknown',
              data: { code: c.code },
              fix: codeRemoval(file, comment, c),
            });
        }
      },
    };
  },
};

function span(file: SourceFile, start: number, end: number): Range {
  return { start: file.positionAt(start), end: file.positionAt(end) };
}

/**
 * The directive taken out of its comment: the whole comment when that is all it says (with the spaces before it),
 * else only the directive, the comment's other text kept as a comment.
 */
function directiveRemoval(file: SourceFile, comment: NoqaComment): FixSpec {
  const text = file.text;
  const { start, end } = comment.directive;
  const after = text.slice(end, comment.end);
  let edit: { start: number; end: number; newText: string };
  if (after.trim() !== '')
    // `# noqa: RG006 (kept for the export)` → `# (kept for the export)`
    edit = { start, end, newText: start === comment.start ? '#' : '' };
  else {
    // Back over the spaces before the directive; the line's code (or the comment's other text) stays.
    let from = start;
    while (from > 0 && (text[from - 1] === ' ' || text[from - 1] === '\t')) from--;
    edit = { start: from, end: comment.end, newText: '' };
  }
  return {
    applicability: 'safe',
    title: 'Remove the unused `# noqa` directive',
    edits: [{ range: span(file, edit.start, edit.end), newText: edit.newText }],
  };
}

/** One code out of the directive's list, with the comma that separates it from its neighbour. */
function codeRemoval(file: SourceFile, comment: NoqaComment, code: NoqaComment['codes'][number]): FixSpec {
  const i = comment.codes.indexOf(code);
  const next = comment.codes[i + 1];
  const previous = comment.codes[i - 1];
  const range = next ? span(file, code.start, next.start) : span(file, previous.end, code.end);
  return {
    applicability: 'safe',
    title: `Remove \`${code.code}\` from the \`# noqa\` comment`,
    edits: [{ range, newText: '' }],
  };
}
