import { MarkupKind, type Hover, type Position } from 'vscode-languageserver/node';
import { noqaComments } from '../engine/noqa';
import { describeRegularizer } from '../engine/semantics/describe';
import { regularizerAtOffset } from '../engine/semantics/regularizers';
import { ruleDocsUrl } from '../engine/project';
import { comparePositions, type Range } from '../engine/types';
import { ruleByCode } from '../rules';
import type { OpenDocument } from './documents';

/** The rule's documentation as hover markdown: name, summary, explanation, link. */
export function ruleMarkdown(code: string): string | null {
  const rule = ruleByCode.get(code);
  if (!rule) return null;
  const { meta } = rule;
  return [
    `**${meta.code} ${meta.name}**`,
    meta.summary,
    meta.explanation,
    `[${meta.code} documentation](${ruleDocsUrl(meta.code)})`,
  ].join('\n\n');
}

/**
 * Hover over a Reglens problem shows its rule's documentation; so does hovering over a code in a
 * `# noqa: RG006` comment. Hovering the name of a hand-written regularizer shows its derived semantics.
 */
export function hover(doc: OpenDocument, position: Position): Hover | null {
  const sections: string[] = [];
  let range: Range | undefined;
  const seen = new Set<string>();
  for (const finding of doc.findings) {
    if (!contains(finding.range, position) || seen.has(finding.code)) continue;
    const markdown = ruleMarkdown(finding.code);
    if (!markdown) continue;
    seen.add(finding.code);
    sections.push(markdown);
    range ??= finding.range;
  }
  const file = doc.sourceFile;
  if (file && /noqa/i.test(file.lineText(position.line))) {
    const offset = file.offsetAt(position);
    for (const comment of noqaComments(file)) {
      if (comment.line !== position.line) continue;
      for (const entry of comment.codes) {
        if (offset < entry.start || offset > entry.end) continue;
        const markdown = ruleMarkdown(entry.code);
        if (!markdown || seen.has(entry.code)) continue;
        seen.add(entry.code);
        sections.push(markdown);
        range ??= { start: file.positionAt(entry.start), end: file.positionAt(entry.end) };
      }
    }
  }
  // The name of a hand-written regularizer: what it does in training and in evaluation, derived from its code.
  const model = doc.model;
  if (file && model) {
    const semantics = regularizerAtOffset(model, file.offsetAt(position));
    const name = semantics?.node.childForFieldName('name');
    if (semantics && name) {
      sections.push(describeRegularizer(semantics));
      range ??= { start: file.positionAt(name.startIndex), end: file.positionAt(name.endIndex) };
    }
  }
  if (sections.length === 0) return null;
  return { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') }, range };
}

/** Is the position on a character of the range? An empty range contains its own position. */
function contains(range: Range, position: Position): boolean {
  if (comparePositions(range.start, range.end) === 0) return comparePositions(range.start, position) === 0;
  return comparePositions(range.start, position) <= 0 && comparePositions(position, range.end) < 0;
}
