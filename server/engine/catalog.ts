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

/** The kinds that drop whole samples of a residual branch: timm's drop path and torchvision's stochastic depth. */
export const DROP_PATH_KINDS: ReadonlySet<RegularizerKind> = new Set(['drop-path', 'stochastic-depth']);

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

/**
 * A module class of the workspace that is a regularizer of its own (construction-sites.ts decides: its `forward`
 * draws and applies a mask, or only applies a library regularizer to its input), as a construction of it is read.
 */
export interface ClassRegularizer {
  kind: RegularizerKind;
  /** The `__init__` parameter that sets its rate, when one does (`drop_prob`, fairseq's `p`). */
  rate?: Parameter;
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

/** What a library base class brings to a class that derives from it. */
export interface LibraryBase {
  /**
   * The base's own methods use attributes of `self` by name (a library model's or layer's `forward`): a submodule the
   * subclass assigns may be used by code outside the file.
   */
  usesOwnAttributes: boolean;
  /** The base runs or reaches every registered child: `nn.Sequential.forward`, iterating an `nn.ModuleList`. */
  runsChildren: boolean;
}

const PLAIN: LibraryBase = { usesOwnAttributes: false, runsChildren: false };
const CONTAINER: LibraryBase = { usesOwnAttributes: false, runsChildren: true };
const LAYER: LibraryBase = { usesOwnAttributes: true, runsChildren: false };

/**
 * Library classes whose subclasses are `nn.Module`s, by canonical name. `nn.Module`, Lightning's `LightningModule`
 * and Hugging Face's `PreTrainedModel` (with the `…PreTrainedModel` base of each model family) call only methods a
 * subclass writes (`training_step`, `_init_weights`), never a submodule by its name: a subclass's attributes are its
 * own. Library models and layers (`BertModel`, timm's `Block`, torchvision's `ResNet`) run their own `forward`,
 * which reads attributes a subclass may replace.
 */
const LIBRARY_BASES = new Map<string, LibraryBase>([
  ['torch.nn.Module', PLAIN],
  ['torch.nn.Sequential', CONTAINER],
  ['torch.nn.ModuleList', CONTAINER],
  ['torch.nn.ModuleDict', CONTAINER],
  ['pytorch_lightning.LightningModule', PLAIN],
  ['pytorch_lightning.core.LightningModule', PLAIN],
  ['pytorch_lightning.core.module.LightningModule', PLAIN],
  ['transformers.PreTrainedModel', PLAIN],
  // torchvision's blocks built as `nn.Sequential`s.
  ['torchvision.ops.MLP', CONTAINER],
  ['torchvision.ops.ConvNormActivation', CONTAINER],
  ['torchvision.ops.Conv2dNormActivation', CONTAINER],
  ['torchvision.ops.Conv3dNormActivation', CONTAINER],
]);

export function libraryBase(qualifiedName: string | null): LibraryBase | undefined {
  if (qualifiedName === null) return undefined;
  const known = LIBRARY_BASES.get(qualifiedName);
  if (known) return known;
  const last = qualifiedName.slice(qualifiedName.lastIndexOf('.') + 1);
  if (!/^[A-Z]/.test(last)) return undefined;
  if (qualifiedName.startsWith('transformers.')) {
    if (last.endsWith('PreTrainedModel')) return PLAIN;
    // `transformers.BertModel`, `transformers.models.bert.modeling_bert.BertSelfAttention`: not the configs,
    // tokenizers or outputs.
    if (/(Model|For[A-Z]\w*|Head|Layer|Attention|Encoder|Decoder|Embeddings|MLP)$/.test(last)) return LAYER;
    return undefined;
  }
  if (/^(timm\.(layers|models)|torchvision\.(ops|models))\./.test(qualifiedName)) return LAYER;
  return undefined;
}

/** Containers whose elements are submodules. */
export const MODULE_CONTAINERS = new Set(['torch.nn.Sequential', 'torch.nn.ModuleList', 'torch.nn.ModuleDict']);
