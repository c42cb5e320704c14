import {
  indentOf,
  insertLineAfter,
  statementIn,
  unwrapCall,
  withFirstArgument,
  enclosingStatement,
} from '../engine/edits';
import { uncoveredFusions } from '../engine/flow/findings';
import type { Fusion } from '../engine/flow/types';
import type { Node } from '../engine/parser';
import { lineOf, percent, type Rule, type RuleContext } from '../engine/rule';
import { walk, within } from '../engine/syntax';

export const dropoutBeforeFusion: Rule = {
  meta: {
    code: 'RG001',
    name: 'dropout-before-fusion',
    summary:
      'Dropout is applied to the text embeddings before features of another modality are merged in, so those ' +
      'features skip dropout.',
    explanation: [
      'In a multimodal model (LLaVA, MiniMind-V, speech and video language models), the text token embeddings and ' +
        'the projected image (audio, video) features are merged into one sequence. When the embedding dropout runs ' +
        '*before* the merge, only the text tokens are regularized: the other modality reaches the decoder ' +
        'undropped, and the model learns to lean on it. Dropout inside the later decoder layers does not change ' +
        'that: the embedding-level dropout was meant for the whole input sequence.',
      '',
      'The rule follows `forward` and the helper methods it calls: text comes from a token embedding ' +
        '(`embed_tokens`, `wte`, `tok_embeddings`, `get_input_embeddings()`), another modality from a parameter or ' +
        'submodule named after it (`pixel_values`, `image_features`, `vision_proj`, `audio_encoder`…); a merge is ' +
        '`torch.cat`/`stack`, `masked_scatter`, index assignment (`h[mask] = feats`), `torch.where`, or a helper ' +
        'method that receives both. Modules are also found through attribute chains and containers: ' +
        "MiniMind-V's `self.model.dropout(self.model.embed_tokens(ids))`, where a superclass builds `self.model` " +
        "from a class of the file or of another workspace file (imported by name), and nanoGPT's " +
        '`self.transformer.drop` of an `nn.ModuleDict`. Learned prompts, ' +
        'query tokens and position embeddings are not another ' +
        'modality. It is silent when the merge comes first and dropout follows, or when a dropout is applied to ' +
        'the merged sequence.',
      '',
      'The fix (unsafe: the rate now covers more tokens, and may need retuning) removes the dropout from the ' +
        'embeddings and applies the same dropout to the merged sequence right after the merge; when the merge is ' +
        'conditional (`if pixel_values is not None:`), the dropout goes after the `if`, so the text-only path ' +
        'keeps its dropout. No fix is offered when the merged path returns inside the `if`: a dropout after it ' +
        'would never run on the merged sequence.',
    ].join('\n'),
    wrong: [
      'def forward(self, input_ids, pixel_values=None):',
      '    h = self.dropout(self.embed_tokens(input_ids))',
      '    if pixel_values is not None:',
      '        image = self.vision_proj(self.vision_encoder(pixel_values))',
      '        h = torch.cat([image, h], dim=1)',
      '    return self.decoder(h)',
    ].join('\n'),
    right: [
      'def forward(self, input_ids, pixel_values=None):',
      '    h = self.embed_tokens(input_ids)',
      '    if pixel_values is not None:',
      '        image = self.vision_proj(self.vision_encoder(pixel_values))',
      '        h = torch.cat([image, h], dim=1)',
      '    h = self.dropout(h)',
      '    return self.decoder(h)',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: /drop/i,
    messages: {
      fusion:
        '{Modality} tokens skip dropout: `{drop}` is applied to the text embeddings at line {dropLine}, and the ' +
        '{modality} features are merged into the sequence at line {mergeLine}, after it. Apply the dropout to ' +
        'the merged sequence.',
      fusionMerges:
        '{Modality} tokens skip dropout: `{drop}` is applied to the text embeddings at line {dropLine}, and the ' +
        '{modality} features are merged into the sequence at line {mergeLine} and again up to line ' +
        '{lastMergeLine}, after it. Apply the dropout to the merged sequence.',
      fusionInHelper:
        '{Modality} tokens skip dropout: `{drop}` is applied to the text embeddings at line {dropLine}, and the ' +
        '{modality} features are merged into the sequence at line {mergeLine} (in `{helper}`, called at line ' +
        '{callLine}), after it. Apply the dropout to the merged sequence.',
    },
    profile: {
      sites: ['fusion'],
      phrase: ({ result: r, where }) => {
        const f = r.fusion;
        if (!f) return undefined;
        const after = f.alternatives.find((a) => a.placement === 'after-merge');
        const afterMerge = after
          ? `; after the merge: ${percent(after.text.droppedFraction)} and ${percent(after.image.droppedFraction)}`
          : '';
        return (
          `Measured in training: ${percent(f.text.droppedFraction)} of the ${f.text.tokens} text tokens' ` +
          `values and ${percent(f.image.droppedFraction)} of the ${f.image.tokens} image tokens' values ` +
          `dropped${afterMerge} (${where}).`
        );
      },
    },
  },

  create(context) {
    return {
      moduleClass(cls) {
        for (const { uncovered } of uncoveredFusions(context.model.forward, cls)) {
          // The first merge reports; the fix moves the dropout after every merge.
          const f = uncovered[0];
          const modality = f.modality;
          const helper = helperName(f);
          const moved = dropAfterMerge(context, f, uncovered);
          // The fix lands after the last merge: when that is another statement, the message names it too.
          const last = moved && !helper && !within(f.site, moved.anchor) ? moved.anchor : null;
          context.report({
            node: f.drop.call,
            messageId: helper ? 'fusionInHelper' : last ? 'fusionMerges' : 'fusion',
            data: {
              Modality: modality[0].toUpperCase() + modality.slice(1),
              modality,
              drop: f.drop.label,
              dropLine: lineOf(f.drop.call),
              mergeLine: lineOf(f.merge),
              ...(helper ? { helper, callLine: lineOf(f.site) } : {}),
              ...(last ? { lastMergeLine: lineOf(last) } : {}),
            },
            related: [
              {
                range: context.edit(f.merge, '').range,
                message: `${modality} features merged here, after the dropout`,
              },
            ],
            fix: moved?.fix ?? null,
          });
        }
      },
    };
  },
};

/** The helper method the merge happens in (called at `f.site`), if it is not in the method of the dropout. */
function helperName(f: Fusion): string | undefined {
  if (f.site.id === f.merge.id) return undefined;
  let method: Node | null = f.merge.parent;
  while (method && method.type !== 'function_definition') method = method.parent;
  return method?.childForFieldName('name')?.text || undefined;
}

/** The variable the merged sequence is stored in: `h = torch.cat(…)`, `h[mask] = feats`, `h.masked_scatter_(…)`. */
function fusedVariable(site: Node): string | null {
  const parent = site.parent;
  if (site.type === 'assignment') {
    const left = site.childForFieldName('left');
    const object = left?.type === 'subscript' ? left.childForFieldName('value') : left;
    return object?.type === 'identifier' ? object.text : null;
  }
  if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === site.id) {
    let left = parent.childForFieldName('left');
    // `inputs_embeds, attention_mask = self._merge(…)`: the sequence comes first.
    if (left?.type === 'pattern_list' || left?.type === 'tuple_pattern') left = left.namedChild(0);
    return left?.type === 'identifier' ? left.text : null;
  }
  if (parent?.type === 'expression_statement' && site.type === 'call') {
    const fn = site.childForFieldName('function');
    const object = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
    return object?.type === 'identifier' && /_$/.test(fn?.childForFieldName('attribute')?.text ?? '')
      ? object.text
      : null;
  }
  return null;
}

/**
 * Whether the code after a merge, inside the statement that holds it, may leave before the line after that statement
 * (a `return` in the `if` that merges): the dropout put there would never see the merged sequence.
 */
function leavesAfter(anchor: Node, site: Node): boolean {
  let leaves = false;
  walk(anchor, (n) => {
    // Code that ends before the merge does is before it; a `return` around the merge or after it leaves.
    if (leaves || n.endIndex <= site.endIndex) return false;
    if (n.type === 'return_statement' || n.type === 'raise_statement') leaves = true;
    return !leaves;
  });
  return leaves;
}

function dropAfterMerge(context: RuleContext, f: Fusion, all: Fusion[]) {
  const drop = f.drop.call;
  const dropStatement = enclosingStatement(drop);
  const block = dropStatement?.parent;
  if (!dropStatement || !block) return null;
  // Every merge of this dropout must land in the same variable, after the same statement of the dropout's block.
  const sites = [...new Set(all.map((g) => g.site))];
  const anchors = sites.map((s) => statementIn(block, s));
  const variables = sites.map(fusedVariable);
  const anchor = anchors.reduce<Node | null>(
    (a, b) => (a && b ? (b.endIndex > a.endIndex ? b : a) : null),
    anchors[0] ?? null,
  );
  const variable = variables[0];
  if (
    !anchor ||
    !variable ||
    variables.some((v) => v !== variable) ||
    anchor.startIndex <= dropStatement.startIndex ||
    anchor.type === 'return_statement' ||
    sites.some((site) => leavesAfter(anchor, site))
  )
    return null;
  const unwrap = unwrapCall(context.file, drop);
  const moved = withFirstArgument(drop, variable);
  if (!unwrap || !moved) return null;
  return {
    anchor,
    fix: {
      applicability: 'unsafe' as const,
      title: `Apply \`${f.drop.label}\` after the ${f.modality} features are merged`,
      edits: [
        unwrap,
        insertLineAfter(context.file, anchor, `${variable} = ${moved}`, indentOf(context.file, dropStatement)),
      ],
    },
  };
}
