/**
 * Where code runs only in training: under `if self.training:`, in `a if self.training else b`, after
 * `self.training and`, or after an early `if not self.training: return …`. Shared by the rules that ask whether a
 * regularizer (RG006) or its evaluation branch (RG004) can run in evaluation, and by the profiler (site-kernels.ts),
 * which reads the module's flags too: a lens says what the squiggle says.
 */
import type { Node } from './parser';
import { isSelfTraining } from './syntax';

/** Where a guard is read: the method, its `self`, and the module's literal flags when they count. */
export interface GuardScope {
  method: Node;
  selfName: string;
  /**
   * `self.<name>` set to a literal `True` or `False` in `__init__`, read at those values: the module as it is built
   * (fairseq's `FairseqDropout` drops under `self.training or self.apply_during_inference`, False unless changed).
   */
  flags?: ReadonlyMap<string, boolean>;
}

/**
 * Is the node reached only in training: inside `if self.training:` (or any condition false in evaluation), in `a if
 * self.training else b`, after `self.training and`, or after an early `if not self.training: return`?
 */
export function underTrainingGuard(node: Node, scope: GuardScope): boolean {
  let child: Node = node;
  for (let p = node.parent; p && p.id !== scope.method.id; child = p, p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause') {
      const cond = p.childForFieldName('condition');
      const consequence = p.childForFieldName('consequence');
      if (consequence?.id === child.id && valueInEvaluation(cond, scope) === false) return true;
    }
    if (p.type === 'conditional_expression') {
      const parts = p.namedChildren;
      if (parts[0]?.id === child.id && valueInEvaluation(parts[1], scope) === false) return true;
    }
    if (
      p.type === 'boolean_operator' &&
      p.childForFieldName('operator')?.text === 'and' &&
      p.childForFieldName('right')?.id === child.id &&
      valueInEvaluation(p.childForFieldName('left'), scope) === false
    )
      return true;
    if (p.type === 'block') {
      // An earlier `if not self.training: return x` in this block means the rest runs only in training.
      for (const stmt of p.namedChildren) {
        if (!stmt || stmt.startIndex >= child.startIndex) break;
        if (stmt.type === 'if_statement' && isEarlyExitInEvaluation(stmt, scope)) return true;
      }
    }
  }
  return false;
}

/** A condition that holds only in training: `self.training`, `training`, or one of them `and` anything. */
export function conditionImpliesTraining(cond: Node, selfName: string): boolean {
  return valueInEvaluation(cond, { selfName }) === false;
}

/**
 * The value of a condition in evaluation: `self.training` and a `training` argument are False, each flag at its
 * value, `not`, `and` and `or` as Python reads them; undefined when it depends on anything else.
 */
function valueInEvaluation(
  cond: Node | null | undefined,
  scope: Pick<GuardScope, 'selfName' | 'flags'>,
): boolean | undefined {
  if (!cond) return undefined;
  if (isSelfTraining(cond, scope.selfName) || (cond.type === 'identifier' && cond.text === 'training')) return false;
  switch (cond.type) {
    case 'parenthesized_expression':
      return valueInEvaluation(cond.namedChild(0), scope);
    case 'attribute':
      return cond.childForFieldName('object')?.text === scope.selfName
        ? scope.flags?.get(cond.childForFieldName('attribute')?.text ?? '')
        : undefined;
    case 'not_operator': {
      const v = valueInEvaluation(cond.childForFieldName('argument'), scope);
      return v === undefined ? undefined : !v;
    }
    case 'boolean_operator': {
      const l = valueInEvaluation(cond.childForFieldName('left'), scope);
      const r = valueInEvaluation(cond.childForFieldName('right'), scope);
      if (cond.childForFieldName('operator')?.text === 'and') return l === false || r === false ? false : l && r;
      return l === true || r === true ? true : l === false && r === false ? false : undefined;
    }
    default:
      return undefined;
  }
}

/** `if not self.training: return x`, `if drop_prob == 0. or not self.training: return x`. */
function isEarlyExitInEvaluation(stmt: Node, scope: GuardScope): boolean {
  const body = stmt.childForFieldName('consequence');
  if (!body || valueInEvaluation(stmt.childForFieldName('condition'), scope) !== true) return false;
  const last = body.namedChildren[body.namedChildCount - 1];
  return last?.type === 'return_statement' || last?.type === 'raise_statement';
}
