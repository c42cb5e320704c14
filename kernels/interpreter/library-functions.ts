/**
 * The library half of the interpreter's tensor library: one implementation per name of program.ts's
 * LIBRARY_FUNCTION_NAMES (torch, torch.nn.functional's dropouts, math, random, numpy.random and Python's builtins).
 * The Record below fails the build if a whitelisted name has no implementation or an implementation is not whitelisted.
 */
import { maskComposite } from '../ops';
import { isLibraryFunction, LIBRARY_VALUES, unsupportedMessage, type LibraryFunctionName } from '../program';
import { tf, type TF } from '../tf';
import type { ActiveRun } from './active-run';
import { binary, broadcastShape, checkBroadcast } from './operators';
import { bernoulli, callTensorMethod, shapeArgs } from './tensor-methods';
import {
  floatOf,
  InterpreterError,
  isNum,
  Library,
  ListValue,
  RangeValue,
  scalar,
  TensorValue,
  tensorOf,
  truthy,
  TupleValue,
  typeName,
  type Value,
} from './values';

/** One call of a library function, as its implementation sees it. */
interface LibraryCall {
  run: ActiveRun;
  t: TF;
  name: LibraryFunctionName;
  args: Value[];
  kwargs: Map<string, Value>;
  line: number;
  /** The argument at position `i`, or else the keyword `key`. */
  arg(i: number, key: string): Value | undefined;
  /** The shape of the first argument (or `input=`), for the `*_like` functions. */
  likeShape(): number[];
}

type LibraryFunction = (c: LibraryCall) => Value;

const zeros: LibraryFunction = ({ run, t, args, line }) => new TensorValue(t.zeros(shapeArgs(run, args, line)));
const zerosLike: LibraryFunction = ({ t, likeShape }) => new TensorValue(t.zeros(likeShape()));

const tensorFromData: LibraryFunction = ({ run, t, name, args, line }) => {
  // `torch.FloatTensor(8, 1, 1)` has that shape; `torch.FloatTensor((B, 1, 1))` holds those values.
  const first = args[0];
  if (name === 'torch.FloatTensor' && args.length > 0 && args.every(isNum))
    return new TensorValue(t.zeros(run.checkElements(args as number[], line)));
  const data = first instanceof TupleValue || first instanceof ListValue ? first.items : [first];
  if (!data.every((d) => isNum(d) || typeof d === 'boolean'))
    throw new InterpreterError(unsupportedMessage(`${name} of nested data`, line));
  const values = data.map(Number);
  return new TensorValue(
    first instanceof TupleValue || first instanceof ListValue ? t.tensor1d(values) : t.scalar(values[0]),
  );
};

const reduce: LibraryFunction = ({ run, name, args, kwargs, line }) =>
  callTensorMethod(run, args[0] as TensorValue, name.slice(6), args.slice(1), kwargs, line);

const dropout: LibraryFunction = ({ run, name, arg, line }) => {
  const x = floatOf(arg(0, 'input') ?? null, line);
  const p = Number(arg(1, 'p') ?? 0.5);
  // torch.dropout(input, p, train) has no default for train; F.dropout's `training` defaults to True.
  const training = arg(2, name === 'torch.dropout' ? 'train' : 'training') ?? true;
  if (!(p >= 0 && p <= 1))
    throw new InterpreterError(
      `not profiled: dropout probability ${p} at line ${line} is outside [0, 1] (PyTorch raises)`,
    );
  if (!truthy(training, line) || p === 0) return new TensorValue(x);
  const channel = name !== 'torch.nn.functional.dropout' && name !== 'torch.dropout';
  const plan = {
    granularity: channel ? ('channel' as const) : ('element' as const),
    keepProb: 1 - p,
    keptScale: p >= 1 ? 0 : 1 / (1 - p),
    keptShift: 0,
    droppedValue: 0,
    evalFactor: 1,
  };
  return new TensorValue(maskComposite(x, plan, run.seed()));
};

const randomScalar: LibraryFunction = ({ run }) => run.random();

const extreme: LibraryFunction = ({ name, args, line }) => {
  const items =
    args.length === 1 && (args[0] instanceof TupleValue || args[0] instanceof ListValue) ? args[0].items : args;
  const nums = items.map((v) => scalar(v, line));
  return name === 'min' ? Math.min(...nums) : Math.max(...nums);
};

const sequence: LibraryFunction = ({ name, args, line }) => {
  const v = args[0];
  const items =
    v === undefined
      ? []
      : v instanceof TupleValue || v instanceof ListValue
        ? v.items
        : v instanceof RangeValue
          ? v.items
          : undefined;
  if (!items) throw new InterpreterError(unsupportedMessage(`${name}() of ${typeName(v ?? null)}`, line));
  return name === 'tuple' ? new TupleValue([...items]) : new ListValue([...items]);
};

export const LIBRARY_FUNCTION_IMPLEMENTATIONS: Record<LibraryFunctionName, LibraryFunction> = {
  'torch.rand': ({ run, t, args, line }) =>
    new TensorValue(t.randomUniform(shapeArgs(run, args, line), 0, 1, 'float32', run.seed())),
  'torch.randn': ({ run, t, args, line }) =>
    new TensorValue(t.randomNormal(shapeArgs(run, args, line), 0, 1, 'float32', run.seed())),
  'torch.rand_like': ({ run, t, likeShape }) =>
    new TensorValue(t.randomUniform(likeShape(), 0, 1, 'float32', run.seed())),
  'torch.randn_like': ({ run, t, likeShape }) =>
    new TensorValue(t.randomNormal(likeShape(), 0, 1, 'float32', run.seed())),
  'torch.empty': zeros,
  'torch.zeros': zeros,
  'torch.ones': ({ run, t, args, line }) => new TensorValue(t.ones(shapeArgs(run, args, line))),
  'torch.full': ({ run, t, args, arg, line }) => {
    const fill = arg(1, 'fill_value') ?? null;
    if (!isNum(fill) && typeof fill !== 'boolean')
      throw new InterpreterError(`not profiled: the fill value at line ${line} is not a number`);
    return new TensorValue(t.fill(shapeArgs(run, [args[0] ?? null], line), Number(fill)));
  },
  'torch.empty_like': zerosLike,
  'torch.zeros_like': zerosLike,
  'torch.ones_like': ({ t, likeShape }) => new TensorValue(t.ones(likeShape())),
  'torch.full_like': ({ t, arg, likeShape }) => {
    const fill = arg(1, 'fill_value') ?? null;
    return new TensorValue(t.fill(likeShape(), Number(fill)));
  },
  'torch.FloatTensor': tensorFromData,
  'torch.tensor': tensorFromData,
  'torch.as_tensor': tensorFromData,
  'torch.bernoulli': ({ run, arg, line }) => {
    const probs = tensorOf(arg(0, 'input') ?? null, line);
    const p = arg(1, 'p');
    return new TensorValue(bernoulli(run, probs.shape, p === undefined ? new TensorValue(probs) : p, line));
  },
  'torch.where': ({ run, t, arg, line }) => {
    const cond = tensorOf(arg(0, 'condition') ?? null, line);
    const a = floatOf(arg(1, 'input') ?? null, line);
    const b = floatOf(arg(2, 'other') ?? null, line);
    const c = cond.dtype === 'bool' ? cond : t.notEqual(cond, 0);
    checkBroadcast(run, a, b, line);
    const shape = broadcastShape(broadcastShape(c.shape, a.shape), b.shape);
    run.checkElements(shape, line);
    return new TensorValue(t.where(t.broadcastTo(c, shape), t.broadcastTo(a, shape), t.broadcastTo(b, shape)));
  },
  'torch.floor': ({ t, args, line }) => new TensorValue(t.floor(floatOf(args[0], line))),
  'torch.logical_not': ({ t, args, line }) => new TensorValue(t.logicalNot(t.cast(tensorOf(args[0], line), 'bool'))),
  'torch.mul': ({ run, args, arg, line }) => binary(run, '*', args[0], arg(1, 'other') ?? null, line),
  'torch.div': ({ run, args, arg, line }) => binary(run, '/', args[0], arg(1, 'other') ?? null, line),
  'torch.add': ({ run, args, arg, line }) => binary(run, '+', args[0], arg(1, 'other') ?? null, line),
  'torch.sub': ({ run, args, arg, line }) => binary(run, '-', args[0], arg(1, 'other') ?? null, line),
  'torch.sum': reduce,
  'torch.mean': reduce,
  'torch.numel': ({ args, line }) => tensorOf(args[0], line).size,
  'torch.masked_fill': ({ run, args, kwargs, line }) =>
    callTensorMethod(run, args[0] as TensorValue, 'masked_fill', args.slice(1), kwargs, line),
  'torch.nn.functional.dropout': dropout,
  'torch.nn.functional.dropout1d': dropout,
  'torch.nn.functional.dropout2d': dropout,
  'torch.nn.functional.dropout3d': dropout,
  'torch.dropout': dropout,
  'math.sqrt': ({ args }) => Math.sqrt(Number(args[0])),
  'math.floor': ({ args }) => Math.floor(Number(args[0])),
  'math.ceil': ({ args }) => Math.ceil(Number(args[0])),
  'random.random': randomScalar,
  'numpy.random.random': randomScalar,
  'numpy.random.rand': ({ run, args, line }) => {
    if (args.length > 0) throw new InterpreterError(unsupportedMessage('numpy.random.rand with a shape', line));
    return run.random();
  },
  'numpy.random.uniform': ({ run, args, kwargs, arg, line }) => {
    if (args.length > 2 || kwargs.has('size'))
      throw new InterpreterError(unsupportedMessage('numpy.random.uniform with a size', line));
    const lo = Number(arg(0, 'low') ?? 0);
    const hi = Number(arg(1, 'high') ?? 1);
    return lo + (hi - lo) * run.random();
  },
  len: ({ args, line }) => {
    const v = args[0];
    if (v instanceof TupleValue || v instanceof ListValue) return v.items.length;
    if (v instanceof TensorValue) return v.t.shape[0] ?? 0;
    throw new InterpreterError(`not profiled: len() of ${typeName(v)} at line ${line}`);
  },
  int: ({ args, line }) => Math.trunc(scalar(args[0], line)),
  float: ({ args, line }) => scalar(args[0], line),
  bool: ({ args, line }) => truthy(args[0] ?? false, line),
  abs: ({ args, line }) => Math.abs(scalar(args[0], line)),
  min: extreme,
  max: extreme,
  range: ({ run, args, line }) => {
    const nums = args.map((v) => scalar(v, line));
    const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
    if (step === 0) throw new InterpreterError(`not profiled: range() step is zero at line ${line}`);
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (count > run.limits.maxSteps)
      throw new InterpreterError(
        `not profiled: line ${line} loops ${count} times, over the step limit of ${run.limits.maxSteps}`,
      );
    return new RangeValue(Array.from({ length: count }, (_, i) => start + i * step));
  },
  tuple: sequence,
  list: sequence,
  super: () => new Library('super'),
};

/** Calls the library function `name`; a name outside the whitelist is refused with a sentence. */
export function callLibraryFunction(
  run: ActiveRun,
  name: string,
  args: Value[],
  kwargs: Map<string, Value>,
  line: number,
): Value {
  const t = tf();
  const arg = (i: number, key: string): Value | undefined => (i < args.length ? args[i] : kwargs.get(key));
  const likeShape = (): number[] => tensorOf(args[0] ?? kwargs.get('input') ?? null, line).shape;
  if (!isLibraryFunction(name)) {
    if (LIBRARY_VALUES.has(name)) throw new InterpreterError(`not profiled: line ${line} calls \`${name}\``);
    throw new InterpreterError(unsupportedMessage(name, line));
  }
  return LIBRARY_FUNCTION_IMPLEMENTATIONS[name]({ run, t, name, args, kwargs, line, arg, likeShape });
}
