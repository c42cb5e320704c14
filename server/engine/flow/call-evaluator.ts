import { regularizer } from '../catalog';
import { ELEMENTWISE_FUNCTIONS, ELEMENTWISE_METHODS, MERGE_FUNCTIONS, SOFTMAX_FUNCTIONS } from '../library';
import type { Node } from '../parser';
import { callArguments, findArgument, parameterList } from '../syntax';
import { ExpressionEvaluator, isScoreProduct, LAYER_SCALE } from './expression-evaluator';
import { join, mixed, type Env } from './lattice';
import { methodOf } from './methods';
import { MERGE_METHOD, modalityOf, roleFromName, TEXT_EMBEDDING_NAME } from './names';
import { rateOf } from './rates';
import { UNKNOWN_MODULE, type BoundModule, type DropStep, type FlowValue, type ModuleDescription } from './types';

/**
 * The method evaluator, second layer: calls. A submodule (`self.drop(x)`, `self.attn(x)`, a module bound in a
 * loop), a helper method of the class with its parameters bound, a regularizer, softmax, merge or element-wise
 * function of the library, a tensor method; anything else is opaque. A helper's body is evaluated by the
 * statement layer (method-evaluator.ts).
 */

const MAX_HELPER_DEPTH = 4;

const NORM_NAME = /norm|(^|_)ln(_|\d|$)/i;

/** Products of two tensors: what attention scores are made of. */
const SCORE_FUNCTIONS = new Set(['torch.matmul', 'torch.bmm', 'torch.einsum', 'torch.baddbmm']);

export abstract class CallEvaluator extends ExpressionEvaluator {
  /**
   * The values a helper method returns, its parameters bound to `bound`; `callSite` is where the method being analysed
   * calls it.
   */
  protected abstract evaluateHelper(method: Node, bound: Env, callSite: Node): FlowValue[];

  protected call(node: Node, env: Env): FlowValue {
    const fn = node.childForFieldName('function');
    const args = callArguments(node);
    const positional = args.filter(
      (a) => a.type !== 'keyword_argument' && a.type !== 'list_splat' && a.type !== 'dictionary_splat',
    );
    const argValues = () =>
      args.map((a) => this.expr(a.type === 'keyword_argument' ? (a.childForFieldName('value') ?? a) : a, env));
    if (!fn) return {};

    // self.<name>(…): a submodule or a helper method.
    if (fn.type === 'attribute' && fn.childForFieldName('object')?.text === this.selfName) {
      const name = fn.childForFieldName('attribute')?.text ?? '';
      const helper = methodOf(this.model, this.cls, name);
      if (helper && !this.cls.members.submodules.some((s) => s.name === name))
        return this.helper(helper, node, args, env);
      const description = this.analysis.describeAttribute(this.cls, name);
      // A merging method the file does not define (inherited from a library base class): whatever it receives is
      // merged.
      if (!helper && description === UNKNOWN_MODULE && MERGE_METHOD.test(name)) return this.merge(argValues(), node);
      return this.moduleCall({ description, label: fn.text, attribute: name }, node, positional, argValues, env);
    }

    // `self.model.embed_tokens(ids)`, `self.get_input_embeddings()(ids)`: a module of a module, known by its name only.
    // `self.layers[i](x)`, `self.encoder.layers[i].attn(x)`: through submodules built from classes of this file and
    // containers, the chain may name a known module.
    const chain = fn.type === 'attribute' || fn.type === 'subscript';
    if ((chain && rootedAt(fn, this.selfName)) || (fn.type === 'call' && /\bget_input_embeddings\b/.test(fn.text))) {
      const name = chain ? (lastAttribute(fn) ?? '') : 'embed_tokens';
      const description = (chain && this.analysis.describeChain(this.cls, fn, this.selfName)) || UNKNOWN_MODULE;
      return this.moduleCall({ description, label: fn.text, attribute: name }, node, positional, argValues, env);
    }

    // A module bound to a local name (`for attn, ff in self.layers: x = attn(x) + x`).
    if (fn.type === 'identifier' && env.get(fn.text)?.module) {
      return this.moduleCall(env.get(fn.text)!.module!, node, positional, argValues, env);
    }

    const qualified = this.model.imports.resolve(fn);
    const spec = regularizer(qualified);
    if (spec?.form === 'function') {
      const input = positional[0] ? this.expr(positional[0], env) : {};
      argValues();
      if (spec.kind === 'attention-dropout') return mixed([input]);
      const rateArg = findArgument(node, spec.rate);
      const rate = typeof rateArg === 'object' ? rateOf(this.model, this.cls, rateArg.node) : undefined;
      return this.dropped(input, { call: node, label: fn.text, rate, spec });
    }
    if (qualified && SOFTMAX_FUNCTIONS.has(qualified))
      return this.softmax(positional[0] ? this.expr(positional[0], env) : {}, node);
    if (qualified && MERGE_FUNCTIONS.has(qualified)) {
      const values = argValues();
      const sequence = qualified === 'torch.where' ? values.slice(1) : (values[0]?.elements ?? values.slice(0, 1));
      return this.merge(sequence, node);
    }
    // `torch.matmul(q, k.transpose(-1, -2))`, `torch.einsum("bhid,bhjd->bhij", q, k)`: attention scores.
    if (qualified && SCORE_FUNCTIONS.has(qualified))
      return { ...mixed(argValues()), scores: isScoreProduct(positional) || undefined };
    if (qualified && ELEMENTWISE_FUNCTIONS.has(qualified)) {
      const input = positional[0] ? this.expr(positional[0], env) : {};
      argValues();
      return input;
    }

    // Tensor methods: `x.view(…)`, `scores.softmax(-1)`, `h.masked_scatter(mask, feats)`.
    if (fn.type === 'attribute' && qualified === null) {
      const object = fn.childForFieldName('object')!;
      const method = fn.childForFieldName('attribute')?.text ?? '';
      const receiver = this.expr(object, env);
      const values = argValues();
      if (method === 'softmax' || method === 'log_softmax') return this.softmax(receiver, node);
      if (
        method === 'masked_scatter' ||
        method === 'masked_scatter_' ||
        method === 'index_put' ||
        method === 'index_put_' ||
        method === 'scatter' ||
        method === 'scatter_'
      ) {
        const merged = this.merge([receiver, values[values.length - 1] ?? {}], node);
        if (method.endsWith('_') && object.type === 'identifier') env.set(object.text, merged);
        return merged;
      }
      if (ELEMENTWISE_METHODS.has(method)) return receiver;
      if (method === 'add' || method === 'add_') {
        const sum = this.binary('+', object, receiver, positional[0] ?? object, values[0] ?? {}, node);
        if (method === 'add_' && object.type === 'identifier') env.set(object.text, sum);
        return sum;
      }
      return { ...mixed([receiver, ...values]), opaque: receiver.opaque };
    }
    const values = argValues();
    // A function of the file or a library call we do not model: its result is a new tensor we know nothing of.
    return { ...mixed(values), opaque: true };
  }

  private moduleCall(
    bound: BoundModule,
    node: Node,
    positional: Node[],
    argValues: () => FlowValue[],
    env: Env,
  ): FlowValue {
    const d = bound.description;
    const input = positional[0] ? this.expr(positional[0], env) : {};
    const values = argValues();
    if (d.regularizer) {
      const spec = d.regularizer.spec;
      if (spec.kind === 'attention-dropout') return input;
      return this.dropped(input, { call: node, label: bound.label, rate: d.regularizer.rate, spec });
    }
    if (d.role === 'softmax') return this.softmax(input, node);
    if (d.initParameter) return { ...mixed(values), passthrough: d.initParameter, opaque: true };
    const attribute = bound.attribute ?? '';
    // A layer scale (`self.ls1(attn(x))`) keeps the branch, scaled: a branch so wrapped is the author's design.
    if (d.preservesInput) return LAYER_SCALE.test(attribute) ? { ...input, sublayer: undefined } : input;
    const base = mixed(values);
    // Token embeddings start the text part of a sequence; encoders of another modality start theirs.
    if (
      TEXT_EMBEDDING_NAME.test(attribute) ||
      (d.role === 'embedding' && !/pos|position|wpe|type|segment/i.test(attribute))
    ) {
      // An embedding module that ends with its own dropout (BERT's `BertEmbeddings`, OpenNMT's positional
      // encoding): its output has been dropped, for RG010. The text part stays undropped for RG001, whose fix
      // moves a dropout this call does not hold.
      const drop = d.output === 'regularized' && d.lastDrop ? this.sublayerDrop(node, bound, d) : undefined;
      return { parts: new Map([['text', {}]]), inputs: base.inputs, drop };
    }
    const modality = modalityOf(attribute);
    if (modality && d.role !== 'attention' && d.role !== 'feedforward') {
      const parts = new Map(base.parts ?? []);
      parts.set(modality, {});
      for (const [k] of parts) if (k !== modality && k !== 'text') parts.delete(k);
      return { parts, fusions: base.fusions, inputs: base.inputs };
    }
    // A norm after a sublayer (`x + self.attention_norm2(self.attention(x))`): the branch is still that sublayer's.
    if (input.sublayer && (d.role === 'norm' || (d.role === undefined && NORM_NAME.test(attribute))))
      return { parts: base.parts, fusions: base.fusions, inputs: base.inputs, sublayer: input.sublayer };
    // A whole residual block returns the stream, not a branch of it.
    if (d.residual) return { parts: base.parts, fusions: base.fusions, inputs: base.inputs, stream: true };
    const role =
      d.role === 'attention' || d.role === 'feedforward'
        ? d.role
        : d.role === undefined && d.output !== 'unknown'
          ? roleFromName(attribute || bound.label)
          : undefined;
    if (d.output === 'regularized' && d.lastDrop)
      return { parts: base.parts, fusions: base.fusions, inputs: base.inputs, drop: this.sublayerDrop(node, bound, d) };
    if (role && d.output === 'unregularized') {
      return {
        parts: base.parts,
        fusions: base.fusions,
        inputs: base.inputs,
        sublayer: { role, call: node, attribute: bound.attribute, label: bound.label, inputs: base.inputs },
      };
    }
    // Built on several paths that disagree: on some, its output ends with a dropout written in this class.
    const branchDrops = d.branchDrops?.map(
      (inner): DropStep => ({
        call: node,
        label: bound.label,
        rate: inner.rate,
        inner: { node: inner.node, external: inner.external, label: inner.label, owner: inner.owner, kind: inner.kind },
      }),
    );
    return {
      parts: base.parts,
      fusions: base.fusions,
      inputs: base.inputs,
      opaque: d.output === 'unknown',
      branchDrops,
    };
  }

  /**
   * A submodule handed to a helper method (`x = self._residual(self.ff, x)`, fairseq's `self.maybe_layer_norm(
   * self.final_layer_norm, x)`): bound to the helper's parameter as that module, so calling it there is followed.
   */
  private passedModule(node: Node): FlowValue | undefined {
    if (node.type !== 'attribute' || node.childForFieldName('object')?.text !== this.selfName) return undefined;
    const name = node.childForFieldName('attribute')?.text ?? '';
    if (
      !this.cls.members.submodules.some((s) => s.name === name) &&
      !this.model.superclassesOf(this.cls.name).some((c) => c.members.submodules.some((s) => s.name === name))
    )
      return undefined;
    const description = this.analysis.describeAttribute(this.cls, name);
    return description === UNKNOWN_MODULE
      ? undefined
      : { module: { description, label: node.text, attribute: name, handedIn: true } };
  }

  /** The call of a module whose output ends with a dropout, as the step that dropped it. */
  private sublayerDrop(node: Node, bound: BoundModule, d: ModuleDescription): DropStep {
    const last = d.lastDrop!;
    return {
      call: node,
      label: bound.label,
      rate: last.rate,
      inner: { node: last.node, external: last.external, label: last.label, owner: last.owner, kind: last.kind },
      handedIn: bound.handedIn,
    };
  }

  private helper(method: Node, call: Node, args: Node[], env: Env): FlowValue {
    const values = args.map((a) => {
      const value = a.type === 'keyword_argument' ? (a.childForFieldName('value') ?? a) : a;
      return this.passedModule(value) ?? this.expr(value, env);
    });
    if (this.depth >= MAX_HELPER_DEPTH || method.id === this.method.id) return { ...mixed(values), opaque: true };
    const params = parameterList(method).slice(1);
    const bound = new Map<string, FlowValue>();
    let position = 0;
    args.forEach((a, i) => {
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')?.text;
        if (name) bound.set(name, values[i]);
      } else if (a.type !== 'list_splat' && a.type !== 'dictionary_splat') {
        const p = params[position++];
        if (p && !p.keywordOnly) bound.set(p.name, values[i]);
      }
    });
    const returns = this.evaluateHelper(method, bound, this.callSite ?? call);
    if (returns.length === 0) return {};
    return returns.reduce((a, b) =>
      a.elements && b.elements ? { elements: a.elements.map((e, i) => join(e, b.elements![i])) } : join(a, b),
    );
  }
}

/** `self.a.b`, `self.a[i]`: a chain of attributes and subscripts that starts at `self`, other than `self.a`. */
function rootedAt(node: Node, selfName: string): boolean {
  if (node.type === 'attribute' && node.childForFieldName('object')?.text === selfName) return false;
  let object: Node | null = node;
  while (object?.type === 'attribute' || object?.type === 'subscript')
    object = object.childForFieldName(object.type === 'attribute' ? 'object' : 'value');
  return object?.type === 'identifier' && object.text === selfName && object.id !== node.id;
}

/** The last attribute name of a chain (`attn` of `self.layers[i].attn`, `layers` of `self.layers[i]`). */
function lastAttribute(node: Node): string | undefined {
  let n: Node | null = node;
  while (n?.type === 'subscript') n = n.childForFieldName('value');
  return n?.type === 'attribute' ? n.childForFieldName('attribute')?.text : undefined;
}
