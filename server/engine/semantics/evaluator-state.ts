/**
 * The state of one symbolic evaluation (a file model, a training mode, the call depth, the helper call being
 * followed) and the contract between its three layers: calls (evaluator-calls.ts) extend this, expressions
 * (evaluator-expressions.ts) extend calls, statements (evaluator-statements.ts) extend expressions and make the
 * concrete `Evaluator`. Each layer implements its part of the abstract methods below and uses the others'.
 */
import type { FileModel } from '../model';
import type { Node } from '../parser';
import type { ScaleSwitch } from './record';
import type { Dim, Expr } from './value-domain';

export interface Frame {
  fn: Node;
  env: Map<string, Expr>;
  selfName: string | null;
  cls: Node | null;
  /** Parameters bound to tensors (receivers of `.shape`, `.new_empty`, the first parameter). */
  tensors: Set<string>;
}

export abstract class EvaluatorState {
  protected depth = 0;
  protected callSite: Node | null = null;

  constructor(
    protected readonly model: FileModel,
    protected readonly training: boolean,
  ) {}

  readonly helperSites = new Set<Node>();
  /** `self.<attr>` values from `__init__`, evaluated once per evaluation. */
  protected readonly selfValues = new Map<string, Expr>();

  /** Masks made inside a helper are placed at the helper's call in the function being analysed. */
  protected site(node: Node): Node {
    if (this.callSite) this.helperSites.add(this.callSite);
    return this.callSite ?? node;
  }

  // Statements (evaluator-statements.ts).
  /** Output of a function with its parameters bound (symbolically when `args` is absent). */
  abstract run(fn: Node, args?: Map<string, Expr>, cls?: Node | null): Expr | undefined;
  protected abstract frame(fn: Node, args: Map<string, Expr> | undefined, cls: Node | null): Frame;
  /** Three-valued truth of a condition in this training mode. */
  protected abstract truth(node: Node, f: Frame): boolean | undefined;
  /** A condition that is a boolean parameter or attribute with a boolean default: a switch the caller sets. */
  protected abstract switchOf(cond: Node, f: Frame): ScaleSwitch | undefined;

  // Expressions (evaluator-expressions.ts).
  abstract expr(node: Node, f: Frame): Expr;
  protected abstract arith(op: '+' | '-' | '*' | '/', l: Expr, r: Expr, node: Node, f: Frame): Expr;
  protected abstract compare(op: string, l: Expr, r: Expr): Expr;

  // Calls (evaluator-calls.ts).
  protected abstract call(node: Node, f: Frame): Expr;
  protected abstract dims(list: Node, f: Frame): Dim[] | null;
}
