/**
 * The interpreter's language core: one call of a `RegularizerProgram`'s entry, evaluated statement by statement
 * over the values of values.ts, in scopes (a Map per call, plus the module's globals), with calls of the file's
 * own functions and methods. Limits on steps, tensor elements, call depth, held bytes and wall time stop hostile or
 * runaway code with a sentence saying which limit and where. Operators are in operators.ts; library functions and
 * tensor methods, the tensor library, in library-functions.ts and tensor-methods.ts.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  DEFAULT_LIMITS,
  isTensorAttribute,
  TENSOR_ATTRIBUTES,
  TENSOR_METHODS,
  unsupportedMessage,
  type ArgumentValue,
  type ClassDef,
  type Expr,
  type FunctionDef,
  type InterpreterLimits,
  type RegularizerProgram,
  type Stmt,
  type Target,
} from '../program';
import { tf } from '../tf';
import type { ActiveRun } from './active-run';
import { callLibraryFunction } from './library-functions';
import { binary, compare } from './operators';
import { callTensorMethod, TENSOR_ATTRIBUTE_IMPLEMENTATIONS } from './tensor-methods';
import {
  BoundFunction,
  BoundMethod,
  InterpreterError,
  Instance,
  isNum,
  Library,
  ListValue,
  Poison,
  RangeValue,
  TensorValue,
  truthy,
  TupleValue,
  typeName,
  type Value,
} from './values';

export interface RunOptions {
  training: boolean;
  seed: number;
  limits?: InterpreterLimits;
}

class ReturnSignal {
  constructor(readonly value: Value) {}
}
class BreakSignal {}
class ContinueSignal {}

export class Run implements ActiveRun {
  steps = 0;
  deepest = 0;
  /** The line of the statement or expression being evaluated, for messages. */
  line = 0;
  private depth = 0;
  private draws = 0;
  readonly limits: InterpreterLimits;
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
    const arg = (v: ArgumentValue): Value =>
      v !== null && typeof v === 'object' ? ('missing' in v ? new Poison(v.missing) : x) : v;
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
      throw new InterpreterError(
        `not profiled: stopped at line ${line} after ${this.limits.maxSteps} steps (the step limit: a loop that ` +
          `never ends?)`,
      );
    }
    if (this.limits.maxBytes !== undefined && (this.steps & 63) === 0) {
      const held = tf().memory().numBytes - this.baseBytes;
      if (held > this.limits.maxBytes) {
        throw new InterpreterError(
          `not profiled: stopped at line ${line} holding ${(held / 1024 ** 2).toFixed(1)} MiB of tensors, over ` +
            `${(this.limits.maxBytes / 1024 ** 2).toFixed(1)} MiB (the memory limit)`,
        );
      }
    }
    if ((this.steps & 1023) === 0 && Date.now() > this.deadline) {
      throw new InterpreterError(
        `not profiled: stopped at line ${line} after ${this.limits.maxMs} ms (the time limit)`,
      );
    }
  }

  checkElements(shape: number[], line: number): number[] {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new InterpreterError(
        `not profiled: the shape [${shape.join(', ')}] at line ${line} is not a list of non-negative integers`,
      );
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > this.limits.maxElements) {
      throw new InterpreterError(
        `not profiled: line ${line} creates a tensor of ${n} elements, over the limit of ` +
          `${this.limits.maxElements} (the tensor size limit)`,
      );
    }
    return shape;
  }

  seed(): number {
    return (this.options.seed * 7919 + ++this.draws * 104729) % 2147483647;
  }

  random(): number {
    // mulberry32
    let t = (this.rngState = (this.rngState + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  // ---- functions --------------------------------------------------------------------------------------------

  private call(
    fn: FunctionDef,
    self: Instance | undefined,
    positional: Value[],
    keywords: Map<string, Value>,
    line: number,
    lenient = false,
  ): Value {
    this.depth++;
    this.deepest = Math.max(this.deepest, this.depth);
    try {
      if (this.depth > this.limits.maxDepth) {
        throw new InterpreterError(
          `not profiled: \`${fn.name}\` called at line ${line} nests deeper than ${this.limits.maxDepth} calls ` +
            `(the recursion limit)`,
        );
      }
      const scope = new Map<string, Value>();
      const params = [...fn.params];
      if (self) scope.set(params.shift()?.name ?? 'self', self);
      params.forEach((param, i) => {
        let v: Value | undefined = i < positional.length ? positional[i] : keywords.get(param.name);
        if (v === undefined && param.default) v = this.expr(param.default, scope);
        if (v === undefined)
          throw new InterpreterError(
            `not profiled: \`${fn.name}\` is called at line ${line} without a value for \`${param.name}\``,
          );
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
          const next = binary(this, stmt.op, current, value, stmt.line);
          current.t = (next as TensorValue).t;
          return;
        }
        this.assign(stmt.target, binary(this, stmt.op, current, value, stmt.line), scope, stmt.line);
        return;
      }
      case 'if':
        this.block(truthy(this.expr(stmt.cond, scope), stmt.line) ? stmt.body : stmt.orelse, scope);
        return;
      case 'while':
        while (truthy(this.expr(stmt.cond, scope), stmt.line)) {
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
        const items =
          iter instanceof RangeValue
            ? iter.items
            : iter instanceof TupleValue || iter instanceof ListValue
              ? iter.items
              : undefined;
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
        throw new InterpreterError(
          `not profiled: the code raises at line ${stmt.line} (\`${stmt.text}\`) with these arguments`,
        );
      case 'assert':
        if (!truthy(this.expr(stmt.cond, scope), stmt.line))
          throw new InterpreterError(`not profiled: \`${stmt.text}\` fails at line ${stmt.line} with these arguments`);
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
        if (!(obj instanceof Instance))
          throw new InterpreterError(unsupportedMessage(`setting .${target.name} on ${typeName(obj)}`, line));
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
        if (
          obj instanceof TensorValue &&
          index instanceof TensorValue &&
          index.t.dtype === 'bool' &&
          (isNum(value) || typeof value === 'boolean' || value instanceof TensorValue)
        ) {
          const t = tf();
          const fill = isNum(value) || typeof value === 'boolean' ? t.scalar(Number(value), obj.t.dtype) : value.t;
          obj.t = t.where(
            t.broadcastTo(index.t, obj.t.shape),
            t.broadcastTo(t.cast(fill, obj.t.dtype), obj.t.shape),
            obj.t,
          );
          return;
        }
        throw new InterpreterError(unsupportedMessage(`index assignment to ${typeName(obj)}`, line));
      }
      case 'tuple': {
        const items = value instanceof TupleValue || value instanceof ListValue ? value.items : undefined;
        if (!items || items.length !== target.items.length)
          throw new InterpreterError(
            `not profiled: line ${line} unpacks ${typeName(value)} into ${target.items.length} names`,
          );
        target.items.forEach((t, i) => {
          this.assign(t, items[i], scope, line);
        });
        return;
      }
    }
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
        return new TupleValue([
          x.lo ? this.expr(x.lo, scope) : null,
          x.hi ? this.expr(x.hi, scope) : null,
          x.step ? this.expr(x.step, scope) : null,
          'slice',
        ]);
      case 'call': {
        const fn = this.expr(x.fn, scope);
        const args: Value[] = [];
        for (const a of x.args) {
          if (a.e !== 'splat') {
            args.push(this.expr(a, scope));
            continue;
          }
          const spread = this.expr(a.x, scope);
          if (!(spread instanceof TupleValue || spread instanceof ListValue))
            throw new InterpreterError(unsupportedMessage(`* of ${typeName(spread)}`, a.line));
          args.push(...spread.items);
        }
        const kwargs = new Map(x.kwargs.map(([k, v]) => [k, this.expr(v, scope)] as [string, Value]));
        return this.invoke(fn, args, kwargs, x.line);
      }
      case 'bin':
        return binary(this, x.op, this.expr(x.l, scope), this.expr(x.r, scope), x.line);
      case 'unary': {
        const v = this.expr(x.x, scope);
        if (x.op === 'not') return !truthy(v, x.line);
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
        const lt = truthy(l, x.line);
        if (x.op === 'and') return lt ? this.expr(x.r, scope) : l;
        return lt ? l : this.expr(x.r, scope);
      }
      case 'compare': {
        let left = this.expr(x.operands[0], scope);
        let result: Value = true;
        for (let i = 0; i < x.ops.length; i++) {
          const right = this.expr(x.operands[i + 1], scope);
          const r = compare(x.ops[i], left, right, x.line);
          if (r instanceof TensorValue) {
            if (x.ops.length > 1)
              throw new InterpreterError(unsupportedMessage('chained comparison of tensors', x.line));
            return r;
          }
          if (!r) return false;
          result = r;
          left = right;
        }
        return result;
      }
      case 'ifexp':
        return truthy(this.expr(x.cond, scope), x.line) ? this.expr(x.then, scope) : this.expr(x.else, scope);
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
      if (isTensorAttribute(name)) return TENSOR_ATTRIBUTE_IMPLEMENTATIONS[name](obj);
      if (TENSOR_METHODS.has(name)) return new BoundMethod(obj, name);
      throw new InterpreterError(unsupportedMessage(`.${name}`, line));
    }
    if (obj instanceof Library && obj.name === 'super') return new BoundMethod(obj, name);
    if (obj instanceof TupleValue && name === 'numel') return new BoundMethod(obj, name);
    if (TENSOR_ATTRIBUTES.has(name) || TENSOR_METHODS.has(name))
      throw new InterpreterError(`not profiled: line ${line} reads \`.${name}\` of ${typeName(obj)}, not of a tensor`);
    throw new InterpreterError(unsupportedMessage(`.${name}`, line));
  }

  private index(obj: Value, index: Value, line: number): Value {
    const seq = obj instanceof TupleValue ? obj.items : obj instanceof ListValue ? obj.items : undefined;
    if (seq) {
      if (isNum(index)) {
        const i = index < 0 ? seq.length + index : index;
        if (!Number.isInteger(i) || i < 0 || i >= seq.length)
          throw new InterpreterError(
            `not profiled: index ${index} at line ${line} is out of range for a sequence of ${seq.length}`,
          );
        return seq[i];
      }
      if (index instanceof TupleValue && index.items[3] === 'slice') {
        const [lo, hi, st] = index.items as [Value, Value, Value];
        const step = isNum(st) ? st : 1;
        if (step !== 1) throw new InterpreterError(unsupportedMessage('slice with a step', line));
        const norm = (v: Value, d: number) =>
          isNum(v) ? Math.max(0, Math.min(seq.length, v < 0 ? seq.length + v : v)) : d;
        const items = seq.slice(norm(lo, 0), norm(hi, seq.length));
        return obj instanceof ListValue ? new ListValue(items) : new TupleValue(items);
      }
    }
    throw new InterpreterError(unsupportedMessage(`indexing ${typeName(obj)}`, line));
  }

  // ---- calls ------------------------------------------------------------------------------------------------

  private invoke(fn: Value, args: Value[], kwargs: Map<string, Value>, line: number): Value {
    if (fn instanceof Poison) throw new InterpreterError(fn.message);
    if (fn instanceof BoundFunction) return this.call(fn.fn, fn.self, args, kwargs, line);
    if (fn instanceof Library) return callLibraryFunction(this, fn.name, args, kwargs, line);
    if (fn instanceof BoundMethod) {
      if (fn.target instanceof Library) return null; // super().__init__(…)
      if (fn.target instanceof TupleValue) return fn.target.items.reduce<number>((a, b) => a * Number(b), 1);
      return callTensorMethod(this, fn.target as TensorValue, fn.name, args, kwargs, line);
    }
    throw new InterpreterError(`not profiled: line ${line} calls ${typeName(fn)}`);
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
