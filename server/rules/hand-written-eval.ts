/**
 * RG006's reading of regularizers written by hand that still drop after `model.eval()`: a token or patch mask drawn
 * against a dropout rate in a module method (`torch.rand(b, n) < self.token_drop`), and a regularizer module of the
 * user's own (a copy of timm's `DropPath` without its training check), as the symbolic evaluation of its code finds.
 * Each returns what to report; the rule reports it.
 */
import type { Node } from '../engine/parser';
import type { MethodScope, Report, RuleContext } from '../engine/rule';
import { regularizerOf } from '../engine/semantics/regularizers';
import { callArguments, mentionsTraining, numericLiteral, walk, within } from '../engine/syntax';
import { calledInEval, designedForInference, gatedValue, mayRunInEval, nameParts } from './inference-intent';

const MASK_DRAWS = new Set(['torch.rand', 'torch.rand_like', 'torch.bernoulli']);

export function isRandomDraw(qualified: string | null, fn: Node): boolean {
  if (qualified && MASK_DRAWS.has(qualified)) return true;
  return fn.type === 'attribute' && /^(uniform_|bernoulli_?)$/.test(fn.childForFieldName('attribute')?.text ?? '');
}

/**
 * Token or patch dropout written by hand in a module method: a random draw compared with a dropout rate
 * (`torch.rand(b, n) < self.token_drop`), or `bernoulli` of one, with no training check around it. Only when the
 * rate's name says dropout (a random mask against `mask_ratio` is masked modelling, meant for evaluation too), and
 * not in an `if` or `… if … else …` condition, where LayerDrop is read.
 */
export function handWrittenMask(
  context: RuleContext,
  call: Node,
  scope: MethodScope,
): { node: Node; rate: Node } | null {
  let node: Node = call;
  while (node.parent && (node.parent.type === 'parenthesized_expression' || isCastCall(node.parent, node)))
    node = node.parent.type === 'parenthesized_expression' ? node.parent : node.parent.parent!;
  let rate: Node | null = null;
  const cmp = node.parent;
  if (cmp?.type === 'comparison_operator' && cmp.namedChildCount === 2) {
    const op = cmp.children.find((c) => c && !c.isNamed)?.text ?? '';
    if (!/^[<>]=?$/.test(op)) return null;
    rate = cmp.namedChildren.find((c) => c && c.id !== node.id) ?? null;
    node = cmp;
  } else {
    const callee = call.childForFieldName('function');
    const q = context.model.imports.resolve(callee);
    if (q === 'torch.bernoulli' || callee?.childForFieldName?.('attribute')?.text?.startsWith('bernoulli'))
      rate = callArguments(call).find((a) => a.type !== 'keyword_argument') ?? null;
    if (callee?.type === 'attribute' && callee.childForFieldName('attribute')?.text === 'bernoulli_')
      rate = callArguments(call)[0] ?? null;
  }
  if (!rate || !namesDropRate(rate) || gatedValue(rate, scope) || numericLiteral(rate) === 0) return null;
  for (let p = node.parent; p && p.id !== scope.method.id; p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'while_statement') {
      const cond = p.childForFieldName('condition');
      if (cond && within(node, cond)) return null;
    }
    if (p.type === 'conditional_expression' && p.namedChildren[1]?.id === node.id) return null;
    if (p.type === 'lambda' || p.type === 'function_definition') return null;
    // `(not self.training) or bool(torch.bernoulli(keep))`: the statement reads the flag itself.
    if (p.parent?.type === 'block') {
      if (mentionsTraining(p, scope.selfName)) return null;
      break;
    }
  }
  if (!calledInEval(scope)) return null;
  // A method that is a regularizer of its own is reported as one (handWrittenModule).
  if (regularizerOf(context.model, scope.method)?.evaluation.behaviour === 'stochastic') return null;
  return { node, rate };
}

/**
 * A regularizer module of the user's own (a copy of timm's `DropPath`, a textbook dropout) whose method still masks in
 * evaluation, as the symbolic evaluation of its code finds (server/engine/semantics/regularizers.ts): `forward`, or a
 * method the class calls outside a training condition.
 */
export function handWrittenModule(context: RuleContext, def: Node): Report | null {
  // The record is RG003–RG005's too, derived once per file: most methods are no regularizer.
  const s = regularizerOf(context.model, def);
  if (s?.evaluation.behaviour !== 'stochastic') return null;
  const body = def.childForFieldName('body');
  const scope = body ? context.moduleMethod(body) : undefined;
  if (!body || !scope || scope.method.id !== def.id || !mayRunInEval(scope) || !calledInEval(scope)) return null;
  const at = [s.mask.node, s.application].find((n) => n && within(n, def)) ?? def.childForFieldName('name');
  if (!at || designedForInference(at, scope)) return null;
  // No fix: where evaluation should return, and what, depends on what else the method computes around the mask.
  return {
    node: at,
    messageId: mentionsTraining(def, scope.selfName) ? 'handWrittenModuleEval' : 'handWrittenModule',
    data: {
      name: scope.methodName === 'forward' ? scope.cls.name : `${scope.cls.name}.${scope.methodName}`,
      method: scope.methodName,
      flag: `${scope.selfName}.training`,
      dropped: s.kind === 'drop-path' ? 'whole samples' : 'values',
    },
  };
}

/** `torch.rand(...).to(x.device)`, `.float()`: a cast of the draw, read through. */
function isCastCall(parent: Node, node: Node): boolean {
  if (parent.type !== 'attribute' || parent.childForFieldName('object')?.id !== node.id) return false;
  const method = parent.childForFieldName('attribute')?.text ?? '';
  return parent.parent?.type === 'call' && /^(to|float|half|type|type_as|cuda|double)$/.test(method);
}

/** Does an operand name a dropout rate: `self.token_dropout`, `drop_prob`, `1 - self.patch_drop_rate`? */
function namesDropRate(node: Node): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    // A call's arguments, not its callee: `torch.full(shape, 1 - self.token_drop)`.
    if (n.parent?.type === 'call' && n.parent.childForFieldName('function')?.id === n.id) return false;
    if (n.type === 'identifier' && nameParts(n.text).some((part) => /^drop/.test(part))) found = true;
  });
  return found;
}
