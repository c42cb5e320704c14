/**
 * The activation shape a site is profiled at: `# reglens: shape=[…]` on the site's line or the line above, else
 * the `reglens.profiler.shape` setting, else what the file's config defaults say (`n_embd`, `dim`, `block_size`,
 * `img_size`/`patch_size`, …), else [8, 256, 768].
 */
import { DEFAULT_SHAPE } from '../../kernels/plan';

export interface ShapeChoice {
  shape: number[];
  /** Where it came from, as the lens and hover say it. */
  source: string;
}

const CHANNELS = ['n_embd', 'embed_dim', 'd_model', 'hidden_size', 'hidden_dim', 'dim', 'width'];
const TOKENS = ['block_size', 'seq_len', 'max_seq_len', 'max_len', 'context_length', 'n_ctx', 'num_tokens'];
const HEADS = ['num_heads', 'n_head', 'nhead', 'heads'];
const BATCH = 8;

/**
 * The first integer default of `name` in the text (`name: int = 768`, `name=768`) that is at least `least`. The
 * names are not only configs': `torch.cat(xs, dim=1)` is an axis (DINOv2's `block.py` was profiled at [8, 256, 1]),
 * `num_tokens=1` DINOv2's count of class tokens; no width or sequence worth profiling is that small.
 */
function integerDefault(text: string, name: string, least = 1): number | undefined {
  const pattern = new RegExp(
    `\\b${name}\\b\\s*(?::\\s*[\\w.\\[\\], ]+?)?\\s*=\\s*([0-9][0-9_]*)\\b(?!\\s*[.*/+-])`,
    'g',
  );
  for (const m of text.matchAll(pattern)) {
    const v = Number(m[1].replace(/_/g, ''));
    if (Number.isInteger(v) && v >= least) return v;
  }
  return undefined;
}

/** The smallest channel count or sequence length read as one: see `integerDefault`. */
const LEAST_EXTENT = 8;

export interface FileShapes {
  inferred: ShapeChoice;
  numHeads: number;
}

export function inferFileShape(text: string): FileShapes {
  const found: string[] = [];
  let channels: number | undefined;
  for (const name of CHANNELS) {
    channels = integerDefault(text, name, LEAST_EXTENT);
    if (channels) {
      found.push(`${name}=${channels}`);
      break;
    }
  }
  let tokens: number | undefined;
  for (const name of TOKENS) {
    tokens = integerDefault(text, name, LEAST_EXTENT);
    if (tokens) {
      found.push(`${name}=${tokens}`);
      break;
    }
  }
  if (!tokens) {
    const img = integerDefault(text, 'img_size') ?? integerDefault(text, 'image_size');
    const patch = integerDefault(text, 'patch_size');
    if (img && patch && img % patch === 0) {
      tokens = (img / patch) ** 2;
      found.push(`img_size=${img}/patch_size=${patch} → ${tokens} tokens`);
    }
  }
  let numHeads = 12;
  for (const name of HEADS) {
    const h = integerDefault(text, name);
    if (h) {
      numHeads = h;
      break;
    }
  }
  const shape = [BATCH, tokens ?? DEFAULT_SHAPE[1], channels ?? DEFAULT_SHAPE[2]];
  return { inferred: { shape, source: found.length ? `from ${found.join(', ')}` : 'default' }, numHeads };
}

/** Text and image tokens of a fusion site's merged sequence. */
export interface FusionTokens {
  text: number;
  image: number;
  source: string;
}

/**
 * When the file says nothing: 196 image tokens (a 224-pixel image in 16-pixel patches) and 60 text tokens, 256 in all.
 */
export const DEFAULT_FUSION_TOKENS = { text: 60, image: 196 } as const;

/**
 * Text tokens from `block_size`/`seq_len`/…, image tokens from `img_size`/`patch_size` or
 * `num_patches`/`num_image_tokens`.
 */
export function inferFusionTokens(text: string): FusionTokens {
  const found: string[] = [];
  let textTokens: number | undefined;
  for (const name of TOKENS) {
    textTokens = integerDefault(text, name);
    if (textTokens) {
      found.push(`${textTokens} text tokens (${name})`);
      break;
    }
  }
  let image: number | undefined;
  const img = integerDefault(text, 'img_size') ?? integerDefault(text, 'image_size');
  const patch = integerDefault(text, 'patch_size');
  if (img && patch && img % patch === 0) {
    image = (img / patch) ** 2;
    found.push(`${image} image tokens (img_size=${img}/patch_size=${patch})`);
  } else {
    for (const name of ['num_image_tokens', 'image_tokens', 'num_patches']) {
      image = integerDefault(text, name);
      if (image) {
        found.push(`${image} image tokens (${name})`);
        break;
      }
    }
  }
  const defaults: string[] = [];
  if (!textTokens) defaults.push(`${DEFAULT_FUSION_TOKENS.text} text`);
  if (!image) defaults.push(`${DEFAULT_FUSION_TOKENS.image} image (224/16 patches)`);
  const source = [...found, ...(defaults.length ? [`default split: ${defaults.join(' + ')} tokens`] : [])].join(', ');
  return { text: textTokens ?? DEFAULT_FUSION_TOKENS.text, image: image ?? DEFAULT_FUSION_TOKENS.image, source };
}

/** Parses `[8, 197, 384]` (also without brackets, or with `x`), or undefined. */
export function parseShape(text: string): number[] | undefined {
  const cleaned = text.trim().replace(/^[[(]|[\])]$/g, '');
  if (!cleaned) return undefined;
  const parts = cleaned.split(/\s*[,x×]\s*/);
  const dims = parts.map((p) => Number(p));
  return dims.length >= 1 && dims.length <= 6 && dims.every((d) => Number.isInteger(d) && d > 0) ? dims : undefined;
}

const SHAPE_COMMENT = /#\s*reglens:\s*shape\s*=\s*(\[[^\]]*\]|\([^)]*\))/;

/** The shape for a site whose construction or call starts on `line` (0-based). */
export function siteShape(lines: readonly string[], line: number, file: FileShapes, setting?: number[]): ShapeChoice {
  // On the site's line, or alone on the line above (a trailing comment there belongs to that line's code).
  for (const l of [line, line - 1]) {
    if (l < 0 || l >= lines.length || (l < line && !/^\s*#/.test(lines[l]))) continue;
    const m = SHAPE_COMMENT.exec(lines[l]);
    if (m) {
      const shape = parseShape(m[1]);
      if (shape) return { shape, source: '# reglens: shape comment' };
    }
  }
  if (setting && setting.length) return { shape: setting, source: 'reglens.profiler.shape setting' };
  return file.inferred;
}
