/**
 * Hand-written regularizers: functions, methods and modules that build a random mask and apply it to a tensor
 * (timm's `drop_path`, a textbook dropout, DropConnect on weights). Their behaviour is derived by symbolic
 * evaluation of the code, never by running it: the body is interpreted twice, once with the training flag on and
 * once with it off, over a small algebra of scalars, tensors, random draws and 0/1 masks. The result is a
 * `RegularizerSemantics` record that the rules RG003–RG005, the hover and the profiler share.
 */
import { TextMemo } from './memo';
import { firstParameter } from './classes';
import type { FileModel } from './model';
import { nodeRange, type Node, type SourceFile } from './parser';
import type { TextEdit } from './types';
import { callArguments, numericLiteral, parameterList, walk } from './syntax';

/** How many random decisions a mask makes: one per element, per (sample, channel), per sample, or one for the whole batch. */
export type Granularity = 'element' | 'channel' | 'sample' | 'batch' | 'conditional' | 'unknown';

/** A scalar expression over the parameters (`1 - drop_prob`), as text and, where every rate is known, as a number. */
export interface ScalarValue {
  expression: string;
  /** With the parameters' defaults (see `RegularizerSemantics.defaults`); absent when a value is unknown. */
  value?: number;
}

export interface MaskInfo {
  /** The call that creates the random decision (`torch.rand(...)`, `….bernoulli_(keep)`), or the call of the helper that does. */
  node: Node;
  granularity: Granularity;
  /** The shape expression, when the mask has one (`(x.shape[0],) + (1,) * (x.ndim - 1)`); fixes rewrite it. */
  shapeNode: Node | null;
  /** For `granularity: 'conditional'`: the branch condition and the granularity on each side. */
  byCondition?: { condition: string; then: Granularity; else: Granularity };
  /** `torch.FloatTensor((B, 1, 1, 1))`: a tensor holding those values, not a tensor of that shape. */
  shapeBug?: string;
}

/** A boolean parameter that turns the rescale on or off (timm's `scale_by_keep`). */
export interface ScaleSwitch {
  name: string;
  default: boolean | undefined;
  /** Some call in the file passes a value other than a literal False for it. */
  enabledByCaller: boolean;
  /** The default's literal, which a fix turns to True. */
  defaultNode: Node | null;
}

export interface RegularizerSemantics {
  /** The function, method or class name. */
  name: string;
  /** `function_definition` (a free function or a method) or `class_definition` (the class's `forward`). */
  node: Node;
  /** Drop path / stochastic depth (one decision per sample is intended), or dropout of activations or weights. */
  kind: 'drop-path' | 'dropout';
  /** What the mask multiplies: the input activation, or a weight (DropConnect, quant-noise). */
  target: { name: string; isWeight: boolean };
  mask: MaskInfo;
  /** Probability that a value is kept in training. */
  keepProbability: ScalarValue;
  /** Factor applied to kept values in training; `1` when nothing rescales them. */
  trainScale: ScalarValue & { switch?: ScaleSwitch };
  /** What evaluation does: nothing, a fixed multiply, the same random masking, or nothing the function decides (a free function without a training flag leaves that to its caller). */
  evaluation: { behaviour: 'identity' | 'scaled' | 'stochastic' | 'caller' | 'unknown'; factor?: ScalarValue };
  /** E[y]/E[x]: keep probability × train scale in training; the evaluation factor in evaluation. */
  expectation: { train: ScalarValue; eval?: ScalarValue };
  /** Train and evaluation expectations differ (checked symbolically at sample points of the parameters). */
  expectationMismatch: boolean;
  /** The batch-wide decision is a documented choice (a `mode == "batch"` branch, a docstring that says so). */
  deliberateBatch: boolean;
  /** Where the mask meets the tensor (`x * mask`, `x.masked_fill(m, 0)`), when inside this function. */
  application: Node | null;
  /** The one place a scalar scales the masked value (`x * mask / p`), when inside this function: wrong scales are fixed there. */
  scaleSite: { node: Node; kept: Node } | null;
  /** Parameter defaults used for the numbers. */
  defaults: Record<string, number>;
  /** Source text of the keep probability valid inside the function (`keep_prob`, `1 - self.p`), for fixes. */
  keepSource?: string;
  /** Name of the tensor the mask is applied to, as spelled in the function (`x`), for fixes. */
  inputSource?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The algebra.

interface Shape {
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

type Expr = (
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

type Dim = 'one' | 'ones' | 'dim' | 'full';

const num = (v: number): Expr => ({ k: 'num', v });
const OPAQUE: Expr = { k: 'opaque' };

function bin(op: '+' | '-' | '*' | '/', l: Expr, r: Expr): Expr {
  if (l.k === 'num' && r.k === 'num') {
    const v = op === '+' ? l.v + r.v : op === '-' ? l.v - r.v : op === '*' ? l.v * r.v : r.v === 0 ? NaN : l.v / r.v;
    if (Number.isFinite(v)) return num(v);
  }
  if (op === '*' && l.k === 'num' && l.v === 1) return r;
  if ((op === '*' || op === '/') && r.k === 'num' && r.v === 1) return l;
  // `1 - mask` and `1. - mask` invert a 0/1 mask.
  if (op === '-' && l.k === 'num' && l.v === 1 && r.k === 'mask') return negateMask(r);
  // `1 - (1 - a)` is `a`; `a * (1 / b)` is `a / b`: records read as the code means them.
  if (op === '-' && l.k === 'num' && l.v === 1 && r.k === 'bin' && r.op === '-' && r.l.k === 'num' && r.l.v === 1) return r.r;
  if (op === '*' && r.k === 'bin' && r.op === '/' && r.l.k === 'num' && r.l.v === 1 && !r.app) return bin('/', l, r.r);
  if (op === '*' && l.k === 'bin' && l.op === '/' && l.l.k === 'num' && l.l.v === 1 && !l.app) return bin('/', r, l.r);
  return { k: 'bin', op, l, r };
}

function negateMask(e: Expr & { k: 'mask' }): Expr {
  return { k: 'mask', m: { ...e.m, q: oneMinus(e.m.q) } };
}

/** `1 - e`, with source text when `e` has one: `1 - (1 - keep)` reads back as `keep`. */
function oneMinus(e: Expr): Expr {
  const src = e.src === undefined ? undefined : /^1 - [\w.]+$/.test(e.src) ? e.src.slice(4) : /^1 - \(.*\)$/.test(e.src) ? e.src.slice(5, -1) : `1 - ${atom(e.src)}`;
  return { ...bin('-', num(1), e), src };
}

/** The value is about to be stored in `name`: parts that read the old `name` can no longer be spelled `name`. */
function stale(e: Expr, name: string): Expr {
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
function foreign(e: Expr): Expr {
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

function hasRandom(e: Expr): boolean {
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
function resolve(e: Expr, switchValue: boolean): Expr {
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

function findSwitch(e: Expr): ScaleSwitch | undefined {
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
function factor(e: Expr, tensors: ReadonlySet<string>): Factors {
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
    else if (hasRandom(n) || mentionsTensor(n, tensors) || n.k === 'opaque' || n.k === 'blank' || n.k === 'shape') out.ok = false;
    else out.scale = inverse ? bin('/', out.scale, n) : bin('*', out.scale, n);
  };
  visit(e, false);
  return out;
}

function mentionsTensor(e: Expr, tensors: ReadonlySet<string>): boolean {
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

function symbols(e: Expr, out = new Set<string>()): Set<string> {
  if (e.k === 'sym') out.add(e.name);
  else if (e.k === 'bin') {
    symbols(e.l, out);
    symbols(e.r, out);
  }
  return out;
}

/** Is the expression the same constant for every value of its parameters? Checked at a few points in (0, 1). */
function constantValue(e: Expr): number | undefined {
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

function show(e: Expr, parent = 0, right = false): string {
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

function scalarValue(e: Expr, defaults: ReadonlyMap<string, number>): ScalarValue {
  const c = constantValue(e);
  if (c !== undefined) return { expression: show(num(c)), value: c };
  const v = numeric(e, defaults);
  return v === undefined ? { expression: show(e) } : { expression: show(e), value: v };
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes.

function granularityOf(dims: Dim[] | null): Granularity {
  if (!dims) return 'unknown';
  if (dims.includes('full')) return dims.length === 1 ? 'element' : 'unknown';
  const real = dims.filter((d) => d !== 'ones');
  // Repeated ones may only trail the leading dimensions for the shape to stay readable.
  if (real.every((d) => d === 'one')) return 'batch';
  const lead = real.findIndex((d) => d !== 'dim');
  const leading = lead === -1 ? real.length : lead;
  const rest = real.slice(leading);
  if (!rest.every((d) => d === 'one')) return 'element';
  if (leading === 1 && (real.length > 1 || dims.length > 1)) return 'sample';
  if (leading === 2 && dims.length > 2) return 'channel';
  return 'element';
}

// ---------------------------------------------------------------------------------------------------------------
// The evaluator.

interface Frame {
  fn: Node;
  env: Map<string, Expr>;
  selfName: string | null;
  cls: Node | null;
  /** Parameters bound to tensors (receivers of `.shape`, `.new_empty`, the first parameter). */
  tensors: Set<string>;
}

/** The draws a mask is built from; a function without one (or a call of a helper with one) is skipped unread. */
export const RANDOM_TEXT = /\b(?:rand(?:_like)?|bernoulli_?|uniform_?|binomial|random)\s*\(/;
const DROP_PATH_NAME = /drop_?path|stochastic_?depth|sto_?depth|drop_?connect|drop_?block_?path/i;
/** A free function without a training flag is a regularizer only by name: random masking is also data augmentation. */
const DROPOUT_NAME = /drop|connect|quant_?noise/i;
const DELIBERATE_DOC = /\b(whole|entire|full) (mini-?)?batch\b|\bbatch[- ]wise\b|\bper[- ]batch\b|\bbatch mode\b|"batch"|'batch'/i;
const PASS_THROUGH = new Set(['float', 'half', 'double', 'bool', 'int', 'long', 'to', 'type', 'type_as', 'detach', 'cuda', 'cpu', 'contiguous', 'clone', 'expand_as', 'item', 'requires_grad_']);

class Evaluator {
  private depth = 0;
  private callSite: Node | null = null;

  constructor(
    private readonly model: FileModel,
    private readonly training: boolean,
  ) {}

  /** Output of a function with its parameters bound (symbolically when `args` is absent). */
  run(fn: Node, args?: Map<string, Expr>, cls?: Node | null): Expr | undefined {
    const frame = this.frame(fn, args, cls ?? enclosingClass(fn));
    const body = fn.childForFieldName('body');
    if (!body) return undefined;
    const result = this.block(body, frame);
    if (result) return result;
    return undefined;
  }

  private frame(fn: Node, args: Map<string, Expr> | undefined, cls: Node | null): Frame {
    const env = new Map<string, Expr>();
    const selfName = cls ? firstParameter(fn) : null;
    const tensors = new Set<string>();
    const params = parameters(fn);
    const first = params.find((p) => p.name !== selfName && p.name !== 'cls');
    if (first && first.default === undefined) tensors.add(first.name);
    for (const p of params) {
      if (p.name === selfName) continue;
      const bound = args?.get(p.name);
      if (bound) env.set(p.name, { ...bound, src: p.name });
      else if (isTrainingName(p.name)) env.set(p.name, { k: 'bool', v: this.training, src: p.name });
      else if (args && p.defaultNode) env.set(p.name, { ...this.expr(p.defaultNode, { fn, env: new Map(), selfName: null, cls: null, tensors }), src: p.name });
      else env.set(p.name, { k: 'sym', name: p.name, src: p.name });
      if (/weight/i.test(p.name)) tensors.add(p.name);
    }
    walk(fn, (n) => {
      if (n.type === 'attribute') {
        const object = n.childForFieldName('object');
        const attr = n.childForFieldName('attribute')?.text ?? '';
        if (object && (object.type === 'identifier' || object.type === 'attribute') && /^(shape|size|ndim|dim|new_\w+|dtype|device|masked_fill_?|mul_?|numel)$/.test(attr)) tensors.add(object.text);
      } else if (n.type === 'call') {
        const callee = n.childForFieldName('function')?.text ?? '';
        const a = callArguments(n)[0];
        if (/_like$/.test(callee) && a && a.type === 'identifier') tensors.add(a.text);
      }
    }, new Set(['attribute', 'call']));
    for (const t of [...tensors]) if (/^self\./.test(t) && !/weight/i.test(t)) tensors.delete(t);
    // Weights regularized in place of activations (DropConnect, quant-noise) are tensors too.
    if (selfName) walk(fn, (n) => void (n.type === 'attribute' && n.childForFieldName('object')?.text === selfName && /weight/i.test(n.childForFieldName('attribute')?.text ?? '') && tensors.add(n.text)), new Set(['attribute']));
    // The tensor names are symbols of their own; the input keeps its name so records read `x`.
    for (const t of tensors) if (!env.has(t) || env.get(t)!.k === 'sym') env.set(t, { k: 'sym', name: t, src: t });
    return { fn, env, selfName, cls, tensors };
  }

  tensorsOf(fn: Node, cls: Node | null): Set<string> {
    return this.frame(fn, undefined, cls).tensors;
  }

  /** Executes a block; returns the value of a `return` reached on every path, if any. */
  private block(block: Node, f: Frame): Expr | undefined {
    for (const stmt of block.namedChildren) {
      if (!stmt) continue;
      const r = this.statement(stmt, f);
      if (r) return r;
    }
    return undefined;
  }

  private statement(stmt: Node, f: Frame): Expr | undefined {
    switch (stmt.type) {
      case 'return_statement': {
        const value = stmt.namedChild(0);
        return value ? this.expr(value, f) : OPAQUE;
      }
      case 'expression_statement': {
        const e = stmt.namedChild(0);
        if (!e) return undefined;
        if (e.type === 'assignment') this.assign(e, f);
        else if (e.type === 'augmented_assignment') this.augmented(e, f);
        else if (e.type === 'call') this.inPlace(e, f);
        return undefined;
      }
      case 'if_statement':
        return this.ifStatement(stmt, f);
      case 'with_statement':
      case 'try_statement': {
        const body = stmt.childForFieldName('body');
        return body ? this.block(body, f) : undefined;
      }
      default:
        return undefined;
    }
  }

  private assign(node: Node, f: Frame): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) return;
    if (left.type === 'subscript') {
      // `x[mask] = 0` zeroes where the mask is set.
      const target = left.childForFieldName('value');
      const index = left.childForFieldName('subscript');
      if (!target || !index || numericLiteral(right) !== 0) return;
      const m = this.expr(index, f);
      const t = this.expr(target, f);
      if (m.k === 'mask' && key(target)) f.env.set(key(target)!, { ...bin('*', t, negateMask(m)), app: node });
      return;
    }
    const k = key(left);
    if (k) f.env.set(k, { ...stale(this.expr(right, f), k), src: left.text });
    else if (left.type === 'pattern_list' || left.type === 'tuple_pattern') for (const n of left.namedChildren) if (n && key(n)) f.env.set(key(n)!, { k: 'sym', name: n.text, src: n.text });
  }

  private augmented(node: Node, f: Frame): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text.slice(0, 1);
    const k = left && key(left);
    if (!k || !right || !op || !'+-*/'.includes(op)) return;
    const current = f.env.get(k) ?? this.expr(left!, f);
    const value = this.arith(op as '+', current, this.expr(right, f), node, f);
    f.env.set(k, { ...stale(value, k), src: left!.text });
  }

  /** `t.div_(k)`, `t.floor_()`, `t.bernoulli_(p)`, `x.mul_(mask)` as statements change `t`. */
  private inPlace(call: Node, f: Frame): void {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'attribute') return;
    const object = fn.childForFieldName('object');
    const method = fn.childForFieldName('attribute')?.text ?? '';
    const k = object && key(object);
    if (!k || !method.endsWith('_')) return;
    f.env.set(k, { ...stale(this.expr(call, f), k), src: object!.text });
  }

  private ifStatement(stmt: Node, f: Frame): Expr | undefined {
    const clauses = stmt.childrenForFieldName('alternative').filter((n): n is Node => !!n);
    return this.branch(stmt, clauses, f);
  }

  /** An `if` or `elif` clause with the clauses after it: decided by the training mode when it can be, else both ways. */
  private branch(clause: Node, rest: Node[], f: Frame): Expr | undefined {
    const cond = clause.childForFieldName('condition');
    const consequence = clause.childForFieldName('consequence');
    if (!cond || !consequence) return undefined;
    const otherwise = (fr: Frame): Expr | undefined => {
      const next = rest[0];
      if (!next) return undefined;
      if (next.type === 'else_clause') {
        const body = next.childForFieldName('body');
        return body ? this.block(body, fr) : undefined;
      }
      return this.branch(next, rest.slice(1), fr);
    };
    const truth = this.truth(cond, f);
    if (truth === true) return this.block(consequence, f);
    if (truth === false) return otherwise(f);
    return this.undecided(cond, consequence, otherwise, rest.length > 0, f);
  }

  private undecided(cond: Node, consequence: Node, alternative: (f: Frame) => Expr | undefined, hasElse: boolean, f: Frame): Expr | undefined {
    const conjuncts = splitAnd(cond).filter((c) => !isPositivityGuard(c));
    const last = consequence.namedChildren[consequence.namedChildCount - 1];
    // `if drop_prob == 0.: return x`, `if p < 0: raise …`: a guard for a corner case, not the general path.
    if (!hasElse && (last?.type === 'return_statement' || last?.type === 'raise_statement') && conjuncts.length > 0) return undefined;
    // `if keep_prob > 0.0:` only avoids dividing by zero.
    if (conjuncts.length === 0) return this.block(consequence, f);
    const flag = conjuncts.length === 1 ? this.switchOf(conjuncts[0], f) : undefined;
    const thenFrame: Frame = { ...f, env: new Map(f.env) };
    const elseFrame: Frame = { ...f, env: new Map(f.env) };
    const thenResult = this.block(consequence, thenFrame);
    const elseResult = alternative(elseFrame);
    const condition = conjuncts.map((c) => c.text).join(' and ');
    const merge = (a: Expr, b: Expr): Expr => (a === b ? a : { k: 'cond', condition, flag, then: a, else: b });
    for (const name of new Set([...thenFrame.env.keys(), ...elseFrame.env.keys()])) {
      const a = thenFrame.env.get(name);
      const b = elseFrame.env.get(name);
      if (a && b) f.env.set(name, merge(a, b));
      else f.env.set(name, (a ?? b)!);
    }
    if (thenResult && elseResult) return merge(thenResult, elseResult);
    if (thenResult && !elseResult) {
      // Only one side returns: the other continues; keep its environment.
      for (const [name, v] of elseFrame.env) f.env.set(name, v);
    }
    if (elseResult && !thenResult) for (const [name, v] of thenFrame.env) f.env.set(name, v);
    return undefined;
  }

  /** A condition that is a boolean parameter or attribute with a boolean default: a switch the caller sets. */
  private switchOf(cond: Node, f: Frame): ScaleSwitch | undefined {
    const param = cond.type === 'identifier' ? cond.text : null;
    const attr = cond.type === 'attribute' && f.selfName && cond.childForFieldName('object')?.text === f.selfName ? cond.childForFieldName('attribute')?.text : null;
    if (param) {
      const p = parameters(f.fn).find((q) => q.name === param);
      if (!p) return undefined;
      const owner = f.fn.childForFieldName('name')?.text ?? '';
      return { name: param, default: p.boolDefault, enabledByCaller: callersEnable(this.model, owner, param, parameters(f.fn), f.selfName !== null), defaultNode: p.defaultNode };
    }
    if (attr && f.cls) {
      const init = initOf(f.cls);
      const value = init && selfAssignment(init, attr);
      const p = init && value?.type === 'identifier' ? parameters(init).find((q) => q.name === value.text) : undefined;
      const className = f.cls.childForFieldName('name')?.text ?? '';
      if (p) return { name: attr, default: p.boolDefault, enabledByCaller: callersEnable(this.model, className, p.name, parameters(init!), true), defaultNode: p.defaultNode };
      if (value?.type === 'true' || value?.type === 'false') return { name: attr, default: value.type === 'true', enabledByCaller: false, defaultNode: value };
    }
    return undefined;
  }

  /** Three-valued truth of a condition in this training mode. */
  private truth(node: Node, f: Frame): boolean | undefined {
    switch (node.type) {
      case 'parenthesized_expression':
        return node.namedChild(0) ? this.truth(node.namedChild(0)!, f) : undefined;
      case 'not_operator': {
        const a = node.childForFieldName('argument');
        const t = a ? this.truth(a, f) : undefined;
        return t === undefined ? undefined : !t;
      }
      case 'boolean_operator': {
        const l = this.truth(node.childForFieldName('left')!, f);
        const r = this.truth(node.childForFieldName('right')!, f);
        if (node.childForFieldName('operator')?.text === 'and') return l === false || r === false ? false : l === true && r === true ? true : undefined;
        return l === true || r === true ? true : l === false && r === false ? false : undefined;
      }
      case 'true':
        return true;
      case 'false':
        return false;
      case 'identifier':
      case 'attribute': {
        const v = this.expr(node, f);
        return v.k === 'bool' ? v.v : undefined;
      }
      default:
        return undefined;
    }
  }

  expr(node: Node, f: Frame): Expr {
    if (this.depth > 200) return OPAQUE;
    this.depth++;
    try {
      return this.exprInner(node, f);
    } finally {
      this.depth--;
    }
  }

  private exprInner(node: Node, f: Frame): Expr {
    switch (node.type) {
      case 'integer':
      case 'float': {
        const v = numericLiteral(node);
        return v === undefined ? OPAQUE : { ...num(v), src: node.text };
      }
      case 'true':
      case 'false':
        return { k: 'bool', v: node.type === 'true' };
      case 'parenthesized_expression': {
        const inner = node.namedChild(0);
        if (!inner) return OPAQUE;
        const v = this.expr(inner, f);
        return v.src ? { ...v, src: `(${v.src})` } : v;
      }
      case 'unary_operator': {
        const v = numericLiteral(node);
        if (v !== undefined) return num(v);
        const a = this.expr(node.childForFieldName('argument')!, f);
        const op = node.childForFieldName('operator')?.text;
        if (op === '~' && a.k === 'mask') return negateMask(a);
        if (op === '-') return bin('*', num(-1), a);
        return OPAQUE;
      }
      case 'not_operator': {
        const a = this.expr(node.childForFieldName('argument')!, f);
        if (a.k === 'bool') return { k: 'bool', v: !a.v };
        return a.k === 'mask' ? negateMask(a) : OPAQUE;
      }
      case 'identifier': {
        const v = f.env.get(node.text);
        if (v) return { ...v, src: node.text };
        return { k: 'sym', name: node.text, src: node.text };
      }
      case 'attribute':
        return this.attribute(node, f);
      case 'binary_operator': {
        const op = node.childForFieldName('operator')?.text ?? '';
        const l = this.expr(node.childForFieldName('left')!, f);
        const r = this.expr(node.childForFieldName('right')!, f);
        if (op === '+' || op === '-') return { ...this.arith(op, l, r, node, f), src: node.text };
        if (op === '*' || op === '/') {
          const out: Expr = { ...this.arith(op, l, r, node, f), src: node.text };
          // Where a scalar scales a masked tensor (`x * mask / keep`): a fix replaces a wrong scale here.
          const scalar = (e: Expr) => !hasRandom(e) && !mentionsTensor(e, f.tensors) && (e.k === 'num' || e.k === 'sym' || e.k === 'bin');
          const masked = (e: Expr) => hasRandom(e) || mentionsTensor(e, f.tensors);
          const left = node.childForFieldName('left')!;
          const right = node.childForFieldName('right')!;
          if (scalar(r) && masked(l)) out.scaleAt = { node, kept: left };
          else if (op === '*' && scalar(l) && masked(r)) out.scaleAt = { node, kept: right };
          return out;
        }
        // `x @ w`: linear in the weight, so a masked weight's expectation carries over to the output.
        if (op === '@') return hasRandom(r) || mentionsWeight(r) ? r : hasRandom(l) || mentionsWeight(l) ? l : OPAQUE;
        return OPAQUE;
      }
      case 'comparison_operator':
        return this.comparison(node, f);
      case 'call':
        return this.call(node, f);
      case 'tuple':
      case 'list': {
        const dims = this.dims(node, f);
        return { k: 'shape', shape: { granularity: granularityOf(dims), node }, dims, src: node.text };
      }
      case 'subscript': {
        // `x.shape[:1]` keeps the leading dimension; `x.shape[0]` is a size.
        const value = this.expr(node.childForFieldName('value')!, f);
        const index = node.childForFieldName('subscript');
        if (value.k === 'shape' && index?.type === 'slice') {
          const m = /^:\s*(\d+)$/.exec(index.text);
          const dims: Dim[] | null = m ? Array.from({ length: Number(m[1]) }, () => 'dim' as const) : null;
          return { k: 'shape', shape: { granularity: granularityOf(dims), node }, dims, src: node.text };
        }
        return { k: 'sym', name: node.text, src: node.text };
      }
      case 'conditional_expression': {
        const parts = node.namedChildren.filter((n): n is Node => !!n);
        if (parts.length !== 3) return OPAQUE;
        const t = this.truth(parts[1], f);
        if (t === true) return this.expr(parts[0], f);
        if (t === false) return this.expr(parts[2], f);
        const guard = splitAnd(parts[1]).every(isPositivityGuard);
        if (guard) return this.expr(parts[0], f);
        return { k: 'cond', condition: parts[1].text, flag: this.switchOf(parts[1], f), then: this.expr(parts[0], f), else: this.expr(parts[2], f) };
      }
      default:
        return OPAQUE;
    }
  }

  private attribute(node: Node, f: Frame): Expr {
    const object = node.childForFieldName('object');
    const attr = node.childForFieldName('attribute')?.text ?? '';
    if (f.selfName && object?.type === 'identifier' && object.text === f.selfName) {
      if (attr === 'training') return { k: 'bool', v: this.training, src: node.text };
      const bound = f.env.get(node.text);
      if (bound) return { ...bound, src: node.text };
      if (f.tensors.has(node.text)) return { k: 'sym', name: node.text, src: node.text };
      const cached = this.selfValues.get(attr);
      if (cached) return { ...cached, src: node.text };
      const init = f.cls ? initOf(f.cls) : null;
      const value = init && selfAssignment(init, attr);
      if (init && value && this.depth < 100) {
        const initFrame = this.frame(init, undefined, f.cls);
        const v = foreign(this.expr(value, initFrame));
        this.selfValues.set(attr, v);
        return { ...v, src: node.text };
      }
      return { k: 'sym', name: node.text, src: node.text };
    }
    const bound = f.env.get(node.text);
    if (bound) return { ...bound, src: node.text };
    if (object && f.tensors.has(object.text) && (attr === 'shape' || attr === 'data')) {
      return attr === 'shape' ? { k: 'shape', shape: { granularity: 'element', node }, dims: ['full'], src: node.text } : this.expr(object, f);
    }
    return { k: 'sym', name: node.text, src: node.text };
  }

  private arith(op: '+' | '-' | '*' | '/', l: Expr, r: Expr, node: Node, f: Frame): Expr {
    if (op === '*' && l.k === 'shape' && r.k !== 'shape') return { k: 'shape', ...repeatShape(l, node) };
    if (op === '*' && r.k === 'shape' && l.k !== 'shape') return { k: 'shape', ...repeatShape(r, node) };
    if (op === '+' && l.k === 'shape' && r.k === 'shape') {
      const dims = l.dims && r.dims ? [...l.dims, ...r.dims] : null;
      return { k: 'shape', shape: { granularity: granularityOf(dims), node }, dims };
    }
    const out = bin(op, l, r);
    // The first place a mask meets a tensor is where it is applied.
    if (op === '*' && !l.app && !r.app && ((hasRandom(l) && mentionsTensor(r, f.tensors)) || (hasRandom(r) && mentionsTensor(l, f.tensors)))) return { ...out, app: node };
    if (!out.app && (l.app || r.app) && out.k === 'bin') return { ...out, app: l.app ?? r.app };
    return out;
  }

  private comparison(node: Node, f: Frame): Expr {
    const operands = node.namedChildren.filter((n): n is Node => !!n);
    const op = node.child(1)?.text;
    if (operands.length !== 2 || !op) return OPAQUE;
    const l = this.expr(operands[0], f);
    const r = this.expr(operands[1], f);
    return this.compare(op, l, r);
  }

  private compare(op: string, l: Expr, r: Expr): Expr {
    // `U < k` keeps with probability k; `U > p` with 1 - p.
    if (l.k === 'uniform' && !hasRandom(r)) return maskOf(l, op === '<' || op === '<=' ? r : oneMinus(r), this.site(l.node));
    if (r.k === 'uniform' && !hasRandom(l)) return maskOf(r, op === '>' || op === '>=' ? l : oneMinus(l), this.site(r.node));
    if (l.k === 'mask' && (op === '==' || op === '!=') && r.k === 'num') return (op === '==') === (r.v === 0) ? negateMask(l) : l;
    if (l.k === 'num' && r.k === 'num') return { k: 'bool', v: op === '<' ? l.v < r.v : op === '>' ? l.v > r.v : op === '==' ? l.v === r.v : op === '<=' ? l.v <= r.v : op === '>=' ? l.v >= r.v : l.v !== r.v };
    return OPAQUE;
  }

  /** Masks made inside a helper are placed at the helper's call in the function being analysed. */
  private site(node: Node): Node {
    if (this.callSite) this.helperSites.add(this.callSite);
    return this.callSite ?? node;
  }

  readonly helperSites = new Set<Node>();
  /** `self.<attr>` values from `__init__`, evaluated once per evaluation. */
  private readonly selfValues = new Map<string, Expr>();

  private call(node: Node, f: Frame): Expr {
    const fn = node.childForFieldName('function');
    if (!fn) return OPAQUE;
    const args = callArguments(node);
    const positional = args.filter((a) => a.type !== 'keyword_argument');
    const keyword = (name: string) => args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name)?.childForFieldName('value') ?? null;
    const arg = (i: number, name?: string) => (name ? keyword(name) : null) ?? positional[i] ?? null;
    const q = this.model.imports.resolve(fn);
    if (q) return this.library(q, node, arg, positional, f);
    if (fn.type === 'identifier') {
      if (fn.text === 'float' || fn.text === 'int' || fn.text === 'bool') return positional[0] ? this.expr(positional[0], f) : OPAQUE;
      if (fn.text === 'tuple' || fn.text === 'list') return positional[0] ? this.expr(positional[0], f) : OPAQUE;
      if (fn.text === 'len' && positional[0]) return { k: 'sym', name: node.text };
      const def = this.model.functions.get(fn.text)?.node;
      if (def) return this.helper(def, node, args, null, f);
      return OPAQUE;
    }
    if (fn.type !== 'attribute') return OPAQUE;
    const object = fn.childForFieldName('object')!;
    const method = fn.childForFieldName('attribute')?.text ?? '';
    if (f.selfName && object.type === 'identifier' && object.text === f.selfName && f.cls) {
      const def = methodOf(f.cls, method);
      return def ? this.helper(def, node, args, f.cls, f) : OPAQUE;
    }
    const obj = this.expr(object, f);
    return this.method(obj, method, node, arg, positional, f, object);
  }

  /** Calls a function of this file: its return value with the arguments bound, within a depth limit. */
  private helper(def: Node, call: Node, args: Node[], cls: Node | null, f: Frame): Expr {
    if (this.depth > 60 || !RANDOM_TEXT.test(def.text) && !/\/|div|mul|\*/.test(def.text)) return OPAQUE;
    const params = parameters(def).filter((p, i) => !(cls && i === 0));
    const bound = new Map<string, Expr>();
    let position = 0;
    for (const a of args) {
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')?.text;
        const value = a.childForFieldName('value');
        if (name && value) bound.set(name, this.expr(value, f));
      } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') return OPAQUE;
      else if (params[position]) bound.set(params[position++].name, this.expr(a, f));
    }
    const outer = this.callSite;
    this.callSite ??= call;
    this.depth += 20;
    try {
      // Defaults are evaluated in the callee, so a `training: bool = False` default reads as False here.
      for (const p of params) if (!bound.has(p.name) && p.defaultNode) bound.set(p.name, p.boolDefault !== undefined ? { k: 'bool', v: p.boolDefault } : this.expr(p.defaultNode, f));
      const result = this.run(def, bound, cls);
      return result ? foreign(result) : OPAQUE;
    } finally {
      this.depth -= 20;
      this.callSite = outer;
    }
  }

  private library(q: string, node: Node, arg: (i: number, name?: string) => Node | null, positional: Node[], f: Frame): Expr {
    const name = q.replace(/^torch\.(cuda\.)?/, 'torch.');
    switch (name) {
      case 'torch.rand':
      case 'numpy.random.rand':
        return { k: 'uniform', shape: this.shapeOfArgs(positional, f, keywordSize(node)), node: this.site(node) };
      case 'numpy.random.random':
      case 'numpy.random.random_sample':
      case 'numpy.random.uniform': {
        const size = keywordSize(node) ?? (name === 'numpy.random.uniform' ? positional[2] : positional[0]) ?? null;
        return { k: 'uniform', shape: size ? this.shapeOf(size, f) : { granularity: 'batch', node: null }, node: this.site(node) };
      }
      case 'random.random':
      case 'random.uniform':
        return { k: 'uniform', shape: { granularity: 'batch', node: null }, node: this.site(node) };
      case 'numpy.random.binomial': {
        const size = keywordSize(node) ?? positional[2] ?? null;
        const p = arg(1, 'p');
        if (!p) return OPAQUE;
        return { k: 'mask', m: { node: this.site(node), q: this.expr(p, f), shape: size ? this.shapeOf(size, f) : { granularity: 'batch', node: null } } };
      }
      case 'torch.rand_like':
      case 'torch.empty_like':
      case 'torch.zeros_like':
      case 'torch.ones_like':
      case 'torch.full_like': {
        const shape: Shape = { granularity: 'element', node: null };
        if (name === 'torch.rand_like') return { k: 'uniform', shape, node: this.site(node) };
        const fill = name === 'torch.zeros_like' ? num(0) : name === 'torch.ones_like' ? num(1) : name === 'torch.full_like' ? (arg(1, 'fill_value') ? this.expr(arg(1, 'fill_value')!, f) : undefined) : undefined;
        return { k: 'blank', shape, fill };
      }
      case 'torch.empty':
      case 'torch.zeros':
      case 'torch.ones':
        return { k: 'blank', shape: this.shapeOfArgs(positional, f, keywordSize(node)), fill: name === 'torch.ones' ? num(1) : undefined };
      case 'torch.full': {
        const fill = arg(1, 'fill_value');
        return { k: 'blank', shape: positional[0] ? this.shapeOf(positional[0], f) : { granularity: 'unknown', node: null }, fill: fill ? this.expr(fill, f) : undefined };
      }
      case 'torch.FloatTensor':
      case 'torch.HalfTensor':
      case 'torch.DoubleTensor':
      case 'torch.Tensor':
      case 'torch.tensor': {
        // `torch.FloatTensor((B, 1, 1, 1))` holds the values B, 1, 1, 1: one row of four numbers, not a mask of that shape.
        if (positional.length === 1 && (positional[0].type === 'tuple' || positional[0].type === 'list')) {
          return { k: 'blank', shape: { granularity: 'element', node: positional[0], bug: node.text } };
        }
        if (name === 'torch.tensor') return positional[0] ? this.expr(positional[0], f) : OPAQUE;
        return { k: 'blank', shape: this.shapeOfArgs(positional, f, null) };
      }
      case 'torch.as_tensor':
      case 'torch.from_numpy':
        return positional[0] ? this.expr(positional[0], f) : OPAQUE;
      case 'torch.bernoulli': {
        const p = arg(0, 'input');
        return p ? this.bernoulliOf(this.expr(p, f), null, node) : OPAQUE;
      }
      case 'torch.floor':
        return positional[0] ? this.floorOf(this.expr(positional[0], f)) : OPAQUE;
      case 'torch.mul':
      case 'torch.div':
      case 'torch.true_divide':
        if (positional.length !== 2) return OPAQUE;
        return this.arith(name === 'torch.mul' ? '*' : '/', this.expr(positional[0], f), this.expr(positional[1], f), node, f);
      case 'torch.where':
        return positional.length === 3 ? this.where(positional, node, f) : OPAQUE;
      case 'torch.nn.functional.linear':
      case 'torch.nn.functional.conv1d':
      case 'torch.nn.functional.conv2d':
      case 'torch.nn.functional.conv3d':
      case 'torch.nn.functional.embedding':
      case 'torch.matmul': {
        // Linear in the weight: a masked weight's expectation carries over to the output.
        const w = arg(1, 'weight');
        return w ? this.expr(w, f) : OPAQUE;
      }
      case 'torch.logical_not':
      case 'torch.bitwise_not': {
        const m = positional[0] ? this.expr(positional[0], f) : OPAQUE;
        return m.k === 'mask' ? negateMask(m) : OPAQUE;
      }
      case 'torch.lt':
      case 'torch.gt':
      case 'torch.le':
      case 'torch.ge':
        return positional.length === 2 ? this.compare({ 'torch.lt': '<', 'torch.gt': '>', 'torch.le': '<=', 'torch.ge': '>=' }[name]!, this.expr(positional[0], f), this.expr(positional[1], f)) : OPAQUE;
      default:
        return OPAQUE;
    }
  }

  private method(obj: Expr, method: string, node: Node, arg: (i: number, name?: string) => Node | null, positional: Node[], f: Frame, objectNode: Node): Expr {
    if (PASS_THROUGH.has(method)) return obj;
    switch (method) {
      case 'bernoulli_':
      case 'bernoulli': {
        const p = arg(0, 'p');
        return this.bernoulliOf(obj, p ? this.expr(p, f) : null, node);
      }
      case 'uniform_':
        return obj.k === 'blank' ? { k: 'uniform', shape: obj.shape, node: this.site(node) } : OPAQUE;
      case 'fill_':
        return obj.k === 'blank' && positional[0] ? { ...obj, fill: this.expr(positional[0], f) } : OPAQUE;
      case 'floor_':
      case 'floor':
        return this.floorOf(obj);
      case 'new_empty':
      case 'new_zeros':
      case 'new_ones':
      case 'new':
        return { k: 'blank', shape: this.shapeOfArgs(positional, f, keywordSize(node)), fill: method === 'new_ones' ? num(1) : undefined };
      case 'new_full': {
        const fill = arg(1, 'fill_value');
        return { k: 'blank', shape: positional[0] ? this.shapeOf(positional[0], f) : { granularity: 'unknown', node: null }, fill: fill ? this.expr(fill, f) : undefined };
      }
      case 'size':
        if (positional.length === 0 && f.tensors.has(objectNode.text)) return { k: 'shape', shape: { granularity: 'element', node }, dims: ['full'] };
        return { k: 'sym', name: node.text };
      case 'mul':
      case 'mul_':
      case 'div':
      case 'div_':
      case 'true_divide':
      case 'multiply':
      case 'divide':
        return positional[0] ? this.arith(method.startsWith('mul') ? '*' : '/', obj, this.expr(positional[0], f), node, f) : OPAQUE;
      case 'lt':
      case 'gt':
      case 'le':
      case 'ge':
        return positional[0] ? this.compare({ lt: '<', gt: '>', le: '<=', ge: '>=' }[method]!, obj, this.expr(positional[0], f)) : OPAQUE;
      case 'masked_fill':
      case 'masked_fill_': {
        const m = arg(0, 'mask');
        const v = arg(1, 'value');
        if (!m || !v || numericLiteral(v) !== 0) return OPAQUE;
        const mask = this.expr(m, f);
        return mask.k === 'mask' ? { ...bin('*', obj, negateMask(mask)), app: node } : OPAQUE;
      }
      case 'logical_not':
        return obj.k === 'mask' ? negateMask(obj) : OPAQUE;
      default:
        return OPAQUE;
    }
  }

  private where(args: Node[], node: Node, f: Frame): Expr {
    const m = this.expr(args[0], f);
    if (m.k !== 'mask') return OPAQUE;
    const a = this.expr(args[1], f);
    const b = this.expr(args[2], f);
    if (isZero(b)) return { ...bin('*', a, m), app: node };
    if (isZero(a)) return { ...bin('*', b, negateMask(m)), app: node };
    return OPAQUE;
  }

  /** `t.bernoulli_(p)` on a tensor of a shape; `torch.bernoulli(probs)` on a tensor filled with (a multiple of) the probability. */
  private bernoulliOf(obj: Expr, p: Expr | null, node: Node): Expr {
    const site = this.site(node);
    if (p) {
      const shape = obj.k === 'blank' || obj.k === 'uniform' ? obj.shape : obj.k === 'sym' ? { granularity: 'element' as const, node: null } : null;
      return shape ? { k: 'mask', m: { node: site, q: p, shape } } : OPAQUE;
    }
    const filled = findBlank(obj);
    if (!filled) return OPAQUE;
    // `bernoulli_()` without a probability draws with 0.5.
    if (obj === filled && !filled.fill) return { k: 'mask', m: { node: site, q: num(0.5), shape: filled.shape } };
    if (!filled.fill) return OPAQUE;
    // `torch.ones_like(x) * keep`: the fill times the scalars around it.
    const q = obj === filled ? filled.fill : bin('*', filled.fill, scaleWithoutBlank(obj));
    return hasRandom(q) ? OPAQUE : { k: 'mask', m: { node: site, q, shape: filled.shape } };
  }

  /** `floor(keep + U)` is 1 with probability keep. */
  private floorOf(e: Expr): Expr {
    if (e.k !== 'bin' || e.op !== '+') return OPAQUE;
    const [u, k] = e.l.k === 'uniform' ? [e.l, e.r] : e.r.k === 'uniform' ? [e.r, e.l] : [null, null];
    if (!u || !k || u.k !== 'uniform' || hasRandom(k)) return OPAQUE;
    return { k: 'mask', m: { node: u.node, q: k, shape: u.shape } };
  }


  private shapeOfArgs(positional: Node[], f: Frame, size: Node | null): Shape {
    if (size) return this.shapeOf(size, f);
    if (positional.length === 0) return { granularity: 'batch', node: null };
    if (positional.length === 1 && positional[0].type !== 'list_splat') return this.shapeOf(positional[0], f);
    const dims = positional.flatMap((a) => this.dimsOfElement(a, f));
    return { granularity: granularityOf(dims), node: null };
  }

  private shapeOf(node: Node, f: Frame): Shape {
    const v = this.expr(node, f);
    if (v.k === 'shape') return { ...v.shape, node: v.shape.node && v.shape.node.startIndex >= f.fn.startIndex && v.shape.node.endIndex <= f.fn.endIndex ? v.shape.node : node };
    if (v.k === 'cond' && v.then.k === 'shape' && v.else.k === 'shape') {
      const then = v.then.shape.granularity;
      const other = v.else.shape.granularity;
      return then === other ? { granularity: then, node } : { granularity: 'conditional', node: null, byCondition: { condition: v.condition, then, else: other } };
    }
    // A single number: a 1-D mask of that length.
    if (v.k === 'num') return { granularity: v.v === 1 ? 'batch' : 'element', node };
    return { granularity: 'unknown', node };
  }

  private dims(list: Node, f: Frame): Dim[] | null {
    return list.namedChildren.filter((n): n is Node => !!n).flatMap((n) => this.dimsOfElement(n, f));
  }

  private dimsOfElement(n: Node, f: Frame): Dim[] {
    if (n.type === 'list_splat') {
      const inner = n.namedChild(0);
      const v = inner ? this.expr(inner, f) : OPAQUE;
      return v.k === 'shape' && v.dims ? v.dims : ['full'];
    }
    if (numericLiteral(n) === 1) return ['one'];
    const v = this.expr(n, f);
    if (v.k === 'num' && v.v === 1) return ['one'];
    return ['dim'];
  }
}

function mentionsWeight(e: Expr): boolean {
  if (e.k === 'sym') return /weight/i.test(e.name);
  if (e.k === 'bin') return mentionsWeight(e.l) || mentionsWeight(e.r);
  return false;
}

/** `0`, `0.0`, `torch.zeros_like(x)`. */
function isZero(e: Expr): boolean {
  return (e.k === 'num' && e.v === 0) || (e.k === 'blank' && e.fill?.k === 'num' && e.fill.v === 0);
}

function repeatShape(s: Expr & { k: 'shape' }, node: Node): { shape: Shape; dims: Dim[] | null } {
  const dims: Dim[] | null = s.dims && s.dims.every((d) => d === 'one' || d === 'ones') ? ['ones'] : null;
  return { shape: { granularity: granularityOf(dims), node }, dims };
}

function maskOf(u: Expr & { k: 'uniform' }, q: Expr, node: Node): Expr {
  return { k: 'mask', m: { node, q, shape: u.shape } };
}

function findBlank(e: Expr): (Expr & { k: 'blank' }) | undefined {
  if (e.k === 'blank') return e;
  if (e.k === 'bin' && e.op === '*') return findBlank(e.l) ?? findBlank(e.r);
  return undefined;
}

function scaleWithoutBlank(e: Expr): Expr {
  if (e.k === 'blank') return num(1);
  if (e.k === 'bin' && e.op === '*') return bin('*', scaleWithoutBlank(e.l), scaleWithoutBlank(e.r));
  return e;
}

function keywordSize(call: Node): Node | null {
  for (const a of callArguments(call)) {
    if (a.type === 'keyword_argument' && ['size', 'shape'].includes(a.childForFieldName('name')?.text ?? '')) return a.childForFieldName('value');
  }
  return null;
}

function key(node: Node): string | null {
  return node.type === 'identifier' || node.type === 'attribute' ? node.text : null;
}

function isTrainingName(name: string): boolean {
  return name === 'training' || name === 'train' || name === 'is_training';
}

function splitAnd(cond: Node): Node[] {
  if (cond.type === 'parenthesized_expression' && cond.namedChild(0)) return splitAnd(cond.namedChild(0)!);
  if (cond.type === 'boolean_operator' && cond.childForFieldName('operator')?.text === 'and') return [...splitAnd(cond.childForFieldName('left')!), ...splitAnd(cond.childForFieldName('right')!)];
  return [cond];
}

/** `keep_prob > 0`, `p < 1`, `drop_prob != 1`: guards against dividing by zero, true for any useful rate. */
function isPositivityGuard(cond: Node): boolean {
  if (cond.type !== 'comparison_operator' || cond.namedChildCount !== 2) return false;
  const op = cond.child(1)?.text;
  const r = numericLiteral(cond.namedChild(1));
  if (r === 0 && (op === '>' || op === '!=')) return true;
  if (r === 1 && (op === '<' || op === '!=')) return true;
  return false;
}

interface Param {
  name: string;
  defaultNode: Node | null;
  default?: number;
  boolDefault?: boolean;
}

function parameters(fn: Node): Param[] {
  return parameterList(fn).map(({ name, default: value }) => ({
    name,
    defaultNode: value,
    default: value?.type === 'true' || value?.type === 'false' ? undefined : numericLiteral(value),
    boolDefault: value?.type === 'true' ? true : value?.type === 'false' ? false : undefined,
  }));
}

function enclosingClass(fn: Node): Node | null {
  const p = fn.parent?.type === 'decorated_definition' ? fn.parent.parent : fn.parent;
  return p?.type === 'block' && p.parent?.type === 'class_definition' ? p.parent : null;
}

function methodOf(cls: Node, name: string): Node | null {
  for (const stmt of cls.childForFieldName('body')?.namedChildren ?? []) {
    const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === name) return def;
  }
  return null;
}

function initOf(cls: Node): Node | null {
  return methodOf(cls, '__init__');
}

/** The value of the one `self.<attr> = value` in `__init__`, when there is exactly one. */
function selfAssignment(init: Node, attr: string): Node | null {
  const selfName = firstParameter(init);
  let found: Node | null = null;
  let count = 0;
  walk(init, (n) => {
    if (n.type !== 'assignment') return true;
    const left = n.childForFieldName('left');
    if (left?.type === 'attribute' && left.childForFieldName('object')?.text === selfName && left.childForFieldName('attribute')?.text === attr) {
      count++;
      found = n.childForFieldName('right');
    }
    return true;
  });
  return count === 1 ? found : null;
}

/** Does any call of `callee` in the file pass something other than a literal False (or 0 / None) for `param`? */
function callersEnable(model: FileModel, callee: string, param: string, params: Param[], isMethod: boolean): boolean {
  const position = params.findIndex((p) => p.name === param) - (isMethod ? 1 : 0);
  for (const call of callsOf(model, callee)) {
    const args = callArguments(call);
    let value: Node | null = null;
    let i = 0;
    for (const a of args) {
      if (a.type === 'keyword_argument') {
        if (a.childForFieldName('name')?.text === param) value = a.childForFieldName('value');
      } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') return true;
      else if (i++ === position) value = a;
    }
    if (value && !(value.type === 'false' || value.type === 'none' || numericLiteral(value) === 0)) return true;
  }
  return false;
}

const callCache = new WeakMap<FileModel, Map<string, Node[]>>();

/**
 * Calls of a name of this file (`drop_path(...)`, `DropPath(...)`, `layers.drop_path(...)`), found by searching the
 * text for the name: far cheaper than visiting every call of a large file.
 */
function callsOf(model: FileModel, name: string): Node[] {
  let byName = callCache.get(model);
  if (!byName) callCache.set(model, (byName = new Map()));
  const cached = byName.get(name);
  if (cached) return cached;
  const out: Node[] = [];
  const text = model.file.text;
  const root = model.file.tree.rootNode;
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + name.length)) {
    const node = root.descendantForIndex(i, i + name.length);
    if (node?.type !== 'identifier' || node.text !== name) continue;
    const callee = node.parent?.type === 'attribute' && node.parent.childForFieldName('attribute')?.id === node.id ? node.parent : node;
    const call = callee.parent;
    if (call?.type === 'call' && call.childForFieldName('function')?.id === callee.id) out.push(call);
  }
  byName.set(name, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The records.

function docstring(def: Node): string {
  const first = def.childForFieldName('body')?.namedChild(0);
  return first?.type === 'expression_statement' && first.namedChild(0)?.type === 'string' ? first.namedChild(0)!.text : '';
}

function defaultsOf(fn: Node, cls: Node | null): Map<string, number> {
  const out = new Map<string, number>();
  const init = cls ? initOf(cls) : null;
  for (const p of [...(init ? parameters(init) : []), ...parameters(fn)]) if (p.default !== undefined) out.set(p.name, p.default);
  return out;
}

/**
 * The semantics of a hand-written regularizer: a function or method (its own body, and the helpers of this file it
 * calls), or a class (its `forward`). Undefined when the code builds no random mask that it applies to a tensor.
 */
export function deriveRegularizerSemantics(model: FileModel, node: Node): RegularizerSemantics | undefined {
  let fn = node;
  let cls: Node | null;
  if (node.type === 'class_definition') {
    const forward = methodOf(node, 'forward');
    if (!forward) return undefined;
    fn = forward;
    cls = node;
  } else if (node.type === 'function_definition') {
    cls = enclosingClass(node);
  } else return undefined;
  const ownName = node.childForFieldName('name')?.text ?? '';
  const name = node.type === 'function_definition' && cls ? `${cls.childForFieldName('name')?.text ?? ''}.${ownName}` : ownName;

  const trainEval = new Evaluator(model, true);
  const train = trainEval.run(fn, undefined, cls);
  if (!train || !hasRandom(train)) return undefined;
  const tensors = trainEval.tensorsOf(fn, cls);
  const sw = findSwitch(train);
  const effectiveOn = !sw || sw.default !== false || sw.enabledByCaller;
  const resolved = resolve(train, effectiveOn);
  const parts = factor(resolved, tensors);
  if (!parts.ok || parts.masks.length !== 1 || parts.tensors.length !== 1) return undefined;
  const mask = parts.masks[0];
  const defaults = defaultsOf(fn, cls);
  const scale = parts.scale;

  const evalOut = new Evaluator(model, false).run(fn, undefined, cls);
  let usesTraining = false;
  walk(fn, (n) => {
    if (n.type === 'identifier' && isTrainingName(n.text)) usesTraining = true;
    return !usesTraining;
  }, new Set(['identifier']));
  let evaluation: RegularizerSemantics['evaluation'];
  let evalFactor: Expr | undefined;
  if (!usesTraining) {
    evaluation = { behaviour: cls ? 'stochastic' : 'caller' };
    if (!cls) evalFactor = num(1);
  } else if (!evalOut) evaluation = { behaviour: 'unknown' };
  else {
    const e = factor(resolve(evalOut, effectiveOn), tensors);
    if (!e.ok || e.tensors.length !== 1) evaluation = { behaviour: 'unknown' };
    else if (e.masks.length > 0) evaluation = { behaviour: 'stochastic' };
    else {
      evalFactor = e.scale;
      const c = constantValue(e.scale);
      evaluation = c === 1 ? { behaviour: 'identity', factor: scalarValue(e.scale, defaults) } : { behaviour: 'scaled', factor: scalarValue(e.scale, defaults) };
    }
  }

  const trainFactor = bin('*', mask.q, scale);
  const ratio = evalFactor ? constantValue(bin('/', trainFactor, evalFactor)) : undefined;
  const expectationMismatch = evalFactor !== undefined && ratio !== 1 && (ratio !== undefined || constantValue(trainFactor) !== constantValue(evalFactor));

  const doc = docstring(node) + docstring(fn) + (cls ? docstring(cls) : '');
  const targetName = parts.tensors[0];
  const isWeight = /weight/i.test(targetName) || targetName.startsWith('self.');
  const perSample = mask.shape.granularity === 'sample' || (mask.shape.granularity === 'conditional' && (mask.shape.byCondition?.then === 'sample' || mask.shape.byCondition?.else === 'sample'));
  const clsName = cls?.childForFieldName('name')?.text ?? '';
  // Names, not docstrings, tell intent: a dropout's docstring may well say it is not drop path.
  const dropPathNamed = DROP_PATH_NAME.test(ownName) || DROP_PATH_NAME.test(clsName);
  const kind: RegularizerSemantics['kind'] = !isWeight && (dropPathNamed || perSample) ? 'drop-path' : 'dropout';
  if (evaluation.behaviour === 'caller' && !dropPathNamed && !DROPOUT_NAME.test(ownName)) return undefined;
  let deliberateBatch = DELIBERATE_DOC.test(doc);
  walk(fn, (n) => {
    if (n.type === 'comparison_operator' && n.namedChildren.some((c) => c?.type === 'string' && /^['"](batch|row)['"]$/.test(c.text))) deliberateBatch = true;
  }, new Set(['comparison_operator']));

  const application = parts.app && parts.app.startIndex >= fn.startIndex && parts.app.endIndex <= fn.endIndex ? parts.app : null;
  const local = !trainEval.helperSites.has(mask.node);
  const keepSource = !local ? undefined : mask.q.src ?? (mask.q.k === 'bin' && mask.q.op === '-' && mask.q.l.k === 'num' && mask.q.l.v === 1 && mask.q.r.src ? `1 - ${atomSrc(mask.q.r.src)}` : undefined);
  return {
    name,
    node,
    kind,
    target: { name: targetName, isWeight },
    mask: { node: mask.node, granularity: mask.shape.granularity, shapeNode: mask.shape.node, byCondition: mask.shape.byCondition, shapeBug: mask.shape.bug },
    keepProbability: scalarValue(mask.q, defaults),
    trainScale: { ...scalarValue(scale, defaults), switch: sw },
    evaluation,
    expectation: { train: scalarValue(trainFactor, defaults), eval: evalFactor ? scalarValue(evalFactor, defaults) : undefined },
    expectationMismatch,
    deliberateBatch,
    application,
    scaleSite: parts.scaleSites.length === 1 && parts.scaleSites[0].node.startIndex >= fn.startIndex && parts.scaleSites[0].node.endIndex <= fn.endIndex ? parts.scaleSites[0] : null,
    defaults: Object.fromEntries(defaults),
    keepSource,
    inputSource: targetName,
  };
}

function atomSrc(text: string): string {
  return /^[\w.]+$|^\(.*\)$/.test(text) ? text : `(${text})`;
}

const recordCache = new WeakMap<FileModel, Map<number, RegularizerSemantics | null>>();

/** `deriveRegularizerSemantics` for a function or class, computed once per file model (the rules RG003–RG005 share it). */
export function regularizerOf(model: FileModel, node: Node): RegularizerSemantics | undefined {
  let byNode = recordCache.get(model);
  if (!byNode) {
    recordCache.set(model, (byNode = new Map()));
    // A file that draws no random numbers at all has no hand-written regularizer: one search, then nothing.
    if (!RANDOM_TEXT.test(model.file.text)) byNode.set(-1, null);
  }
  if (byNode.has(-1)) return undefined;
  let s = byNode.get(node.id);
  if (s === undefined) {
    s = mayBeRegularizer(model, node) ? deriveRegularizerSemantics(model, node) ?? null : null;
    byNode.set(node.id, s);
  }
  return s ?? undefined;
}

/** Every hand-written regularizer of the file: module-level functions, methods, and module classes (their `forward`). */
export function handWrittenRegularizers(model: FileModel): RegularizerSemantics[] {
  const out: RegularizerSemantics[] = [];
  const visit = (block: Node | null) => {
    for (const stmt of block?.namedChildren ?? []) {
      const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type === 'function_definition') {
        const s = regularizerOf(model, def);
        if (s) out.push(s);
      } else if (def?.type === 'class_definition') {
        const s = regularizerOf(model, def);
        if (s) out.push(s);
        visit(def.childForFieldName('body'));
      }
    }
  };
  visit(model.file.tree.rootNode);
  return out;
}

/**
 * A cheap test before the symbolic evaluation: the code draws random numbers, or calls a function of this file
 * that does (helpers split across functions, a module whose `forward` calls the file's `drop_path`).
 */
export function mayBeRegularizer(model: FileModel, def: Node): boolean {
  const text = def.text;
  if (RANDOM_TEXT.test(text)) return true;
  const helpers = randomHelpers(model);
  if (helpers !== null && helpers.test(text)) return true;
  // A method that calls a sibling method drawing random numbers (`x * self._mask(x)`).
  const cls = def.type === 'function_definition' ? enclosingClass(def) : null;
  return !!cls && randomMethods(model, cls).some((name) => text.includes(`.${name}(`));
}

const methodCache = new WeakMap<FileModel, Map<number, string[]>>();

/** Names of the class's methods that draw random numbers, once per class: test classes have hundreds of methods. */
function randomMethods(model: FileModel, cls: Node): string[] {
  let byClass = methodCache.get(model);
  if (!byClass) methodCache.set(model, (byClass = new Map()));
  let names = byClass.get(cls.id);
  if (!names) {
    names = [];
    for (const stmt of cls.childForFieldName('body')?.namedChildren ?? []) {
      const method = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      const name = method?.type === 'function_definition' ? method.childForFieldName('name')?.text : undefined;
      if (name && RANDOM_TEXT.test(method!.text)) names.push(name);
    }
    byClass.set(cls.id, names);
  }
  return names;
}

const helperCache = new WeakMap<FileModel, RegExp | null>();

/** One pattern for the calls of every function of the file that draws random numbers. */
function randomHelpers(model: FileModel): RegExp | null {
  let pattern = helperCache.get(model);
  if (pattern === undefined) {
    const names = [...model.functions.values()].filter((f) => RANDOM_TEXT.test(f.node.text)).map((f) => f.name);
    pattern = names.length ? new RegExp(`\\b(?:${names.join('|')})\\s*\\(`) : null;
    helperCache.set(model, pattern);
  }
  return pattern;
}

/** Does a function's text (or a class's, for its `__init__`) declare a parameter with a True/False default? */
const hasSwitch = new TextMemo<boolean>();

/**
 * What outside a function can change its hand-written-regularizer findings: the helpers of the file that draw
 * random numbers, and every call that sets a rescale switch. The analyzer adds this to its context signature.
 */
export function regularizerContext(model: FileModel): string {
  const parts: string[] = [];
  const switchOwners: string[] = [];
  // A value read from a tree with a syntax error may depend on more than the text (error recovery looks around).
  const cacheable = !model.file.tree.rootNode.hasError;
  const declaresSwitch = (def: Node | null) => !!def && parameters(def).some((p) => p.boolDefault !== undefined);
  for (const fn of model.functions.values()) {
    const text = fn.node.text;
    if (!RANDOM_TEXT.test(text)) continue;
    parts.push(text);
    if (hasSwitch.get(text, () => declaresSwitch(fn.node), cacheable)) switchOwners.push(fn.name);
  }
  for (const cls of model.classes.values()) {
    // The text test first: it is a string search, while reading `__init__`'s parameters materialises nodes.
    if (!RANDOM_TEXT.test(cls.text)) continue;
    if (hasSwitch.get(cls.text, () => declaresSwitch(initOf(cls.node)), cacheable)) switchOwners.push(cls.name);
  }
  for (const name of switchOwners) for (const c of callsOf(model, name)) parts.push(c.text);
  return parts.join('\u0002');
}

// ---------------------------------------------------------------------------------------------------------------
// Plain words, for the hover.

const GRANULARITY_WORDS: Record<Granularity, string> = {
  element: 'one random decision per element',
  channel: 'one random decision per sample and channel',
  sample: 'one random decision per sample',
  batch: 'one random decision for the whole batch',
  conditional: 'a granularity that depends on a branch',
  unknown: 'a mask of a shape Reglens cannot read',
};

function valueText(v: ScalarValue): string {
  return v.value === undefined || String(v.value) === v.expression ? `\`${v.expression}\`` : `\`${v.expression}\` (${Number(v.value.toPrecision(4))})`;
}

/** The record in plain words, as Markdown. */
export function describeRegularizer(s: RegularizerSemantics): string {
  const what = s.kind === 'drop-path' ? 'drop path (stochastic depth)' : s.target.isWeight ? `dropout of the weight \`${s.target.name}\` (DropConnect)` : 'dropout';
  const lines = [`**\`${s.name}\`: hand-written ${what}**`, ''];
  let mask = GRANULARITY_WORDS[s.mask.granularity];
  if (s.mask.byCondition) mask += ` (\`${s.mask.byCondition.condition}\`: ${s.mask.byCondition.then}, otherwise ${s.mask.byCondition.else})`;
  if (s.mask.shapeBug) mask += `; \`${s.mask.shapeBug}\` holds those values rather than having that shape`;
  lines.push(`- Mask: ${mask}; a value is kept with probability ${valueText(s.keepProbability)}.`);
  const sw = s.trainScale.switch;
  const swText = sw ? ` (switch \`${sw.name}\`, default ${sw.default === undefined ? 'unknown' : sw.default ? 'True' : 'False'}${sw.enabledByCaller ? ', turned on by a caller' : ''})` : '';
  lines.push(`- Training: kept values are ${s.trainScale.expression === '1' ? 'not rescaled' : `multiplied by ${valueText(s.trainScale)}`}${swText}.`);
  const ev = s.evaluation;
  const evText = {
    identity: 'returns the input unchanged',
    scaled: `multiplies the input by ${ev.factor ? valueText(ev.factor) : 'a factor'}`,
    stochastic: 'still drops values at random (no training check)',
    caller: 'not decided here: the caller must skip this function outside training',
    unknown: 'not determined',
  }[ev.behaviour];
  lines.push(`- Evaluation: ${evText}.`);
  const { train, eval: evalE } = s.expectation;
  lines.push(`- E[y]/E[x]: ${valueText(train)} in training${evalE ? `, ${valueText(evalE)} in evaluation` : ''}${s.expectationMismatch ? ' — they differ' : ''}.`);
  const d = Object.entries(s.defaults);
  if (d.length) lines.push('', `Numbers use the defaults ${d.map(([k, v]) => `\`${k}=${v}\``).join(', ')}.`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Fix helpers shared by RG003–RG005.

/** The per-sample mask shape for a tensor spelled `x`. */
export function perSampleShape(x: string): string {
  return `(${x}.shape[0],) + (1,) * (${x}.ndim - 1)`;
}

/** Parenthesised unless it is a name, a call or already in parentheses. */
export function atom(text: string): string {
  return /^[\w.]+$|^[\w.]+\(.*\)$|^\(.*\)$/.test(text) ? text : `(${text})`;
}

function statementOf(node: Node): Node | null {
  for (let p: Node | null = node; p; p = p.parent) if (p.parent?.type === 'block' || p.parent?.type === 'module') return p;
  return null;
}

function indentOf(file: SourceFile, node: Node): string {
  return /^\s*/.exec(file.lineText(node.startPosition.row))![0];
}

/**
 * Edits that divide what the mask keeps by `keep` at the application node: `x * m` → `x * m / keep`, an in-place
 * `x.mul_(m)` gets `.div_(keep)`, `x *= m` → `x *= m / keep`, and `x[m] = 0` is followed by `x = x / keep`.
 * With `guard`, the division happens only when `keep > 0.0` (drop path may drop every sample).
 */
export function rescaleEdits(file: SourceFile, s: RegularizerSemantics, keep: string, guard: boolean): TextEdit[] | null {
  const app = s.application;
  if (!app) return null;
  const k = atom(keep);
  const stmt = statementOf(app);
  if (!stmt) return null;
  const at = (offset: number, text: string): TextEdit => {
    const p = file.positionAt(offset);
    return { range: { start: p, end: p }, newText: text };
  };
  const indent = indentOf(file, stmt);
  if (app.type === 'augmented_assignment') {
    const right = app.childForFieldName('right');
    if (!right || guard) return null;
    return [{ range: nodeRange(right), newText: `${atom(right.text)} / ${k}` }];
  }
  if (app.type === 'assignment') {
    const target = app.childForFieldName('left')?.childForFieldName('value');
    if (!target) return null;
    const body = guard ? `if ${k} > 0.0:\n${indent}    ${target.text} = ${target.text} / ${k}` : `${target.text} = ${target.text} / ${k}`;
    // After the line's end, so a trailing comment stays with the statement it annotates.
    const row = stmt.endPosition.row;
    const end = { line: row, character: file.lineText(row).length };
    return [{ range: { start: end, end }, newText: `\n${indent}${body}` }];
  }
  if (app.type === 'call' && app.parent?.type === 'expression_statement') {
    return guard ? null : [at(app.endIndex, `.div_(${k})`)];
  }
  // A mask variable multiplied in: rescale the mask just before, as timm does.
  const maskName = app.type === 'binary_operator' ? [app.childForFieldName('left'), app.childForFieldName('right')].map((n) => n && baseName(n)).find((n) => n && n.text !== s.inputSource) : null;
  if (guard && maskName && !app.text.includes('/')) {
    return [at(stmt.startIndex, `if ${k} > 0.0:\n${indent}    ${maskName.text} = ${maskName.text} / ${k}\n${indent}`)];
  }
  const scaled = `${app.text} / ${k}`;
  const text = guard ? `${scaled} if ${k} > 0.0 else ${app.text}` : scaled;
  const tight = ['binary_operator', 'unary_operator', 'attribute', 'subscript', 'conditional_expression', 'comparison_operator'].includes(app.parent?.type ?? '');
  return [{ range: nodeRange(app), newText: tight || guard ? `(${text})` : text }];
}

/** `k·E[x]` for messages: `E[x]` when k is 1, parentheses around sums. */
export function timesInput(v: ScalarValue | undefined): string {
  if (!v) return '?';
  if (v.expression === '1') return 'E[x]';
  return `${/^[\w.]+$/.test(v.expression) ? v.expression : `(${v.expression})`}·E[x]`;
}

/** `mask`, or the `mask` of `mask.float()` / `mask.to(x.dtype)`: the variable a cast reads. */
function baseName(n: Node): Node | null {
  if (n.type === 'identifier') return n;
  const fn = n.type === 'call' ? n.childForFieldName('function') : null;
  if (fn?.type === 'attribute' && PASS_THROUGH.has(fn.childForFieldName('attribute')?.text ?? '')) {
    const object = fn.childForFieldName('object');
    return object?.type === 'identifier' ? object : null;
  }
  return null;
}

/** The hand-written regularizer whose function or class name is at the offset (what the hover explains). */
export function regularizerAtOffset(model: FileModel, offset: number): RegularizerSemantics | undefined {
  const node = model.file.tree.rootNode.descendantForIndex(offset);
  const def = node?.parent;
  if (node?.type !== 'identifier' || !def || (def.type !== 'function_definition' && def.type !== 'class_definition')) return undefined;
  if (def.childForFieldName('name')?.id !== node.id) return undefined;
  return regularizerOf(model, def);
}
