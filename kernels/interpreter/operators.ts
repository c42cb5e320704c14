/**
 * Python's binary operators and comparisons over the interpreter's values: numbers and sequences as Python does
 * them, tensors as PyTorch does (bool masks promoted to float, broadcasting checked against PyTorch's rule).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { unsupportedMessage, type BinaryOp, type CompareOp } from '../program';
import { tf } from '../tf';
import type { ActiveRun } from './active-run';
import {
  floatOf,
  InterpreterError,
  isNum,
  Library,
  ListValue,
  Poison,
  TensorValue,
  tensorOf,
  TupleValue,
  typeName,
  type Value,
} from './values';

export function compare(op: CompareOp, l: Value, r: Value, line: number): Value {
  if (l instanceof TensorValue || r instanceof TensorValue) {
    const t = tf();
    const a = tensorOf(l, line);
    const b = tensorOf(r, line);
    switch (op) {
      case '<':
        return new TensorValue(t.less(a, b));
      case '<=':
        return new TensorValue(t.lessEqual(a, b));
      case '>':
        return new TensorValue(t.greater(a, b));
      case '>=':
        return new TensorValue(t.greaterEqual(a, b));
      case '==':
        return new TensorValue(t.equal(a, b));
      case '!=':
        return new TensorValue(t.notEqual(a, b));
      default:
        if (op === 'is') return l === r;
        if (op === 'is not') return l !== r;
        throw new InterpreterError(unsupportedMessage(`${op} on tensors`, line));
    }
  }
  if (op === 'is' || op === 'is not') {
    const same = l === r || (l instanceof Library && r instanceof Library && l.name === r.name);
    return op === 'is' ? same : !same;
  }
  if (op === 'in' || op === 'not in') {
    const items =
      r instanceof TupleValue || r instanceof ListValue
        ? r.items
        : typeof r === 'string' && typeof l === 'string'
          ? null
          : undefined;
    if (items === undefined) throw new InterpreterError(unsupportedMessage(`${op} on ${typeName(r)}`, line));
    const found =
      items === null
        ? (r as string).includes(l as string)
        : items.some((i) => i === l || (isNum(i) && typeof l === 'boolean' && i === Number(l)));
    return op === 'in' ? found : !found;
  }
  if (op === '==' || op === '!=') {
    let eq: boolean;
    if (l instanceof TupleValue && r instanceof TupleValue)
      eq = l.items.length === r.items.length && l.items.every((v, i) => v === r.items[i]);
    else if (l instanceof Library && r instanceof Library) eq = l.name === r.name;
    else eq = (typeof l === 'boolean' ? Number(l) : l) === (typeof r === 'boolean' ? Number(r) : r);
    return op === '==' ? eq : !eq;
  }
  const a = typeof l === 'boolean' ? Number(l) : l;
  const b = typeof r === 'boolean' ? Number(r) : r;
  if (!isNum(a) || !isNum(b))
    throw new InterpreterError(
      `not profiled: line ${line} compares ${typeName(l)} with ${typeName(r)} (\`${op}\`), which PyTorch rejects`,
    );
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

export function binary(run: ActiveRun, op: BinaryOp, l: Value, r: Value, line: number): Value {
  if (l instanceof Poison) throw new InterpreterError(l.message);
  if (r instanceof Poison) throw new InterpreterError(r.message);
  if (l instanceof TensorValue || r instanceof TensorValue) {
    const t = tf();
    if (op === '&' || op === '|' || op === '^') {
      const a = tensorOf(l, line);
      const b = tensorOf(r, line);
      if (a.dtype !== 'bool' || b.dtype !== 'bool')
        throw new InterpreterError(unsupportedMessage(`${op} on non-boolean tensors`, line));
      return new TensorValue(op === '&' ? t.logicalAnd(a, b) : op === '|' ? t.logicalOr(a, b) : t.logicalXor(a, b));
    }
    const a = floatOf(l, line);
    const b = floatOf(r, line);
    checkBroadcast(run, a, b, line);
    switch (op) {
      case '+':
        return new TensorValue(t.add(a, b));
      case '-':
        return new TensorValue(t.sub(a, b));
      case '*':
        return new TensorValue(t.mul(a, b));
      case '/':
        return new TensorValue(t.div(a, b));
      case '//':
        return new TensorValue(t.floorDiv(a, b));
      case '**':
        return new TensorValue(t.pow(a, b));
      default:
        throw new InterpreterError(unsupportedMessage(`${op} on tensors`, line));
    }
  }
  if ((l instanceof TupleValue || l instanceof ListValue) && op === '*' && isNum(r))
    return repeat(l, r, line, run.limits.maxElements);
  if ((r instanceof TupleValue || r instanceof ListValue) && op === '*' && isNum(l))
    return repeat(r, l, line, run.limits.maxElements);
  if (l instanceof TupleValue && r instanceof TupleValue && op === '+') return new TupleValue([...l.items, ...r.items]);
  if (l instanceof ListValue && r instanceof ListValue && op === '+') return new ListValue([...l.items, ...r.items]);
  if (typeof l === 'string' && typeof r === 'string' && op === '+') return l + r;
  const a = typeof l === 'boolean' ? Number(l) : l;
  const b = typeof r === 'boolean' ? Number(r) : r;
  if (!isNum(a) || !isNum(b))
    throw new InterpreterError(`not profiled: line ${line} applies \`${op}\` to ${typeName(l)} and ${typeName(r)}`);
  if ((op === '/' || op === '//' || op === '%') && b === 0)
    throw new InterpreterError(
      `not profiled: line ${line} divides by zero (Python raises ZeroDivisionError) with these arguments`,
    );
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '//':
      return Math.floor(a / b);
    case '%':
      return a - Math.floor(a / b) * b;
    case '**':
      return a ** b;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
  }
}

export function checkBroadcast(run: ActiveRun, a: Tensor, b: Tensor, line: number): void {
  const rank = Math.max(a.rank, b.rank);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a.shape[a.rank - rank + i] ?? 1;
    const db = b.shape[b.rank - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new InterpreterError(
        `not profiled: line ${line} combines tensors of shapes [${a.shape.join(', ')}] and ` +
          `[${b.shape.join(', ')}], which do not broadcast (PyTorch raises)`,
      );
    }
    out.push(Math.max(da, db));
  }
  run.checkElements(out, line);
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) out.push(Math.max(a[a.length - rank + i] ?? 1, b[b.length - rank + i] ?? 1));
  return out;
}

function repeat(seq: TupleValue | ListValue, times: number, line: number, max: number): Value {
  if (!Number.isInteger(times))
    throw new InterpreterError(`not profiled: line ${line} repeats a sequence ${times} times`);
  if (seq.items.length * Math.max(0, times) > max)
    throw new InterpreterError(
      `not profiled: line ${line} builds a sequence of ${seq.items.length * times} items, over the limit of ${max}`,
    );
  const items: Value[] = [];
  for (let i = 0; i < times; i++) items.push(...seq.items);
  return seq instanceof TupleValue ? new TupleValue(items) : new ListValue(items);
}
