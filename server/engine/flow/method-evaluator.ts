import type { Node } from '../parser';
import { callArguments, parameterList } from '../syntax';
import { CallEvaluator } from './call-evaluator';
import { BudgetExceeded } from './expression-evaluator';
import { joinEnv, type Env } from './lattice';
import { modalityOf, roleFromName } from './names';
import type { BoundModule, FlowValue, ModuleDescription } from './types';

/** What one iteration of a loop binds: a module of a `ModuleList`, or a tuple of such (`enumerate`, `zip`). */
interface LoopItem {
  element?: ModuleDescription;
  parts?: (LoopItem | undefined)[];
}

/**
 * The method evaluator, last layer: statements (`MethodEvaluator`). Runs a method's body statement by statement
 * over an environment of local names: both branches of an `if` joined, loops twice (deeper loops once), early
 * returns, `with`/`try`, tuple unpacking and index assignment. The layers below evaluate expressions
 * (expression-evaluator.ts) and calls (call-evaluator.ts).
 */

/** The environment a method starts from when analysed on its own: its parameters, the first one its input. */
export function entryBindings(method: Node): Map<string, FlowValue> {
  const env = new Map<string, FlowValue>();
  const params = parameterList(method);
  params.forEach((p, i) => {
    if (i === 0) return;
    const value: FlowValue = { fromInput: i === 1, inputs: new Set([p.name]) };
    const modality = modalityOf(p.name);
    if (modality) value.parts = new Map([[modality, {}]]);
    else if (p.name === 'inputs_embeds' || p.name === 'input_embeds') value.parts = new Map([['text', {}]]);
    env.set(p.name, value);
  });
  return env;
}

export class MethodEvaluator extends CallEvaluator {
  private returns: FlowValue[] = [];
  private loopDepth = 0;

  run(env: Env): FlowValue[] {
    const body = this.method.childForFieldName('body');
    if (body) this.block(body, env);
    return this.returns;
  }

  /** Runs a block; returns the environment after it, or null when every path through it returns or raises. */
  private block(block: Node, env: Env): Env | null {
    let current: Env | null = env;
    for (const stmt of block.namedChildren) {
      if (!stmt || !current) break;
      current = this.statement(stmt, current);
    }
    return current;
  }

  private statement(stmt: Node, env: Env): Env | null {
    if (--this.budget.steps < 0) throw new BudgetExceeded();
    switch (stmt.type) {
      case 'expression_statement': {
        const expr = stmt.namedChild(0);
        if (expr) this.effect(expr, env);
        return env;
      }
      case 'return_statement': {
        const value = stmt.namedChild(0);
        this.returns.push(value ? this.expr(value, env) : {});
        return null;
      }
      case 'raise_statement':
        return null;
      case 'if_statement':
        return this.ifStatement(stmt, env);
      case 'for_statement':
      case 'while_statement': {
        if (stmt.type === 'for_statement') this.bindLoopTarget(stmt, env);
        const body = stmt.childForFieldName('body');
        if (!body) return env;
        // Twice, so a value set in one iteration is seen by the next (`x = drop(x)` in a loop); inner loops of
        // inner loops once, or nesting would multiply the work.
        this.loopDepth++;
        try {
          const once = this.block(body, new Map(env)) ?? env;
          if (this.loopDepth > 2) return joinEnv(env, once);
          const twice = this.block(body, joinEnv(env, once)) ?? once;
          return joinEnv(env, twice);
        } finally {
          this.loopDepth--;
        }
      }
      case 'with_statement':
      case 'try_statement': {
        let current: Env | null = env;
        for (const child of stmt.namedChildren) {
          if (!child || !current) continue;
          if (child.type === 'block') current = this.block(child, current);
          else if (child.type === 'except_clause' || child.type === 'finally_clause' || child.type === 'else_clause') {
            const inner = child.namedChildren.find((c) => c?.type === 'block');
            if (inner) current = joinEnv(current, this.block(inner, new Map(current)) ?? current);
          }
        }
        return current;
      }
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition':
        return env;
      default:
        return env;
    }
  }

  private ifStatement(stmt: Node, env: Env): Env | null {
    const condition = stmt.childForFieldName('condition');
    if (condition) this.expr(condition, env);
    const consequence = stmt.childForFieldName('consequence');
    let result: Env | null = consequence ? this.block(consequence, new Map(env)) : env;
    let sawElse = false;
    for (const alt of stmt.childrenForFieldName('alternative')) {
      if (!alt) continue;
      const block = alt.childForFieldName('body') ?? alt.namedChildren.find((c) => c?.type === 'block');
      if (alt.type === 'elif_clause') {
        const cond = alt.childForFieldName('condition');
        if (cond) this.expr(cond, env);
      } else sawElse = true;
      const branch = block ? this.block(block, new Map(env)) : env;
      result = result && branch ? joinEnv(result, branch) : (result ?? branch);
    }
    if (!sawElse) result = result ? joinEnv(result, env) : env;
    return result;
  }

  /** `self.<name>` (or a chain, `self.model.layers`) as a module, when the node is one. */
  private moduleOf(node: Node): BoundModule | undefined {
    if (node.type !== 'attribute') return undefined;
    const name = node.childForFieldName('attribute')?.text ?? '';
    const description =
      node.childForFieldName('object')?.text === this.selfName
        ? this.analysis.describeAttribute(this.cls, name)
        : this.analysis.describeChain(this.cls, node, this.selfName);
    return description && { description, label: node.text, attribute: name };
  }

  /**
   * What each iteration of a loop over `right` yields, as people write those loops: `self.layers` (one element),
   * `enumerate(self.layers)` (an index and an element), `zip(self.layers, context)` (one from each); undefined
   * when it is none of them or the elements are not described one way.
   */
  private loopItem(right: Node): LoopItem | undefined {
    if (right.type === 'call') {
      const fn = right.childForFieldName('function')?.text;
      const args = callArguments(right).filter((a) => a.type !== 'keyword_argument');
      if (fn === 'enumerate' && args.length === 1) return { parts: [undefined, this.loopItem(args[0])] };
      if (fn === 'zip' && args.every((a) => a.type !== 'list_splat'))
        return { parts: args.map((a) => this.loopItem(a)) };
      return undefined;
    }
    const collection = this.moduleOf(right);
    const elements = collection?.description.elements;
    return elements?.length === 1 ? { element: elements[0] } : undefined;
  }

  private bindLoopTarget(stmt: Node, env: Env): void {
    const left = stmt.childForFieldName('left');
    const right = stmt.childForFieldName('right');
    if (left && right) this.bindItem(left, this.loopItem(right), env);
  }

  private bindItem(target: Node, item: LoopItem | undefined, env: Env): void {
    if (target.type === 'identifier') {
      const d = item?.element;
      env.set(target.text, d ? { module: { description: d, label: target.text, attribute: null } } : { opaque: true });
      return;
    }
    if (target.type !== 'pattern_list' && target.type !== 'tuple_pattern' && target.type !== 'tuple') return;
    const names = target.namedChildren.filter((n): n is Node => !!n);
    names.forEach((n, i) => {
      // `for attn, ff in self.layers`, where each element is `nn.ModuleList([attn, ff])`; `for attn, ff in
      // zip(self.attns, self.ffs)`. The names say which sublayer each is.
      const d = item?.parts ? item.parts[i]?.element : item?.element?.elements?.[i];
      const part = item?.parts && !d ? item.parts[i] : d && { element: d };
      if (part?.element && n.type === 'identifier')
        part.element = { ...part.element, role: part.element.role ?? roleFromName(n.text) };
      this.bindItem(n, part, env);
    });
  }

  /** An expression evaluated for its effects on the environment (assignments, in-place calls). */
  private effect(expr: Node, env: Env): void {
    switch (expr.type) {
      case 'assignment': {
        const left = expr.childForFieldName('left');
        const right = expr.childForFieldName('right');
        if (!left || !right) return;
        const value = this.expr(right, env);
        this.assign(left, value, env, expr);
        return;
      }
      case 'augmented_assignment': {
        const left = expr.childForFieldName('left');
        const right = expr.childForFieldName('right');
        const op = expr.childForFieldName('operator')?.text ?? '';
        if (!left || !right) return;
        const current = this.expr(left, env);
        const value = this.binary(op.replace('=', ''), left, current, right, this.expr(right, env), expr);
        this.assign(left, value, env, expr);
        return;
      }
      default:
        this.expr(expr, env);
    }
  }

  private assign(target: Node, value: FlowValue, env: Env, at: Node): void {
    switch (target.type) {
      case 'identifier':
        env.set(target.text, value);
        return;
      case 'pattern_list':
      case 'tuple_pattern':
      case 'tuple':
      case 'list_pattern':
      case 'list': {
        const names = target.namedChildren.filter((n): n is Node => !!n);
        names.forEach((n, i) => {
          // `out, _ = self.mha(q, k, v)`: the first of a module's outputs is the output.
          const element = value.elements
            ? (value.elements[i] ?? {})
            : i === 0
              ? value
              : { parts: value.parts, fusions: value.fusions, opaque: value.opaque };
          this.assign(n, element, env, at);
        });
        return;
      }
      case 'subscript': {
        // `h[mask] = feats`: the features are written into the sequence.
        const object = target.childForFieldName('value');
        if (object?.type === 'identifier') {
          const current = env.get(object.text) ?? {};
          env.set(object.text, this.merge([current, value], at));
        }
        return;
      }
      default:
        return;
    }
  }

  protected evaluateHelper(method: Node, bound: Env, callSite: Node): FlowValue[] {
    const evaluator = new MethodEvaluator(
      this.analysis,
      this.cls,
      method,
      this.flow,
      this.depth + 1,
      callSite,
      this.budget,
    );
    return evaluator.run(bound);
  }
}
