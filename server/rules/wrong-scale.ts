import type { Node } from '../engine/parser';
import { lineOf, type RuleContext } from '../engine/rule';
import { atom } from '../engine/semantics/fixes';
import type { RegularizerSemantics } from '../engine/semantics/record';

/**
 * The wrong-scale finding RG004 and RG005 share (`x * mask / p`): reported on the application, naming the scale's
 * line when the scale is elsewhere (its fix edits it there), with an unsafe fix that replaces the one scaling step by
 * a division by the keep probability, written by `divide` (RG004 guards a zero keep probability, RG005 divides
 * outright).
 */
export function reportWrongScale(
  context: RuleContext,
  s: RegularizerSemantics,
  application: Node,
  data: Record<string, string>,
  divide: (kept: string, keep: string) => string,
): void {
  // E[y] = E[x] in training: the scale is right, and the expectations differ because evaluation still masks (RG006
  // reports that). Rewriting the scale would change nothing, and the finding would come back after every fix.
  if (s.expectation.train.expression === '1') return;
  const site = s.scaleSite;
  const keep = s.keepSource ? atom(s.keepSource) : null;
  const operator = site?.kept.type === 'binary_operator' ? site.kept.childForFieldName('operator')?.text : undefined;
  const kept = !site ? '' : operator === '*' || operator === '/' ? site.kept.text : atom(site.kept.text);
  const fix =
    site && keep
      ? {
          applicability: 'unsafe' as const,
          title: `Divide by \`${keep}\` instead`,
          edits: [context.edit(site.node, divide(kept, keep))],
        }
      : null;
  const elsewhere =
    site && (site.node.endIndex <= application.startIndex || site.node.startIndex >= application.endIndex);
  context.report({
    node: application,
    messageId: elsewhere ? 'wrongScaleAt' : 'wrongScale',
    data: elsewhere ? { ...data, line: lineOf(site.node) } : data,
    fix,
  });
}
