/**
 * The call layer of the symbolic evaluator: calls of library functions (`torch.rand`, `torch.bernoulli`,
 * `torch.where`, numpy and random draws), tensor methods (`bernoulli_`, `new_empty`, `masked_fill`), and helpers of
 * the file (followed into their bodies within a depth limit), and the shapes their arguments spell.
 */
import type { Node } from '../parser';
import { callArguments, numericLiteral, within } from '../syntax';
import { EvaluatorState, type Frame } from './evaluator-state';
import { keywordSize, methodOf, parameters, PASS_THROUGH, RANDOM_TEXT } from './syntax-queries';
import {
  bin,
  findBlank,
  foreign,
  granularityOf,
  hasRandom,
  isZero,
  negateMask,
  num,
  OPAQUE,
  scaleWithoutBlank,
  type Dim,
  type Expr,
  type Shape,
} from './value-domain';

export abstract class CallEvaluator extends EvaluatorState {
  protected call(node: Node, f: Frame): Expr {
    const fn = node.childForFieldName('function');
    if (!fn) return OPAQUE;
    const args = callArguments(node);
    const positional = args.filter((a) => a.type !== 'keyword_argument');
    const keyword = (name: string) =>
      args
        .find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name)
        ?.childForFieldName('value') ?? null;
    const arg = (i: number, name?: string) => (name ? keyword(name) : null) ?? positional[i] ?? null;
    const q = this.model.imports.resolve(fn);
    if (q) return this.library(q, node, arg, positional, f);
    if (fn.type === 'identifier') {
      if (fn.text === 'float' || fn.text === 'int' || fn.text === 'bool')
        return positional[0] ? this.expr(positional[0], f) : OPAQUE;
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
    if (this.depth > 60 || (!RANDOM_TEXT.test(def.text) && !/\/|div|mul|\*/.test(def.text))) return OPAQUE;
    const params = parameters(def).filter((_p, i) => !(cls && i === 0));
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
      for (const p of params)
        if (!bound.has(p.name) && p.defaultNode)
          bound.set(
            p.name,
            p.boolDefault !== undefined ? { k: 'bool', v: p.boolDefault } : this.expr(p.defaultNode, f),
          );
      const result = this.run(def, bound, cls);
      return result ? foreign(result) : OPAQUE;
    } finally {
      this.depth -= 20;
      this.callSite = outer;
    }
  }

  private library(
    q: string,
    node: Node,
    arg: (i: number, name?: string) => Node | null,
    positional: Node[],
    f: Frame,
  ): Expr {
    const name = q.replace(/^torch\.(cuda\.)?/, 'torch.');
    switch (name) {
      case 'torch.rand':
      case 'numpy.random.rand':
        return { k: 'uniform', shape: this.shapeOfArgs(positional, f, keywordSize(node)), node: this.site(node) };
      case 'numpy.random.random':
      case 'numpy.random.random_sample':
      case 'numpy.random.uniform': {
        const size = keywordSize(node) ?? (name === 'numpy.random.uniform' ? positional[2] : positional[0]) ?? null;
        return {
          k: 'uniform',
          shape: size ? this.shapeOf(size, f) : { granularity: 'batch', node: null },
          node: this.site(node),
        };
      }
      case 'random.random':
      case 'random.uniform':
        return { k: 'uniform', shape: { granularity: 'batch', node: null }, node: this.site(node) };
      case 'numpy.random.binomial': {
        const size = keywordSize(node) ?? positional[2] ?? null;
        const p = arg(1, 'p');
        if (!p) return OPAQUE;
        return {
          k: 'mask',
          m: {
            node: this.site(node),
            q: this.expr(p, f),
            shape: size ? this.shapeOf(size, f) : { granularity: 'batch', node: null },
          },
        };
      }
      case 'torch.rand_like':
      case 'torch.empty_like':
      case 'torch.zeros_like':
      case 'torch.ones_like':
      case 'torch.full_like': {
        const shape: Shape = { granularity: 'element', node: null };
        if (name === 'torch.rand_like') return { k: 'uniform', shape, node: this.site(node) };
        const fill =
          name === 'torch.zeros_like'
            ? num(0)
            : name === 'torch.ones_like'
              ? num(1)
              : name === 'torch.full_like'
                ? arg(1, 'fill_value')
                  ? this.expr(arg(1, 'fill_value')!, f)
                  : undefined
                : undefined;
        return { k: 'blank', shape, fill };
      }
      case 'torch.empty':
      case 'torch.zeros':
      case 'torch.ones':
        return {
          k: 'blank',
          shape: this.shapeOfArgs(positional, f, keywordSize(node)),
          fill: name === 'torch.ones' ? num(1) : undefined,
        };
      case 'torch.full': {
        const fill = arg(1, 'fill_value');
        return {
          k: 'blank',
          shape: positional[0] ? this.shapeOf(positional[0], f) : { granularity: 'unknown', node: null },
          fill: fill ? this.expr(fill, f) : undefined,
        };
      }
      case 'torch.FloatTensor':
      case 'torch.HalfTensor':
      case 'torch.DoubleTensor':
      case 'torch.Tensor':
      case 'torch.tensor': {
        // `torch.FloatTensor((B, 1, 1, 1))` holds the values B, 1, 1, 1: one row of four numbers, not a mask of that
        // shape.
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
        // `torch.bernoulli(torch.tensor(keep))`: a probability of no shape draws one decision for the whole batch.
        const scalar =
          p?.type === 'call' ? scalarTensorValue(this.model.imports.resolve(p.childForFieldName('function')), p) : null;
        if (scalar)
          return {
            k: 'mask',
            m: { node: this.site(node), q: this.expr(scalar, f), shape: { granularity: 'batch', node: null } },
          };
        return p ? this.bernoulliOf(this.expr(p, f), null, node) : OPAQUE;
      }
      case 'torch.floor':
        return positional[0] ? this.floorOf(this.expr(positional[0], f)) : OPAQUE;
      case 'torch.mul':
      case 'torch.div':
      case 'torch.true_divide':
        if (positional.length !== 2) return OPAQUE;
        return this.arith(
          name === 'torch.mul' ? '*' : '/',
          this.expr(positional[0], f),
          this.expr(positional[1], f),
          node,
          f,
        );
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
        return positional.length === 2
          ? this.compare(
              { 'torch.lt': '<', 'torch.gt': '>', 'torch.le': '<=', 'torch.ge': '>=' }[name]!,
              this.expr(positional[0], f),
              this.expr(positional[1], f),
            )
          : OPAQUE;
      default:
        return OPAQUE;
    }
  }

  private method(
    obj: Expr,
    method: string,
    node: Node,
    arg: (i: number, name?: string) => Node | null,
    positional: Node[],
    f: Frame,
    objectNode: Node,
  ): Expr {
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
        return {
          k: 'blank',
          shape: this.shapeOfArgs(positional, f, keywordSize(node)),
          fill: method === 'new_ones' ? num(1) : undefined,
        };
      case 'new_full': {
        const fill = arg(1, 'fill_value');
        return {
          k: 'blank',
          shape: positional[0] ? this.shapeOf(positional[0], f) : { granularity: 'unknown', node: null },
          fill: fill ? this.expr(fill, f) : undefined,
        };
      }
      case 'size':
        if (positional.length === 0 && f.tensors.has(objectNode.text))
          return { k: 'shape', shape: { granularity: 'element', node }, dims: ['full'] };
        return { k: 'sym', name: node.text };
      case 'mul':
      case 'mul_':
      case 'div':
      case 'div_':
      case 'true_divide':
      case 'multiply':
      case 'divide':
        return positional[0]
          ? this.arith(method.startsWith('mul') ? '*' : '/', obj, this.expr(positional[0], f), node, f)
          : OPAQUE;
      case 'lt':
      case 'gt':
      case 'le':
      case 'ge':
        return positional[0]
          ? this.compare({ lt: '<', gt: '>', le: '<=', ge: '>=' }[method]!, obj, this.expr(positional[0], f))
          : OPAQUE;
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

  /**
   * `t.bernoulli_(p)` on a tensor of a shape; `torch.bernoulli(probs)` on a tensor filled with (a multiple of) the
   * probability.
   */
  private bernoulliOf(obj: Expr, p: Expr | null, node: Node): Expr {
    const site = this.site(node);
    if (p) {
      const shape =
        obj.k === 'blank' || obj.k === 'uniform'
          ? obj.shape
          : obj.k === 'sym'
            ? { granularity: 'element' as const, node: null }
            : null;
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
    if (v.k === 'shape')
      return {
        ...v.shape,
        node: v.shape.node && within(v.shape.node, f.fn) ? v.shape.node : node,
      };
    if (v.k === 'cond' && v.then.k === 'shape' && v.else.k === 'shape') {
      const then = v.then.shape.granularity;
      const other = v.else.shape.granularity;
      return then === other
        ? { granularity: then, node }
        : { granularity: 'conditional', node: null, byCondition: { condition: v.condition, then, else: other } };
    }
    // A single number: a 1-D mask of that length.
    if (v.k === 'num') return { granularity: v.v === 1 ? 'batch' : 'element', node };
    return { granularity: 'unknown', node };
  }

  protected dims(list: Node, f: Frame): Dim[] | null {
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

/** The value of `torch.tensor(v)`, `torch.as_tensor(v)` or `torch.scalar_tensor(v)` when it is a number, not a list. */
function scalarTensorValue(q: string | null, call: Node): Node | null {
  if (q !== 'torch.tensor' && q !== 'torch.as_tensor' && q !== 'torch.scalar_tensor') return null;
  const first = callArguments(call)[0];
  if (!first || first.type === 'keyword_argument' || /^(list|tuple|list_comprehension|list_splat)$/.test(first.type))
    return null;
  return first;
}
