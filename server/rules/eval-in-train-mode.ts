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
import { evaluationIn, importedScriptFunction, switchesIn, trains, underNoGrad } from '../engine/script-functions';
import { callArguments, parameterList, walk, CALL_NODES } from '../engine/syntax';

/**
 * Text RG015 can fire on: an evaluation of its own (`no_grad`, `.eval(`, `def evaluate`), or a call of a function named
 * as one (`validate(model)`, `evaluate_accuracy(…)`), which may be another file's. Every match is bounded in length
 * (no `\b`, `^` or repetition): after an edit the text is searched again only around it (text-search.ts), where a
 * pattern such as `\w*\(` would be searched through the whole file on every keystroke.
 */
const TRIGGERS = new RegExp(
  [
    'no_grad|inference_mode|\\.eval\\(|def (eval|valid|test|predict|infer)',
    '[\\s(,=[.](?:evaluate|validate)[(_]',
    '[\\s(,=[.](?:test|eval|val|valid|predict|infer|inference|evaluation|validation)\\(',
  ].join('|'),
  'i',
);

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
        'followed through the parameters of the script’s functions when every call binds the same model. A ' +
        'function of another file the script passes its model to (`validate(model)` of `engine.py`) counts as ' +
        'written beside it: a call of one that evaluates the model in the mode it receives is reported where nothing ' +
        'switched the model to eval before, and one that switches it to eval or trains it takes part in the epoch ' +
        'loop. A mode ' +
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
    triggers: TRIGGERS,
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
      noEvalCalled:
        '`{fn}` evaluates `{model}` (line {line} of {file}) without switching it to evaluation mode, and nothing ' +
        'here calls `{model}.eval()` before this call: its dropout (`{dropout}` in `{owner}`) still drops values ' +
        'and the results are noisy and too low. `torch.no_grad()` does not switch dropout off.',
      noTrainCalled:
        '{step} trains `{model}` again after `{fn}` (line {line}) switched it to evaluation mode in the same loop, ' +
        'and nothing in between calls `{model}.train()`: from the second pass on, `{model}` trains without its ' +
        'dropout.',
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
        if (!fn || scopeOf(call).type !== 'module' || !mayHoldModels(context.model)) return;
        const root = context.model.file.root;
        if (
          fn.type === 'identifier' &&
          assignedInText(context.model, fn.text) &&
          modelNames(context.model, root).has(fn.text)
        )
          checkTopLevelEvaluation(context, call);
        else checkCalledEvaluation(context, call, root, modelNames(context.model, root));
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
  for (const [name, dropout] of models) {
    const evaluation = evaluationIn(context.model, scope, name);
    if (evaluation && !evalAtEveryCall(context, scope, name))
      reportEvaluation(context, evaluation.call, name, dropout, evaluation.where);
  }
  walk(scope, (call) => checkCalledEvaluation(context, call, scope, models), CALL_NODES);
}

function checkTopLevelEvaluation(context: RuleContext, call: Node): void {
  const root = context.model.file.root;
  const fn = call.childForFieldName('function');
  const bound = fn?.type === 'identifier' ? modelNames(context.model, root).get(fn.text) : undefined;
  if (!fn || !bound) return;
  const where = underNoGrad(context.model, call, root);
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

/**
 * `validate(model)` of another file, which evaluates its parameter in whatever mode it receives: reported here, where
 * the model was not switched to evaluation mode before the call.
 */
function checkCalledEvaluation(
  context: RuleContext,
  call: Node,
  scope: Node,
  models: ReadonlyMap<string, ModelDropout>,
): void {
  if (models.size === 0) return;
  const def = importedScriptFunction(context.model, call.childForFieldName('function'));
  if (!def) return;
  for (const [i, p] of def.parameters.entries()) {
    const evaluation = def.models[p.name]?.evaluates;
    const arg = evaluation ? argumentFor(call, p.name, p.keywordOnly ? -1 : i) : undefined;
    const dropout = arg?.type === 'identifier' ? models.get(arg.text) : undefined;
    if (!evaluation || !arg || !dropout) continue;
    if (modeSetBefore(context, scope, arg.text, call.startIndex) === 'eval') continue;
    if (scope.type === 'function_definition' && evalAtEveryCall(context, scope, arg.text)) continue;
    const dropoutAt = dropout.external ?? (dropout.node && { range: context.edit(dropout.node, '').range });
    context.report({
      node: call,
      messageId: 'noEvalCalled',
      data: {
        fn: def.name,
        model: arg.text,
        line: lineOf(evaluation),
        file: path.basename(def.file),
        dropout: dropout.label,
        owner: dropout.owner,
      },
      related: [
        { range: evaluation, file: def.file, message: `\`${def.name}\` evaluates \`${p.name}\` here` },
        ...(dropoutAt ? [{ ...dropoutAt, message: `the dropout: \`${dropout.label}\`` }] : []),
      ],
      fileWide: true,
    });
  }
}

/**
 * The mode the last switch of `name` before `before` sets: `name.eval()`, or a call that passes it to a function of
 * this file or another that switches it (`validate(model)` calling `model.eval()`). In source order, as `modeBefore`.
 */
function modeSetBefore(context: RuleContext, scope: Node, name: string, before: number): 'eval' | 'train' | null {
  let last: 'eval' | 'train' | null = null;
  walk(
    scope,
    (call) => {
      if (call.startIndex >= before) return false;
      last = modeSwitch(call, name) ?? passedTo(context, call, name)?.mode ?? last;
    },
    CALL_NODES,
  );
  return last;
}

/**
 * What a call that passes `name` to a function of this file or another does with it: the mode its last switch leaves
 * it in, whether it switches it to training anywhere (then an epoch loop that calls it trains in training mode),
 * where it switches to evaluation (`by`: the function, when that is in another file and `evalAt` is the call), and
 * whether it runs a training step on it.
 */
function passedTo(
  context: RuleContext,
  call: Node,
  name: string,
): { mode: 'eval' | 'train' | null; toTrain: boolean; evalAt?: Node; by?: string; trains: boolean } | null {
  const position = callArguments(call).findIndex((a) => a.type === 'identifier' && a.text === name);
  const fn = call.childForFieldName('function');
  if (position < 0 || !fn) return null;
  const local = fn.type === 'identifier' ? context.model.functions.get(fn.text)?.node : undefined;
  if (local) {
    const param = parameterList(local)[position]?.name;
    if (!param) return null;
    const modes = switchesIn(local, param);
    return { mode: modes.last ?? null, toTrain: !!modes.train, evalAt: modes.eval, trains: trains(local) };
  }
  const def = importedScriptFunction(context.model, fn);
  const param = def?.parameters[position];
  const use = param && !param.keywordOnly ? def!.models[param.name] : undefined;
  if (!use) return null;
  const evalAt = use.switchesToEval ? { evalAt: call, by: def!.name } : {};
  return { mode: use.leavesIn ?? null, toTrain: !!use.switchesToTrain, ...evalAt, trains: !!use.trains };
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
  // The function of another file that switched the model to evaluation, when one did (`evalAt` is its call).
  let evalBy: string | null = null;
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
      if (!fn) return;
      if (fn.type === 'identifier' && fn.text === name) {
        if (trains(body)) {
          step ??= call;
          direct = true;
        }
        return;
      }
      // A script function the model is passed to: what it does to its parameter is what the loop does.
      const passed = passedTo(context, call, name);
      if (passed?.toTrain) trainsAgain = true;
      else if (passed?.evalAt) {
        if (!evalAt) [evalAt, evalBy] = [passed.evalAt, passed.by ?? null];
      } else if (passed?.trains) step ??= call;
    },
    CALL_NODES,
  );
  if (!evalAt || !step || trainsAgain) return;
  const at: Node = step;
  const stepName =
    direct && at.childForFieldName('function')?.text === name ? 'This training step' : `\`${at.text.split('(')[0]}\``;
  context.report({
    node: at,
    messageId: evalBy ? 'noTrainCalled' : 'noTrain',
    data: { step: stepName, model: name, line: lineOf(evalAt), fn: evalBy ?? '' },
    fileWide: true,
  });
}
