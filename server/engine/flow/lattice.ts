import type { Fusion, FlowValue, ModalityPart } from './types';

/**
 * The lattice of flow values: two paths joined (`join`, `joinEnv`: what holds on both), several values mixed into
 * one (`mixed`: the modalities, fusions and inputs travel on, the last dropout does not).
 */

/** The values of a method's local names at one point of its evaluation. */
export type Env = Map<string, FlowValue>;

export function join(a: FlowValue | undefined, b: FlowValue | undefined): FlowValue {
  if (!a) return b ?? {};
  if (!b || a === b) return a;
  const parts = new Map(a.parts ?? []);
  addParts(parts, b.parts);
  return {
    drop: a.drop && b.drop ? a.drop : undefined,
    logits: a.logits ?? b.logits,
    scores: a.scores || b.scores || undefined,
    inputs: union(a.inputs, b.inputs),
    sublayer: a.sublayer ?? b.sublayer,
    parts: parts.size ? parts : undefined,
    fusions: union(a.fusions, b.fusions),
    opaque: a.opaque || b.opaque,
    fromInput: a.fromInput && b.fromInput,
    stream: (a.stream || a.fromInput) && (b.stream || b.fromInput) && (a.stream || b.stream) ? true : undefined,
    passthrough: a.passthrough === b.passthrough ? a.passthrough : undefined,
    module: a.module === b.module ? a.module : undefined,
    // A path-specific dropout holds after a join only when both paths carry the same module's output.
    branchDrops: a.branchDrops && b.branchDrops?.[0]?.call.id === a.branchDrops[0]?.call.id ? a.branchDrops : undefined,
  };
}

/** Adds one value's modalities to another's: a modality dropped in one and not the other is not dropped. */
function addParts(into: Map<string, ModalityPart>, from: ReadonlyMap<string, ModalityPart> | undefined): void {
  for (const [k, p] of from ?? []) {
    const q = into.get(k);
    into.set(k, q ? (q.drop && p.drop ? q : {}) : p);
  }
}

export function union<T>(a: ReadonlySet<T> | undefined, b: ReadonlySet<T> | undefined): ReadonlySet<T> | undefined {
  if (!a || a.size === 0) return b;
  if (!b || b.size === 0) return a;
  return new Set([...a, ...b]);
}

export function joinEnv(a: Env, b: Env): Env {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, join(a.get(k), v));
  return out;
}

/**
 * Several values become one: the modalities, fusions and inputs they carry travel on; what each went through last
 * does not.
 */
export function mixed(values: FlowValue[]): FlowValue {
  const parts = new Map<string, ModalityPart>();
  let fusions: ReadonlySet<Fusion> | undefined;
  let inputs: ReadonlySet<string> | undefined;
  for (const v of values) {
    addParts(parts, v.parts);
    fusions = union(fusions, v.fusions);
    inputs = union(inputs, v.inputs);
    // `pack([x], 'b * c')`: a list's elements are mixed in too.
    for (const e of v.elements ?? []) inputs = union(inputs, e.inputs);
  }
  return { parts: parts.size ? parts : undefined, fusions, inputs };
}
