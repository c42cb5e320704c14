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
} from '../engine/syntax';
import { RANDOM_TEXT } from '../engine/semantics/syntax-queries';
import { underTrainingGuard } from '../engine/training';
import { appendKeywordArgument } from '../engine/edits';
import { handWrittenMask, handWrittenModule, isRandomDraw } from './hand-written-eval';
import { designedForInference, gatedValue, mayRunInEval, namesInference } from './inference-intent';
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
        const mask = isRandomDraw(qualified, fn) ? handWrittenMask(context, node, scope) : null;
        if (mask)
          reportSite(context, scope, node, mask.rate, {
            node: mask.node,
            messageId: 'handWritten',
            data: { rate: mask.rate.text },
          });
      },
      attribute(node) {
        trainingReadInInit(context, node);
      },
      function_definition(node) {
        const report = handWrittenModule(context, node);
        if (report) context.report(report);
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
  if (namesInference(fn.text)) return;
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
