/**
 * Where code runs only in training: under `if self.training:`, in `a if self.training else b`, after
 * `self.training and`, or after an early `if not self.training: return …`. Shared by the rules that ask whether a
 * regularizer (RG006) or its evaluation branch (RG004) can run in evaluation.
 */
import type { Node } from './parser';
import { isSelfTraining } from './syntax';

/**
 * Is the call reached only in training: inside `if self.training:`, or after an early `if not self.training: return`?
 */
export function underTrainingGuard(node: Node, scope: { method: Node; selfName: string }): boolean {
  let child: Node = node;
  for (let p = node.parent; p && p.id !== scope.method.id; child = p, p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause') {
      const cond = p.childForFieldName('condition');
      const consequence = p.childForFieldName('consequence');
      if (cond && consequence?.id === child.id && conditionImpliesTraining(cond, scope.selfName)) return true;
    }
    if (p.type === 'conditional_expression') {
      const parts = p.namedChildren;
      if (parts[0]?.id === child.id && parts[1] && conditionImpliesTraining(parts[1], scope.selfName)) return true;
    }
    if (
      p.type === 'boolean_operator' &&
      p.childForFieldName('operator')?.text === 'and' &&
      p.childForFieldName('right')?.id === child.id
    ) {
      const left = p.childForFieldName('left');
      if (left && conditionImpliesTraining(left, scope.selfName)) return true;
    }
    if (p.type === 'block') {
      // An earlier `if not self.training: return x` in this block means the rest runs only in training.
      for (const stmt of p.namedChildren) {
        if (!stmt || stmt.startIndex >= child.startIndex) break;
        if (stmt.type === 'if_statement' && isEarlyExitUnlessTraining(stmt, scope.selfName)) return true;
      }
    }
  }
  return false;
}

export function conditionImpliesTraining(cond: Node, selfName: string): boolean {
  if (isSelfTraining(cond, selfName) || (cond.type === 'identifier' && cond.text === 'training')) return true;
  if (cond.type === 'parenthesized_expression')
    return !!cond.namedChild(0) && conditionImpliesTraining(cond.namedChild(0)!, selfName);
  if (cond.type === 'boolean_operator' && cond.childForFieldName('operator')?.text === 'and') {
    const l = cond.childForFieldName('left');
    const r = cond.childForFieldName('right');
    return (!!l && conditionImpliesTraining(l, selfName)) || (!!r && conditionImpliesTraining(r, selfName));
  }
  return false;
}

function isEarlyExitUnlessTraining(stmt: Node, selfName: string): boolean {
  const cond = stmt.childForFieldName('condition');
  const body = stmt.childForFieldName('consequence');
  if (!cond || !body) return false;
  const negated = cond.type === 'not_operator' ? cond.childForFieldName('argument') : null;
  const gatesTraining = negated ? conditionImpliesTraining(negated, selfName) : orMentionsNotTraining(cond, selfName);
  if (!gatesTraining) return false;
  const last = body.namedChildren[body.namedChildCount - 1];
  return last?.type === 'return_statement' || last?.type === 'raise_statement';
}

/** `if drop_prob == 0. or not self.training:` */
function orMentionsNotTraining(cond: Node, selfName: string): boolean {
  if (cond.type === 'parenthesized_expression')
    return !!cond.namedChild(0) && orMentionsNotTraining(cond.namedChild(0)!, selfName);
  if (cond.type === 'not_operator') return conditionImpliesTraining(cond.childForFieldName('argument')!, selfName);
  if (cond.type === 'boolean_operator' && cond.childForFieldName('operator')?.text === 'or') {
    const l = cond.childForFieldName('left');
    const r = cond.childForFieldName('right');
    return (!!l && orMentionsNotTraining(l, selfName)) || (!!r && orMentionsNotTraining(r, selfName));
  }
  return false;
}
