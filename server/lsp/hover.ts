import { MarkupKind, type Hover, type Position } from 'vscode-languageserver/node';
import { noqaComments } from '../engine/noqa';
import { describeRegularizer } from '../engine/semantics/describe';
import { regularizerAtOffset } from '../engine/semantics/regularizers';
import { ruleDocsUrl } from '../engine/project';
import type { Range } from '../engine/types';
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
 * Hovering over a code in a `# noqa: RG006` comment shows that rule's page; hovering the name of a hand-written
 * regularizer shows its derived semantics. A problem itself gets no hover of ours: as in Ruff, VS Code's own hover
 * shows its message (with the measured figure, once profiled) and its code as a link to the rule page
 * (`codeDescription`), and the rule page stays behind that link.
 */
export function hover(doc: OpenDocument, position: Position): Hover | null {
  const sections: string[] = [];
  let range: Range | undefined;
  const seen = new Set<string>();
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
