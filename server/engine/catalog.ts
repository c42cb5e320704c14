/**
 * The regularizers Reglens knows, keyed by canonical qualified name (see `canonicalName`). One table, so that
 * every rule, the hover and the profiler agree on what a call means.
 */

export type RegularizerKind =
  | 'dropout'
  | 'channel-dropout'
  | 'alpha-dropout'
  | 'feature-alpha-dropout'
  | 'drop-path'
  | 'stochastic-depth'
  | 'attention-dropout';

export interface Parameter {
  name: string;
  /** Index among positional arguments, or -1 for keyword-only. */
  position: number;
}

export interface TrainingParameter extends Parameter {
  /** The value when the caller passes nothing: `True` makes a call in `forward` drop in evaluation too. */
  default: boolean;
}

export interface RegularizerSpec {
  qualifiedName: string;
  kind: RegularizerKind;
  form: 'module' | 'function';
  /** The drop probability; for drop path and stochastic depth it is also a drop (not keep) probability. */
  rate: Parameter;
  training?: TrainingParameter;
  inplace?: Parameter;
  /** For module classes: the functional form in `torch.nn.functional` with the same semantics. */
  functional?: string;
}

const F = 'torch.nn.functional';

const specs: RegularizerSpec[] = [
  ...(['Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'FeatureAlphaDropout'] as const).map(
    (name): RegularizerSpec => ({
      qualifiedName: `torch.nn.${name}`,
      kind: moduleKind(name),
      form: 'module',
      rate: { name: 'p', position: 0 },
      inplace: { name: 'inplace', position: 1 },
      functional: name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase(),
    }),
  ),
  ...(['dropout', 'dropout1d', 'dropout2d', 'dropout3d'] as const).map(
    (name): RegularizerSpec => ({
      qualifiedName: `${F}.${name}`,
      kind: name === 'dropout' ? 'dropout' : 'channel-dropout',
      form: 'function',
      rate: { name: 'p', position: 1 },
      training: { name: 'training', position: 2, default: true },
      inplace: { name: 'inplace', position: 3 },
    }),
  ),
  // PyTorch defaults these two to training=False: calling them bare never drops.
  {
    qualifiedName: `${F}.alpha_dropout`,
    kind: 'alpha-dropout',
    form: 'function',
    rate: { name: 'p', position: 1 },
    training: { name: 'training', position: 2, default: false },
    inplace: { name: 'inplace', position: 3 },
  },
  {
    qualifiedName: `${F}.feature_alpha_dropout`,
    kind: 'feature-alpha-dropout',
    form: 'function',
    rate: { name: 'p', position: 1 },
    training: { name: 'training', position: 2, default: false },
    inplace: { name: 'inplace', position: 3 },
  },
  // The ATen entry points take the training flag as a required third argument named `train`.
  ...(['dropout', 'alpha_dropout', 'feature_dropout', 'feature_alpha_dropout'] as const).map(
    (name): RegularizerSpec => ({
      qualifiedName: `torch.${name}`,
      kind:
        name === 'dropout'
          ? 'dropout'
          : name === 'feature_dropout'
            ? 'channel-dropout'
            : name === 'alpha_dropout'
              ? 'alpha-dropout'
              : 'feature-alpha-dropout',
      form: 'function',
      rate: { name: 'p', position: 1 },
      training: { name: 'train', position: 2, default: true },
    }),
  ),
  {
    qualifiedName: `${F}.scaled_dot_product_attention`,
    kind: 'attention-dropout',
    form: 'function',
    rate: { name: 'dropout_p', position: 4 },
  },
  {
    qualifiedName: 'timm.layers.DropPath',
    kind: 'drop-path',
    form: 'module',
    rate: { name: 'drop_prob', position: 0 },
  },
  // timm's functional drop_path defaults to training=False.
  {
    qualifiedName: 'timm.layers.drop_path',
    kind: 'drop-path',
    form: 'function',
    rate: { name: 'drop_prob', position: 1 },
    training: { name: 'training', position: 2, default: false },
  },
  {
    qualifiedName: 'torchvision.ops.StochasticDepth',
    kind: 'stochastic-depth',
    form: 'module',
    rate: { name: 'p', position: 0 },
  },
  {
    qualifiedName: 'torchvision.ops.stochastic_depth',
    kind: 'stochastic-depth',
    form: 'function',
    rate: { name: 'p', position: 1 },
    training: { name: 'training', position: 3, default: true },
  },
];

function moduleKind(name: string): RegularizerKind {
  if (name === 'Dropout') return 'dropout';
  if (name === 'AlphaDropout') return 'alpha-dropout';
  if (name === 'FeatureAlphaDropout') return 'feature-alpha-dropout';
  return 'channel-dropout';
}

const byName = new Map(specs.map((s) => [s.qualifiedName, s]));

export function regularizer(qualifiedName: string | null): RegularizerSpec | undefined {
  return qualifiedName === null ? undefined : byName.get(qualifiedName);
}

export const regularizers: readonly RegularizerSpec[] = specs;

/**
 * Library layers that take a dropout rate for something inside them. They are not regularizers of their own
 * output in the catalog's sense, but their rate argument must still be a probability (RG008).
 */
export const rateArguments = new Map<string, Parameter>([
  ['torch.nn.MultiheadAttention', { name: 'dropout', position: 2 }],
  ['torch.nn.TransformerEncoderLayer', { name: 'dropout', position: 3 }],
  ['torch.nn.TransformerDecoderLayer', { name: 'dropout', position: 3 }],
  ['torch.nn.Transformer', { name: 'dropout', position: 5 }],
  ['torch.nn.LSTM', { name: 'dropout', position: -1 }],
  ['torch.nn.GRU', { name: 'dropout', position: -1 }],
  ['torch.nn.RNN', { name: 'dropout', position: -1 }],
]);

/** Base classes that make a class an `nn.Module`. */
export const MODULE_BASES = new Set([
  'torch.nn.Module',
  'torch.nn.Sequential',
  'torch.nn.ModuleList',
  'torch.nn.ModuleDict',
  'pytorch_lightning.LightningModule',
  // Hugging Face models: `nn.Module`s whose base class brings many methods of its own.
  'transformers.PreTrainedModel',
]);

/** Containers whose elements are submodules. */
export const MODULE_CONTAINERS = new Set(['torch.nn.Sequential', 'torch.nn.ModuleList', 'torch.nn.ModuleDict']);
