/**
 * What a training script's functions do with the model a parameter receives: evaluate it (a call under `no_grad`, or
 * in a function named or decorated as an evaluation), switch its mode, run a training step. RG015 reads a function of
 * its own file from the tree; the workspace index keeps the same facts of another file's functions (`ModelUse`), so
 * that `train.py` calling `validate(model)` of `engine.py` is read as if `validate` were written beside it.
 */
import type { FileModel } from './model';
import type { Node } from './parser';
import { nodeRange } from './parser';
import type { ExternalDefinition, ModelUse } from './scope';
import { modeBefore, modeSwitch } from './script-models';
import { parameterList, walk, CALL_NODES } from './syntax';

/** Functions that evaluate, by the names scripts give them. */
const EVALUATING = /^(eval|evaluate|evaluation|validate|validation|valid|val|test|predict|inference|infer)(_|$)/i;
const NO_GRAD = new Set(['torch.no_grad', 'torch.inference_mode', 'torch.autograd.no_grad']);

/** Text a function that does anything RG015 reads with a model must hold. */
const MAY_USE_MODEL = /no_grad|inference_mode|\.eval\(|\.train\(|\.backward\(/;

/** `under \`torch.no_grad()\``, when a `with` around the node (inside `scope`) turns gradients off. */
export function underNoGrad(model: FileModel, node: Node, scope: Node): string | null {
  for (let p = node.parent; p && p.id !== scope.id; p = p.parent) {
    if (p.type !== 'with_statement') continue;
    let found: string | null = null;
    walk(
      p.namedChildren.find((c) => c?.type === 'with_clause') ?? p,
      (call) => {
        const name = model.imports.resolve(call.childForFieldName('function'));
        if (name && NO_GRAD.has(name)) found = `under \`${call.text}\``;
      },
      CALL_NODES,
    );
    if (found) return found;
  }
  return null;
}

function decoratedNoGrad(model: FileModel, def: Node): boolean {
  const decorated = def.parent;
  if (decorated?.type !== 'decorated_definition') return false;
  return decorated.namedChildren.some((d) => {
    if (d?.type !== 'decorator') return false;
    const expr = d.namedChild(0);
    const target = expr?.type === 'call' ? expr.childForFieldName('function') : expr;
    const name = model.imports.resolve(target ?? null);
    return !!name && NO_GRAD.has(name);
  });
}

/** A function that runs a backward pass is a training step, whatever its name. */
export function trains(scope: Node): boolean {
  return /\.backward\(/.test(scope.text);
}

/**
 * The first `name.eval()` and `name.train()` of a function, and the mode its last switch in source order sets: the
 * mode the model it received is in after a call of it.
 */
export function switchesIn(fn: Node, param: string): { eval?: Node; train?: Node; last?: 'eval' | 'train' } {
  const out: { eval?: Node; train?: Node; last?: 'eval' | 'train' } = {};
  walk(
    fn,
    (call) => {
      const mode = modeSwitch(call, param);
      if (!mode) return;
      out[mode] ??= call;
      out.last = mode;
    },
    CALL_NODES,
  );
  return out;
}

/**
 * Where a function evaluates the model `name` holds in whatever mode it came in: its first call of `name` under
 * `no_grad` (or anywhere in a function named or decorated as an evaluation), with no mode switch of `name` before
 * it. None in a function that trains.
 */
export function evaluationIn(model: FileModel, fn: Node, name: string): { call: Node; where: string } | null {
  if (trains(fn)) return null;
  const evaluating = EVALUATING.test(fn.childForFieldName('name')?.text ?? '') || decoratedNoGrad(model, fn);
  let found: { call: Node; where: string } | null = null;
  walk(
    fn,
    (call) => {
      if (found) return false;
      const callee = call.childForFieldName('function');
      if (callee?.type !== 'identifier' || callee.text !== name) return;
      const where = evaluating ? `in \`${fn.childForFieldName('name')?.text}\`` : underNoGrad(model, call, fn);
      // A switch before it, either way, is the function's own say: `model.train()` in a function that does not
      // train is training mode on purpose (Monte Carlo dropout, batch-norm statistics recomputed under `no_grad`).
      if (where && !modeBefore(fn, name, call.startIndex)) found = { call, where };
    },
    CALL_NODES,
  );
  return found;
}

/** What a top-level function does with each parameter's model, for the workspace index; empty when nothing. */
export function modelUses(model: FileModel, fn: Node): Record<string, ModelUse> {
  const out: Record<string, ModelUse> = {};
  const name = fn.childForFieldName('name')?.text ?? '';
  // A decorator (`@torch.no_grad()`) is text of the definition around the function's node.
  const text = fn.parent?.type === 'decorated_definition' ? fn.parent.text : fn.text;
  if (!MAY_USE_MODEL.test(text) && !EVALUATING.test(name)) return out;
  const training = trains(fn);
  for (const { name: param } of parameterList(fn)) {
    const use: ModelUse = {};
    const evaluation = evaluationIn(model, fn, param);
    if (evaluation) use.evaluates = nodeRange(evaluation.call);
    const switches = switchesIn(fn, param);
    if (switches.eval) use.switchesToEval = nodeRange(switches.eval);
    if (switches.train) use.switchesToTrain = true;
    if (switches.last) use.leavesIn = switches.last;
    if (training && calls(fn, param)) use.trains = true;
    if (Object.keys(use).length > 0) out[param] = use;
  }
  return out;
}

function calls(fn: Node, name: string): boolean {
  let found = false;
  walk(
    fn,
    (call) => {
      if (found) return false;
      const callee = call.childForFieldName('function');
      if (callee?.type === 'identifier' && callee.text === name) found = true;
    },
    CALL_NODES,
  );
  return found;
}

/** A function of another workspace file a call reaches (`validate(model)`, `engine.evaluate(model)`), with its uses. */
export function importedScriptFunction(
  model: FileModel,
  callee: Node | null,
): Extract<ExternalDefinition, { kind: 'script-function' }> | null {
  if (!model.workspace || !callee || (callee.type === 'identifier' && model.functions.has(callee.text))) return null;
  const qualified = model.imports.resolve(callee);
  const found = qualified ? model.workspace.definition(qualified) : null;
  return found?.kind === 'script-function' ? found : null;
}
