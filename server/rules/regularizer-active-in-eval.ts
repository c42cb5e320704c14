import { regularizer, type Parameter, type RegularizerSpec, type TrainingParameter } from '../engine/catalog';
import type { Node } from '../engine/parser';
import { firstParameter } from '../engine/classes';
import { readRate } from '../engine/rates';
import { lineOf, percent, type MethodScope, type Report, type Rule, type RuleContext } from '../engine/rule';
import {
  ancestor,
  atomText,
  callArguments,
  findArgument,
  isSelfTraining,
  isTrueLiteral,
  lastName,
  mentionsTraining,
  numericLiteral,
  parameterList,
  walk,
  within,
} from '../engine/syntax';
import { regularizerOf } from '../engine/semantics/regularizers';
import { RANDOM_TEXT } from '../engine/semantics/syntax-queries';
import { underTrainingGuard } from '../engine/training';
import { appendKeywordArgument } from '../engine/edits';
import { randomLayerSkip } from './layer-skip';
import { HAND_WRITTEN_SITES, LIBRARY_SITES } from './profile-figures';

const F = 'torch.nn.functional';

/**
 * PyTorch Geometric's graph dropouts: they drop edges or nodes and return the graph that is left, with `training`
 * defaulting to True as `F.dropout`'s does. Not regularizers of a tensor (the catalog's), so only this rule reads them.
 */
const GRAPH_DROPOUTS = new Map<string, { training: TrainingParameter; rate: Parameter; dropped: string }>(
  (
    [
      ['dropout_adj', 5, 2, 'edges'],
      ['dropout_edge', 3, 1, 'edges'],
      ['dropout_node', 3, 1, 'nodes'],
      ['dropout_path', 6, 1, 'edges'],
    ] as const
  ).flatMap(([name, training, rate, dropped]) =>
    ['torch_geometric.utils', 'torch_geometric.utils.dropout'].map((module) => [
      `${module}.${name}`,
      {
        training: { name: 'training', position: training, default: true },
        rate: { name: 'p', position: rate },
        dropped,
      },
    ]),
  ),
);

const MESSAGES: Record<string, string> = {
  functionalDefault:
    '`{callee}` drops {dropped} in evaluation too: its `training` argument defaults to True. Pass ' +
    '`training=self.training`.',
  trainMethod:
    '`{param}={flag}` passes `nn.Module.train`, a method, which is always true: `{callee}` drops {dropped} in ' +
    'evaluation too. Pass `{param}={selfName}.training`.',
  trainCondition:
    '`{flag}` is the method `nn.Module.train`, which is always true, not the training flag: `{callee}` under this ' +
    'condition runs in evaluation too. Test `{selfName}.training`.',
  trainCalled:
    '`{param}={flag}` calls `nn.Module.train()`, which switches the module back to training mode and returns it ' +
    '(always true): `{callee}` drops {dropped} in evaluation, and the module leaves `model.eval()`. Pass ' +
    '`{param}={selfName}.training`.',
  functionalTrue:
    '`{callee}` is called with `{param}=True`, so it drops {dropped} in evaluation too. Pass ' +
    '`{param}=self.training`, or, if it is meant to stay on at inference, say so in a comment.',
  sdpa:
    '`dropout_p={rate}` is applied in evaluation too: `scaled_dot_product_attention` has no training flag. ' +
    'Use `dropout_p={rate} if self.training else 0.0`.',
  attentionCall:
    '`dropout_p={rate}` is applied in evaluation too: `{callee}` hands it to an attention kernel, which has no ' +
    'training flag. Use `dropout_p={rate} if self.training else 0.0`.',
  trainingInInit:
    '`{flag}` is read in `__init__`, where it is always True (a module is built in training mode): what it chooses ' +
    'here stays chosen for training after `model.eval()`. Read `{flag}` in `forward` instead.',
  moduleInForward:
    '`{callee}` is created inside `{method}`, so it is always in training mode and ignores `model.eval()`. ' +
    'Call the functional form with `training=self.training`, or create the module in `__init__`.',
  layerSkip: 'Layers are skipped at random in evaluation too: this condition does not check `self.training`.',
  layerSkipDrawn:
    'Layers are skipped at random in evaluation too: `{name}` is decided at random (line {line}), and neither it ' +
    'nor this condition checks `self.training`.',
  layerDropHelper:
    '`{callee}` drops layers at random (line {at}) and reads no training flag, so layers are skipped in ' +
    'evaluation too. Call it only when `self.training`.',
  handWritten:
    'This random mask is drawn against `{rate}` in evaluation too: nothing here checks `self.training`, so values ' +
    'are dropped after `model.eval()`. Draw and apply it only when `self.training`.',
  handWrittenModule:
    '`{name}` draws a new random mask in evaluation too: `{method}` never reads `{flag}`, so it keeps dropping ' +
    '{dropped} after `model.eval()`. Return the input unchanged when `not {flag}`.',
  handWrittenModuleEval:
    '`{name}` still draws a random mask when `{flag}` is False, so it keeps dropping {dropped} after ' +
    '`model.eval()`. Return the input unchanged when `not {flag}`.',
  helperFunction:
    '`{callee}` calls `{inner}` (line {at}) without its training flag, which defaults to True, so it drops values ' +
    'in evaluation too. Give `{callee}` a `training` parameter, pass it on, and call it with `training=self.training`.',
  userFunction: '`{callee}` runs with `training=True` (its default) in evaluation too. Pass `training=self.training`.',
};

const LATENT =
  'Its rate is 0 by default (line {line}) and nothing in this file raises it: the mistake is latent until the rate ' +
  'is raised.';

export const regularizerActiveInEval: Rule = {
  meta: {
    code: 'RG006',
    name: 'regularizer-active-in-eval',
    summary: 'A regularizer inside an `nn.Module` keeps dropping values after `model.eval()`.',
    explanation: [
      "`model.eval()` switches every submodule's `training` flag off, and `nn.Dropout` and its relatives read that " +
        'flag. The functional forms do not: `F.dropout(x, p)` has `training=True` as its default, so inside ' +
        '`forward` it keeps dropping (and rescaling) activations at evaluation and inference time. Validation ' +
        'metrics become noisy and worse, predictions are not deterministic, and nothing crashes.',
      '',
      'The same happens with `torch.dropout(x, p, True)`, with `F.scaled_dot_product_attention(..., ' +
        'dropout_p=0.1)` when the rate is not switched off outside training, with a `nn.Dropout(p)` built inside ' +
        '`forward` (a new module is always in training mode), with layers skipped at random (LayerDrop) without ' +
        'checking `self.training` (the draw in the condition or in a local before it, as fairseq and Hugging Face ' +
        'write it: `dropout_probability = np.random.random()`, `skip_the_layer = …`, `to_drop = True`; the check ' +
        'may sit on any of them), and with a drop-path helper of your own whose `training` parameter defaults to ' +
        '`True`.',
      '',
      '`training=self.train` passes the method `nn.Module.train`, not the flag: a bound method is always true, so ' +
        'the dropout stays on after `model.eval()` (`self.train()` even switches the module back to training ' +
        'mode). `if self.train:` (or `… if self.train else …`) around a functional dropout or a random mask is the ' +
        'same mistake: the condition is always true, and the fix tests `self.training`. The rule is silent where ' +
        "the class binds `self.train` to a value of its own. PyTorch Geometric's " +
        'graph dropouts (`dropout_edge`, `dropout_adj`, `dropout_node`, `dropout_path`) default to `training=True` ' +
        'as `F.dropout` does, and are read the same way.',
      '',
      'Attention kernels have no training flag at all: the rule reads `dropout_p` in every spelling of the call ' +
        '(keyword or position; `F.`, `torch.nn.functional.` or an imported name; a local variable holding the ' +
        "rate), flash-attn's `flash_attn_func` family and xformers' `memory_efficient_attention` (positional rates " +
        'included), and a callable named for attention that is handed `dropout_p=` by keyword ' +
        '(`self._attention_call` built by a factory in `__init__`). A method or function of the same file is read ' +
        'where its own kernel call is, and a submodule built from a class in `__init__` has a training flag of its ' +
        'own: neither is reported at the call.',
      '',
      'It also follows one level of helper: a function of the file with no `training` parameter that calls ' +
        '`F.dropout` without one (reported at the call in `forward`, with the rate the caller passes), and a ' +
        'function that filters the list of layers it is given at random (`to_drop = torch.zeros(n).uniform_() < p`), ' +
        'called on `self.layers`. Token or patch dropout written by hand (`torch.rand(b, n) < self.token_drop`, ' +
        '`torch.bernoulli` of `1 - drop_rate`) is reported when the rate is named as a dropout and no training check ' +
        'surrounds it: a random mask against `mask_ratio` (masked modelling) is left alone, as is a draw in a ' +
        'statement that reads the flag itself, or in a method the class calls only under a training condition.',
      '',
      "A regularizer module of your own (a copy of timm's or Megatron's `DropPath`, a textbook dropout) is read by " +
        'evaluating its code symbolically with the training flag on and off, as RG003–RG005 read it: when its ' +
        '`forward` (or a method it calls outside a training condition) still applies a random mask with the flag ' +
        "off, the rule reports the draw; return the input unchanged when `not self.training`, as timm's " +
        '`drop_path` does (no fix is offered: where evaluation should return depends on what else the method ' +
        'computes). A class named for inference (`MCDropout`, `Prenet`) is left alone.',
      '',
      '`self.training` read in `__init__` is reported when the statement builds or chooses a regularizer ' +
        "(Megatron's `get_bias_dropout_add(self.training, …)`, `nn.Dropout(p) if self.training else " +
        'nn.Identity()`): a module is constructed in training mode, so the training variant is chosen once and ' +
        'kept after `model.eval()`. Read the flag in `forward` instead.',
      '',
      "The rule reads the calls inside the methods of `nn.Module` classes (`__init__` and Lightning's " +
        '`training_step` left out) and the conditions around them. It is silent when the training flag is passed ' +
        'through (`training=self.training`, by keyword or position), when the call is reached only under `if ' +
        'self.training:` (or after `if not self.training: return …`), and for functions whose `training` defaults ' +
        "to `False` (`F.alpha_dropout`, timm's `drop_path`).",
      '',
      'Some dropout is meant to stay on at inference: a Tacotron prenet, dropout on the noise of a sampling step, ' +
        "fairseq's `apply_during_inference`, MC dropout. The rule is silent where the code says so: the call runs " +
        'under a condition that reads the training flag next to another switch (`if self.training or ' +
        'self.apply_during_inference:`), a comment on or just above its statement says so ("always applies ' +
        'dropout", "keep dropout at inference"), or a name does (the class or method: `Prenet`, `p_sample`; the ' +
        'rate or the dropped tensor: `noise_dropout`, `mc_dropout`). Silent rather than informational, because the ' +
        'fix would change what the author designed. An explicit `training=True` with no such word is a choice ' +
        'written out that Reglens cannot tell from the mistake: it is reported at information severity, with an ' +
        'unsafe fix.',
      '',
      'When the rate is 0 by default (a literal, a parameter default, or a config field such as `dropout: float = ' +
        '0.0`) and nothing in the file sets it to anything else, the mistake is latent: the finding says so, names ' +
        "the line of that default, and is shown at information severity. It stays a warning when the file's own " +
        'code (a caller, a config) gives the rate a non-zero value.',
    ].join('\n'),
    wrong: [
      'class Head(nn.Module):',
      '    def forward(self, x):',
      '        x = F.dropout(x, p=0.1)',
      '        return self.fc(x)',
    ].join('\n'),
    right: [
      'class Head(nn.Module):',
      '    def forward(self, x):',
      '        x = F.dropout(x, p=0.1, training=self.training)',
      '        return self.fc(x)',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'safe',
    triggers: /drop|stochastic|rand|training/i,
    messages: {
      ...MESSAGES,
      ...Object.fromEntries(Object.entries(MESSAGES).map(([id, text]) => [`${id}Latent`, `${text} ${LATENT}`])),
    },
    profile: {
      sites: [...LIBRARY_SITES, ...HAND_WRITTEN_SITES],
      phrase: ({ result: r, where }) =>
        r.eval.identity
          ? undefined
          : `Measured in evaluation: ${percent(r.eval.droppedFraction)} of values dropped (${where}).`,
    },
  },

  create(context) {
    return {
      call(node) {
        const scope = context.moduleMethod(node);
        if (!scope || !mayRunInEval(scope)) return;
        if (underTrainingGuard(node, scope)) return;
        const fn = node.childForFieldName('function');
        if (!fn) return;
        if (fn.type === 'call') return moduleBuiltInMethod(context, node, fn, scope);
        const qualified = context.model.imports.resolve(fn);
        const spec = regularizer(qualified);
        if (spec?.form === 'function') {
          if (spec.kind === 'attention-dropout') return attention(context, node, spec, scope);
          if (spec.training) return functional(context, node, fn, spec.training, spec.rate, scope);
          return;
        }
        const graph = qualified === null ? undefined : GRAPH_DROPOUTS.get(qualified);
        if (graph) return functional(context, node, fn, graph.training, graph.rate, scope, graph.dropped);
        if (!spec && attentionCallee(context, fn, scope))
          return attention(context, node, { rate: attentionRate(fn) }, scope);
        if (fn.type === 'identifier' && qualified === null) userFunction(context, node, fn, scope);
        if (isRandomDraw(qualified, fn)) handWrittenMask(context, node, scope);
      },
      attribute(node) {
        trainingReadInInit(context, node);
      },
      function_definition(node) {
        handWrittenModule(context, node);
      },
      if_statement(node) {
        trainCondition(context, node, node.childForFieldName('condition'), node.childForFieldName('consequence'));
        reportLayerSkip(context, node, node.childForFieldName('condition'));
      },
      conditional_expression(node) {
        // `x = layer(x) if random.random() > p else x`
        const parts = node.namedChildren.filter((n): n is Node => !!n);
        if (parts.length !== 3) return;
        trainCondition(context, node, parts[1], parts[0]);
        reportLayerSkip(context, node, parts[1]);
      },
    };
  },
};

/**
 * `self.training` read in `__init__` to choose a regularizer (Megatron's `get_bias_dropout_add(self.training, …)`):
 * a module is constructed in training mode, so the choice is always the training one and is kept after
 * `model.eval()`. Only where the statement is about a regularizer, and not the assignment `self.training = …`.
 */
function trainingReadInInit(context: RuleContext, node: Node): void {
  const init = ancestor(node, ['function_definition'], ['lambda']);
  const cls = init?.parent?.type === 'block' ? init.parent.parent : init?.parent?.parent?.parent;
  if (!init || init.childForFieldName('name')?.text !== '__init__' || cls?.type !== 'class_definition') return;
  const selfName = firstParameter(init);
  if (!selfName || !isSelfTraining(node, selfName)) return;
  let statement: Node = node;
  while (statement.parent && statement.parent.type !== 'block') statement = statement.parent;
  if (!/drop|stochastic|noise/i.test(statement.text)) return;
  // A class of another library (its base unseen) counts when it never sets `training` itself: only a module has it.
  const known = context.moduleMethod(node);
  if (!known && new RegExp(`\\b${selfName}\\.training\\s*=[^=]`).test(cls.text)) return;
  if (statement.type === 'expression_statement') {
    const inner = statement.namedChild(0);
    if (inner?.type === 'assignment' && inner.childForFieldName('left')?.id === node.id) return;
  }
  context.report({ node, messageId: 'trainingInInit', data: { flag: node.text } });
}

/** `__init__` builds the model, and Lightning calls `training_step` in training only. */
function mayRunInEval(scope: MethodScope): boolean {
  return scope.methodName !== '__init__' && scope.methodName !== 'training_step';
}

function reportLayerSkip(context: RuleContext, node: Node, cond: Node | null | undefined): void {
  const scope = context.moduleMethod(node);
  if (!cond || !scope || !mayRunInEval(scope)) return;
  const skip = randomLayerSkip(context, node, cond, scope);
  if (!skip) return;
  const { fix, drawn } = skip;
  if (drawn)
    context.report({
      node: cond,
      messageId: 'layerSkipDrawn',
      data: { name: drawn.name, line: lineOf(drawn.assignment) },
      fix,
    });
  else context.report({ node: cond, messageId: 'layerSkip', fix });
}

function functional(
  context: RuleContext,
  call: Node,
  fn: Node,
  training: TrainingParameter,
  rateParameter: Parameter,
  scope: MethodScope,
  dropped = 'values',
): void {
  const arg = findArgument(call, training);
  if (arg === 'unknown') return;
  const callee = fn.text;
  const flag = `${scope.selfName}.training`;
  const rate = argumentNode(call, rateParameter);
  if (arg === 'absent') {
    if (!training.default) return;
    const edit = appendKeywordArgument(context.file, call, `${training.name}=${flag}`);
    reportSite(context, scope, call, rate, {
      node: call,
      messageId: 'functionalDefault',
      data: { callee, dropped },
      fix: edit ? { applicability: 'safe', title: `Pass \`${training.name}=${flag}\``, edits: [edit] } : null,
    });
    return;
  }
  if (isTrueLiteral(arg.node)) {
    reportSite(context, scope, call, rate, {
      node: arg.keyword ?? arg.node,
      messageId: 'functionalTrue',
      data: { callee, param: training.name, dropped },
      severity: 'info',
      fix: {
        applicability: 'unsafe',
        title: `Pass \`${training.name}=${flag}\``,
        edits: [context.edit(arg.node, flag)],
      },
    });
    return;
  }
  trainMethodPassed(context, scope, call, callee, training.name, arg, rate, dropped);
}

/** The node a call passes for a parameter; null when it passes none, or one Reglens cannot place (`*args`). */
function argumentNode(call: Node, parameter: Parameter): Node | null {
  const found = findArgument(call, parameter);
  return found === 'absent' || found === 'unknown' ? null : found.node;
}

/**
 * `training=self.train`: the bound method `nn.Module.train`, always true (and `self.train()` switches the module to
 * training mode too). Not where the class binds `self.train` to something of its own.
 */
function trainMethodPassed(
  context: RuleContext,
  scope: MethodScope,
  call: Node,
  callee: string,
  param: string,
  arg: { node: Node; keyword: Node | null },
  rate: Node | null,
  dropped = 'values',
): void {
  const called = arg.node.type === 'call' && (arg.node.childForFieldName('arguments')?.namedChildCount ?? 1) === 0;
  const method = called ? arg.node.childForFieldName('function') : arg.node;
  if (!method || !isTrainMethod(method, scope.selfName) || bindsTrain(scope)) return;
  const flag = `${scope.selfName}.training`;
  reportSite(context, scope, call, rate, {
    node: arg.keyword ?? arg.node,
    messageId: called ? 'trainCalled' : 'trainMethod',
    data: { callee, param, flag: arg.node.text, selfName: scope.selfName, dropped },
    fix: {
      // Without the call, the module is no longer switched to training mode here: a change of behaviour.
      applicability: called ? 'unsafe' : 'safe',
      title: `Pass \`${param}=${flag}\``,
      edits: [context.edit(arg.node, flag)],
    },
  });
}

/**
 * `if self.train:` (or `… if self.train else …`, `self.train and …`) in a module method: the bound method
 * `nn.Module.train`, always true, so the functional dropout or random mask it seems to gate runs in evaluation too.
 * Reported at the condition, whose fix gates what is under it; not where the class binds `self.train` itself.
 */
function trainCondition(
  context: RuleContext,
  node: Node,
  cond: Node | null | undefined,
  guarded: Node | null | undefined,
): void {
  if (!cond || !guarded || !/\.train\b/.test(cond.text)) return;
  const scope = context.moduleMethod(node);
  if (!scope || !mayRunInEval(scope)) return;
  // The attribute itself, or an operand of `and` / `or` (parentheses read through): under `not` it is always false.
  const operands = (n: Node): Node[] =>
    n.type === 'parenthesized_expression' && n.namedChild(0)
      ? operands(n.namedChild(0)!)
      : n.type === 'boolean_operator'
        ? [n.childForFieldName('left'), n.childForFieldName('right')].flatMap((o) => (o ? operands(o) : []))
        : [n];
  const attr = operands(cond).find((n) => isTrainMethod(n, scope.selfName));
  if (!attr || bindsTrain(scope)) return;
  const blind = modeBlindCall(context, guarded);
  if (!blind) return;
  const flag = `${scope.selfName}.training`;
  context.report({
    node: attr,
    messageId: 'trainCondition',
    data: { flag: attr.text, callee: blind.childForFieldName('function')?.text ?? '', selfName: scope.selfName },
    fix: { applicability: 'safe', title: `Test \`${flag}\``, edits: [context.edit(attr, flag)] },
  });
}

/** The first call under `node` that ignores the module's mode: a functional dropout without its flag, a random draw. */
function modeBlindCall(context: RuleContext, node: Node): Node | null {
  let found: Node | null = null;
  walk(node, (n) => {
    if (found) return false;
    if (n.type !== 'call') return;
    const fn = n.childForFieldName('function');
    if (!fn) return;
    const qualified = context.model.imports.resolve(fn);
    const spec = regularizer(qualified);
    const training =
      spec?.form === 'function' ? spec.training : qualified ? GRAPH_DROPOUTS.get(qualified)?.training : undefined;
    if ((training?.default && findArgument(n, training) === 'absent') || isRandomDraw(qualified, fn)) found = n;
  });
  return found;
}

/** `self.train`: the method `nn.Module.train`, unless the class binds the name (`bindsTrain`). */
function isTrainMethod(node: Node, selfName: string): boolean {
  return (
    node.type === 'attribute' &&
    node.childForFieldName('object')?.text === selfName &&
    node.childForFieldName('attribute')?.text === 'train'
  );
}

/** The class makes `train` an attribute of its own (`self.train = True`, a class-level `train = …`). */
function bindsTrain(scope: MethodScope): boolean {
  const self = scope.selfName;
  return new RegExp(`\\b${self}\\.train\\s*(?::[^=\\n]*)?=[^=]|^[ \\t]+train\\s*(?::[^=\\n]*)?=[^=]`, 'm').test(
    scope.cls.text,
  );
}

/**
 * Reports a site, unless the code says the dropout is meant to stay on at inference (`designedForInference`). A
 * rate that is 0 unless something raises it makes the finding latent: information severity, and the message names
 * the line of that 0.
 */
function reportSite(context: RuleContext, scope: MethodScope, call: Node, rate: Node | null, report: Report): void {
  if (designedForInference(call, scope)) return;
  const reading = readRate(context.model, rate, scope.cls, scope.method);
  if (!reading.latentAt) {
    context.report({ ...report, fileWide: reading.fileWide });
    return;
  }
  context.report({
    ...report,
    messageId: `${report.messageId}Latent`,
    data: { ...report.data, line: lineOf(reading.latentAt) },
    severity: 'info',
    fileWide: reading.fileWide,
  });
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
function designedForInference(call: Node, scope: MethodScope): boolean {
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

/** `noise_dropout` → noise, dropout; `_Prenet` → prenet; `mcDropout` → mc, dropout; `self.p` → self, p. */
function nameParts(name: string): string[] {
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

/**
 * flash-attn's functions and where each takes `dropout_p` by position; xformers' `memory_efficient_attention` takes
 * `p`.
 */
const FLASH_FUNCTIONS: Record<string, Parameter> = {
  flash_attn_func: { name: 'dropout_p', position: 3 },
  flash_attn_kvpacked_func: { name: 'dropout_p', position: 2 },
  flash_attn_qkvpacked_func: { name: 'dropout_p', position: 1 },
  flash_attn_varlen_func: { name: 'dropout_p', position: 7 },
  flash_attn_varlen_kvpacked_func: { name: 'dropout_p', position: 6 },
  flash_attn_varlen_qkvpacked_func: { name: 'dropout_p', position: 3 },
  memory_efficient_attention: { name: 'p', position: 4 },
};
const BY_KEYWORD: Parameter = { name: 'dropout_p', position: -1 };

function attentionRate(fn: Node): Parameter {
  return FLASH_FUNCTIONS[lastName(fn) ?? ''] ?? BY_KEYWORD;
}

/**
 * An attention kernel the catalog does not name: a flash-attn or xformers function, or a callable whose name says
 * attention (`self._attention_call`, `attn_fn`) and that is handed `dropout_p=` by keyword. Not a method or function
 * of this file (the kernel call inside it is read where it is), nor a submodule built from a class in `__init__` (a
 * module has a training flag of its own).
 */
function attentionCallee(context: RuleContext, fn: Node, scope: MethodScope): boolean {
  const name = lastName(fn);
  if (!name) return false;
  if (name in FLASH_FUNCTIONS) return true;
  if (!/attn|attention|sdpa|flash/i.test(name)) return false;
  const call = fn.parent;
  if (
    !call ||
    !callArguments(call).some((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'dropout_p')
  )
    return false;
  // A kernel handed the training flag (`training=self.training`) switches its dropout itself.
  if (callArguments(call).some((a) => mentionsTraining(a, scope.selfName))) return false;
  // `Attention(dim, dropout_p=…)`: a class, built here, with a training flag of its own.
  if (/^[A-Z]/.test(name)) return false;
  if (fn.type === 'identifier') return !context.model.functions.has(name) && !context.model.classes.has(name);
  if (fn.type !== 'attribute' || fn.childForFieldName('object')?.text !== scope.selfName) return true;
  const classes = [scope.cls, ...context.model.superclassesOf(scope.cls.name)];
  if (!scope.cls.closedHierarchy || classes.some((c) => c.members.methods.has(name))) return false;
  // `self._attention_call = _sdpa_or_flex_attention()`: a function; `self.attn = Attention(…)`: a module.
  const init = scope.cls.members.methods.get('__init__');
  let module = false;
  if (init)
    walk(init, (n) => {
      if (module) return false;
      if (n.type === 'assignment' && n.childForFieldName('left')?.text === `${scope.selfName}.${name}`) {
        const right = n.childForFieldName('right');
        const callee = right?.type === 'call' ? lastName(right.childForFieldName('function')!) : null;
        if (!callee || /^[A-Z]/.test(callee)) module = true;
      }
    });
  return !module;
}

function attention(context: RuleContext, call: Node, spec: Pick<RegularizerSpec, 'rate'>, scope: MethodScope): void {
  const arg = findArgument(call, spec.rate);
  if (arg === 'absent' || arg === 'unknown') return;
  const rate = numericLiteral(arg.node);
  if (rate === 0) return;
  if (gatedValue(arg.node, scope)) return;
  const flag = `${scope.selfName}.training`;
  const catalogued = regularizer(context.model.imports.resolve(call.childForFieldName('function')));
  reportSite(context, scope, call, arg.node, {
    node: arg.keyword ?? arg.node,
    messageId: catalogued ? 'sdpa' : 'attentionCall',
    data: { rate: arg.node.text, callee: call.childForFieldName('function')?.text ?? '' },
    fix: {
      applicability: 'safe',
      title: `Use \`dropout_p\` only when \`${flag}\``,
      edits: [context.edit(arg.node, `${atomText(arg.node)} if ${flag} else 0.0`)],
    },
  });
}

/** An expression that mentions the training flag, or a local name whose every assignment in the method does. */
function gatedValue(node: Node, scope: MethodScope): boolean {
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

/** `nn.Dropout(p)(x)`: a module constructed and called on the spot. */
function moduleBuiltInMethod(context: RuleContext, call: Node, ctor: Node, scope: MethodScope): void {
  const spec = regularizer(context.model.imports.resolve(ctor.childForFieldName('function')));
  if (spec?.form !== 'module') return;
  const callee = ctor.childForFieldName('function')!.text;
  const inputs = callArguments(call);
  let fix = null;
  const functionalName = spec.functional ? context.model.imports.aliasFor(`${F}.${spec.functional}`) : null;
  if (
    functionalName &&
    inputs.length === 1 &&
    inputs[0].type !== 'keyword_argument' &&
    !inputs[0].type.endsWith('splat')
  ) {
    const args = [inputs[0].text];
    const rate = findArgument(ctor, spec.rate);
    const inplace = spec.inplace ? findArgument(ctor, spec.inplace) : 'absent';
    if (rate !== 'unknown' && inplace !== 'unknown') {
      if (rate !== 'absent') args.push(`p=${rate.node.text}`);
      args.push(`training=${scope.selfName}.training`);
      if (inplace !== 'absent') args.push(`inplace=${inplace.node.text}`);
      fix = {
        applicability: 'safe' as const,
        title: `Replace with \`${functionalName}(…, training=${scope.selfName}.training)\``,
        edits: [context.edit(call, `${functionalName}(${args.join(', ')})`)],
      };
    }
  }
  reportSite(context, scope, call, argumentNode(ctor, spec.rate), {
    node: call,
    messageId: 'moduleInForward',
    data: { callee, method: scope.methodName },
    fix,
  });
}

function userFunction(context: RuleContext, call: Node, fn: Node, scope: MethodScope): void {
  const sig = context.model.functions.get(fn.text);
  if (sig && !sig.training) {
    if (!layerDropHelper(context, call, fn, sig.node, scope)) helperFunction(context, call, fn, sig.node, scope);
    return;
  }
  if (!sig?.training) return;
  const arg = findArgument(call, { name: 'training', position: sig.training.position });
  if (arg === 'unknown') return;
  // Whatever its default: `self.train` is always true.
  if (arg !== 'absent') trainMethodPassed(context, scope, call, fn.text, 'training', arg, null);
  if (sig.training.default !== true) return;
  const flag = `${scope.selfName}.training`;
  if (arg === 'absent') {
    const edit = appendKeywordArgument(context.file, call, `training=${flag}`);
    reportSite(context, scope, call, null, {
      node: call,
      messageId: 'userFunction',
      data: { callee: fn.text },
      fix: edit ? { applicability: 'safe', title: `Pass \`training=${flag}\``, edits: [edit] } : null,
    });
  } else if (isTrueLiteral(arg.node)) {
    reportSite(context, scope, call, null, {
      node: arg.keyword ?? arg.node,
      messageId: 'functionalTrue',
      data: { callee: fn.text, param: 'training', dropped: 'values' },
      severity: 'info',
      fix: { applicability: 'unsafe', title: `Pass \`training=${flag}\``, edits: [context.edit(arg.node, flag)] },
    });
  }
}

/**
 * A helper of this file without a training flag that calls a functional dropout without its own (`def
 * apply_dropout(x, p): return F.dropout(x, p)`): called from a module method, it drops values in evaluation too.
 * One level deep; a helper that reads any training flag, or whose dropout sits under a condition, is left alone.
 */
function helperFunction(context: RuleContext, call: Node, fn: Node, def: Node, scope: MethodScope): void {
  if (!/dropout/.test(def.text) || mentionsTraining(def, firstParameter(def) ?? 'self')) return;
  if (nameParts(fn.text).some((part) => INFERENCE_NAME_PARTS.has(part) || INFERENCE_VALUE_PARTS.has(part))) return;
  let inner: Node | null = null;
  walk(def, (n) => {
    if (inner) return false;
    if (n.type === 'if_statement' || n.type === 'conditional_expression' || n.type === 'boolean_operator') return false;
    if (n.type === 'function_definition' && n.id !== def.id) return false;
    if (n.type !== 'call') return;
    const spec = regularizer(context.model.imports.resolve(n.childForFieldName('function')));
    if (spec?.form !== 'function' || !spec.training?.default) return;
    const rate = findArgument(n, spec.rate);
    if (
      findArgument(n, spec.training) === 'absent' &&
      (rate === 'absent' || numericLiteral(rate === 'unknown' ? null : rate.node) !== 0)
    )
      inner = n;
  });
  const found = inner as Node | null;
  if (!found) return;
  // The rate as this call gives it, when the helper passes a parameter on: `attention_dropout=self.attn_p`.
  const spec = regularizer(context.model.imports.resolve(found.childForFieldName('function')))!;
  const innerRate = findArgument(found, spec.rate);
  const params = parameterList(def);
  const index =
    innerRate !== 'absent' && innerRate !== 'unknown' && innerRate.node.type === 'identifier'
      ? params.findIndex((p) => p.name === innerRate.node.text)
      : -1;
  const outer = index >= 0 ? findArgument(call, { name: params[index].name, position: index }) : 'absent';
  const rate = outer !== 'absent' && outer !== 'unknown' ? outer.node : null;
  reportSite(context, scope, call, rate, {
    node: call,
    messageId: 'helperFunction',
    data: { callee: fn.text, inner: found.childForFieldName('function')?.text ?? '', at: lineOf(found) },
  });
}

/**
 * A helper of this file that filters a list of layers at random with no training flag (`to_drop =
 * torch.zeros(n).uniform_(0, 1) < p; return [l for l, d in zip(layers, to_drop) if not d]`), called on a layer list
 * of the module (`self.layers`): LayerDrop that runs in evaluation too.
 */
function layerDropHelper(context: RuleContext, call: Node, fn: Node, def: Node, scope: MethodScope): boolean {
  const first = callArguments(call)[0];
  if (first?.type !== 'attribute' || first.childForFieldName('object')?.text !== scope.selfName) return false;
  const param = parameterList(def)[0]?.name;
  if (!param || !RANDOM_TEXT.test(def.text) || mentionsTraining(def, 'self')) return false;
  let draw: Node | null = null;
  let filters = false;
  walk(def, (n) => {
    if (n.type === 'comparison_operator' && !draw && RANDOM_TEXT.test(n.text)) draw = n;
    if (n.type === 'list_comprehension' || n.type === 'generator_expression') {
      const clauses = n.namedChildren.filter((c): c is Node => !!c);
      const over = clauses.find((c) => c.type === 'for_in_clause')?.childForFieldName('right');
      let readsLayers = false;
      if (over) walk(over, (m) => void (m.type === 'identifier' && m.text === param && (readsLayers = true)));
      if (readsLayers && clauses.some((c) => c.type === 'if_clause')) filters = true;
    }
  });
  const found = draw as Node | null;
  if (!found || !filters) return false;
  reportSite(context, scope, call, null, {
    node: call,
    messageId: 'layerDropHelper',
    data: { callee: fn.text, at: lineOf(found) },
  });
  return true;
}

const MASK_DRAWS = new Set(['torch.rand', 'torch.rand_like', 'torch.bernoulli']);

function isRandomDraw(qualified: string | null, fn: Node): boolean {
  if (qualified && MASK_DRAWS.has(qualified)) return true;
  return fn.type === 'attribute' && /^(uniform_|bernoulli_?)$/.test(fn.childForFieldName('attribute')?.text ?? '');
}

/**
 * Token or patch dropout written by hand in a module method: a random draw compared with a dropout rate
 * (`torch.rand(b, n) < self.token_drop`), or `bernoulli` of one, with no training check around it. Only when the
 * rate's name says dropout (a random mask against `mask_ratio` is masked modelling, meant for evaluation too), and
 * not in an `if` or `… if … else …` condition, where LayerDrop is read.
 */
function handWrittenMask(context: RuleContext, call: Node, scope: MethodScope): void {
  let node: Node = call;
  while (node.parent && (node.parent.type === 'parenthesized_expression' || isCastCall(node.parent, node)))
    node = node.parent.type === 'parenthesized_expression' ? node.parent : node.parent.parent!;
  let rate: Node | null = null;
  const cmp = node.parent;
  if (cmp?.type === 'comparison_operator' && cmp.namedChildCount === 2) {
    const op = cmp.children.find((c) => c && !c.isNamed)?.text ?? '';
    if (!/^[<>]=?$/.test(op)) return;
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
  if (!rate || !namesDropRate(rate) || gatedValue(rate, scope) || numericLiteral(rate) === 0) return;
  for (let p = node.parent; p && p.id !== scope.method.id; p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'while_statement') {
      const cond = p.childForFieldName('condition');
      if (cond && within(node, cond)) return;
    }
    if (p.type === 'conditional_expression' && p.namedChildren[1]?.id === node.id) return;
    if (p.type === 'lambda' || p.type === 'function_definition') return;
    // `(not self.training) or bool(torch.bernoulli(keep))`: the statement reads the flag itself.
    if (p.parent?.type === 'block') {
      if (mentionsTraining(p, scope.selfName)) return;
      break;
    }
  }
  if (!calledInEval(scope)) return;
  // A method that is a regularizer of its own is reported as one (handWrittenModule).
  if (regularizerOf(context.model, scope.method)?.evaluation.behaviour === 'stochastic') return;
  reportSite(context, scope, call, rate, { node, messageId: 'handWritten', data: { rate: rate.text } });
}

/**
 * A regularizer module of the user's own (a copy of timm's `DropPath`, a textbook dropout) whose method still masks in
 * evaluation, as the symbolic evaluation of its code finds (server/engine/semantics/regularizers.ts): `forward`, or a
 * method the class calls outside a training condition.
 */
function handWrittenModule(context: RuleContext, def: Node): void {
  // The record is RG003–RG005's too, derived once per file: most methods are no regularizer.
  const s = regularizerOf(context.model, def);
  if (s?.evaluation.behaviour !== 'stochastic') return;
  const body = def.childForFieldName('body');
  const scope = body ? context.moduleMethod(body) : undefined;
  if (!body || !scope || scope.method.id !== def.id || !mayRunInEval(scope) || !calledInEval(scope)) return;
  const at = [s.mask.node, s.application].find((n) => n && within(n, def)) ?? def.childForFieldName('name');
  if (!at || designedForInference(at, scope)) return;
  // No fix: where evaluation should return, and what, depends on what else the method computes around the mask.
  context.report({
    node: at,
    messageId: mentionsTraining(def, scope.selfName) ? 'handWrittenModuleEval' : 'handWrittenModule',
    data: {
      name: scope.methodName === 'forward' ? scope.cls.name : `${scope.cls.name}.${scope.methodName}`,
      method: scope.methodName,
      flag: `${scope.selfName}.training`,
      dropped: s.kind === 'drop-path' ? 'whole samples' : 'values',
    },
  });
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

/**
 * A method other than `forward` runs in evaluation only if its class calls it outside a training condition
 * (diffusers' `token_drop`, called under `if self.training and use_dropout`). Unknown callers: not known to.
 */
function calledInEval(scope: MethodScope): boolean {
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
