/**
 * The interpreter's values: Python's scalars as JavaScript ones, and boxes for everything else (tensors, tuples,
 * lists, instances of the file's classes, bound functions and methods, library names). Also the conversions every
 * part of the interpreter applies to them: truth, numbers, tensors.
 *
 * Tensors are boxed (`TensorValue`): an in-place op (`mask.div_(keep)`, `x[m] = 0`) replaces the box's tensor, so
 * every name bound to the same box sees the change, as aliases of one tensor do in PyTorch.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { ClassDef, FunctionDef } from '../program';
import { tf } from '../tf';

/** Why a run stopped: an unsupported construct, a limit, or the code itself failing (a `raise`, a shape error). */
export class InterpreterError extends Error {}

export class TensorValue {
  constructor(public t: Tensor) {}
}
export class TupleValue {
  constructor(readonly items: Value[]) {}
}
export class ListValue {
  constructor(public items: Value[]) {}
}
export class Instance {
  readonly attrs = new Map<string, Value>();
  constructor(readonly cls: ClassDef) {}
}
export class BoundFunction {
  constructor(
    readonly fn: FunctionDef,
    readonly self?: Instance,
  ) {}
}
export class Library {
  constructor(readonly name: string) {}
}
export class BoundMethod {
  constructor(
    readonly target: Value,
    readonly name: string,
  ) {}
}
/** An `__init__` attribute whose value is outside the subset: harmless until the code reads it. */
export class Poison {
  constructor(readonly message: string) {}
}
export class RangeValue {
  constructor(readonly items: number[]) {}
}

export type Value =
  | number
  | boolean
  | string
  | null
  | TensorValue
  | TupleValue
  | ListValue
  | Instance
  | BoundFunction
  | Library
  | BoundMethod
  | Poison
  | RangeValue;

export function typeName(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a bool';
  if (typeof v === 'string') return 'a string';
  if (v instanceof TupleValue) return 'a tuple';
  if (v instanceof ListValue) return 'a list';
  if (v instanceof TensorValue) return 'a tensor';
  return 'an object';
}

export const isNum = (v: Value): v is number => typeof v === 'number';

export function truthy(v: Value, line: number): boolean {
  if (v instanceof Poison) throw new InterpreterError(v.message);
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof TupleValue || v instanceof ListValue) return v.items.length > 0;
  if (v instanceof RangeValue) return v.items.length > 0;
  if (v instanceof TensorValue) {
    if (v.t.size !== 1)
      throw new InterpreterError(
        `not profiled: line ${line} tests a tensor of ${v.t.size} elements for truth (PyTorch raises: ambiguous)`,
      );
    return v.t.dataSync()[0] !== 0;
  }
  return true;
}

export function scalar(v: Value, line: number): number {
  if (isNum(v)) return v;
  if (typeof v === 'boolean') return Number(v);
  if (v instanceof TensorValue && v.t.size === 1) return v.t.dataSync()[0];
  throw new InterpreterError(`not profiled: line ${line} needs a number, got ${typeName(v)}`);
}

export function tensorOf(v: Value, line: number): Tensor {
  if (v instanceof TensorValue) return v.t;
  if (isNum(v) || typeof v === 'boolean') return tf().scalar(Number(v));
  if (v instanceof Poison) throw new InterpreterError(v.message);
  throw new InterpreterError(`not profiled: line ${line} uses ${typeName(v)} where a tensor or number is needed`);
}

/** Float operands for arithmetic: PyTorch promotes bool masks to the other operand's float type. */
export function floatOf(v: Value, line: number): Tensor {
  const t = tensorOf(v, line);
  return t.dtype === 'float32' ? t : tf().cast(t, 'float32');
}
