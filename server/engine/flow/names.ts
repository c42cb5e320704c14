/**
 * What names say: the role a submodule's name gives it (`attn`, `mlp`), the modality a parameter or module
 * carries (`pixel_values`, `vision_proj`), token embeddings and merging methods, and whether a file configures
 * dropout at all. Read by the analysis, the evaluator and RG002.
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

export function roleFromName(name: string): 'attention' | 'feedforward' | undefined {
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

const DROPOUT_WORD = /dropout|drop_?(prob|rate|path|p)\b|pdrop|\bp_?drop|attn_drop|proj_drop|\bdrop\b/gi;

/**
 * Does the text name dropout outside comments ("no dropout here" configures nothing)? A comment runs from `#` to
 * the end of the line, and no word of DROPOUT_WORD spans a line, so a match counts when its line has no `#` before
 * it. The matches are visited in place, without copying the file to strip its comments: this runs on every edit.
 */
export function mentionsDropoutOutsideComments(text: string): boolean {
  DROPOUT_WORD.lastIndex = 0;
  for (let m = DROPOUT_WORD.exec(text); m; m = DROPOUT_WORD.exec(text)) {
    if (!text.slice(text.lastIndexOf('\n', m.index) + 1, m.index).includes('#')) return true;
  }
  return false;
}
