import { firstParameter, type FileDefinitions, type ModuleClass } from '../classes';
import type { Node } from '../parser';
import { numericLiteral } from '../syntax';
import { join, mixed, type Env } from './lattice';
import {
  dropKind,
  isDropout,
  sameInnerDrop,
  type DropStep,
  type FlowValue,
  type Fusion,
  type MethodFlow,
  type ModalityPart,
  type ModuleDescription,
} from './types';

/**
 * The method evaluator, first layer: expressions. A method is evaluated abstractly over `FlowValue`s in three
 * layers, one class each: expressions and the steps that record findings (`ExpressionEvaluator`: operators,
 * merges, dropouts, softmax), calls (`CallEvaluator`, call-evaluator.ts: submodules, helper methods, library
 * functions, tensor methods) and statements (`MethodEvaluator`, method-evaluator.ts: assignments, branches, loops,
 * returns). Each layer leaves what it cannot do to the next as an abstract method.
 */

/** What the evaluator asks of the file's analysis (`ForwardAnalysis`): the file, and what `self.<name>` is. */
export interface ModuleDescriber {
  readonly model: FileDefinitions;
  describeAttribute(cls: ModuleClass, name: string): ModuleDescription;
  describeChain(cls: ModuleClass, chain: Node, selfName: string): ModuleDescription | undefined;
}

export const LAYER_SCALE = /(^|_)ls\d*$|layer_?scale|^gamma/i;

/** Statements and expressions one method's evaluation may visit, helpers and loop passes included. */
export const MAX_STEPS = 50_000;

export class BudgetExceeded extends Error {}

export abstract class ExpressionEvaluator {
  protected readonly selfName: string;
  protected readonly model: FileDefinitions;

  constructor(
    protected readonly analysis: ModuleDescriber,
    protected readonly cls: ModuleClass,
    protected readonly method: Node,
    protected readonly flow: MethodFlow,
    protected readonly depth: number,
    /** The call of this helper in the method being analysed. */
    protected readonly callSite: Node | null,
    protected readonly budget: { steps: number },
  ) {
    this.selfName = firstParameter(method) ?? 'self';
    this.model = analysis.model;
  }

  /** A call, evaluated by the next layer (call-evaluator.ts). */
  protected abstract call(node: Node, env: Env): FlowValue;

  protected expr(node: Node, env: Env): FlowValue {
    if (--this.budget.steps < 0) throw new BudgetExceeded();
    switch (node.type) {
      case 'identifier':
        return env.get(node.text) ?? {};
      case 'parenthesized_expression':
        return node.namedChild(0) ? this.expr(node.namedChild(0)!, env) : {};
      case 'call':
        return this.call(node, env);
      case 'binary_operator': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const op = node.childForFieldName('operator')?.text ?? '';
        if (!left || !right) return {};
        return this.binary(op, left, this.expr(left, env), right, this.expr(right, env), node);
      }
      case 'unary_operator': {
        const arg = node.childForFieldName('argument');
        return arg ? this.expr(arg, env) : {};
      }
      case 'conditional_expression': {
        const parts = node.namedChildren.filter((n): n is Node => !!n);
        if (parts.length < 3) return {};
        this.expr(parts[1], env);
        return join(this.expr(parts[0], env), this.expr(parts[2], env));
      }
      case 'tuple':
      case 'expression_list':
        return { elements: node.namedChildren.filter((n): n is Node => !!n).map((n) => this.expr(n, env)) };
      case 'subscript': {
        const object = node.childForFieldName('value');
        const value = object ? this.expr(object, env) : {};
        // `qkv[0]`, `out[0]`: an element of a tuple, or a slice of the same tensor.
        if (value.elements) {
          const index = numericLiteral(node.childForFieldName('subscript'));
          return index !== undefined ? (value.elements[index] ?? {}) : mixed(value.elements);
        }
        return value;
      }
      case 'attribute': {
        const object = node.childForFieldName('object');
        // `x.T`, `x.mT`: still the same elements.
        if (object && object.type !== 'identifier') return this.expr(object, env);
        if (object && object.text !== this.selfName) return env.get(object.text) ?? {};
        return {};
      }
      case 'list':
        return { elements: node.namedChildren.filter((n): n is Node => !!n).map((n) => this.expr(n, env)) };
      case 'list_comprehension':
      case 'generator_expression':
        return { opaque: true };
      default:
        return {};
    }
  }

  protected binary(
    op: string,
    leftNode: Node,
    left: FlowValue,
    rightNode: Node,
    right: FlowValue,
    at: Node,
  ): FlowValue {
    const flows = (v: FlowValue) =>
      !!(v.drop || v.logits || v.sublayer || v.parts || v.fromInput || v.opaque || v.passthrough);
    // A product with `self.gamma` scales; a sum with `self.pos_embed` mixes other values in.
    const isTensor = (v: FlowValue, n: Node) =>
      flows(v) || !isScalarExpression(n, op === '*' || op === '/' || op === '//' ? this.selfName : null);
    if (op === '*' || op === '/' || op === '//') {
      // `self.gamma_1 * self.attn(x)`: a branch wrapped in a layer scale is the author's design (RG002).
      if (op === '*' && this.isLayerScale(leftNode)) return { ...right, sublayer: undefined };
      if (this.isLayerScale(rightNode)) return { ...left, sublayer: undefined };
      // Scaling by a number keeps every zero a zero (and every element where it was).
      if (!isTensor(right, rightNode)) return left;
      if (op === '*' && !isTensor(left, leftNode)) return right;
      return {
        ...mixed([left, right]),
        logits: left.logits ?? right.logits,
        scores: left.scores || right.scores || undefined,
        drop: left.drop ?? right.drop,
        sublayer: left.sublayer ?? right.sublayer,
        fromInput: left.fromInput || right.fromInput,
        passthrough: left.passthrough ?? right.passthrough,
      };
    }
    if (op === '+' || op === '-') {
      // `(x,) + outputs[1:]`: tuples concatenated, not tensors added.
      if (op === '+' && (isTuple(leftNode, left) || isTuple(rightNode, right))) return mixed([left, right]);
      if (!isTensor(right, rightNode)) return left;
      if (!isTensor(left, leftNode)) return right;
      if (op === '+') {
        for (const [value, node, other] of [
          [right, rightNode, left],
          [left, leftNode, right],
        ] as const) {
          // A residual add joins a branch to the stream its sublayer read (`x + self.attn(self.norm(x))`); a bias
          // computed from a buffer (Swin-V2's `cpb_mlp`), a mask or another input's features share no input with it.
          if (value.sublayer && !other.sublayer && shares(other.inputs, value.sublayer.inputs))
            this.flow.residuals.push({ add: at, branch: node, sublayer: value.sublayer });
          else if (
            value.drop &&
            isDropout(dropKind(value.drop)) &&
            !other.sublayer &&
            shares(other.inputs, value.inputs)
          )
            this.flow.droppedBranches.push({ add: at, branch: node, drop: value.drop });
        }
      }
      // An additive mask or position bias keeps logits logits, and scores scores.
      return {
        ...mixed([left, right]),
        logits: left.logits ?? right.logits,
        scores: left.scores || right.scores || undefined,
        stream: (op === '+' && (left.fromInput || left.stream || right.fromInput || right.stream)) || undefined,
        opaque: left.opaque && right.opaque,
      };
    }
    // `q @ k.transpose(-2, -1)`: attention scores.
    if (op === '@' && isTensor(left, leftNode) && isTensor(right, rightNode))
      return { ...mixed([left, right]), scores: isScoreProduct([leftNode, rightNode]) || undefined };
    return mixed([left, right]);
  }

  /** `self.gamma_1`, `self.ls1`, `self.layer_scale`: a learned per-channel scale of a branch. */
  private isLayerScale(node: Node): boolean {
    return (
      node.type === 'attribute' &&
      node.childForFieldName('object')?.text === this.selfName &&
      LAYER_SCALE.test(node.childForFieldName('attribute')?.text ?? '')
    );
  }

  protected merge(values: FlowValue[], at: Node): FlowValue {
    const result = mixed(values);
    if (!result.parts) return result;
    const fusions = new Set(result.fusions ?? []);
    // Text that went through dropout meets another modality that did not: that modality skips dropout.
    const textDropped = values.map((v) => v.parts?.get('text')).find((p) => p?.drop)?.drop;
    if (textDropped) {
      for (const v of values) {
        for (const [modality, part] of v.parts ?? []) {
          if (modality === 'text' || part.drop) continue;
          const fusion: Fusion = { drop: textDropped, merge: at, modality, site: this.callSite ?? at, covered: false };
          this.flow.fusions.push(fusion);
          fusions.add(fusion);
        }
      }
    }
    // The merged sequence's text part keeps the dropout it had; the modalities are mixed in undropped.
    const parts = new Map(result.parts);
    if (textDropped) parts.set('text', { drop: textDropped });
    return { parts, fusions };
  }

  protected dropped(input: FlowValue, step: DropStep): FlowValue {
    if (input.sublayer) step = { ...step, of: input.sublayer };
    // Drop path after dropout (timm's `proj_drop` + `drop_path`) is two different regularizers, not one twice.
    if (
      input.drop &&
      isDropout(dropKind(input.drop)) &&
      isDropout(dropKind(step)) &&
      input.drop.call.id !== step.call.id &&
      !(input.drop.inner && step.inner && sameInnerDrop(input.drop.inner, step.inner))
    ) {
      this.flow.doubles.push({ outer: step, inner: input.drop });
    }
    if (isDropout(dropKind(step)))
      for (const inner of input.branchDrops ?? [])
        if (isDropout(dropKind(inner))) this.flow.doubles.push({ outer: step, inner, branch: true });
    for (const f of input.fusions ?? []) f.covered = true;
    const parts = new Map<string, ModalityPart>();
    for (const k of input.parts?.keys() ?? []) parts.set(k, { drop: step });
    return {
      drop: step,
      // Only a dropout of attention scores drops logits: a classifier's or a pooling assignment's features dropped
      // before their softmax are features, dropped as such (RG009 is about attention).
      logits: input.scores ? step : undefined,
      parts: parts.size ? parts : undefined,
      fusions: input.fusions,
      inputs: input.inputs,
      fromInput: false,
    };
  }

  protected softmax(input: FlowValue, node: Node): FlowValue {
    if (input.logits) this.flow.logits.push({ drop: input.logits, softmax: node });
    return { parts: input.parts, fusions: input.fusions, inputs: input.inputs };
  }
}

/**
 * Attention scores are queries times transposed keys (`q @ k.transpose(-2, -1)`, `torch.matmul(q, k.mT)`,
 * `torch.einsum("bhid,bhjd->bhij", q, k)`: both contracted over their last axis). A product with no transposed operand
 * (`adj @ h`, `attn @ v`) mixes features.
 */
export function isScoreProduct(operands: Node[]): boolean {
  const equation = operands[0]?.type === 'string' ? operands[0].text.replace(/^[rbuf]*["']|["']$/gi, '') : null;
  if (equation !== null) {
    const m = /^\s*([\w. ]+),([\w. ]+)->([\w. ]*)$/.exec(equation);
    if (!m || operands.length !== 3) return false;
    const [a, b, out] = m.slice(1).map((t) => t.replace(/[\s.]/g, ''));
    const last = a[a.length - 1];
    return !!last && last === b[b.length - 1] && !out.includes(last);
  }
  return operands.length === 2 && TRANSPOSED.test(operands[1].text);
}

const TRANSPOSED = /\.(transpose|permute|swapaxes|swapdims|t)\s*\(|\.(mT|T|mH|H)$/;

/** `(x,)`, `outputs[1:]` of a tuple: a tuple, whose `+` concatenates. */
function isTuple(node: Node, value: FlowValue): boolean {
  return node.type === 'tuple' || !!value.elements;
}

/** Do two sets of method parameters meet? */
function shares(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (!a || !b) return false;
  for (const x of a) if (b.has(x)) return true;
  return false;
}

/** Names that hold numbers, not tensors: `self.scale`, `math.sqrt(d)`, `head_dim ** -0.5`. */
function isScalarExpression(node: Node, selfName: string | null): boolean {
  switch (node.type) {
    case 'integer':
    case 'float':
      return true;
    case 'attribute':
      return (
        (selfName !== null && node.childForFieldName('object')?.text === selfName) ||
        /^(math|np|numpy)$/.test(node.childForFieldName('object')?.text ?? '')
      );
    case 'call': {
      const fn = node.childForFieldName('function')?.text ?? '';
      return /^(math\.\w+|float|int|len)$/.test(fn);
    }
    case 'identifier':
      return /scale|temperature|alpha|gamma|beta|coef|factor|^d_?k$|^dim|head_dim|^\w*size$|^n_|^num_/i.test(node.text);
    case 'binary_operator':
    case 'parenthesized_expression':
    case 'unary_operator':
      return node.namedChildren.every((c) => !c || isScalarExpression(c, selfName));
    default:
      return false;
  }
}
