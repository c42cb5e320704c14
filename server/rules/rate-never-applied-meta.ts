import type { RuleMeta } from '../engine/rule';

/** RG012's metadata: its docs page, hover text and messages (the checks are in rate-never-applied.ts). */
export const rateNeverAppliedMeta: RuleMeta = {
  code: 'RG012',
  name: 'rate-never-applied',
  summary:
    'A dropout or drop-path rate that a module or function accepts never reaches a regularizer: unused, read from ' +
    'the wrong config key, replaced by a literal, left out of a submodule, or swallowed by `**kwargs`.',
  explanation: [
    'A rate the user configures (`dropout=0.3` on the command line, `lora_dropout` in a config) that never arrives ' +
      'does not crash anything: the model trains with another rate, or none, and the configuration lies about it. ' +
      'The rule reads the names of rates (`dropout`, `attn_dropout`, `drop_rate`, `drop_path_rate`, `p_dropout`, ' +
      "`resid_pdrop`, `hidden_dropout_prob`, timm's `attn_drop` and `drop`, `layerdrop`; flags such as " +
      '`use_dropout` and layers such as `dropout_layer` are not rates) and follows them through one file:',
    '',
    '- **Unused parameter**: an `__init__` parameter of an `nn.Module` named as a rate that the body never reads. ' +
      'Any read counts as a use: storing it on `self`, passing it to `super().__init__`, to a submodule or to a ' +
      'helper, a condition, a `del`. Silent for a stub `__init__` (only a docstring, `pass` or `raise`), for names ' +
      'that start with `_`, for a parameter whose comment says it is kept on purpose (`dropout=0.0,  # Just to ' +
      'absorb the kwarg`: absorb, unused, ignored, compatibility, deprecated), and when the body reads its ' +
      "arguments wholesale (`locals()`, `vars()`, Lightning's `save_hyperparameters()`).",
    '- **Literal rate**: `F.dropout(x, p=0.5, …)` (or another functional regularizer) with a number for its rate ' +
      'inside a function that takes a rate parameter (a nested function included), or inside a method of a ' +
      'module whose `__init__` takes one, when that rate reaches no regularizer (it is never read, or only kept on ' +
      '`self` and never read there) or feeds another call of the same regularizer, so that the literal is the odd ' +
      'one out. Silent when the configured rate goes elsewhere (into `nn.Dropout(dropout)` on the output while ' +
      "SDPA's `dropout_p=0.0` is another slot, into a submodule) and when the rate is not a number literal.",
    '- **Wrong config key**: an argument for a specific rate (`lora_dropout=`, `attention_dropout`, by keyword or by ' +
      'position into a class or function of the file) that reads another rate of an object ' +
      '(`config.dropout`, either branch of `a if c else b`) while the file shows that the object has the specific ' +
      'one: it reads `config.lora_dropout` somewhere, or a config class of the file declares the field, or a ' +
      'dictionary key or a command-line option has its name. Silent when the parameter is a generic rate ' +
      '(`dropout=config.attention_dropout` feeds a module whose one rate is called `dropout`) and when the key ' +
      'read is a more specific name of the parameter (`layerdrop=args.adaptor_layerdrop`).',
    '- **Not passed to a submodule**: in `__init__`, one branch of an `if` builds a submodule without any of the ' +
      'rates the parent takes, where another branch builds the same attribute or variable with one of them. Silent ' +
      'when the class built there is known (in this file or the workspace) and takes no rate and no `**kwargs`, ' +
      "and for torch's own layers.",
    "- **Left at the submodule's default**: in `__init__`, a class of the file built without the rate the parent " +
      "takes, when that class's own parameter of the same name defaults to a non-zero rate (allennlp's " +
      '`T5LayerFF(dropout=…)` builds `ff_proj or T5DenseReluDense()`, which drops at its own 0.1): the submodule ' +
      'drops at its default whatever the parent is given, 0 included. Silent when the call passes any rate or ' +
      '`*args` / `**kwargs`, and when the default is 0.',
    '- **Swallowed by `**kwargs`**: a rate keyword passed to a class or function of the file that has no parameter ' +
      'of that name and whose `**kwargs` it never passes on nor reads under that key. Silent as soon as `kwargs` ' +
      'is forwarded anywhere (`super().__init__(**kwargs)`, a submodule, a helper).',
    '',
    'Each message names the lines involved. The fixes (for a wrong key: read the specific one; for a literal: the ' +
      'configured rate where the call can reach it) change the rate the model trains with, so they are unsafe.',
    '',
    'Not covered: a rate applied only on some paths (under a feature flag such as `if self.position_encoding:`), ' +
      'which is the right design as often as a mistake, and rates read through a config object into another file.',
  ].join('\n'),
  wrong: [
    'class LoRALinear(nn.Module):',
    '    def __init__(self, config, lora_dropout=0.0):',
    '        super().__init__()',
    '        self.lora_dropout = nn.Dropout(lora_dropout)',
    '',
    'class Prenet(nn.Module):',
    '    def __init__(self, dim, p_dropout=0.5):',
    '        super().__init__()',
    '        self.fc = nn.Linear(dim, dim)',
    '        self.p_dropout = p_dropout',
    '',
    '    def forward(self, x):',
    '        return F.dropout(F.relu(self.fc(x)), p=0.0, training=True)',
    '',
    'def build(config):',
    '    return LoRALinear(config, lora_dropout=config.dropout)',
    '',
    'class Config:',
    '    dropout: float = 0.1',
    '    lora_dropout: float = 0.05',
  ].join('\n'),
  right: [
    'class LoRALinear(nn.Module):',
    '    def __init__(self, config, lora_dropout=0.0):',
    '        super().__init__()',
    '        self.lora_dropout = nn.Dropout(lora_dropout)',
    '',
    'class Prenet(nn.Module):',
    '    def __init__(self, dim, p_dropout=0.5):',
    '        super().__init__()',
    '        self.fc = nn.Linear(dim, dim)',
    '        self.p_dropout = p_dropout',
    '',
    '    def forward(self, x):',
    '        return F.dropout(F.relu(self.fc(x)), p=self.p_dropout, training=True)',
    '',
    'def build(config):',
    '    return LoRALinear(config, lora_dropout=config.lora_dropout)',
    '',
    'class Config:',
    '    dropout: float = 0.1',
    '    lora_dropout: float = 0.05',
  ].join('\n'),
  defaultSeverity: 'warning',
  fix: 'unsafe',
  triggers: /drop/i,
  messages: {
    unusedParameter:
      '`{cls}.__init__` (line {line}) accepts the rate `{name}` but never reads it: whatever a caller passes ' +
      'regularizes nothing.',
    hardcodedRate:
      'This call drops with the literal rate {literal} while `{owner}` is configured with `{rate}` (line {line}): ' +
      'the configured rate is ignored here.',
    wrongKey: '`{param}` is given `{value}`, but `{field}` exists (line {line}): the configured {param} is ignored.',
    notPassed:
      '`{callee}` is built into `{target}` without any rate of `{cls}`, while the other branch (line {line}) ' +
      'passes {rate}: the configured rate never reaches it.',
    ownDefault:
      '`{callee}` is built without `{name}`: it drops at its own default `{name}={value}` whatever `{name}` ' +
      '`{cls}` is given (line {line}), 0 included.',
    swallowed:
      '`{name}=` goes into `**{kwargs}` of `{callee}` (line {line}), which neither has such a parameter nor passes ' +
      'it on: the rate is dropped silently.',
  },
};
