import type { ModuleClass } from '../classes';
import type { Node } from '../parser';
import type { ForwardAnalysis } from './analysis';
import type { DoubleDropout, DroppedLogits, DropStep, Fusion, ResidualAdd } from './types';

/**
 * Which flow facts become findings: one selector per structure rule, over the flows of every method of a class
 * (each method is an entry point, so the same fact may be seen several times). The rules report what these
 * return, and the code lenses of server/engine/sites.ts are placed on what they return, so a lens cannot drift
 * from its squiggle.
 */

/** Does the node lie inside the class's own text (a finding of a class statement must)? */
function within(cls: ModuleClass, node: Node): boolean {
  return node.startIndex >= cls.node.startIndex && node.endIndex <= cls.node.endIndex;
}

/** A text dropout of the class whose text meets another modality's undropped features after it (RG001). */
export interface UncoveredFusion {
  /** The dropout, as first seen. */
  drop: DropStep;
  /** Its fusions that no dropout covers after the merge, ordered by where the merge is. */
  uncovered: Fusion[];
}

/**
 * RG001: per text dropout of the class, the fusions no dropout covers after the merge; dropouts all of whose merges are
 * covered are left out.
 */
export function uncoveredFusions(analysis: ForwardAnalysis, cls: ModuleClass): UncoveredFusion[] {
  const byDrop = new Map<number, Fusion[]>();
  for (const flow of analysis.classFlows(cls)) {
    for (const f of flow.fusions) {
      if (!within(cls, f.drop.call)) continue;
      byDrop.set(f.drop.call.id, [...(byDrop.get(f.drop.call.id) ?? []), f]);
    }
  }
  const out: UncoveredFusion[] = [];
  for (const fusions of byDrop.values()) {
    // The same merge may be seen from several entry points and loop iterations; one covered sighting suffices.
    const uncovered = fusions.filter((f) => !fusions.some((g) => g.covered && g.merge.id === f.merge.id));
    if (uncovered.length === 0) continue;
    out.push({ drop: fusions[0].drop, uncovered: uncovered.sort((a, b) => a.merge.startIndex - b.merge.startIndex) });
  }
  return out;
}

/**
 * RG009: dropouts of the class on logits that go into softmax, one per dropout call; a sublayer's inner dropout is the
 * sublayer's finding.
 */
export function droppedLogits(analysis: ForwardAnalysis, cls: ModuleClass): DroppedLogits[] {
  const seen = new Set<number>();
  const out: DroppedLogits[] = [];
  for (const flow of analysis.classFlows(cls)) {
    for (const l of flow.logits) {
      if (seen.has(l.drop.call.id) || !within(cls, l.drop.call) || l.drop.inner) continue;
      seen.add(l.drop.call.id);
      out.push(l);
    }
  }
  return out;
}

/** RG010: dropouts of the class that drop a value just dropped, one per outer dropout call. */
export function doubleDropouts(analysis: ForwardAnalysis, cls: ModuleClass): DoubleDropout[] {
  const seen = new Set<number>();
  const out: DoubleDropout[] = [];
  for (const flow of analysis.classFlows(cls)) {
    for (const d of flow.doubles) {
      // A dropout whose result is thrown away drops nothing: that is RG011's finding, not this one.
      if (
        seen.has(d.outer.call.id) ||
        !within(cls, d.outer.call) ||
        d.outer.call.parent?.type === 'expression_statement'
      )
        continue;
      seen.add(d.outer.call.id);
      out.push(d);
    }
  }
  return out;
}

/**
 * RG002: residual adds of the class's own code whose branch is an undropped attention or feed-forward output, one
 * per add, in a file that configures dropout. `reported`: attributes whose constructor already has a finding
 * (RG002's constructor check), whose adds are not reported a second time.
 */
export function undroppedResiduals(
  analysis: ForwardAnalysis,
  cls: ModuleClass,
  reported: ReadonlySet<string> = new Set(),
): ResidualAdd[] {
  if (!cls.isModule || !analysis.fileUsesDropout) return [];
  const seen = new Set<number>();
  const out: ResidualAdd[] = [];
  for (const flow of analysis.classFlows(cls)) {
    for (const r of flow.residuals) {
      if (seen.has(r.add.id) || !within(cls, r.add)) continue;
      seen.add(r.add.id);
      if (r.sublayer.attribute && reported.has(r.sublayer.attribute)) continue;
      out.push(r);
    }
  }
  return out;
}
