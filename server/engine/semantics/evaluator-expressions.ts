/**
 * The expression layer of the symbolic evaluator: literals, names, `self.<attr>` (read from `__init__`),
 * arithmetic, comparisons of uniform draws (which make masks), tuples as shapes, subscripts and conditional
 * expressions.
 */
import type { Node } from '../parser';
import { numericLiteral } from '../syntax';
import { CallEvaluator } from './evaluator-calls';
import type { Frame } from './evaluator-state';
import { initOf, isPositivityGuard, selfAssignment, splitAnd } from './syntax-queries';
import {
  bin,
  foreign,
  granularityOf,
  hasRandom,
  maskOf,
  mentionsTensor,
  mentionsWeight,
  negateMask,
  num,
  OPAQUE,
  oneMinus,
  repeatShape,
  type Dim,
  type Expr,
} from './value-domain';

export abstract class ExpressionEvaluator extends CallEvaluator {
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
          const scalar = (e: Expr) =>
            !hasRandom(e) && !mentionsTensor(e, f.tensors) && (e.k === 'num' || e.k === 'sym' || e.k === 'bin');
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
        return {
          k: 'cond',
          condition: parts[1].text,
          flag: this.switchOf(parts[1], f),
          then: this.expr(parts[0], f),
          else: this.expr(parts[2], f),
        };
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
      return attr === 'shape'
        ? { k: 'shape', shape: { granularity: 'element', node }, dims: ['full'], src: node.text }
        : this.expr(object, f);
    }
    return { k: 'sym', name: node.text, src: node.text };
  }

  protected arith(op: '+' | '-' | '*' | '/', l: Expr, r: Expr, node: Node, f: Frame): Expr {
    if (op === '*' && l.k === 'shape' && r.k !== 'shape') return { k: 'shape', ...repeatShape(l, node) };
    if (op === '*' && r.k === 'shape' && l.k !== 'shape') return { k: 'shape', ...repeatShape(r, node) };
    if (op === '+' && l.k === 'shape' && r.k === 'shape') {
      const dims = l.dims && r.dims ? [...l.dims, ...r.dims] : null;
      return { k: 'shape', shape: { granularity: granularityOf(dims), node }, dims };
    }
    const out = bin(op, l, r);
    // The first place a mask meets a tensor is where it is applied.
    if (
      op === '*' &&
      !l.app &&
      !r.app &&
      ((hasRandom(l) && mentionsTensor(r, f.tensors)) || (hasRandom(r) && mentionsTensor(l, f.tensors)))
    )
      return { ...out, app: node };
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

  protected compare(op: string, l: Expr, r: Expr): Expr {
    // `U < k` keeps with probability k; `U > p` with 1 - p.
    if (l.k === 'uniform' && !hasRandom(r))
      return maskOf(l, op === '<' || op === '<=' ? r : oneMinus(r), this.site(l.node));
    if (r.k === 'uniform' && !hasRandom(l))
      return maskOf(r, op === '>' || op === '>=' ? l : oneMinus(l), this.site(r.node));
    if (l.k === 'mask' && (op === '==' || op === '!=') && r.k === 'num')
      return (op === '==') === (r.v === 0) ? negateMask(l) : l;
    if (l.k === 'num' && r.k === 'num')
      return {
        k: 'bool',
        v:
          op === '<'
            ? l.v < r.v
            : op === '>'
              ? l.v > r.v
              : op === '=='
                ? l.v === r.v
                : op === '<='
                  ? l.v <= r.v
                  : op === '>='
                    ? l.v >= r.v
                    : l.v !== r.v,
      };
    return OPAQUE;
  }
}
