import type { Node } from '../parser';
import { numericLiteral, walk } from '../syntax';

/**
 * What names say: the role a submodule's name gives it (`attn`, `mlp`), the modality a parameter or module
 * carries (`pixel_values`, `vision_proj`), token embeddings and merging methods, and which rates a file sets
 * above 0. Read by the analysis, the evaluator and RG002.
 */

/**
 * Names of methods that put features into the token sequence (`_merge_input_ids_with_image_features`,
 * `prepare_inputs_labels_for_multimodal`).
 */
export const MERGE_METHOD =
  /merge|fuse|fusion|combine|splice|insert|scatter|prepare_inputs_labels_for_multimodal|replace_image/i;

const ATTENTION_NAME = /(^|_)(self_|cross_)?attn|attention|(^|_)mha($|_)|(^|_)msa($|_)|(^|_)sa($|_)/i;
const FEEDFORWARD_NAME = /mlp|ffn|(^|_)ff($|_|\d)|feed_?forward|ffwd|(^|_)fc_block/i;
const TEXT_EMBEDDING_NAMES = [
  'embed_tokens',
  'wte',
  'tok_emb\\w*',
  'tok_embeddings',
  'token_emb\\w*',
  'word_embeddings?',
  'embed_in',
  'text_embed\\w*',
  'tok_embed\\w*',
  'embedding',
  'embeddings',
  'embed',
];
export const TEXT_EMBEDDING_NAME = new RegExp(`^(${TEXT_EMBEDDING_NAMES.join('|')})$`, 'i');
const MODALITY_NAME = /image|img|vision|visual|pixel|patch|audio|speech|video/i;
/** Learned tokens that are not features of another modality, even when their names mention one. */
const NOT_A_MODALITY =
  /prompt|query|queries|memory|(^|_)pos|position|mask|latent|register|cls_token|newline|sizes|shape|token_id|grid/i;

/**
 * Names of the layers around a sublayer, not the sublayer: `attention_norm2`, `ffn_norm`, `ln_attn`, a layer
 * scale (`ls1`, `gamma_1`), an adaptive norm's modulation (`adaLN_sa_ln`).
 */
const AROUND_SUBLAYER = /norm|(^|_)ln(_|\d|$)|(^|_)ls\d*$|layer_?scale|gamma|modulation/i;

export function roleFromName(name: string): 'attention' | 'feedforward' | undefined {
  if (AROUND_SUBLAYER.test(name)) return undefined;
  if (ATTENTION_NAME.test(name)) return 'attention';
  if (FEEDFORWARD_NAME.test(name)) return 'feedforward';
  return undefined;
}

export function modalityOf(name: string): string | undefined {
  if (!MODALITY_NAME.test(name) || NOT_A_MODALITY.test(name)) return undefined;
  if (/audio|speech/i.test(name)) return 'audio';
  if (/video/i.test(name)) return 'video';
  return 'image';
}

const RATE_NAME = /drop/i;

/**
 * The names of rates the file sets to a number above 0: a keyword argument (`Block(dim, dropout=0.1)`), an assignment
 * (`resid_pdrop = 0.1`, `drop_rate: float = 0.2` in a config class) or a dictionary entry (`"hidden_dropout_prob":
 * 0.1`). A parameter's default is not a setting: it is the value the rate has when nothing sets it.
 */
export function nonZeroRateNames(root: Node): ReadonlySet<string> {
  const out = new Set<string>();
  for (const stmt of root.children) {
    let names = ratesByStatement.get(stmt);
    if (!names) ratesByStatement.set(stmt, (names = nonZeroRatesIn(stmt)));
    for (const name of names) out.add(name);
  }
  return out;
}

/**
 * Per top-level statement: its names depend on its text alone, and the copy of the tree after an edit keeps the
 * statements the edit did not touch (server/engine/syntax-tree.ts), so an edit walks only the statement it changed.
 */
const ratesByStatement = new WeakMap<Node, ReadonlySet<string>>();

function nonZeroRatesIn(stmt: Node): ReadonlySet<string> {
  const out = new Set<string>();
  walk(
    stmt,
    (n) => {
      let name: Node | null = null;
      let value: Node | null = null;
      if (n.type === 'keyword_argument') {
        name = n.childForFieldName('name');
        value = n.childForFieldName('value');
      } else if (n.type === 'assignment') {
        name = n.childForFieldName('left');
        value = n.childForFieldName('right');
      } else if (n.type === 'pair') {
        name = n.childForFieldName('key');
        value = n.childForFieldName('value');
      }
      const text = name?.type === 'string' ? name.text.replace(/^[rbuf]*["']+|["']+$/gi, '') : name?.text;
      if (!text || !/^\w+$/.test(text) || !RATE_NAME.test(text)) return;
      const number = numericLiteral(value);
      if (number !== undefined && number > 0) out.add(text);
    },
    new Set(['keyword_argument', 'assignment', 'pair']),
  );
  return out;
}
