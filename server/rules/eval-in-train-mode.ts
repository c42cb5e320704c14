import * as path from 'node:path';
import type { Node } from '../engine/parser';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import {
  argumentFor,
  assignedInText,
  callSites,
  mayHoldModels,
  modeBefore,
  modelNames,
  modeSwitch,
  scopeOf,
  type ModelDropout,
} from '../engine/script-models';
import { callArguments, parameterList, walk, CALL_NODES } from '../engine/syntax';

/** Functions that evaluate, by the names scripts give them. */
const EVALUATING = /^(eval|evaluate|evaluation|validate|validation|valid|val|test|predict|inference|infer)(_|$)/i;
const NO_GRAD = new Set(['torch.no_grad', 'torch.inference_mode', 'torch.autograd.no_grad']);

export const evalInTrainMode: Rule = {
  meta: {
    code: 'RG015',
    name: 'eval-in-train-mode',
    summary:
      'A training script evaluates a model that drops without `model.eval()`, or trains again without `model.train()`.',
    explanation: [
      '`torch.no_grad()` turns off gradients, not dropout: only `model.eval()` does. A script that evaluates under ' +
        '`no_grad` (or in a function named `evaluate`, `validate`, `test`, `predict`) without `model.eval()` ' +
        'reports metrics of a model that still drops values: noisy, too low, different on every run. The mirror ' +
        'mistake: an epoch loop whose evaluation calls `model.eval()` and whose training step never calls ' +
        '`model.train()`, so from the second epoch on the model trains without its dropout.',
      '',
      'The rule reads scripts, not modules: the functions at the top level of a file and its top-level code. A ' +
        'model is a name bound to an instance of a module class that drops (a dropout submodule or a functional ' +
        'dropout, in the class or in a submodule, or a hand-written regularizer class that stops in evaluation, ' +
        "such as a copy of timm's `DropPath`), of the same file or imported from another file of the workspace " +
        '(`from model import Net`), or a parameter annotated with such a class (`def test(model: Net, …)`), ' +
        'followed through the parameters of the script’s functions when every call binds the same model. A mode ' +
        'switch anywhere earlier in the function, or before every call of it, counts: the rule is silent when in ' +
        'doubt. Methods of classes (a Lightning `validation_step`) are not read: their framework switches modes.',
    ].join('\n'),
    wrong: [
      'def test(model, loader):',
      '    with torch.no_grad():',
      '        for data, target in loader:',
      '            correct += model(data).argmax(1).eq(target).sum().item()',
    ].join('\n'),
    right: [
      'def test(model, loader):',
      '    model.eval()',
      '    with torch.no_grad():',
      '        for data, target in loader:',
      '            correct += model(data).argmax(1).eq(target).sum().item()',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'none',
    triggers: /no_grad|inference_mode|\.eval\(|def (eval|valid|test|predict|infer)/i,
    // A loop's finding reads the functions it calls; a function's, the calls of it elsewhere.
    readsOtherStatements: true,
    messages: {
      noEval:
        '`{model}` is evaluated here ({where}) in training mode: nothing calls `{model}.eval()` before it, so its ' +
        'dropout (`{dropout}`, line {line}) still drops values and the results are noisy and too low. ' +
        '`torch.no_grad()` does not switch dropout off.',
      noEvalImported:
        '`{model}` is evaluated here ({where}) in training mode: nothing calls `{model}.eval()` before it, so its ' +
        'dropout (`{dropout}` in `{owner}`, line {line} of {file}) still drops values and the results are noisy and ' +
        'too low. `torch.no_grad()` does not switch dropout off.',
      noTrain:
        '{step} trains `{model}` again after `{model}.eval()` (line {line}) in the same loop, and nothing in ' +
        'between calls `{model}.train()`: from the second pass on, `{model}` trains without its dropout.',
    },
  },

  create(context) {
    return {
      function_definition(def) {
        if (def.parent?.type !== 'module' && def.parent!.parent?.type !== 'module') return;
        if (!mayHoldModels(context.model)) return;
        checkEvaluations(context, def);
        checkLoops(context, def);
      },
      // Top-level script code (an `if __name__ == "__main__":` block, a notebook cell): read statement by statement.
      call(call) {
        // Every call of the file comes here: the cheap tests first (a call at the top level, of a name bound to a
        // model there). Most calls are in methods, and the file's assigned names are gathered only for the others.
        const fn = call.childForFieldName('function');
        if (fn?.type !== 'identifier' || scopeOf(call).type !== 'module' || !mayHoldModels(context.model)) return;
        if (!assignedInText(context.model, fn.text)) return;
        if (!modelNames(context.model, context.model.file.root).has(fn.text)) return;
        checkTopLevelEvaluation(context, call);
      },
      for_statement(loop) {
        checkTopLevelLoop(context, loop);
      },
    };
  },
};

function checkEvaluations(context: RuleContext, scope: Node): void {
  const models = modelNames(context.model, scope);
  if (models.size === 0) return;
  const evaluating = EVALUATING.test(scope.childForFieldName('name')?.text ?? '') || decoratedNoGrad(context, scope);
  const reported = new Set<string>();
  walk(
    scope,
    (call) => {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'identifier' || !models.has(fn.text) || reported.has(fn.text)) return;
      const where = evaluating ? `in \`${scope.childForFieldName('name')?.text}\`` : underNoGrad(context, call, scope);
      if (!where || trains(scope)) return;
      // `model.train()` before it in a function that does not train: training mode on purpose (Monte Carlo dropout,
      // batch-norm statistics recomputed under `no_grad`).
      if (modeBefore(scope, fn.text, call.startIndex) || evalAtEveryCall(context, scope, fn.text)) return;
      reported.add(fn.text);
      reportEvaluation(context, call, fn.text, models.get(fn.text)!, where);
    },
    CALL_NODES,
  );
}

function checkTopLevelEvaluation(context: RuleContext, call: Node): void {
  const root = context.model.file.root;
  const fn = call.childForFieldName('function');
  const bound = fn?.type === 'identifier' ? modelNames(context.model, root).get(fn.text) : undefined;
  if (!fn || !bound) return;
  const where = underNoGrad(context, call, root);
  // No gradients flow under `no_grad`: no training step to tell apart from the evaluation.
  if (!where || modeBefore(root, fn.text, call.startIndex)?.mode === 'eval') return;
  reportEvaluation(context, call, fn.text, bound, where);
}

/** `model(x)` evaluated in training mode: the message names the dropout that still drops, wherever it is. */
function reportEvaluation(context: RuleContext, call: Node, model: string, dropout: ModelDropout, where: string): void {
  const { label, owner, node, external } = dropout;
  if (node) {
    context.report({
      node: call,
      messageId: 'noEval',
      data: { model, where, dropout: label, line: lineOf(node) },
      fileWide: true,
    });
    return;
  }
  context.report({
    node: call,
    messageId: 'noEvalImported',
    data: {
      model,
      where,
      dropout: label,
      owner,
      line: lineOf(external!.range),
      file: path.basename(external!.file),
    },
    related: [{ range: external!.range, file: external!.file, message: `the dropout: \`${label}\`` }],
    fileWide: true,
  });
}

function checkTopLevelLoop(context: RuleContext, loop: Node): void {
  if (!mayHoldModels(context.model) || scopeOf(loop).type !== 'module') return;
  const body = loop.childForFieldName('body');
  if (!body) return;
  for (const name of modelNames(context.model, context.model.file.root).keys()) checkLoop(context, body, name);
}

/** Every call of the function passes a model its caller switched to evaluation first. */
function evalAtEveryCall(context: RuleContext, scope: Node, param: string): boolean {
  const position = parameterList(scope).findIndex((p) => p.name === param);
  if (position < 0) return false;
  const sites = callSites(context.model, scope.childForFieldName('name')?.text ?? '');
  return (
    sites.length > 0 &&
    sites.every((site) => {
      const arg = argumentFor(site, param, position);
      return arg?.type === 'identifier' && modeBefore(scopeOf(site), arg.text, site.startIndex)?.mode === 'eval';
    })
  );
}

function underNoGrad(context: RuleContext, node: Node, scope: Node): string | null {
  for (let p = node.parent; p && p.id !== scope.id; p = p.parent) {
    if (p.type !== 'with_statement') continue;
    let found: string | null = null;
    walk(
      p.namedChildren.find((c) => c?.type === 'with_clause') ?? p,
      (call) => {
        const name = context.model.imports.resolve(call.childForFieldName('function'));
        if (name && NO_GRAD.has(name)) found = `under \`${call.text}\``;
      },
      CALL_NODES,
    );
    if (found) return found;
  }
  return null;
}

function decoratedNoGrad(context: RuleContext, def: Node): boolean {
  const decorated = def.parent;
  if (decorated?.type !== 'decorated_definition') return false;
  return decorated.namedChildren.some((d) => {
    if (d?.type !== 'decorator') return false;
    const expr = d.namedChild(0);
    const target = expr?.type === 'call' ? expr.childForFieldName('function') : expr;
    const name = context.model.imports.resolve(target ?? null);
    return !!name && NO_GRAD.has(name);
  });
}

/** A function that runs a backward pass is a training step, whatever its name. */
function trains(scope: Node): boolean {
  return /\.backward\(/.test(scope.text);
}

/** Epoch loops: a training step and an evaluation switch in one loop, and no `model.train()` inside it. */
function checkLoops(context: RuleContext, scope: Node): void {
  const models = modelNames(context.model, scope);
  if (models.size === 0) return;
  walk(scope, (loop) => {
    if (loop.type === 'function_definition' && loop.id !== scope.id) return false;
    if (loop.type !== 'for_statement' && loop.type !== 'while_statement') return;
    const body = loop.childForFieldName('body');
    if (!body) return;
    for (const name of models.keys()) checkLoop(context, body, name);
  });
}

function checkLoop(context: RuleContext, body: Node, name: string): void {
  let evalAt: Node | null = null;
  let step: Node | null = null;
  let trainsAgain = false;
  let direct = false;
  walk(
    body,
    (call) => {
      const mode = modeSwitch(call, name);
      if (mode === 'train') trainsAgain = true;
      if (mode === 'eval') evalAt ??= call;
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'identifier') return;
      if (fn.text === name) {
        if (trains(body)) step ??= call;
        if (trains(body)) direct = true;
        return;
      }
      // A script function the model is passed to: what it does to its parameter is what the loop does.
      const callee = context.model.functions.get(fn.text)?.node;
      const position = callArguments(call).findIndex((a) => a.type === 'identifier' && a.text === name);
      const param = callee && position >= 0 ? parameterList(callee)[position]?.name : undefined;
      if (!callee || !param) return;
      const modes = switchesIn(callee, param);
      if (modes.train) trainsAgain = true;
      else if (modes.eval) evalAt ??= modes.eval;
      else if (trains(callee)) step ??= call;
    },
    CALL_NODES,
  );
  if (!evalAt || !step || trainsAgain) return;
  const at: Node = step;
  context.report({
    node: at,
    messageId: 'noTrain',
    data: {
      step:
        direct && at.childForFieldName('function')?.text === name
          ? 'This training step'
          : `\`${at.text.split('(')[0]}\``,
      model: name,
      line: lineOf(evalAt),
    },
    fileWide: true,
  });
}

function switchesIn(fn: Node, param: string): { eval?: Node; train?: Node } {
  const out: { eval?: Node; train?: Node } = {};
  walk(
    fn,
    (call) => {
      const mode = modeSwitch(call, param);
      if (mode) out[mode] ??= call;
    },
    CALL_NODES,
  );
  return out;
}
