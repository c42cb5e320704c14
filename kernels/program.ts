/**
 * A hand-written regularizer as plain data: the subset of Python the profiler interprets (kernels/interpreter/),
 * extracted from the syntax tree by the engine (server/engine/regularizer-program.ts). Plain JSON on purpose: it
 * crosses the IPC channel to the worker, which needs no parser, and nothing in it can be executed except by the
 * interpreter's whitelist. Anything outside the subset is an `unsupported` node naming the construct and its line,
 * so the lens can say why before anything runs.
 */

export type Expr =
  | { e: 'num'; v: number }
  | { e: 'str'; v: string }
  | { e: 'bool'; v: boolean }
  | { e: 'none' }
  | { e: 'name'; id: string; line: number }
  /** A library name the file imported, resolved: `torch.rand`, `torch.nn.functional.dropout`, `math.sqrt`. */
  | { e: 'lib'; name: string; line: number }
  | { e: 'attr'; obj: Expr; name: string; line: number }
  | { e: 'index'; obj: Expr; index: Expr; line: number }
  | { e: 'slice'; lo?: Expr; hi?: Expr; step?: Expr; line: number }
  | { e: 'call'; fn: Expr; args: Expr[]; kwargs: Array<[string, Expr]>; line: number }
  | { e: 'bin'; op: BinaryOp; l: Expr; r: Expr; line: number }
  | { e: 'unary'; op: '-' | '+' | '~' | 'not'; x: Expr; line: number }
  | { e: 'logic'; op: 'and' | 'or'; l: Expr; r: Expr; line: number }
  | { e: 'compare'; ops: CompareOp[]; operands: Expr[]; line: number }
  | { e: 'ifexp'; cond: Expr; then: Expr; else: Expr; line: number }
  | { e: 'tuple'; items: Expr[]; line: number }
  | { e: 'list'; items: Expr[]; line: number }
  /** `*args` in a call's arguments: a tuple or list spread into positional arguments. */
  | { e: 'splat'; x: Expr; line: number }
  | { e: 'unsupported'; name: string; line: number };

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '&' | '|' | '^';
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=' | 'is' | 'is not' | 'in' | 'not in';

/** What an assignment can store to: a local, `self.attr`, `x[i]`, or a tuple of those. */
export type Target =
  | { t: 'name'; id: string }
  | { t: 'attr'; obj: Expr; name: string }
  | { t: 'index'; obj: Expr; index: Expr }
  | { t: 'tuple'; items: Target[] };

export type Stmt =
  | { s: 'expr'; x: Expr; line: number }
  | { s: 'assign'; target: Target; value: Expr; line: number }
  | { s: 'augassign'; target: Target; op: BinaryOp; value: Expr; line: number }
  | { s: 'if'; cond: Expr; body: Stmt[]; orelse: Stmt[]; line: number }
  | { s: 'while'; cond: Expr; body: Stmt[]; line: number }
  | { s: 'for'; target: Target; iter: Expr; body: Stmt[]; line: number }
  | { s: 'return'; x?: Expr; line: number }
  | { s: 'pass'; line: number }
  | { s: 'break'; line: number }
  | { s: 'continue'; line: number }
  | { s: 'raise'; text: string; line: number }
  | { s: 'assert'; cond: Expr; text: string; line: number }
  | { s: 'unsupported'; name: string; line: number };

export interface Parameter {
  name: string;
  default?: Expr;
}

export interface FunctionDef {
  name: string;
  params: Parameter[];
  body: Stmt[];
  /** 1-based, as messages print it. */
  line: number;
}

export interface ClassDef {
  name: string;
  methods: Record<string, FunctionDef>;
}

/** A value an argument is bound to before the run: the tensor is the synthetic input. */
export type ArgumentValue = number | boolean | string | null | { input: true } | { missing: string };

export interface RegularizerProgram {
  /**
   * The function to call: a free function, or a method (`forward`) of `className` on an instance built by its
   * `__init__`.
   */
  entry: { function: string; className?: string };
  /** Free functions of the file the entry may call. */
  functions: Record<string, FunctionDef>;
  classes: Record<string, ClassDef>;
  /** Module-level constants (`DROP = 0.1`). */
  globals: Record<string, Expr>;
  /** The entry's arguments (after `self`): the tensor parameter gets the input; a training flag is set per mode. */
  args: Record<string, ArgumentValue>;
  /** `__init__`'s arguments (after `self`) for a method entry. */
  initArgs: Record<string, ArgumentValue>;
  /**
   * The training flag among the entry's parameters (`training`), if it has one; `self.training` is set per mode too.
   */
  trainingParam?: string;
  /** The drop rate the arguments amount to, when one is named (`drop_prob=0.1`): the interval is checked against it. */
  rate?: number;
}

/** How far the interpreter may go with one call of the program. */
export interface InterpreterLimits {
  /** Statements and expressions evaluated. */
  maxSteps: number;
  /** Elements of any one tensor the code creates. */
  maxElements: number;
  /** Nested calls of the file's functions. */
  maxDepth: number;
  /** Wall time of one call, in milliseconds. */
  maxMs: number;
  /** Bytes of tensors one call may hold alive (its intermediates live until it returns). */
  maxBytes?: number;
}

export const DEFAULT_LIMITS: InterpreterLimits = {
  maxSteps: 100_000,
  maxElements: 1 << 26,
  maxDepth: 32,
  maxMs: 10_000,
};

// The interpreter's whitelist: one table per kind of name. The engine checks names against these sets before
// anything runs; the interpreter's tensor library (kernels/interpreter/library-functions.ts, tensor-methods.ts) is a
// Record over the same name unions, so the build fails if a name is whitelisted without an implementation or
// implemented without being whitelisted.

/** Library functions the interpreter runs, by qualified name. Everything else is unsupported. */
export const LIBRARY_FUNCTION_NAMES = [
  'torch.rand',
  'torch.rand_like',
  'torch.randn',
  'torch.randn_like',
  'torch.empty',
  'torch.empty_like',
  'torch.ones',
  'torch.ones_like',
  'torch.zeros',
  'torch.zeros_like',
  'torch.full',
  'torch.full_like',
  'torch.bernoulli',
  'torch.where',
  'torch.floor',
  'torch.mul',
  'torch.div',
  'torch.add',
  'torch.sub',
  'torch.tensor',
  'torch.as_tensor',
  'torch.logical_not',
  'torch.sum',
  'torch.mean',
  'torch.numel',
  'torch.masked_fill',
  'torch.FloatTensor',
  'torch.nn.functional.dropout',
  'torch.nn.functional.dropout1d',
  'torch.nn.functional.dropout2d',
  'torch.nn.functional.dropout3d',
  'torch.dropout',
  'math.sqrt',
  'math.floor',
  'math.ceil',
  'random.random',
  'numpy.random.rand',
  'numpy.random.random',
  'numpy.random.uniform',
  'len',
  'int',
  'float',
  'bool',
  'range',
  'min',
  'max',
  'abs',
  'tuple',
  'list',
  'super',
] as const;
export type LibraryFunctionName = (typeof LIBRARY_FUNCTION_NAMES)[number];
export const LIBRARY_FUNCTIONS: ReadonlySet<string> = new Set(LIBRARY_FUNCTION_NAMES);
export const isLibraryFunction = (name: string): name is LibraryFunctionName => LIBRARY_FUNCTIONS.has(name);

/**
 * Library values read without a call: dtypes and constants. The interpreter boxes them by name; none has code of its
 * own.
 */
export const LIBRARY_VALUES: ReadonlySet<string> = new Set([
  'torch.float32',
  'torch.float',
  'torch.float16',
  'torch.half',
  'torch.bfloat16',
  'torch.float64',
  'torch.double',
  'torch.bool',
  'torch.long',
  'torch.int64',
  'torch.int32',
  'torch.int',
  'math.pi',
  'math.e',
]);

/** Tensor methods the interpreter runs. In-place ones (trailing `_`) update the tensor every alias sees. */
export const TENSOR_METHOD_NAMES = [
  'bernoulli',
  'bernoulli_',
  'uniform_',
  'normal_',
  'floor',
  'floor_',
  'div',
  'div_',
  'mul',
  'mul_',
  'add',
  'add_',
  'sub',
  'sub_',
  'masked_fill',
  'masked_fill_',
  'float',
  'half',
  'double',
  'bool',
  'int',
  'long',
  'to',
  'type',
  'type_as',
  'detach',
  'contiguous',
  'clone',
  'cuda',
  'cpu',
  'size',
  'dim',
  'numel',
  'new_empty',
  'new_ones',
  'new_zeros',
  'new_full',
  'fill_',
  'zero_',
  'sum',
  'mean',
  'item',
  'expand_as',
  'view',
  'reshape',
  'lt',
  'le',
  'gt',
  'ge',
  'eq',
  'ne',
  'logical_not',
  'requires_grad_',
  'copy_',
  'clamp',
  'clamp_',
  'abs',
] as const;
export type TensorMethodName = (typeof TENSOR_METHOD_NAMES)[number];
export const TENSOR_METHODS: ReadonlySet<string> = new Set(TENSOR_METHOD_NAMES);
export const isTensorMethod = (name: string): name is TensorMethodName => TENSOR_METHODS.has(name);

/** Attributes read off a tensor. */
export const TENSOR_ATTRIBUTE_NAMES = ['shape', 'ndim', 'dtype', 'device', 'data', 'is_cuda', 'requires_grad'] as const;
export type TensorAttributeName = (typeof TENSOR_ATTRIBUTE_NAMES)[number];
export const TENSOR_ATTRIBUTES: ReadonlySet<string> = new Set(TENSOR_ATTRIBUTE_NAMES);
export const isTensorAttribute = (name: string): name is TensorAttributeName => TENSOR_ATTRIBUTES.has(name);

/** The message for a construct outside the subset: the one sentence every surface prints. */
export function unsupportedMessage(name: string, line: number): string {
  return `not profiled: uses \`${name}\` at line ${line} (unsupported)`;
}

/**
 * The first unsupported construct of a program (in source order), or undefined when everything is in the subset.
 * `__init__` is left out: what it builds outside the subset (an `nn.Linear`) matters only if the code reads it.
 */
export function firstUnsupported(program: RegularizerProgram): { name: string; line: number } | undefined {
  let found: { name: string; line: number } | undefined;
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    const node = value as Record<string, unknown>;
    if (node.name === '__init__' && Array.isArray(node.params)) return;
    if ((node.e === 'unsupported' || node.s === 'unsupported') && typeof node.line === 'number') {
      if (!found || node.line < found.line) found = { name: String(node.name), line: node.line };
      return;
    }
    for (const v of Object.values(node)) visit(v);
  };
  visit(program);
  return found;
}
