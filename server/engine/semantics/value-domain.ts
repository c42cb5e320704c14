/**
 * The value domain of the symbolic evaluator: the small algebra of scalars, symbols, booleans, shapes, uniform
 * draws, blank tensors and 0/1 masks that the code is evaluated over (`Expr`), its simplifying constructors, and the
 * readings of a value the records need (factors of a product, numbers at the defaults, text, mask granularity).
 */
import type { Node } from '../parser';
import { atom } from './fixes';
import type { Granularity, MaskInfo, ScalarValue, ScaleSwitch } from './record';

export interface Shape {
  granularity: Granularity;
  node: Node | null;
  byCondition?: MaskInfo['byCondition'];
  bug?: string;
}

interface MaskSite {
  node: Node;
  /** Probability of a 1. */
  q: Expr;
  shape: Shape;
}

export type Expr = (
  | { k: 'num'; v: number }
  | { k: 'sym'; name: string }
  | { k: 'bool'; v: boolean }
  | { k: 'bin'; op: '+' | '-' | '*' | '/'; l: Expr; r: Expr }
  | { k: 'mask'; m: MaskSite }
  | { k: 'uniform'; shape: Shape; node: Node }
  /** A tensor of a known shape whose values are not random (yet): `x.new_empty(shape)`, `torch.full(shape, k)`. */
  | { k: 'blank'; shape: Shape; fill?: Expr }
  | { k: 'shape'; shape: Shape; dims: Dim[] | null }
  /** A value that depends on a branch the evaluation cannot decide. */
  | { k: 'cond'; condition: string; flag?: ScaleSwitch; then: Expr; else: Expr }
  | { k: 'opaque' }
) & {
  /** Source text naming this value in the function being analysed. */
  src?: string;
  /** The node where a mask was first applied to a tensor in this value. */
  app?: Node;
  /** A binary operation that scales a masked value by a scalar, and the operand it scales. */
  scaleAt?: { node: Node; kept: Node };
};

export type Dim = 'one' | 'ones' | 'dim' | 'full';

export const num = (v: number): Expr => ({ k: 'num', v });
export const OPAQUE: Expr = { k: 'opaque' };

export function bin(op: '+' | '-' | '*' | '/', l: Expr, r: Expr): Expr {
  if (l.k === 'num' && r.k === 'num') {
    const v = op === '+' ? l.v + r.v : op === '-' ? l.v - r.v : op === '*' ? l.v * r.v : r.v === 0 ? NaN : l.v / r.v;
    if (Number.isFinite(v)) return num(v);
  }
  if (op === '*' && l.k === 'num' && l.v === 1) return r;
  if ((op === '*' || op === '/') && r.k === 'num' && r.v === 1) return l;
  // `1 - mask` and `1. - mask` invert a 0/1 mask.
  if (op === '-' && l.k === 'num' && l.v === 1 && r.k === 'mask') return negateMask(r);
  // `1 - (1 - a)` is `a`; `a * (1 / b)` is `a / b`: records read as the code means them.
  if (op === '-' && l.k === 'num' && l.v === 1 && r.k === 'bin' && r.op === '-' && r.l.k === 'num' && r.l.v === 1)
    return r.r;
  if (op === '*' && r.k === 'bin' && r.op === '/' && r.l.k === 'num' && r.l.v === 1 && !r.app) return bin('/', l, r.r);
  if (op === '*' && l.k === 'bin' && l.op === '/' && l.l.k === 'num' && l.l.v === 1 && !l.app) return bin('/', r, l.r);
  return { k: 'bin', op, l, r };
}

export function negateMask(e: Expr & { k: 'mask' }): Expr {
  return { k: 'mask', m: { ...e.m, q: oneMinus(e.m.q) } };
}

/** `1 - e`, with source text when `e` has one: `1 - (1 - keep)` reads back as `keep`. */
export function oneMinus(e: Expr): Expr {
  const src =
    e.src === undefined
      ? undefined
      : /^1 - [\w.]+$/.test(e.src)
        ? e.src.slice(4)
        : /^1 - \(.*\)$/.test(e.src)
          ? e.src.slice(5, -1)
          : `1 - ${atom(e.src)}`;
  return { ...bin('-', num(1), e), src };
}

/** The value is about to be stored in `name`: parts that read the old `name` can no longer be spelled `name`. */
export function stale(e: Expr, name: string): Expr {
  const out: Expr = e.src === name ? { ...e, src: undefined } : e;
  switch (out.k) {
    case 'bin': {
      const l = stale(out.l, name);
      const r = stale(out.r, name);
      return l === out.l && r === out.r ? out : { ...out, l, r };
    }
    case 'mask': {
      const q = stale(out.m.q, name);
      return q === out.m.q ? out : { ...out, m: { ...out.m, q } };
    }
    default:
      return out;
  }
}

/** A value computed in another function (a helper, `__init__`): its source text means nothing here. */
export function foreign(e: Expr): Expr {
  const { src: _src, ...rest } = e;
  switch (rest.k) {
    case 'bin':
      return { ...rest, l: foreign(rest.l), r: foreign(rest.r) };
    case 'cond':
      return { ...rest, then: foreign(rest.then), else: foreign(rest.else) };
    case 'mask':
      return { ...rest, m: { ...rest.m, q: foreign(rest.m.q) } };
    default:
      return rest;
  }
}

export function hasRandom(e: Expr): boolean {
  switch (e.k) {
    case 'mask':
    case 'uniform':
      return true;
    case 'bin':
      return hasRandom(e.l) || hasRandom(e.r);
    case 'cond':
      return hasRandom(e.then) || hasRandom(e.else);
    default:
      return false;
  }
}

/** Replaces undecided branches: switches by `switchValue`, other conditions by their first branch. */
export function resolve(e: Expr, switchValue: boolean): Expr {
  switch (e.k) {
    case 'cond':
      return resolve(e.flag && !switchValue ? e.else : e.then, switchValue);
    case 'bin': {
      const out = bin(e.op, resolve(e.l, switchValue), resolve(e.r, switchValue));
      return { ...out, app: e.app ?? out.app, scaleAt: e.scaleAt ?? out.scaleAt };
    }
    default:
      return e;
  }
}

export function findSwitch(e: Expr): ScaleSwitch | undefined {
  if (e.k === 'cond') return e.flag ?? findSwitch(e.then) ?? findSwitch(e.else);
  if (e.k === 'bin') return findSwitch(e.l) ?? findSwitch(e.r);
  return undefined;
}

interface Factors {
  tensors: string[];
  masks: MaskSite[];
  scale: Expr;
  app?: Node;
  scaleSites: { node: Node; kept: Node }[];
  ok: boolean;
}

/** Splits a product into tensors, masks and a scalar scale: `x / keep * mask` → x, mask, 1/keep. */
export function factor(e: Expr, tensors: ReadonlySet<string>): Factors {
  const out: Factors = { tensors: [], masks: [], scale: num(1), scaleSites: [], ok: true };
  const visit = (n: Expr, inverse: boolean): void => {
    if (n.app) out.app ??= n.app;
    if (n.scaleAt && !out.scaleSites.some((s) => s.node.id === n.scaleAt!.node.id)) out.scaleSites.push(n.scaleAt);
    if (n.k === 'bin' && (n.op === '*' || n.op === '/')) {
      visit(n.l, inverse);
      if (n.op === '*') visit(n.r, inverse);
      else if (hasRandom(n.r) || mentionsTensor(n.r, tensors)) out.ok = false;
      else out.scale = inverse ? bin('*', out.scale, n.r) : bin('/', out.scale, n.r);
      return;
    }
    if (n.k === 'mask') {
      if (inverse) out.ok = false;
      out.masks.push(n.m);
    } else if (n.k === 'sym' && tensors.has(n.name)) out.tensors.push(n.name);
    else if (hasRandom(n) || mentionsTensor(n, tensors) || n.k === 'opaque' || n.k === 'blank' || n.k === 'shape')
      out.ok = false;
    else out.scale = inverse ? bin('/', out.scale, n) : bin('*', out.scale, n);
  };
  visit(e, false);
  return out;
}

export function mentionsTensor(e: Expr, tensors: ReadonlySet<string>): boolean {
  if (e.k === 'sym') return tensors.has(e.name);
  if (e.k === 'bin') return mentionsTensor(e.l, tensors) || mentionsTensor(e.r, tensors);
  if (e.k === 'cond') return mentionsTensor(e.then, tensors) || mentionsTensor(e.else, tensors);
  return false;
}

function numeric(e: Expr, env: ReadonlyMap<string, number>): number | undefined {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'sym':
      return env.get(e.name);
    case 'bin': {
      const l = numeric(e.l, env);
      const r = numeric(e.r, env);
      if (l === undefined || r === undefined) return undefined;
      const v = e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' ? l * r : l / r;
      return Number.isFinite(v) ? v : undefined;
    }
    default:
      return undefined;
  }
}

export function symbols(e: Expr, out = new Set<string>()): Set<string> {
  if (e.k === 'sym') out.add(e.name);
  else if (e.k === 'bin') {
    symbols(e.l, out);
    symbols(e.r, out);
  }
  return out;
}

/** Is the expression the same constant for every value of its parameters? Checked at a few points in (0, 1). */
export function constantValue(e: Expr): number | undefined {
  const names = [...symbols(e)];
  let value: number | undefined;
  for (const seed of [0.137, 0.419, 0.773]) {
    const env = new Map(names.map((n, i) => [n, ((seed * (i + 3) * 7.31) % 0.9) + 0.05]));
    const v = numeric(e, env);
    if (v === undefined) return undefined;
    if (value !== undefined && Math.abs(v - value) > 1e-9 * Math.max(1, Math.abs(value))) return undefined;
    value ??= v;
  }
  return value;
}

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 } as const;

export function show(e: Expr, parent = 0, right = false): string {
  switch (e.k) {
    case 'num':
      return Number.isInteger(e.v) ? String(e.v) : String(Number(e.v.toPrecision(6)));
    case 'sym':
      return e.name;
    case 'bool':
      return e.v ? 'True' : 'False';
    case 'bin': {
      const p = PRECEDENCE[e.op];
      const text = `${show(e.l, p)} ${e.op} ${show(e.r, p, true)}`;
      return p < parent || (right && p === parent) ? `(${text})` : text;
    }
    default:
      return '?';
  }
}

export function scalarValue(e: Expr, defaults: ReadonlyMap<string, number>): ScalarValue {
  const c = constantValue(e);
  if (c !== undefined) return { expression: show(num(c)), value: c };
  const v = numeric(e, defaults);
  return v === undefined ? { expression: show(e) } : { expression: show(e), value: v };
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes.

export function granularityOf(dims: Dim[] | null): Granularity {
  if (!dims) return 'unknown';
  if (dims.includes('full')) return dims.length === 1 ? 'element' : 'unknown';
  const real = dims.filter((d) => d !== 'ones');
  // Repeated ones may only trail the leading dimensions for the shape to stay readable.
  if (real.every((d) => d === 'one')) return 'batch';
  const lead = real.findIndex((d) => d !== 'dim');
  const leading = lead === -1 ? real.length : lead;
  const rest = real.slice(leading);
  // `(1, x.shape[1], 1)`: one decision per index of a later dimension, which is the batch in a sequence-first layout
  // (Megatron's `[s, b, h]`) and a channel in another: not known to be per element.
  if (leading === 0 && real.filter((d) => d === 'dim').length === 1) return 'unknown';
  if (!rest.every((d) => d === 'one')) return 'element';
  if (leading === 1 && (real.length > 1 || dims.length > 1)) return 'sample';
  if (leading === 2 && dims.length > 2) return 'channel';
  return 'element';
}

export function mentionsWeight(e: Expr): boolean {
  if (e.k === 'sym') return /weight/i.test(e.name);
  if (e.k === 'bin') return mentionsWeight(e.l) || mentionsWeight(e.r);
  return false;
}

/** `0`, `0.0`, `torch.zeros_like(x)`. */
export function isZero(e: Expr): boolean {
  return (e.k === 'num' && e.v === 0) || (e.k === 'blank' && e.fill?.k === 'num' && e.fill.v === 0);
}

export function repeatShape(s: Expr & { k: 'shape' }, node: Node): { shape: Shape; dims: Dim[] | null } {
  const dims: Dim[] | null = s.dims && s.dims.every((d) => d === 'one' || d === 'ones') ? ['ones'] : null;
  return { shape: { granularity: granularityOf(dims), node }, dims };
}

export function maskOf(u: Expr & { k: 'uniform' }, q: Expr, node: Node): Expr {
  return { k: 'mask', m: { node, q, shape: u.shape } };
}

export function findBlank(e: Expr): (Expr & { k: 'blank' }) | undefined {
  if (e.k === 'blank') return e;
  if (e.k === 'bin' && e.op === '*') return findBlank(e.l) ?? findBlank(e.r);
  return undefined;
}

export function scaleWithoutBlank(e: Expr): Expr {
  if (e.k === 'blank') return num(1);
  if (e.k === 'bin' && e.op === '*') return bin('*', scaleWithoutBlank(e.l), scaleWithoutBlank(e.r));
  return e;
}
