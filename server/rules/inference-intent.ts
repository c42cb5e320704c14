/**
 * RG006's reading of whether code runs in evaluation, and whether it is meant to: a method `model.eval()` reaches
 * (not `__init__`, not Lightning's `training_step`, not a helper the class calls only in training), a value the mode
 * switches off, and a dropout the code says stays on at inference by design (a Tacotron prenet, MC dropout, a comment
 * that says so).
 */
import type { Node } from '../engine/parser';
import type { MethodScope } from '../engine/rule';
import { ancestor, callArguments, mentionsTraining, numericLiteral, walk } from '../engine/syntax';
import { underTrainingGuard } from '../engine/training';

/** `__init__` builds the model, and Lightning calls `training_step` in training only. */
export function mayRunInEval(scope: MethodScope): boolean {
  return scope.methodName !== '__init__' && scope.methodName !== 'training_step';
}

/**
 * Words of a class or method name that say a dropout is meant to run at inference. Not `noise`: a class named
 * `NoisePredictor` is a diffusion model's network, trained like any other.
 */
const INFERENCE_NAME_PARTS = new Set([
  'prenet',
  'inference',
  'sample',
  'sampling',
  'mc',
  'montecarlo',
  'bayesian',
  'uncertainty',
]);

/**
 * The same for the tensor a call drops or its rate: dropout on sampling noise is a design; `sample` (diffusers' input
 * tensor) does not qualify.
 */
const INFERENCE_VALUE_PARTS = new Set(['noise', 'inference', 'mc', 'montecarlo', 'bayesian']);

const INFERENCE_COMMENT =
  /\b(always|inference|test[- ]time|at test|(in|during) eval(uation)?|sampling|mc[ _-]?dropout|monte[ -]carlo)\b/i;

/**
 * Dropout that stays on at inference by design: a Tacotron prenet, dropout on sampling noise, fairseq's
 * `apply_during_inference`, MC dropout. The code says so when the call runs under a condition that reads the
 * training flag next to another one (`if self.training or self.apply_during_inference:`), when a comment on or just
 * above its statement says so ("always applies dropout", "keep dropout at inference"), or when a name says so: the
 * class, the method, the rate or the dropped tensor (`Prenet`, `p_sample`, `noise_dropout`, `mc_dropout`).
 */
export function designedForInference(call: Node, scope: MethodScope): boolean {
  let child: Node = call;
  let statement: Node = call;
  for (let p = call.parent; p && p.id !== scope.method.id; child = p, p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause') {
      const cond = p.childForFieldName('condition');
      if (cond && p.childForFieldName('consequence')?.id === child.id && mentionsTraining(cond, scope.selfName))
        return true;
    }
    if (p.type === 'conditional_expression') {
      const parts = p.namedChildren;
      if (parts[0]?.id === child.id && parts[1] && mentionsTraining(parts[1], scope.selfName)) return true;
    }
    if (p.type === 'block' && statement === call) statement = child;
  }
  if ([scope.cls.name, scope.methodName].some((n) => nameParts(n).some((part) => INFERENCE_NAME_PARTS.has(part))))
    return true;
  // The tensor dropped and the rate, when they are names: `dropout(noise, p=noise_dropout)`.
  for (const arg of callArguments(call).slice(0, 2)) {
    const value = arg.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
    const name = value?.type === 'attribute' ? value.childForFieldName('attribute') : value;
    if (name?.type === 'identifier' && nameParts(name.text).some((part) => INFERENCE_VALUE_PARTS.has(part)))
      return true;
  }
  return saidNearby(statement);
}

/** Per statement: whether a comment on or just above it says the dropout is meant. */
const commentsSaid = new WeakMap<Node, boolean>();

/**
 * Does a comment on the statement's lines, or on the two lines above it, say that the dropout is meant for inference?
 * Remembered per statement: every call of a deeply nested statement asks the same question.
 */
function saidNearby(statement: Node): boolean {
  const cached = commentsSaid.get(statement);
  if (cached !== undefined) return cached;
  const first = statement.startPosition.row - 2;
  const last = statement.endPosition.row;
  let said = false;
  walk(statement.parent ?? statement, (n) => {
    if (said) return false;
    const row = n.startPosition.row;
    if (n.endPosition.row < first || row > last) return false;
    if (n.type === 'comment' && row >= first && INFERENCE_COMMENT.test(n.text)) said = true;
  });
  commentsSaid.set(statement, said);
  return said;
}

/** Does a helper's name say its dropout is meant at inference (`mc_dropout`, `sample_noise`)? */
export function namesInference(name: string): boolean {
  return nameParts(name).some((part) => INFERENCE_NAME_PARTS.has(part) || INFERENCE_VALUE_PARTS.has(part));
}

/** `noise_dropout` → noise, dropout; `_Prenet` → prenet; `mcDropout` → mc, dropout; `self.p` → self, p. */
export function nameParts(name: string): string[] {
  return (
    name
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      // An acronym before a word: `MCDropout` is `MC` and `Dropout`.
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean)
  );
}

/** An expression that mentions the training flag, or a local name whose every assignment in the method does. */
export function gatedValue(node: Node, scope: MethodScope): boolean {
  if (mentionsTraining(node, scope.selfName)) return true;
  if (node.type === 'attribute') return zeroedByMode(node, scope);
  if (node.type !== 'identifier') return false;
  let assigned = 0;
  let gated = 0;
  walk(scope.method, (n) => {
    if (n.type === 'assignment' && n.childForFieldName('left')?.text === node.text) {
      assigned++;
      const right = n.childForFieldName('right');
      if (right && (mentionsTraining(right, scope.selfName) || numericLiteral(right) === 0)) gated++;
    }
  });
  return assigned > 0 && assigned === gated;
}

/**
 * `self.dropout_p = 0` under a test of the mode in the same method: the rate is switched off in evaluation, on the
 * module itself, which RG013 reports (it stays off when training resumes).
 */
function zeroedByMode(node: Node, scope: MethodScope): boolean {
  let zeroed = false;
  walk(scope.method, (n) => {
    if (zeroed) return false;
    if (n.type !== 'assignment' || n.childForFieldName('left')?.text !== node.text) return;
    if (numericLiteral(n.childForFieldName('right')) !== 0) return;
    const test = ancestor(n, ['if_statement'], ['function_definition']);
    if (test?.childForFieldName('condition') && mentionsTraining(test.childForFieldName('condition')!, scope.selfName))
      zeroed = true;
  });
  return zeroed;
}

/**
 * A method other than `forward` runs in evaluation only if its class calls it outside a training condition
 * (diffusers' `token_drop`, called under `if self.training and use_dropout`). Unknown callers: not known to.
 */
export function calledInEval(scope: MethodScope): boolean {
  if (scope.methodName === 'forward' || scope.methodName === '__call__') return true;
  const calls: Node[] = [];
  walk(scope.cls.node, (n) => {
    if (
      n.type === 'call' &&
      n.childForFieldName('function')?.type === 'attribute' &&
      n.childForFieldName('function')!.text === `${scope.selfName}.${scope.methodName}`
    )
      calls.push(n);
  });
  return (
    calls.length > 0 &&
    calls.some((c) => {
      const method = ancestor(c, ['function_definition']);
      if (!method || underTrainingGuard(c, { method, selfName: scope.selfName })) return false;
      for (let p = c.parent; p && p.id !== method.id; p = p.parent) {
        const cond = p.type === 'if_statement' || p.type === 'elif_clause' ? p.childForFieldName('condition') : null;
        if (cond && mentionsTraining(cond, scope.selfName)) return false;
      }
      return true;
    })
  );
}
