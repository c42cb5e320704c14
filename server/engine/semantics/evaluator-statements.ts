/**
 * The statement layer of the symbolic evaluator, and the concrete `Evaluator`: a function's frame (its parameters
 * bound, the names that hold tensors), blocks, assignments (in place ones too), and `if` statements decided by the
 * training mode where they can be and followed both ways where they cannot.
 */
import type { Node } from '../parser';
import { firstParameter } from '../classes';
import { callArguments, numericLiteral, walk } from '../syntax';
import { ExpressionEvaluator } from './evaluator-expressions';
import type { Frame } from './evaluator-state';
import type { ScaleSwitch } from './record';
import {
  callersEnable,
  enclosingClass,
  initOf,
  isPositivityGuard,
  isTrainingName,
  key,
  parameters,
  selfAssignment,
  splitAnd,
} from './syntax-queries';
import { bin, negateMask, OPAQUE, stale, type Expr } from './value-domain';

export class Evaluator extends ExpressionEvaluator {
  /** Output of a function with its parameters bound (symbolically when `args` is absent). */
  run(fn: Node, args?: Map<string, Expr>, cls?: Node | null): Expr | undefined {
    const frame = this.frame(fn, args, cls ?? enclosingClass(fn));
    const body = fn.childForFieldName('body');
    if (!body) return undefined;
    const result = this.block(body, frame);
    if (result) return result;
    return undefined;
  }

  protected frame(fn: Node, args: Map<string, Expr> | undefined, cls: Node | null): Frame {
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
      else if (args && p.defaultNode)
        env.set(p.name, {
          ...this.expr(p.defaultNode, { fn, env: new Map(), selfName: null, cls: null, tensors }),
          src: p.name,
        });
      else env.set(p.name, { k: 'sym', name: p.name, src: p.name });
      if (/weight/i.test(p.name)) tensors.add(p.name);
    }
    walk(
      fn,
      (n) => {
        if (n.type === 'attribute') {
          const object = n.childForFieldName('object');
          const attr = n.childForFieldName('attribute')?.text ?? '';
          if (
            object &&
            (object.type === 'identifier' || object.type === 'attribute') &&
            /^(shape|size|ndim|dim|new_\w+|dtype|device|masked_fill_?|mul_?|numel)$/.test(attr)
          )
            tensors.add(object.text);
        } else if (n.type === 'call') {
          const callee = n.childForFieldName('function')?.text ?? '';
          const a = callArguments(n)[0];
          if (/_like$/.test(callee) && a && a.type === 'identifier') tensors.add(a.text);
        }
      },
      new Set(['attribute', 'call']),
    );
    for (const t of [...tensors]) if (/^self\./.test(t) && !/weight/i.test(t)) tensors.delete(t);
    // Weights regularized in place of activations (DropConnect, quant-noise) are tensors too.
    if (selfName)
      walk(
        fn,
        (n) =>
          void (
            n.type === 'attribute' &&
            n.childForFieldName('object')?.text === selfName &&
            /weight/i.test(n.childForFieldName('attribute')?.text ?? '') &&
            tensors.add(n.text)
          ),
        new Set(['attribute']),
      );
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
    else if (left.type === 'pattern_list' || left.type === 'tuple_pattern')
      for (const n of left.namedChildren) if (n && key(n)) f.env.set(key(n)!, { k: 'sym', name: n.text, src: n.text });
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

  /**
   * An `if` or `elif` clause with the clauses after it: decided by the training mode when it can be, else both ways.
   */
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

  private undecided(
    cond: Node,
    consequence: Node,
    alternative: (f: Frame) => Expr | undefined,
    hasElse: boolean,
    f: Frame,
  ): Expr | undefined {
    const conjuncts = splitAnd(cond).filter((c) => !isPositivityGuard(c));
    const last = consequence.namedChildren[consequence.namedChildCount - 1];
    // `if drop_prob == 0.: return x`, `if p < 0: raise …`: a guard for a corner case, not the general path.
    if (!hasElse && (last?.type === 'return_statement' || last?.type === 'raise_statement') && conjuncts.length > 0)
      return undefined;
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
  protected switchOf(cond: Node, f: Frame): ScaleSwitch | undefined {
    const param = cond.type === 'identifier' ? cond.text : null;
    const attr =
      cond.type === 'attribute' && f.selfName && cond.childForFieldName('object')?.text === f.selfName
        ? cond.childForFieldName('attribute')?.text
        : null;
    if (param) {
      const p = parameters(f.fn).find((q) => q.name === param);
      if (!p) return undefined;
      const owner = f.fn.childForFieldName('name')?.text ?? '';
      return {
        name: param,
        default: p.boolDefault,
        enabledByCaller: callersEnable(this.model, owner, param, parameters(f.fn), f.selfName !== null),
        defaultNode: p.defaultNode,
      };
    }
    if (attr && f.cls) {
      const init = initOf(f.cls);
      const value = init && selfAssignment(init, attr);
      const p = init && value?.type === 'identifier' ? parameters(init).find((q) => q.name === value.text) : undefined;
      const className = f.cls.childForFieldName('name')?.text ?? '';
      if (p)
        return {
          name: attr,
          default: p.boolDefault,
          enabledByCaller: callersEnable(this.model, className, p.name, parameters(init!), true),
          defaultNode: p.defaultNode,
        };
      if (value?.type === 'true' || value?.type === 'false')
        return { name: attr, default: value.type === 'true', enabledByCaller: false, defaultNode: value };
    }
    return undefined;
  }

  /** Three-valued truth of a condition in this training mode. */
  protected truth(node: Node, f: Frame): boolean | undefined {
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
        if (node.childForFieldName('operator')?.text === 'and')
          return l === false || r === false ? false : l === true && r === true ? true : undefined;
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
}
