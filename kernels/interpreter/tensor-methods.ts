/**
 * The tensor half of the interpreter's tensor library: the attributes and methods of a tensor, one implementation
 * per name of program.ts's TENSOR_ATTRIBUTE_NAMES and TENSOR_METHOD_NAMES (the Records below fail the build if
 * the two disagree), and the argument readers and the Bernoulli draw the library functions share.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { isTensorMethod, unsupportedMessage, type TensorAttributeName, type TensorMethodName } from '../program';
import { tf, type TF } from '../tf';
import type { ActiveRun } from './active-run';
import { binary, broadcastShape, compare } from './operators';
import {
  floatOf,
  InterpreterError,
  isNum,
  Library,
  ListValue,
  scalar,
  TensorValue,
  tensorOf,
  truthy,
  TupleValue,
  typeName,
  type Value,
} from './values';

/** Reading one attribute of a tensor. */
type TensorAttribute = (obj: TensorValue) => Value;

export const TENSOR_ATTRIBUTE_IMPLEMENTATIONS: Record<TensorAttributeName, TensorAttribute> = {
  shape: (obj) => new TupleValue([...obj.t.shape]),
  ndim: (obj) => obj.t.rank,
  dtype: (obj) => new Library(obj.t.dtype === 'bool' ? 'torch.bool' : 'torch.float32'),
  device: () => 'cpu',
  data: (obj) => obj,
  is_cuda: () => false,
  requires_grad: () => false,
};

/** One call of a tensor method, as its implementation sees it. */
interface TensorMethodCall {
  run: ActiveRun;
  t: TF;
  name: TensorMethodName;
  target: TensorValue;
  /** The tensor before the call (an in-place method replaces `target.t`). */
  x: Tensor;
  args: Value[];
  kwargs: Map<string, Value>;
  line: number;
  /** The argument at position `i`, or else the keyword `key`. */
  arg(i: number, key: string): Value | undefined;
  /** Stores `next` in the box (every alias sees it) and returns the box. */
  inPlace(next: Tensor): Value;
}

type TensorMethod = (c: TensorMethodCall) => Value;

const bernoulliMethod: TensorMethod = ({ run, name, x, arg, inPlace, line }) => {
  const p = arg(0, 'p') ?? new TensorValue(x);
  const drawn = bernoulli(run, x.shape, p, line);
  return name === 'bernoulli' ? new TensorValue(drawn) : inPlace(drawn);
};

const arithmetic: TensorMethod = ({ run, name, target, x, arg, kwargs, inPlace, line }) => {
  const op = ({ div: '/', mul: '*', add: '+', sub: '-' } as const)[
    name.replace('_', '') as 'div' | 'mul' | 'add' | 'sub'
  ];
  let other = arg(0, 'other') ?? null;
  const alpha = kwargs.get('alpha');
  if (alpha !== undefined && (op === '+' || op === '-')) other = binary(run, '*', other, alpha, line);
  const out = binary(run, op, target, other, line) as TensorValue;
  if (!name.endsWith('_')) return out;
  if (out.t.shape.join(',') !== x.shape.join(','))
    throw new InterpreterError(
      `not profiled: in-place .${name}() at line ${line} would change the shape [${x.shape.join(', ')}] (PyTorch ` +
        `raises)`,
    );
  return inPlace(out.t);
};

const maskedFill: TensorMethod = ({ t, name, x, arg, inPlace, line }) => {
  const mask = tensorOf(arg(0, 'mask') ?? null, line);
  const value = scalar(arg(1, 'value') ?? null, line);
  if (mask.dtype !== 'bool')
    throw new InterpreterError(
      `not profiled: masked_fill at line ${line} needs a boolean mask (PyTorch raises for ` +
        `${mask.dtype === 'float32' ? 'float' : mask.dtype})`,
    );
  // In place or not, the result has x's shape: the mask must broadcast to it, not beyond.
  if (broadcastShape(x.shape, mask.shape).join(',') !== x.shape.join(',')) {
    throw new InterpreterError(
      `not profiled: line ${line} fills a tensor of shape [${x.shape.join(', ')}] through a mask of shape ` +
        `[${mask.shape.join(', ')}], which does not broadcast to it (PyTorch raises)`,
    );
  }
  const out = t.where(t.broadcastTo(mask, x.shape), t.fill(x.shape, value, x.dtype), x);
  return name === 'masked_fill' ? new TensorValue(out) : inPlace(out);
};

const clamp: TensorMethod = ({ t, name, target, arg, inPlace, line }) => {
  const lo = arg(0, 'min');
  const hi = arg(1, 'max');
  const out = t.clipByValue(
    floatOf(target, line),
    lo === undefined || lo === null ? -Infinity : scalar(lo, line),
    hi === undefined || hi === null ? Infinity : scalar(hi, line),
  );
  return name === 'clamp' ? new TensorValue(out) : inPlace(out);
};

const toFloat: TensorMethod = ({ target, line }) => new TensorValue(floatOf(target, line));
const toBool: TensorMethod = ({ t, x }) => new TensorValue(x.dtype === 'bool' ? x : t.notEqual(x, 0));
const toInteger: TensorMethod = ({ t, target, line }) =>
  new TensorValue(t.cast(t.floor(floatOf(target, line)), 'float32'));

const convert: TensorMethod = ({ t, target, x, args, kwargs, line }) => {
  const dtype = [...args, ...kwargs.values()].find((v) => v instanceof Library);
  if (dtype instanceof Library && dtype.name === 'torch.bool')
    return new TensorValue(x.dtype === 'bool' ? x : t.notEqual(x, 0));
  if (dtype instanceof Library) return new TensorValue(floatOf(target, line));
  const like = args.find((v) => v instanceof TensorValue);
  if (like instanceof TensorValue)
    return new TensorValue(like.t.dtype === 'bool' ? t.notEqual(x, 0) : floatOf(target, line));
  return target;
};

const itself: TensorMethod = ({ target }) => target;

const reduce: TensorMethod = ({ t, name, target, args, kwargs, arg, line }) => {
  const dim = arg(0, 'dim');
  const keep = truthy(kwargs.get('keepdim') ?? args[1] ?? false, line);
  const axis =
    dim === undefined || dim === null
      ? undefined
      : dim instanceof TupleValue
        ? (dim.items as number[])
        : scalar(dim, line);
  const f = floatOf(target, line);
  return new TensorValue(name === 'sum' ? t.sum(f, axis, keep) : t.mean(f, axis, keep));
};

const reshape: TensorMethod = ({ t, name, x, args, line }) => {
  const first = args[0];
  const dims = args.length === 1 && (first instanceof TupleValue || first instanceof ListValue) ? first.items : args;
  if (!dims.every(isNum) || dims.filter((d) => d === -1).length > 1)
    throw new InterpreterError(`not profiled: the shape at line ${line} is not made of integers with at most one -1`);
  const shape = dims as number[];
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const full = shape.map((d) => (d === -1 ? x.size / known : d));
  if (full.reduce((a, b) => a * b, 1) !== x.size)
    throw new InterpreterError(
      `not profiled: .${name}() at line ${line} cannot turn [${x.shape.join(', ')}] into [${shape.join(', ')}] ` +
        `(PyTorch raises)`,
    );
  return new TensorValue(t.reshape(x, full));
};

const comparison =
  (op: '<' | '<=' | '>' | '>=' | '==' | '!='): TensorMethod =>
  ({ target, args, line }) =>
    compare(op, target, args[0], line);

const newZeros: TensorMethod = ({ run, t, args, line }) => new TensorValue(t.zeros(shapeArgs(run, args, line)));

export const TENSOR_METHOD_IMPLEMENTATIONS: Record<TensorMethodName, TensorMethod> = {
  bernoulli: bernoulliMethod,
  bernoulli_: bernoulliMethod,
  uniform_: ({ run, t, x, arg, inPlace }) => {
    const lo = Number(arg(0, 'from') ?? 0);
    const hi = Number(arg(1, 'to') ?? 1);
    return inPlace(t.randomUniform(x.shape, lo, hi, 'float32', run.seed()));
  },
  normal_: ({ run, t, x, arg, inPlace }) => {
    const mean = Number(arg(0, 'mean') ?? 0);
    const std = Number(arg(1, 'std') ?? 1);
    return inPlace(t.randomNormal(x.shape, mean, std, 'float32', run.seed()));
  },
  floor: ({ t, target, line }) => new TensorValue(t.floor(floatOf(target, line))),
  floor_: ({ t, target, inPlace, line }) => inPlace(t.floor(floatOf(target, line))),
  div: arithmetic,
  mul: arithmetic,
  add: arithmetic,
  sub: arithmetic,
  div_: arithmetic,
  mul_: arithmetic,
  add_: arithmetic,
  sub_: arithmetic,
  masked_fill: maskedFill,
  masked_fill_: maskedFill,
  fill_: ({ t, x, args, inPlace, line }) => inPlace(t.fill(x.shape, scalar(args[0], line), x.dtype)),
  zero_: ({ t, x, inPlace }) => inPlace(t.zerosLike(x)),
  copy_: ({ t, x, args, inPlace, line }) => inPlace(t.broadcastTo(tensorOf(args[0], line), x.shape)),
  clamp,
  clamp_: clamp,
  abs: ({ t, target, line }) => new TensorValue(t.abs(floatOf(target, line))),
  float: toFloat,
  half: toFloat,
  double: toFloat,
  bool: toBool,
  int: toInteger,
  long: toInteger,
  to: convert,
  type: convert,
  type_as: ({ t, target, x, args, line }) => {
    const other = tensorOf(args[0], line);
    return new TensorValue(other.dtype === 'bool' ? t.notEqual(x, 0) : floatOf(target, line));
  },
  detach: itself,
  contiguous: itself,
  cuda: itself,
  cpu: itself,
  requires_grad_: itself,
  clone: ({ t, x }) => new TensorValue(t.clone(x)),
  size: ({ x, arg, line }) => {
    const d = arg(0, 'dim');
    if (d === undefined) return new TupleValue([...x.shape]);
    const i = scalar(d, line);
    const k = i < 0 ? x.rank + i : i;
    if (k < 0 || k >= x.rank)
      throw new InterpreterError(
        `not profiled: dimension ${i} at line ${line} is out of range for a ${x.rank}-d tensor`,
      );
    return x.shape[k];
  },
  dim: ({ x }) => x.rank,
  numel: ({ x }) => x.size,
  item: ({ target, line }) => scalar(target, line),
  sum: reduce,
  mean: reduce,
  expand_as: ({ run, t, x, args, line }) => {
    const other = tensorOf(args[0], line);
    run.checkElements([...other.shape], line);
    return new TensorValue(t.broadcastTo(x, other.shape));
  },
  view: reshape,
  reshape,
  lt: comparison('<'),
  le: comparison('<='),
  gt: comparison('>'),
  ge: comparison('>='),
  eq: comparison('=='),
  ne: comparison('!='),
  logical_not: ({ t, x }) => new TensorValue(t.logicalNot(x.dtype === 'bool' ? x : t.notEqual(x, 0))),
  new_empty: newZeros,
  new_zeros: newZeros,
  new_ones: ({ run, t, args, line }) => new TensorValue(t.ones(shapeArgs(run, args, line))),
  new_full: ({ run, t, args, arg, line }) =>
    new TensorValue(t.fill(shapeArgs(run, [args[0] ?? null], line), scalar(arg(1, 'fill_value') ?? null, line))),
};

/**
 * Calls the tensor method `name` on `target`; anything but a whitelisted method of a tensor is refused with a sentence.
 */
export function callTensorMethod(
  run: ActiveRun,
  target: TensorValue,
  name: string,
  args: Value[],
  kwargs: Map<string, Value>,
  line: number,
): Value {
  const t = tf();
  if (!(target instanceof TensorValue))
    throw new InterpreterError(`not profiled: line ${line} calls .${name}() on ${typeName(target)}`);
  const x = target.t;
  if (!isTensorMethod(name)) throw new InterpreterError(unsupportedMessage(`.${name}`, line));
  const arg = (i: number, key: string): Value | undefined => (i < args.length ? args[i] : kwargs.get(key));
  const inPlace = (next: Tensor): Value => {
    // PyTorch keeps the tensor's dtype in place: a float mask stays float.
    target.t = next.dtype === x.dtype ? next : t.cast(next, x.dtype);
    return target;
  };
  return TENSOR_METHOD_IMPLEMENTATIONS[name]({ run, t, name, target, x, args, kwargs, line, arg, inPlace });
}

/** The shape of `torch.zeros(2, 3)` or `torch.zeros((2, 3))`, within the element limit. */
export function shapeArgs(run: ActiveRun, args: Value[], line: number): number[] {
  const first = args[0];
  const dims = args.length === 1 && (first instanceof TupleValue || first instanceof ListValue) ? first.items : args;
  if (!dims.every(isNum)) throw new InterpreterError(`not profiled: the shape at line ${line} is not made of integers`);
  return run.checkElements(dims as number[], line);
}

function probability(v: Value, line: number): TensorValue | number {
  if (v instanceof TensorValue || isNum(v)) return v;
  if (typeof v === 'boolean') return Number(v);
  throw new InterpreterError(`not profiled: the probability at line ${line} is ${typeName(v)}, not a number`);
}

/** A float 0/1 tensor of `shape`, each value 1 with probability `p` (a number or a tensor of probabilities). */
export function bernoulli(run: ActiveRun, shape: number[], p: Value, line: number): Tensor {
  const t = tf();
  const u = t.randomUniform(shape, 0, 1, 'float32', run.seed());
  const q = probability(p, line);
  return t.cast(t.less(u, q instanceof TensorValue ? q.t : t.scalar(q)), 'float32');
}
