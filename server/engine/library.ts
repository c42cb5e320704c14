import type { Parameter } from './catalog';

/**
 * What the structure rules need to know of well-known library modules that are not regularizers themselves:
 * what role they play in a block, and which constructor argument (if any) puts a dropout on their output.
 * One table, so RG002 and RG010 agree; classes not listed here and not defined in the file are unknown, and
 * unknown never produces a finding.
 */
export type LayerRole =
  | 'attention'
  | 'feedforward'
  | 'block'
  | 'norm'
  | 'linear'
  | 'embedding'
  | 'softmax'
  | 'identity'
  | 'activation';

export interface LibraryLayer {
  role: LayerRole;
  /** The argument whose rate drops the layer's output; absent when nothing drops the output. */
  outputDropout?: Parameter & { default: number };
  /** The layer regularizes inside (its own residual dropouts) whatever its arguments: `nn.TransformerEncoderLayer`. */
  regularizedInside?: boolean;
}

const NN = 'torch.nn';

const layers: [string, LibraryLayer][] = [
  // Drops the attention weights only: the output is a projection of unregularized values.
  [`${NN}.MultiheadAttention`, { role: 'attention' }],
  [`${NN}.TransformerEncoderLayer`, { role: 'block', regularizedInside: true }],
  [`${NN}.TransformerDecoderLayer`, { role: 'block', regularizedInside: true }],
  [`${NN}.TransformerEncoder`, { role: 'block', regularizedInside: true }],
  [`${NN}.TransformerDecoder`, { role: 'block', regularizedInside: true }],
  [`${NN}.Transformer`, { role: 'block', regularizedInside: true }],
  // timm: `Mlp(in_features, hidden_features, out_features, act_layer, norm_layer, bias, drop)` drops after fc2.
  ['timm.layers.Mlp', { role: 'feedforward', outputDropout: { name: 'drop', position: 6, default: 0 } }],
  ['timm.layers.GluMlp', { role: 'feedforward', outputDropout: { name: 'drop', position: 6, default: 0 } }],
  ['timm.layers.SwiGLU', { role: 'feedforward', outputDropout: { name: 'drop', position: 6, default: 0 } }],
  ['timm.layers.GatedMlp', { role: 'feedforward', outputDropout: { name: 'drop', position: 6, default: 0 } }],
  // timm: `Attention(dim, num_heads, qkv_bias, qk_norm, attn_drop, proj_drop, norm_layer)` drops after proj.
  ['timm.layers.Attention', { role: 'attention', outputDropout: { name: 'proj_drop', position: 5, default: 0 } }],
  [
    'timm.models.vision_transformer.Attention',
    { role: 'attention', outputDropout: { name: 'proj_drop', position: 5, default: 0 } },
  ],
  ['timm.models.vision_transformer.Block', { role: 'block', regularizedInside: true }],
  // torchvision: `MLP(in_channels, hidden_channels, norm_layer, activation_layer, inplace, bias, dropout)` drops after
  // every layer, the last included.
  ['torchvision.ops.MLP', { role: 'feedforward', outputDropout: { name: 'dropout', position: 6, default: 0 } }],
  [`${NN}.Linear`, { role: 'linear' }],
  [`${NN}.Conv1d`, { role: 'linear' }],
  [`${NN}.Conv2d`, { role: 'linear' }],
  [`${NN}.Conv3d`, { role: 'linear' }],
  [`${NN}.Bilinear`, { role: 'linear' }],
  [`${NN}.LayerNorm`, { role: 'norm' }],
  [`${NN}.RMSNorm`, { role: 'norm' }],
  [`${NN}.BatchNorm1d`, { role: 'norm' }],
  [`${NN}.BatchNorm2d`, { role: 'norm' }],
  [`${NN}.GroupNorm`, { role: 'norm' }],
  [`${NN}.Embedding`, { role: 'embedding' }],
  [`${NN}.Softmax`, { role: 'softmax' }],
  [`${NN}.Identity`, { role: 'identity' }],
  ...['GELU', 'ReLU', 'SiLU', 'Tanh', 'Sigmoid', 'Mish', 'LeakyReLU', 'ELU', 'SELU', 'Hardswish'].map(
    (n): [string, LibraryLayer] => [`${NN}.${n}`, { role: 'activation' }],
  ),
];

const byName = new Map(layers);

export function libraryLayer(qualifiedName: string | null): LibraryLayer | undefined {
  return qualifiedName === null ? undefined : byName.get(qualifiedName);
}

/**
 * Functions of torch that keep every element where it is and do not mix it with others: a dropped zero stays a zero.
 */
export const ELEMENTWISE_FUNCTIONS = new Set([
  'torch.nn.functional.gelu',
  'torch.nn.functional.relu',
  'torch.nn.functional.silu',
  'torch.nn.functional.leaky_relu',
  'torch.nn.functional.elu',
  'torch.nn.functional.mish',
  'torch.relu',
  'torch.tanh',
  'torch.sigmoid',
  'torch.nn.functional.tanh',
  'torch.reshape',
  'torch.transpose',
  'torch.permute',
  'torch.flatten',
  'torch.unsqueeze',
  'torch.squeeze',
  'torch.clone',
  'torch.masked_fill',
  'einops.rearrange',
  'einops.repeat',
]);

/** Tensor methods with the same property (`x.view(…)`, `scores.masked_fill(…)`). */
export const ELEMENTWISE_METHODS = new Set([
  'view',
  'reshape',
  'transpose',
  'permute',
  'contiguous',
  'flatten',
  'unflatten',
  'unsqueeze',
  'squeeze',
  'float',
  'half',
  'bfloat16',
  'double',
  'to',
  'type_as',
  'type',
  'clone',
  'masked_fill',
  'masked_fill_',
  'mul',
  'mul_',
  'div',
  'div_',
  'relu',
  'tanh',
  'sigmoid',
  'expand',
  'expand_as',
  'view_as',
  'reshape_as',
  'chunk',
  'split',
  'unbind',
  'clamp',
  'clamp_',
]);

export const SOFTMAX_FUNCTIONS = new Set([
  'torch.nn.functional.softmax',
  'torch.softmax',
  'torch.nn.functional.log_softmax',
  'torch.log_softmax',
]);

/** Calls that put several tensors into one sequence: where features of two modalities meet. */
export const MERGE_FUNCTIONS = new Set([
  'torch.cat',
  'torch.concat',
  'torch.concatenate',
  'torch.stack',
  'torch.hstack',
  'torch.vstack',
  'torch.where',
]);

/**
 * Top-level packages of the libraries: their names are never the workspace's own (even where the workspace is
 * torch's source, the analysis reads them as the library), so lookups in the workspace index skip them.
 */
const LIBRARY_PACKAGES =
  /^(torch|torchvision|torchaudio|torchtext|timm|transformers|numpy|lightning|pytorch_lightning)(\.|$)/;

export function isLibraryName(qualified: string): boolean {
  return LIBRARY_PACKAGES.test(qualified);
}
