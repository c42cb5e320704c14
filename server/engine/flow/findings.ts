import type { ModuleClass } from '../classes';
import type { Node } from '../parser';
import type { ForwardAnalysis } from './analysis';
import { ancestor, walk, within } from '../syntax';
import { rateOf } from './rates';
import type { DoubleDropout, DroppedBranch, DroppedLogits, DropStep, Fusion, Rate, ResidualAdd } from './types';

/**
 * Which flow facts become findings: one selector per structure rule, over the flows of every method of a class
 * (each method is an entry point, so the same fact may be seen several times). The rules report what these
 * return, and the code lenses of server/engine/sites.ts are placed on what they return, so a lens cannot drift
 * from its squiggle.
 */

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
      if (!within(f.drop.call, cls.node)) continue;
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
      if (seen.has(l.drop.call.id) || !within(l.drop.call, cls.node) || l.drop.inner) continue;
      seen.add(l.drop.call.id);
      out.push(l);
    }
  }
  return out;
}

/**
 * RG010: dropouts of the class that drop a value just dropped, one per outer dropout call; and dropouts that end a
 * submodule on one of the paths `__init__` builds it by (`branch`), one per such dropout, which must be the class's
 * own code.
 */
export function doubleDropouts(analysis: ForwardAnalysis, cls: ModuleClass): DoubleDropout[] {
  const seen = new Set<string>();
  const out: DoubleDropout[] = [];
  for (const flow of analysis.classFlows(cls)) {
    for (const d of flow.doubles) {
      const inner = d.inner.inner?.node;
      const key = d.branch ? `branch ${inner?.id}` : `${d.outer.call.id}`;
      // A dropout whose result is thrown away drops nothing: that is RG011's finding, not this one.
      if (
        seen.has(key) ||
        !within(d.outer.call, cls.node) ||
        (d.branch && !(inner && within(inner, cls.node) && !correlated(inner, d.outer.call))) ||
        d.outer.call.parent?.type === 'expression_statement'
      )
        continue;
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

/**
 * Does the outer dropout sit under a condition that reads a name the construction's `if` reads (`if self.ffn_type ==
 * "1dcnn": out = self.ffn(x) else: out = self.drop(self.ffn(x))`)? Then the paths may be paired, which the flow does
 * not follow: better silent.
 */
function correlated(construction: Node, outer: Node): boolean {
  const names = (at: Node) => {
    const out = new Set<string>();
    for (let n = ancestor(at, ['if_statement'], ['function_definition']); n; ) {
      const conditions = [
        n.childForFieldName('condition'),
        ...n.namedChildren.filter((c) => c?.type === 'elif_clause'),
      ];
      for (const c of conditions)
        if (c)
          walk(c.type === 'elif_clause' ? (c.childForFieldName('condition') ?? c) : c, (x) => {
            if (x.type === 'identifier' && x.text !== 'self') out.add(x.text);
          });
      n = ancestor(n, ['if_statement'], ['function_definition']);
    }
    return out;
  };
  const outerNames = names(outer);
  if (outerNames.size === 0) return false;
  for (const name of names(construction)) if (outerNames.has(name)) return true;
  return false;
}

/** The residual dropout rate a block's constructor names: a parameter or a config field read in `__init__`. */
export interface NamedRate {
  /** As written (`resid_pdrop`, `config.hidden_dropout_prob`). */
  text: string;
  node: Node;
  rate: Rate;
}

/** RG002: an undropped sublayer branch, with what makes it a mistake the author can see. */
export interface UndroppedResidual extends ResidualAdd {
  /** A sibling branch of the same block that is dropped before its add (the nearest one). */
  sibling?: DroppedBranch;
  /** Without a dropped sibling: the residual rate the block names, which this branch never uses. */
  named?: NamedRate;
  /**
   * The rate that would drop this branch is 0 by default and the file sets no rate of that name above 0: the mistake
   * is latent until the rate is raised.
   */
  latent: boolean;
}

/** Parameter and config-field names that are a residual (sublayer output) dropout rate, not an attention one. */
const RESIDUAL_RATE = new RegExp(
  `^(${[
    'resid_?p?drop\\w*',
    'resid(ual)?_drop(out)?\\w*',
    'proj_drop\\w*',
    'hidden_dropout(_prob)?',
    'hidden_drop',
    'ffn?_dropout',
    'sublayer_dropout',
  ].join('|')})$`,
);

/**
 * RG002: residual adds of the class's own code whose branch is an undropped attention or feed-forward output and that
 * the block itself shows to be a mistake: a sibling branch is dropped before its add, or the block names a residual
 * rate this branch never uses. A block whose branches are all undropped is a design (many models use no residual
 * dropout), and a branch wrapped in drop path or a layer scale is not an undropped sublayer output. One per add.
 * `reported`: attributes whose constructor already has a finding (RG002's constructor check), whose adds are not
 * reported a second time.
 */
export function undroppedResiduals(
  analysis: ForwardAnalysis,
  cls: ModuleClass,
  reported: ReadonlySet<string> = new Set(),
): UndroppedResidual[] {
  if (!cls.isModule) return [];
  const seen = new Set<number>();
  const residuals: ResidualAdd[] = [];
  const siblings: DroppedBranch[] = [];
  for (const flow of analysis.classFlows(cls)) {
    for (const b of flow.droppedBranches) if (within(b.add, cls.node)) siblings.push(b);
    for (const r of flow.residuals) {
      if (seen.has(r.add.id) || !within(r.add, cls.node)) continue;
      seen.add(r.add.id);
      if (r.sublayer.attribute && reported.has(r.sublayer.attribute)) continue;
      residuals.push(r);
    }
  }
  if (residuals.length === 0) return [];
  const named = siblings.length ? [] : namedRates(analysis, cls).filter((n) => !appliedElsewhere(cls, n));
  const out: UndroppedResidual[] = [];
  for (const r of residuals) {
    const sibling = nearest(siblings, r.add);
    if (sibling) {
      out.push({ ...r, sibling, latent: latentRate(analysis, sibling.drop.rate) });
      continue;
    }
    const construction = r.sublayer.attribute
      ? cls.members.submodules.find((s) => s.name === r.sublayer.attribute)?.value.text
      : undefined;
    const ignored = named.find((n) => !construction?.includes(n.text));
    if (ignored) out.push({ ...r, named: ignored, latent: latentRate(analysis, ignored.rate) });
  }
  return out;
}

function nearest(siblings: DroppedBranch[], add: Node): DroppedBranch | undefined {
  let best: DroppedBranch | undefined;
  for (const s of siblings) {
    if (s.add.id === add.id) continue;
    if (!best || Math.abs(s.add.startIndex - add.startIndex) < Math.abs(best.add.startIndex - add.startIndex)) best = s;
  }
  return best;
}

/** A rate of 0 (as written, or as its parameter's default) that the file's configuration never raises. */
export function latentRate(analysis: ForwardAnalysis, rate: Rate | undefined): boolean {
  if (rate?.value !== 0) return false;
  const name = /(\w+)$/.exec(rate.text)?.[1];
  return !name || !analysis.nonZeroRates.has(name);
}

/**
 * Does the class apply a dropout of this rate to something that is not a residual branch (its embeddings, its
 * attention weights)? Then which branch the rate was meant for is the author's to say. A dropout built with it and
 * never applied (RG007's finding) leaves the branches ignoring it.
 */
function appliedElsewhere(cls: ModuleClass, rate: NamedRate): boolean {
  const init = cls.members.methods.get('__init__');
  return cls.members.submodules.some(
    (s) =>
      s.regularizers.length > 0 &&
      s.value.text.includes(rate.text) &&
      (cls.members.selfReferences.get(s.name) ?? []).some(
        (ref) => !init || ref.startIndex < init.startIndex || ref.startIndex >= init.endIndex,
      ),
  );
}

/** The residual rates `__init__` names: its parameters, and the config fields it reads (`config.resid_pdrop`). */
function namedRates(analysis: ForwardAnalysis, cls: ModuleClass): NamedRate[] {
  const init = cls.members.methods.get('__init__');
  if (!init) return [];
  const out: NamedRate[] = [];
  const params = init.childForFieldName('parameters')?.namedChildren ?? [];
  for (const p of params.slice(1)) {
    const name = p?.type === 'identifier' ? p : (p?.childForFieldName('name') ?? p?.namedChild(0));
    if (name?.type === 'identifier' && RESIDUAL_RATE.test(name.text))
      out.push({ text: name.text, node: name, rate: rateOf(analysis.model, cls, name) });
  }
  walk(
    init,
    (n) => {
      const field = n.childForFieldName('attribute')?.text ?? '';
      const object = n.childForFieldName('object');
      if (
        n.type === 'attribute' &&
        object?.type === 'identifier' &&
        object.text !== 'self' &&
        RESIDUAL_RATE.test(field)
      )
        if (!out.some((o) => o.text === n.text)) out.push({ text: n.text, node: n, rate: { text: n.text } });
    },
    new Set(['attribute']),
  );
  return out;
}
