/**
 * A safe interpreter of hand-written regularizer code over TensorFlow.js tensors. It walks a `RegularizerProgram`
 * (kernels/program.ts: plain data, extracted from the syntax tree by the engine) and runs only what the whitelists
 * of program.ts name: arithmetic, comparisons, tuples and shape arithmetic, locals, `if`/`while`/`for range`,
 * calls of the file's own functions and methods, and the tensor operations of common dropout and drop-path code.
 * Python never runs. Limits on steps, tensor elements, call depth and wall time stop hostile or runaway code with a
 * sentence saying which limit and where.
 *
 * Tensors are boxed (`TensorValue`): an in-place op (`mask.div_(keep)`, `x[m] = 0`) replaces the box's tensor, so
 * every name bound to the same box sees the change, as aliases of one tensor do in PyTorch. The caller runs a call
 * inside `tf.tidy`, so every intermediate is disposed with it.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { maskComposite } from './ops';
import {
  DEFAULT_LIMITS,
  LIBRARY_FUNCTIONS,
  LIBRARY_VALUES,
  TENSOR_ATTRIBUTES,
  TENSOR_METHODS,
  unsupportedMessage,
  type ArgumentValue,
  type BinaryOp,
  type ClassDef,
  type CompareOp,
  type Expr,
  type FunctionDef,
  type InterpreterLimits,
  type RegularizerProgram,
  type Stmt,
  type Target,
} from './program';
import { tf } from './tf';

/** Why a run stopped: an unsupported construct, a limit, or the code itself failing (a `raise`, a shape error). */
export class InterpreterError extends Error {}

export class TensorValue {
  constructor(public t: Tensor) {}
}
class TupleValue {
  constructor(readonly items: Value[]) {}
}
class ListValue {
  constructor(public items: Value[]) {}
}
class Instance {
  readonly attrs = new Map<string, Value>();
  constructor(readonly cls: ClassDef) {}
}
class BoundFunction {
  constructor(
    readonly fn: FunctionDef,
    readonly self?: Instance,
  ) {}
}
class Library {
  constructor(readonly name: string) {}
}
class BoundMethod {
  constructor(
    readonly target: Value,
    readonly name: string,
  ) {}
}
/** An `__init__` attribute whose value is outside the subset: harmless until the code reads it. */
class Poison {
  constructor(readonly message: string) {}
}
class RangeValue {
  constructor(readonly items: number[]) {}
}

type Value = number | boolean | string | null | TensorValue | TupleValue | ListValue | Instance | BoundFunction | Library | BoundMethod | Poison | RangeValue;

class ReturnSignal {
  constructor(readonly value: Value) {}
}
class BreakSignal {}
class ContinueSignal {}

export interface RunOptions {
  training: boolean;
  seed: number;
  limits?: InterpreterLimits;
}

export interface RunStats {
  steps: number;
  maxDepth: number;
}

/**
 * Runs the program's entry on `input` (training flag per `options`) and returns its output tensor. Call inside
 * `tf.tidy`. Throws `InterpreterError` with a sentence for anything it will not or cannot run.
 */
export function interpret(program: RegularizerProgram, input: Tensor, options: RunOptions, stats?: RunStats): Tensor {
  const run = new Run(program, input, options);
  try {
    let out: Value;
    try {
      out = run.main();
    } catch (e) {
      // A tfjs error (a shape no op accepts) is the code failing at that line, as PyTorch would raise there.
      if (e instanceof InterpreterError || !(e instanceof Error)) throw e;
      throw new InterpreterError(`not profiled: line ${run.line} fails with these arguments: ${e.message}`);
    }
    if (!(out instanceof TensorValue)) throw new InterpreterError(`not profiled: the ${program.entry.className ? `${program.entry.className}.` : ''}${program.entry.function} call returns ${typeName(out)}, not a tensor`);
    if (out.t.shape.join(',') !== input.shape.join(',')) {
      throw new InterpreterError(`not profiled: the output has shape [${out.t.shape.join(', ')}], not the input's [${input.shape.join(', ')}]`);
    }
    return out.t.dtype === 'float32' ? out.t : tf().cast(out.t, 'float32');
  } finally {
    if (stats) {
      stats.steps = run.steps;
      stats.maxDepth = run.deepest;
    }
  }
}

function typeName(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a bool';
  if (typeof v === 'string') return 'a string';
  if (v instanceof TupleValue) return 'a tuple';
  if (v instanceof ListValue) return 'a list';
  if (v instanceof TensorValue) return 'a tensor';
  return 'an object';
}

const isNum = (v: Value): v is number => typeof v === 'number';

class Run {
  steps = 0;
  deepest = 0;
  /** The line of the statement or expression being evaluated, for messages. */
  line = 0;
  private depth = 0;
  private draws = 0;
  private readonly limits: InterpreterLimits;
  private readonly deadline: number;
  private readonly baseBytes = tf().memory().numBytes;
  private readonly globals = new Map<string, Value>();
  /** Scalar draws (`random.random()`): a small seeded generator, so runs are reproducible. */
  private rngState: number;

  constructor(
    private readonly program: RegularizerProgram,
    private readonly input: Tensor,
    private readonly options: RunOptions,
  ) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.deadline = Date.now() + this.limits.maxMs;
    this.rngState = (options.seed ^ 0x9e3779b9) >>> 0;
  }

  main(): Value {
    const p = this.program;
    for (const [name, expr] of Object.entries(p.globals)) {
      try {
        this.globals.set(name, this.expr(expr, new Map()));
      } catch (e) {
        if (!(e instanceof InterpreterError)) throw e;
        this.globals.set(name, new Poison(e.message));
      }
    }
    const x = new TensorValue(this.input);
    const arg = (v: ArgumentValue): Value => (v !== null && typeof v === 'object' ? ('missing' in v ? new Poison(v.missing) : x) : v);
    const args = new Map<string, Value>();
    for (const [k, v] of Object.entries(p.args)) args.set(k, arg(v));
    if (p.trainingParam) args.set(p.trainingParam, this.options.training);
    if (p.entry.className) {
      const cls = p.classes[p.entry.className];
      const self = this.instantiate(cls, new Map(Object.entries(p.initArgs).map(([k, v]) => [k, arg(v)])), 0);
      const fn = cls.methods[p.entry.function];
      return this.call(fn, self, [], args, fn.line);
    }
    const fn = p.functions[p.entry.function];
    return this.call(fn, undefined, [], args, fn.line);
  }

  private instantiate(cls: ClassDef, kwargs: Map<string, Value>, line: number): Instance {
    const self = new Instance(cls);
    self.attrs.set('training', this.options.training);
    const init = cls.methods.__init__;
    if (init) this.call(init, self, [], kwargs, line, true);
    return self;
  }

  // ---- limits -----------------------------------------------------------------------------------------------

  private step(line: number): void {
    this.steps++;
    this.line = line;
    if (this.steps > this.limits.maxSteps) {
      throw new InterpreterError(`not profiled: stopped at line ${line} after ${this.limits.maxSteps} steps (the step limit: a loop that never ends?)`);
    }
    if (this.limits.maxBytes !== undefined && (this.steps & 63) === 0) {
      const held = tf().memory().numBytes - this.baseBytes;
      if (held > this.limits.maxBytes) {
        throw new InterpreterError(`not profiled: stopped at line ${line} holding ${(held / 1024 ** 2).toFixed(1)} MiB of tensors, over ${(this.limits.maxBytes / 1024 ** 2).toFixed(1)} MiB (the memory limit)`);
      }
    }
    if ((this.steps & 1023) === 0 && Date.now() > this.deadline) {
      throw new InterpreterError(`not profiled: stopped at line ${line} after ${this.limits.maxMs} ms (the time limit)`);
    }
  }

  private checkElements(shape: number[], line: number): number[] {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new InterpreterError(`not profiled: the shape [${shape.join(', ')}] at line ${line} is not a list of non-negative integers`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > this.limits.maxElements) {
      throw new InterpreterError(`not profiled: line ${line} creates a tensor of ${n} elements, over the limit of ${this.limits.maxElements} (the tensor size limit)`);
    }
    return shape;
  }

  private seed(): number {
    return (this.options.seed * 7919 + ++this.draws * 104729) % 2147483647;
  }

  private random(): number {
    // mulberry32
    let t = (this.rngState = (this.rngState + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  // ---- functions --------------------------------------------------------------------------------------------

  private call(fn: FunctionDef, self: Instance | undefined, positional: Value[], keywords: Map<string, Value>, line: number, lenient = false): Value {
    this.depth++;
    this.deepest = Math.max(this.deepest, this.depth);
    try {
      if (this.depth > this.limits.maxDepth) {
        throw new InterpreterError(`not profiled: \`${fn.name}\` called at line ${line} nests deeper than ${this.limits.maxDepth} calls (the recursion limit)`);
      }
      const scope = new Map<string, Value>();
      const params = [...fn.params];
      if (self) scope.set(params.shift()?.name ?? 'self', self);
      params.forEach((param, i) => {
        let v: Value | undefined = i < positional.length ? positional[i] : keywords.get(param.name);
        if (v === undefined && param.default) v = this.expr(param.default, scope);
        if (v === undefined) throw new InterpreterError(`not profiled: \`${fn.name}\` is called at line ${line} without a value for \`${param.name}\``);
        scope.set(param.name, v);
      });
      try {
        this.block(fn.body, scope, lenient);
      } catch (signal) {
        if (signal instanceof ReturnSignal) return signal.value;
        throw signal;
      }
      return null;
    } finally {
      this.depth--;
    }
  }

  // ---- statements -------------------------------------------------------------------------------------------

  private block(body: Stmt[], scope: Map<string, Value>, lenient = false): void {
    for (const stmt of body) {
      if (!lenient) {
        this.stmt(stmt, scope);
        continue;
      }
      // `__init__`: what the subset cannot build (an nn.Linear, a buffer) matters only if the code reads it.
      try {
        this.stmt(stmt, scope);
      } catch (e) {
        if (!(e instanceof InterpreterError) || !e.message.endsWith('(unsupported)')) throw e;
        if (stmt.s === 'assign' && stmt.target.t === 'attr') {
          const obj = this.expr(stmt.target.obj, scope);
          if (obj instanceof Instance) obj.attrs.set(stmt.target.name, new Poison(e.message));
        }
      }
    }
  }

  private stmt(stmt: Stmt, scope: Map<string, Value>): void {
    this.step(stmt.line);
    switch (stmt.s) {
      case 'expr':
        this.expr(stmt.x, scope);
        return;
      case 'assign':
        this.assign(stmt.target, this.expr(stmt.value, scope), scope, stmt.line);
        return;
      case 'augassign': {
        const current = this.expr(targetExpr(stmt.target, stmt.line), scope);
        const value = this.expr(stmt.value, scope);
        // `x *= m` on a tensor is in place in PyTorch: every alias sees it.
        if (current instanceof TensorValue && stmt.target.t !== 'index') {
          const next = this.binary(stmt.op, current, value, stmt.line);
          current.t = (next as TensorValue).t;
          return;
        }
        this.assign(stmt.target, this.binary(stmt.op, current, value, stmt.line), scope, stmt.line);
        return;
      }
      case 'if':
        this.block(this.truthy(this.expr(stmt.cond, scope), stmt.line) ? stmt.body : stmt.orelse, scope);
        return;
      case 'while':
        while (this.truthy(this.expr(stmt.cond, scope), stmt.line)) {
          this.step(stmt.line);
          try {
            this.block(stmt.body, scope);
          } catch (signal) {
            if (signal instanceof BreakSignal) break;
            if (signal instanceof ContinueSignal) continue;
            throw signal;
          }
        }
        return;
      case 'for': {
        const iter = this.expr(stmt.iter, scope);
        const items = iter instanceof RangeValue ? iter.items : iter instanceof TupleValue || iter instanceof ListValue ? iter.items : undefined;
        if (!items) throw new InterpreterError(unsupportedMessage(`for over ${typeName(iter)}`, stmt.line));
        for (const item of items) {
          this.step(stmt.line);
          this.assign(stmt.target, item, scope, stmt.line);
          try {
            this.block(stmt.body, scope);
          } catch (signal) {
            if (signal instanceof BreakSignal) break;
            if (signal instanceof ContinueSignal) continue;
            throw signal;
          }
        }
        return;
      }
      case 'return':
        throw new ReturnSignal(stmt.x ? this.expr(stmt.x, scope) : null);
      case 'pass':
        return;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'raise':
        throw new InterpreterError(`not profiled: the code raises at line ${stmt.line} (\`${stmt.text}\`) with these arguments`);
      case 'assert':
        if (!this.truthy(this.expr(stmt.cond, scope), stmt.line)) throw new InterpreterError(`not profiled: \`${stmt.text}\` fails at line ${stmt.line} with these arguments`);
        return;
      case 'unsupported':
        throw new InterpreterError(unsupportedMessage(stmt.name, stmt.line));
    }
  }

  private assign(target: Target, value: Value, scope: Map<string, Value>, line: number): void {
    switch (target.t) {
      case 'name':
        scope.set(target.id, value);
        return;
      case 'attr': {
        const obj = this.expr(target.obj, scope);
        if (!(obj instanceof Instance)) throw new InterpreterError(unsupportedMessage(`setting .${target.name} on ${typeName(obj)}`, line));
        obj.attrs.set(target.name, value);
        return;
      }
      case 'index': {
        const obj = this.expr(target.obj, scope);
        const index = this.expr(target.index, scope);
        if (obj instanceof ListValue && isNum(index)) {
          obj.items[index < 0 ? obj.items.length + index : index] = value;
          return;
        }
        // `x[mask] = v` with a boolean mask: PyTorch writes through to x (and every alias of it).
        if (obj instanceof TensorValue && index instanceof TensorValue && index.t.dtype === 'bool' && (isNum(value) || typeof value === 'boolean' || value instanceof TensorValue)) {
          const t = tf();
          const fill = isNum(value) || typeof value === 'boolean' ? t.scalar(Number(value), obj.t.dtype) : value.t;
          obj.t = t.where(t.broadcastTo(index.t, obj.t.shape), t.broadcastTo(t.cast(fill, obj.t.dtype), obj.t.shape), obj.t);
          return;
        }
        throw new InterpreterError(unsupportedMessage(`index assignment to ${typeName(obj)}`, line));
      }
      case 'tuple': {
        const items = value instanceof TupleValue || value instanceof ListValue ? value.items : undefined;
        if (!items || items.length !== target.items.length) throw new InterpreterError(`not profiled: line ${line} unpacks ${typeName(value)} into ${target.items.length} names`);
        target.items.forEach((t, i) => this.assign(t, items[i], scope, line));
        return;
      }
    }
  }

  private truthy(v: Value, line: number): boolean {
    if (v instanceof Poison) throw new InterpreterError(v.message);
    if (v === null) return false;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') return v.length > 0;
    if (v instanceof TupleValue || v instanceof ListValue) return v.items.length > 0;
    if (v instanceof RangeValue) return v.items.length > 0;
    if (v instanceof TensorValue) {
      if (v.t.size !== 1) throw new InterpreterError(`not profiled: line ${line} tests a tensor of ${v.t.size} elements for truth (PyTorch raises: ambiguous)`);
      return v.t.dataSync()[0] !== 0;
    }
    return true;
  }

  // ---- expressions ------------------------------------------------------------------------------------------

  private expr(x: Expr, scope: Map<string, Value>): Value {
    switch (x.e) {
      case 'num':
        return x.v;
      case 'str':
        return x.v;
      case 'bool':
        return x.v;
      case 'none':
        return null;
      case 'unsupported':
        throw new InterpreterError(unsupportedMessage(x.name, x.line));
      default:
        break;
    }
    this.step(x.line);
    switch (x.e) {
      case 'name': {
        const v = scope.get(x.id) ?? this.globals.get(x.id);
        if (v !== undefined) {
          if (v instanceof Poison) throw new InterpreterError(v.message);
          return v;
        }
        const fn = this.program.functions[x.id];
        if (fn) return new BoundFunction(fn);
        throw new InterpreterError(`not profiled: \`${x.id}\` at line ${x.line} is not defined here`);
      }
      case 'lib':
        return new Library(x.name);
      case 'attr':
        return this.attribute(this.expr(x.obj, scope), x.name, x.line);
      case 'index':
        return this.index(this.expr(x.obj, scope), this.expr(x.index, scope), x.line);
      case 'slice':
        return new TupleValue([x.lo ? this.expr(x.lo, scope) : null, x.hi ? this.expr(x.hi, scope) : null, x.step ? this.expr(x.step, scope) : null, 'slice']);
      case 'call': {
        const fn = this.expr(x.fn, scope);
        const args: Value[] = [];
        for (const a of x.args) {
          if (a.e !== 'splat') {
            args.push(this.expr(a, scope));
            continue;
          }
          const spread = this.expr(a.x, scope);
          if (!(spread instanceof TupleValue || spread instanceof ListValue)) throw new InterpreterError(unsupportedMessage(`* of ${typeName(spread)}`, a.line));
          args.push(...spread.items);
        }
        const kwargs = new Map(x.kwargs.map(([k, v]) => [k, this.expr(v, scope)] as [string, Value]));
        return this.invoke(fn, args, kwargs, x.line);
      }
      case 'bin':
        return this.binary(x.op, this.expr(x.l, scope), this.expr(x.r, scope), x.line);
      case 'unary': {
        const v = this.expr(x.x, scope);
        if (x.op === 'not') return !this.truthy(v, x.line);
        if (v instanceof TensorValue) {
          const t = tf();
          if (x.op === '~') return new TensorValue(v.t.dtype === 'bool' ? t.logicalNot(v.t) : t.sub(t.neg(v.t), 1));
          return new TensorValue(x.op === '-' ? t.neg(v.t) : v.t);
        }
        if (typeof v === 'boolean' || isNum(v)) {
          const n = Number(v);
          return x.op === '-' ? -n : x.op === '+' ? n : ~n;
        }
        throw new InterpreterError(unsupportedMessage(`${x.op} on ${typeName(v)}`, x.line));
      }
      case 'logic': {
        const l = this.expr(x.l, scope);
        const lt = this.truthy(l, x.line);
        if (x.op === 'and') return lt ? this.expr(x.r, scope) : l;
        return lt ? l : this.expr(x.r, scope);
      }
      case 'compare': {
        let left = this.expr(x.operands[0], scope);
        let result: Value = true;
        for (let i = 0; i < x.ops.length; i++) {
          const right = this.expr(x.operands[i + 1], scope);
          const r = this.compare(x.ops[i], left, right, x.line);
          if (r instanceof TensorValue) {
            if (x.ops.length > 1) throw new InterpreterError(unsupportedMessage('chained comparison of tensors', x.line));
            return r;
          }
          if (!r) return false;
          result = r;
          left = right;
        }
        return result;
      }
      case 'ifexp':
        return this.truthy(this.expr(x.cond, scope), x.line) ? this.expr(x.then, scope) : this.expr(x.else, scope);
      case 'tuple':
        return new TupleValue(x.items.map((i) => this.expr(i, scope)));
      case 'list':
        return new ListValue(x.items.map((i) => this.expr(i, scope)));
      case 'splat':
        throw new InterpreterError(unsupportedMessage('* outside a call', x.line));
    }
    throw new InterpreterError('not profiled: an expression the interpreter does not know');
  }

  private attribute(obj: Value, name: string, line: number): Value {
    if (obj instanceof Poison) throw new InterpreterError(obj.message);
    if (obj instanceof Instance) {
      if (obj.attrs.has(name)) {
        const v = obj.attrs.get(name)!;
        if (v instanceof Poison) throw new InterpreterError(v.message);
        return v;
      }
      const method = obj.cls.methods[name];
      if (method) return new BoundFunction(method, obj);
      throw new InterpreterError(`not profiled: \`self.${name}\` at line ${line} is never set in \`__init__\``);
    }
    if (obj instanceof TensorValue) {
      switch (name) {
        case 'shape':
          return new TupleValue([...obj.t.shape]);
        case 'ndim':
          return obj.t.rank;
        case 'dtype':
          return new Library(obj.t.dtype === 'bool' ? 'torch.bool' : 'torch.float32');
        case 'device':
          return 'cpu';
        case 'data':
          return obj;
        case 'is_cuda':
        case 'requires_grad':
          return false;
        default:
          if (TENSOR_METHODS.has(name)) return new BoundMethod(obj, name);
          throw new InterpreterError(unsupportedMessage(`.${name}`, line));
      }
    }
    if (obj instanceof Library && obj.name === 'super') return new BoundMethod(obj, name);
    if (obj instanceof TupleValue && name === 'numel') return new BoundMethod(obj, name);
    if (TENSOR_ATTRIBUTES.has(name) || TENSOR_METHODS.has(name)) throw new InterpreterError(`not profiled: line ${line} reads \`.${name}\` of ${typeName(obj)}, not of a tensor`);
    throw new InterpreterError(unsupportedMessage(`.${name}`, line));
  }

  private index(obj: Value, index: Value, line: number): Value {
    const seq = obj instanceof TupleValue ? obj.items : obj instanceof ListValue ? obj.items : undefined;
    if (seq) {
      if (isNum(index)) {
        const i = index < 0 ? seq.length + index : index;
        if (!Number.isInteger(i) || i < 0 || i >= seq.length) throw new InterpreterError(`not profiled: index ${index} at line ${line} is out of range for a sequence of ${seq.length}`);
        return seq[i];
      }
      if (index instanceof TupleValue && index.items[3] === 'slice') {
        const [lo, hi, st] = index.items as [Value, Value, Value];
        const step = isNum(st) ? st : 1;
        if (step !== 1) throw new InterpreterError(unsupportedMessage('slice with a step', line));
        const norm = (v: Value, d: number) => (isNum(v) ? Math.max(0, Math.min(seq.length, v < 0 ? seq.length + v : v)) : d);
        const items = seq.slice(norm(lo, 0), norm(hi, seq.length));
        return obj instanceof ListValue ? new ListValue(items) : new TupleValue(items);
      }
    }
    throw new InterpreterError(unsupportedMessage(`indexing ${typeName(obj)}`, line));
  }

  private compare(op: CompareOp, l: Value, r: Value, line: number): Value {
    if (l instanceof TensorValue || r instanceof TensorValue) {
      const t = tf();
      const a = this.tensorOf(l, line);
      const b = this.tensorOf(r, line);
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
      const items = r instanceof TupleValue || r instanceof ListValue ? r.items : typeof r === 'string' && typeof l === 'string' ? null : undefined;
      if (items === undefined) throw new InterpreterError(unsupportedMessage(`${op} on ${typeName(r)}`, line));
      const found = items === null ? (r as string).includes(l as string) : items.some((i) => i === l || (isNum(i) && typeof l === 'boolean' && i === Number(l)));
      return op === 'in' ? found : !found;
    }
    if (op === '==' || op === '!=') {
      let eq: boolean;
      if (l instanceof TupleValue && r instanceof TupleValue) eq = l.items.length === r.items.length && l.items.every((v, i) => v === r.items[i]);
      else if (l instanceof Library && r instanceof Library) eq = l.name === r.name;
      else eq = (typeof l === 'boolean' ? Number(l) : l) === (typeof r === 'boolean' ? Number(r) : r);
      return op === '==' ? eq : !eq;
    }
    const a = typeof l === 'boolean' ? Number(l) : l;
    const b = typeof r === 'boolean' ? Number(r) : r;
    if (!isNum(a) || !isNum(b)) throw new InterpreterError(`not profiled: line ${line} compares ${typeName(l)} with ${typeName(r)} (\`${op}\`), which PyTorch rejects`);
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

  private tensorOf(v: Value, line: number): Tensor {
    if (v instanceof TensorValue) return v.t;
    if (isNum(v) || typeof v === 'boolean') return tf().scalar(Number(v));
    if (v instanceof Poison) throw new InterpreterError(v.message);
    throw new InterpreterError(`not profiled: line ${line} uses ${typeName(v)} where a tensor or number is needed`);
  }

  /** Float operands for arithmetic: PyTorch promotes bool masks to the other operand's float type. */
  private floatOf(v: Value, line: number): Tensor {
    const t = this.tensorOf(v, line);
    return t.dtype === 'float32' ? t : tf().cast(t, 'float32');
  }

  private binary(op: BinaryOp, l: Value, r: Value, line: number): Value {
    if (l instanceof Poison) throw new InterpreterError(l.message);
    if (r instanceof Poison) throw new InterpreterError(r.message);
    if (l instanceof TensorValue || r instanceof TensorValue) {
      const t = tf();
      if (op === '&' || op === '|' || op === '^') {
        const a = this.tensorOf(l, line);
        const b = this.tensorOf(r, line);
        if (a.dtype !== 'bool' || b.dtype !== 'bool') throw new InterpreterError(unsupportedMessage(`${op} on non-boolean tensors`, line));
        return new TensorValue(op === '&' ? t.logicalAnd(a, b) : op === '|' ? t.logicalOr(a, b) : t.logicalXor(a, b));
      }
      const a = this.floatOf(l, line);
      const b = this.floatOf(r, line);
      this.checkBroadcast(a, b, line);
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
    if ((l instanceof TupleValue || l instanceof ListValue) && op === '*' && isNum(r)) return repeat(l, r, line, this.limits.maxElements);
    if ((r instanceof TupleValue || r instanceof ListValue) && op === '*' && isNum(l)) return repeat(r, l, line, this.limits.maxElements);
    if (l instanceof TupleValue && r instanceof TupleValue && op === '+') return new TupleValue([...l.items, ...r.items]);
    if (l instanceof ListValue && r instanceof ListValue && op === '+') return new ListValue([...l.items, ...r.items]);
    if (typeof l === 'string' && typeof r === 'string' && op === '+') return l + r;
    const a = typeof l === 'boolean' ? Number(l) : l;
    const b = typeof r === 'boolean' ? Number(r) : r;
    if (!isNum(a) || !isNum(b)) throw new InterpreterError(`not profiled: line ${line} applies \`${op}\` to ${typeName(l)} and ${typeName(r)}`);
    if ((op === '/' || op === '//' || op === '%') && b === 0) throw new InterpreterError(`not profiled: line ${line} divides by zero (Python raises ZeroDivisionError) with these arguments`);
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

  private checkBroadcast(a: Tensor, b: Tensor, line: number): void {
    const rank = Math.max(a.rank, b.rank);
    const out: number[] = [];
    for (let i = 0; i < rank; i++) {
      const da = a.shape[a.rank - rank + i] ?? 1;
      const db = b.shape[b.rank - rank + i] ?? 1;
      if (da !== db && da !== 1 && db !== 1) {
        throw new InterpreterError(`not profiled: line ${line} combines tensors of shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}], which do not broadcast (PyTorch raises)`);
      }
      out.push(Math.max(da, db));
    }
    this.checkElements(out, line);
  }

  // ---- calls ------------------------------------------------------------------------------------------------

  private invoke(fn: Value, args: Value[], kwargs: Map<string, Value>, line: number): Value {
    if (fn instanceof Poison) throw new InterpreterError(fn.message);
    if (fn instanceof BoundFunction) return this.call(fn.fn, fn.self, args, kwargs, line);
    if (fn instanceof Library) return this.library(fn.name, args, kwargs, line);
    if (fn instanceof BoundMethod) {
      if (fn.target instanceof Library) return null; // super().__init__(…)
      if (fn.target instanceof TupleValue) return fn.target.items.reduce<number>((a, b) => a * Number(b), 1);
      return this.method(fn.target as TensorValue, fn.name, args, kwargs, line);
    }
    throw new InterpreterError(`not profiled: line ${line} calls ${typeName(fn)}`);
  }

  private shapeArgs(args: Value[], line: number): number[] {
    const first = args[0];
    const dims = args.length === 1 && (first instanceof TupleValue || first instanceof ListValue) ? first.items : args;
    if (!dims.every(isNum)) throw new InterpreterError(`not profiled: the shape at line ${line} is not made of integers`);
    return this.checkElements(dims as number[], line);
  }

  private probability(v: Value, line: number): TensorValue | number {
    if (v instanceof TensorValue || isNum(v)) return v;
    if (typeof v === 'boolean') return Number(v);
    throw new InterpreterError(`not profiled: the probability at line ${line} is ${typeName(v)}, not a number`);
  }

  private bernoulli(shape: number[], p: Value, line: number): Tensor {
    const t = tf();
    const u = t.randomUniform(shape, 0, 1, 'float32', this.seed());
    const q = this.probability(p, line);
    return t.cast(t.less(u, q instanceof TensorValue ? q.t : t.scalar(q)), 'float32');
  }

  private library(name: string, args: Value[], kwargs: Map<string, Value>, line: number): Value {
    const t = tf();
    const arg = (i: number, key: string): Value | undefined => (i < args.length ? args[i] : kwargs.get(key));
    const likeShape = (): number[] => this.tensorOf(args[0] ?? kwargs.get('input') ?? null, line).shape;
    if (!LIBRARY_FUNCTIONS.has(name)) {
      if (LIBRARY_VALUES.has(name)) throw new InterpreterError(`not profiled: line ${line} calls \`${name}\``);
      throw new InterpreterError(unsupportedMessage(name, line));
    }
    switch (name) {
      case 'torch.rand':
        return new TensorValue(t.randomUniform(this.shapeArgs(args, line), 0, 1, 'float32', this.seed()));
      case 'torch.randn':
        return new TensorValue(t.randomNormal(this.shapeArgs(args, line), 0, 1, 'float32', this.seed()));
      case 'torch.rand_like':
        return new TensorValue(t.randomUniform(likeShape(), 0, 1, 'float32', this.seed()));
      case 'torch.randn_like':
        return new TensorValue(t.randomNormal(likeShape(), 0, 1, 'float32', this.seed()));
      case 'torch.empty':
      case 'torch.zeros':
        return new TensorValue(t.zeros(this.shapeArgs(args, line)));
      case 'torch.ones':
        return new TensorValue(t.ones(this.shapeArgs(args, line)));
      case 'torch.full': {
        const fill = arg(1, 'fill_value') ?? null;
        if (!isNum(fill) && typeof fill !== 'boolean') throw new InterpreterError(`not profiled: the fill value at line ${line} is not a number`);
        return new TensorValue(t.fill(this.shapeArgs([args[0] ?? null], line), Number(fill)));
      }
      case 'torch.empty_like':
      case 'torch.zeros_like':
        return new TensorValue(t.zeros(likeShape()));
      case 'torch.ones_like':
        return new TensorValue(t.ones(likeShape()));
      case 'torch.full_like': {
        const fill = arg(1, 'fill_value') ?? null;
        return new TensorValue(t.fill(likeShape(), Number(fill)));
      }
      case 'torch.FloatTensor':
      case 'torch.tensor':
      case 'torch.as_tensor': {
        // `torch.FloatTensor(8, 1, 1)` has that shape; `torch.FloatTensor((B, 1, 1))` holds those values.
        const first = args[0];
        if (name === 'torch.FloatTensor' && args.length > 0 && args.every(isNum)) return new TensorValue(t.zeros(this.checkElements(args as number[], line)));
        const data = first instanceof TupleValue || first instanceof ListValue ? first.items : [first];
        if (!data.every((d) => isNum(d) || typeof d === 'boolean')) throw new InterpreterError(unsupportedMessage(`${name} of nested data`, line));
        const values = data.map(Number);
        return new TensorValue(first instanceof TupleValue || first instanceof ListValue ? t.tensor1d(values) : t.scalar(values[0]));
      }
      case 'torch.bernoulli': {
        const probs = this.tensorOf(arg(0, 'input') ?? null, line);
        const p = arg(1, 'p');
        return new TensorValue(this.bernoulli(probs.shape, p === undefined ? new TensorValue(probs) : p, line));
      }
      case 'torch.where': {
        const cond = this.tensorOf(arg(0, 'condition') ?? null, line);
        const a = this.floatOf(arg(1, 'input') ?? null, line);
        const b = this.floatOf(arg(2, 'other') ?? null, line);
        const c = cond.dtype === 'bool' ? cond : t.notEqual(cond, 0);
        this.checkBroadcast(a, b, line);
        const shape = broadcastShape(broadcastShape(c.shape, a.shape), b.shape);
        this.checkElements(shape, line);
        return new TensorValue(t.where(t.broadcastTo(c, shape), t.broadcastTo(a, shape), t.broadcastTo(b, shape)));
      }
      case 'torch.floor':
        return new TensorValue(t.floor(this.floatOf(args[0], line)));
      case 'torch.logical_not':
        return new TensorValue(t.logicalNot(t.cast(this.tensorOf(args[0], line), 'bool')));
      case 'torch.mul':
        return this.binary('*', args[0], arg(1, 'other') ?? null, line);
      case 'torch.div':
        return this.binary('/', args[0], arg(1, 'other') ?? null, line);
      case 'torch.add':
        return this.binary('+', args[0], arg(1, 'other') ?? null, line);
      case 'torch.sub':
        return this.binary('-', args[0], arg(1, 'other') ?? null, line);
      case 'torch.sum':
      case 'torch.mean':
        return this.method(args[0] as TensorValue, name.slice(6), args.slice(1), kwargs, line);
      case 'torch.numel':
        return this.tensorOf(args[0], line).size;
      case 'torch.masked_fill':
        return this.method(args[0] as TensorValue, 'masked_fill', args.slice(1), kwargs, line);
      case 'torch.nn.functional.dropout':
      case 'torch.nn.functional.dropout1d':
      case 'torch.nn.functional.dropout2d':
      case 'torch.nn.functional.dropout3d':
      case 'torch.dropout': {
        const x = this.floatOf(arg(0, 'input') ?? null, line);
        const p = Number(arg(1, 'p') ?? 0.5);
        // torch.dropout(input, p, train) has no default for train; F.dropout's `training` defaults to True.
        const training = arg(2, name === 'torch.dropout' ? 'train' : 'training') ?? true;
        if (!(p >= 0 && p <= 1)) throw new InterpreterError(`not profiled: dropout probability ${p} at line ${line} is outside [0, 1] (PyTorch raises)`);
        if (!this.truthy(training, line) || p === 0) return new TensorValue(x);
        const channel = name !== 'torch.nn.functional.dropout' && name !== 'torch.dropout';
        const plan = { granularity: channel ? ('channel' as const) : ('element' as const), keepProb: 1 - p, keptScale: p >= 1 ? 0 : 1 / (1 - p), keptShift: 0, droppedValue: 0, evalFactor: 1 };
        return new TensorValue(maskComposite(x, plan, this.seed()));
      }
      case 'math.sqrt':
        return Math.sqrt(Number(args[0]));
      case 'math.floor':
        return Math.floor(Number(args[0]));
      case 'math.ceil':
        return Math.ceil(Number(args[0]));
      case 'random.random':
      case 'numpy.random.random':
        return this.random();
      case 'numpy.random.rand':
        if (args.length > 0) throw new InterpreterError(unsupportedMessage('numpy.random.rand with a shape', line));
        return this.random();
      case 'numpy.random.uniform': {
        if (args.length > 2 || kwargs.has('size')) throw new InterpreterError(unsupportedMessage('numpy.random.uniform with a size', line));
        const lo = Number(arg(0, 'low') ?? 0);
        const hi = Number(arg(1, 'high') ?? 1);
        return lo + (hi - lo) * this.random();
      }
      case 'len': {
        const v = args[0];
        if (v instanceof TupleValue || v instanceof ListValue) return v.items.length;
        if (v instanceof TensorValue) return v.t.shape[0] ?? 0;
        throw new InterpreterError(`not profiled: len() of ${typeName(v)} at line ${line}`);
      }
      case 'int':
        return Math.trunc(this.scalar(args[0], line));
      case 'float':
        return this.scalar(args[0], line);
      case 'bool':
        return this.truthy(args[0] ?? false, line);
      case 'abs':
        return Math.abs(this.scalar(args[0], line));
      case 'min':
      case 'max': {
        const items = args.length === 1 && (args[0] instanceof TupleValue || args[0] instanceof ListValue) ? args[0].items : args;
        const nums = items.map((v) => this.scalar(v, line));
        return name === 'min' ? Math.min(...nums) : Math.max(...nums);
      }
      case 'range': {
        const nums = args.map((v) => this.scalar(v, line));
        const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
        if (step === 0) throw new InterpreterError(`not profiled: range() step is zero at line ${line}`);
        const count = Math.max(0, Math.ceil((stop - start) / step));
        if (count > this.limits.maxSteps) throw new InterpreterError(`not profiled: line ${line} loops ${count} times, over the step limit of ${this.limits.maxSteps}`);
        return new RangeValue(Array.from({ length: count }, (_, i) => start + i * step));
      }
      case 'tuple':
      case 'list': {
        const v = args[0];
        const items = v === undefined ? [] : v instanceof TupleValue || v instanceof ListValue ? v.items : v instanceof RangeValue ? v.items : undefined;
        if (!items) throw new InterpreterError(unsupportedMessage(`${name}() of ${typeName(v ?? null)}`, line));
        return name === 'tuple' ? new TupleValue([...items]) : new ListValue([...items]);
      }
      case 'super':
        return new Library('super');
    }
    throw new InterpreterError(unsupportedMessage(name, line));
  }

  private scalar(v: Value, line: number): number {
    if (isNum(v)) return v;
    if (typeof v === 'boolean') return Number(v);
    if (v instanceof TensorValue && v.t.size === 1) return v.t.dataSync()[0];
    throw new InterpreterError(`not profiled: line ${line} needs a number, got ${typeName(v)}`);
  }

  private method(target: TensorValue, name: string, args: Value[], kwargs: Map<string, Value>, line: number): Value {
    const t = tf();
    if (!(target instanceof TensorValue)) throw new InterpreterError(`not profiled: line ${line} calls .${name}() on ${typeName(target)}`);
    const x = target.t;
    const arg = (i: number, key: string): Value | undefined => (i < args.length ? args[i] : kwargs.get(key));
    const inPlace = (next: Tensor): Value => {
      // PyTorch keeps the tensor's dtype in place: a float mask stays float.
      target.t = next.dtype === x.dtype ? next : t.cast(next, x.dtype);
      return target;
    };
    switch (name) {
      case 'bernoulli':
      case 'bernoulli_': {
        const p = arg(0, 'p') ?? new TensorValue(x);
        const drawn = this.bernoulli(x.shape, p, line);
        return name === 'bernoulli' ? new TensorValue(drawn) : inPlace(drawn);
      }
      case 'uniform_': {
        const lo = Number(arg(0, 'from') ?? 0);
        const hi = Number(arg(1, 'to') ?? 1);
        return inPlace(t.randomUniform(x.shape, lo, hi, 'float32', this.seed()));
      }
      case 'normal_': {
        const mean = Number(arg(0, 'mean') ?? 0);
        const std = Number(arg(1, 'std') ?? 1);
        return inPlace(t.randomNormal(x.shape, mean, std, 'float32', this.seed()));
      }
      case 'floor':
        return new TensorValue(t.floor(this.floatOf(target, line)));
      case 'floor_':
        return inPlace(t.floor(this.floatOf(target, line)));
      case 'div':
      case 'mul':
      case 'add':
      case 'sub':
      case 'div_':
      case 'mul_':
      case 'add_':
      case 'sub_': {
        const op = ({ div: '/', mul: '*', add: '+', sub: '-' } as const)[name.replace('_', '') as 'div' | 'mul' | 'add' | 'sub'];
        let other = arg(0, 'other') ?? null;
        const alpha = kwargs.get('alpha');
        if (alpha !== undefined && (op === '+' || op === '-')) other = this.binary('*', other, alpha, line);
        const out = this.binary(op, target, other, line) as TensorValue;
        if (!name.endsWith('_')) return out;
        if (out.t.shape.join(',') !== x.shape.join(',')) throw new InterpreterError(`not profiled: in-place .${name}() at line ${line} would change the shape [${x.shape.join(', ')}] (PyTorch raises)`);
        return inPlace(out.t);
      }
      case 'masked_fill':
      case 'masked_fill_': {
        const mask = this.tensorOf(arg(0, 'mask') ?? null, line);
        const value = this.scalar(arg(1, 'value') ?? null, line);
        if (mask.dtype !== 'bool') throw new InterpreterError(`not profiled: masked_fill at line ${line} needs a boolean mask (PyTorch raises for ${mask.dtype === 'float32' ? 'float' : mask.dtype})`);
        // In place or not, the result has x's shape: the mask must broadcast to it, not beyond.
        if (broadcastShape(x.shape, mask.shape).join(',') !== x.shape.join(',')) {
          throw new InterpreterError(`not profiled: line ${line} fills a tensor of shape [${x.shape.join(', ')}] through a mask of shape [${mask.shape.join(', ')}], which does not broadcast to it (PyTorch raises)`);
        }
        const out = t.where(t.broadcastTo(mask, x.shape), t.fill(x.shape, value, x.dtype), x);
        return name === 'masked_fill' ? new TensorValue(out) : inPlace(out);
      }
      case 'fill_':
        return inPlace(t.fill(x.shape, this.scalar(args[0], line), x.dtype));
      case 'zero_':
        return inPlace(t.zerosLike(x));
      case 'copy_':
        return inPlace(t.broadcastTo(this.tensorOf(args[0], line), x.shape));
      case 'clamp':
      case 'clamp_': {
        const lo = arg(0, 'min');
        const hi = arg(1, 'max');
        const out = t.clipByValue(this.floatOf(target, line), lo === undefined || lo === null ? -Infinity : this.scalar(lo, line), hi === undefined || hi === null ? Infinity : this.scalar(hi, line));
        return name === 'clamp' ? new TensorValue(out) : inPlace(out);
      }
      case 'abs':
        return new TensorValue(t.abs(this.floatOf(target, line)));
      case 'float':
      case 'half':
      case 'double':
        return new TensorValue(this.floatOf(target, line));
      case 'bool':
        return new TensorValue(x.dtype === 'bool' ? x : t.notEqual(x, 0));
      case 'int':
      case 'long':
        return new TensorValue(t.cast(t.floor(this.floatOf(target, line)), 'float32'));
      case 'to':
      case 'type': {
        const dtype = [...args, ...kwargs.values()].find((v) => v instanceof Library);
        if (dtype instanceof Library && dtype.name === 'torch.bool') return new TensorValue(x.dtype === 'bool' ? x : t.notEqual(x, 0));
        if (dtype instanceof Library) return new TensorValue(this.floatOf(target, line));
        const like = args.find((v) => v instanceof TensorValue);
        if (like instanceof TensorValue) return new TensorValue(like.t.dtype === 'bool' ? t.notEqual(x, 0) : this.floatOf(target, line));
        return target;
      }
      case 'type_as': {
        const other = this.tensorOf(args[0], line);
        return new TensorValue(other.dtype === 'bool' ? t.notEqual(x, 0) : this.floatOf(target, line));
      }
      case 'detach':
      case 'contiguous':
      case 'cuda':
      case 'cpu':
      case 'requires_grad_':
        return target;
      case 'clone':
        return new TensorValue(t.clone(x));
      case 'size': {
        const d = arg(0, 'dim');
        if (d === undefined) return new TupleValue([...x.shape]);
        const i = this.scalar(d, line);
        const k = i < 0 ? x.rank + i : i;
        if (k < 0 || k >= x.rank) throw new InterpreterError(`not profiled: dimension ${i} at line ${line} is out of range for a ${x.rank}-d tensor`);
        return x.shape[k];
      }
      case 'dim':
        return x.rank;
      case 'numel':
        return x.size;
      case 'item':
        return this.scalar(target, line);
      case 'sum':
      case 'mean': {
        const dim = arg(0, 'dim');
        const keep = this.truthy(kwargs.get('keepdim') ?? args[1] ?? false, line);
        const axis = dim === undefined || dim === null ? undefined : dim instanceof TupleValue ? (dim.items as number[]) : this.scalar(dim, line);
        const f = this.floatOf(target, line);
        return new TensorValue(name === 'sum' ? t.sum(f, axis, keep) : t.mean(f, axis, keep));
      }
      case 'expand_as': {
        const other = this.tensorOf(args[0], line);
        this.checkElements([...other.shape], line);
        return new TensorValue(t.broadcastTo(x, other.shape));
      }
      case 'view':
      case 'reshape': {
        const first = args[0];
        const dims = args.length === 1 && (first instanceof TupleValue || first instanceof ListValue) ? first.items : args;
        if (!dims.every(isNum) || dims.filter((d) => d === -1).length > 1) throw new InterpreterError(`not profiled: the shape at line ${line} is not made of integers with at most one -1`);
        const shape = dims as number[];
        const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const full = shape.map((d) => (d === -1 ? x.size / known : d));
        if (full.reduce((a, b) => a * b, 1) !== x.size) throw new InterpreterError(`not profiled: .${name}() at line ${line} cannot turn [${x.shape.join(', ')}] into [${shape.join(', ')}] (PyTorch raises)`);
        return new TensorValue(t.reshape(x, full));
      }
      case 'lt':
        return this.compare('<', target, args[0], line);
      case 'le':
        return this.compare('<=', target, args[0], line);
      case 'gt':
        return this.compare('>', target, args[0], line);
      case 'ge':
        return this.compare('>=', target, args[0], line);
      case 'eq':
        return this.compare('==', target, args[0], line);
      case 'ne':
        return this.compare('!=', target, args[0], line);
      case 'logical_not':
        return new TensorValue(t.logicalNot(x.dtype === 'bool' ? x : t.notEqual(x, 0)));
      case 'new_empty':
      case 'new_zeros':
        return new TensorValue(t.zeros(this.shapeArgs(args, line)));
      case 'new_ones':
        return new TensorValue(t.ones(this.shapeArgs(args, line)));
      case 'new_full':
        return new TensorValue(t.fill(this.shapeArgs([args[0] ?? null], line), this.scalar(arg(1, 'fill_value') ?? null, line)));
    }
    throw new InterpreterError(unsupportedMessage(`.${name}`, line));
  }
}

function targetExpr(target: Target, line: number): Expr {
  switch (target.t) {
    case 'name':
      return { e: 'name', id: target.id, line };
    case 'attr':
      return { e: 'attr', obj: target.obj, name: target.name, line };
    case 'index':
      return { e: 'index', obj: target.obj, index: target.index, line };
    case 'tuple':
      return { e: 'unsupported', name: 'augmented assignment to a tuple', line };
  }
}

function repeat(seq: TupleValue | ListValue, times: number, line: number, max: number): Value {
  if (!Number.isInteger(times)) throw new InterpreterError(`not profiled: line ${line} repeats a sequence ${times} times`);
  if (seq.items.length * Math.max(0, times) > max) throw new InterpreterError(`not profiled: line ${line} builds a sequence of ${seq.items.length * times} items, over the limit of ${max}`);
  const items: Value[] = [];
  for (let i = 0; i < times; i++) items.push(...seq.items);
  return seq instanceof TupleValue ? new TupleValue(items) : new ListValue(items);
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) out.push(Math.max(a[a.length - rank + i] ?? 1, b[b.length - rank + i] ?? 1));
  return out;
}
