/**
 * The syntax tree of a hand-written regularizer → the `RegularizerProgram` the profiler's interpreter runs
 * (kernels/program.ts). Only what the entry can reach is extracted: the function or `forward`, the file's functions
 * and the class's methods it calls, `__init__`, and the module-level constants it reads. Library names are resolved
 * through the file's imports (`F.dropout` → `torch.nn.functional.dropout`) and checked against the interpreter's
 * whitelist here, so a construct outside the subset is known, with its line, before anything runs.
 */
import {
  LIBRARY_FUNCTIONS,
  LIBRARY_VALUES,
  TENSOR_ATTRIBUTES,
  TENSOR_METHODS,
  firstUnsupported,
  unsupportedMessage,
  type ArgumentValue,
  type BinaryOp,
  type ClassDef,
  type CompareOp,
  type Expr,
  type FunctionDef,
  type RegularizerProgram,
  type Stmt,
  type Target,
} from '../../kernels/program';
import type { FileModel } from './model';
import type { Node } from './parser';
import { boundNames, parameterList } from './syntax';

/** Why a parameter without a default stops the profile of a hand-written regularizer. */
const NO_DEFAULT = 'has no default value, so the profiler has nothing to pass for it';

/** Parameters that hold a drop rate or a keep probability: given none, the profiler assumes one and says so. */
const RATE_PARAM =
  /^(p|drop_?prob|drop_?rate|drop_?path(_rate|_prob)?|drop|dropout(_rate|_prob|_p)?|rate|prob|drop_p|droprate)$/i;
const KEEP_PARAM = /^(keep_?prob|keep_?rate|keep|survival_?(rate|prob))$/i;
const TRAINING_PARAM = /^(training|train|is_training)$/;
/** What the profiler assumes for a rate the code leaves open (`drop_prob=None`). */
export const ASSUMED_PROGRAM_RATE = 0.1;

const BUILTINS = new Set(['len', 'int', 'float', 'bool', 'range', 'min', 'max', 'abs', 'tuple', 'list', 'super']);

export interface ExtractedProgram {
  program: RegularizerProgram;
  /** `not profiled: uses \`name\` at line N (unsupported)` for the first construct outside the subset. */
  unsupported?: string;
  /** Arguments the profiler chose where the code gives none, in words (`drop_prob=0.1 assumed`). */
  assumptions: string[];
}

/**
 * The program of a hand-written regularizer: a `function_definition` (free function or method) or a `class_definition`
 * (its `forward`).
 */
export function extractProgram(model: FileModel, node: Node): ExtractedProgram | string {
  let entryFn: Node | null = node;
  let cls: Node | null = null;
  if (node.type === 'class_definition') {
    cls = node;
    entryFn = methodNode(node, 'forward');
    if (!entryFn) return 'The class has no `forward` to interpret.';
  } else {
    const parent = node.parent?.type === 'decorated_definition' ? node.parent.parent : node.parent;
    if (parent?.type === 'block' && parent.parent?.type === 'class_definition') cls = parent.parent;
  }
  const converter = new Converter(model, cls);
  const entryName = entryFn.childForFieldName('name')?.text ?? 'forward';
  const assumptions: string[] = [];
  const program: RegularizerProgram = {
    entry: { function: entryName, className: cls?.childForFieldName('name')?.text },
    functions: {},
    classes: {},
    globals: {},
    args: {},
    initArgs: {},
  };
  let rate: number | undefined;
  const bind = (
    fn: Node,
    skipSelf: boolean,
    input: boolean,
    into: Record<string, ArgumentValue>,
    where: string,
  ): void => {
    const params = parameterList(fn).slice(skipSelf ? 1 : 0);
    params.forEach((p, i) => {
      if (input && i === 0) {
        into[p.name] = { input: true };
        return;
      }
      if (input && TRAINING_PARAM.test(p.name)) {
        program.trainingParam = p.name;
        return;
      }
      const literal = p.default ? literalValue(p.default) : undefined;
      const isRate = RATE_PARAM.test(p.name);
      const isKeep = KEEP_PARAM.test(p.name);
      if ((isRate || isKeep) && (!p.default || literal === null)) {
        const value = isKeep ? 1 - ASSUMED_PROGRAM_RATE : ASSUMED_PROGRAM_RATE;
        into[p.name] = value;
        assumptions.push(`${where}${p.name}=${value} assumed`);
        rate ??= isKeep ? 1 - value : value;
        return;
      }
      if (typeof literal === 'number' && rate === undefined && (isRate || isKeep) && literal >= 0 && literal <= 1)
        rate = isKeep ? 1 - literal : literal;
      if (!p.default)
        into[p.name] = {
          missing: `not profiled: \`${where}${p.name}\` ${NO_DEFAULT}`,
        };
    });
  };
  if (cls) {
    const className = program.entry.className!;
    const init = methodNode(cls, '__init__');
    if (init) bind(init, true, false, program.initArgs, `${className}.`);
    converter.method(cls, '__init__');
    converter.method(cls, entryName);
    bind(entryFn, true, true, program.args, '');
  } else {
    converter.fn(entryFn);
    bind(entryFn, false, true, program.args, '');
  }
  converter.drain();
  program.functions = converter.functions;
  program.classes = converter.classes;
  program.globals = converter.globals;
  program.rate = rate;
  const bad = firstUnsupported(program);
  return { program, unsupported: bad ? unsupportedMessage(bad.name, bad.line) : undefined, assumptions };
}

/** What one construction passes for a parameter of `__init__` (construction-sites.ts's `PassedArgument`). */
export interface InitArgument {
  node: Node;
  value: { value: number } | { unknown: string };
}

/**
 * A class's program as one construction runs it (`DropPath(drop_path)`): `__init__` gets the construction's
 * arguments, each a literal as written or the number read statically. An argument that cannot be read is assumed
 * when it is a rate (as a rate without a default is) and left to its default otherwise, and the assumptions say
 * so; a parameter without a default then stops the profile.
 */
export function withInitArguments(
  extracted: ExtractedProgram,
  passed: ReadonlyMap<string, InitArgument>,
): ExtractedProgram {
  const className = extracted.program.entry.className;
  if (!className || passed.size === 0) return extracted;
  const initArgs = { ...extracted.program.initArgs };
  // The definition's assumptions about a parameter the construction passes are replaced by what it passes.
  const assumptions = extracted.assumptions.filter(
    (a) => ![...passed.keys()].some((n) => a.startsWith(`${className}.${n}=`)),
  );
  let rate: number | undefined;
  for (const [name, arg] of passed) {
    const isRate = RATE_PARAM.test(name);
    const isKeep = KEEP_PARAM.test(name);
    const literal = literalValue(arg.node);
    const value = literal !== undefined ? literal : 'value' in arg.value ? arg.value.value : undefined;
    if (value !== undefined) {
      initArgs[name] = value;
      if (typeof value === 'number' && (isRate || isKeep)) rate ??= isKeep ? 1 - value : value;
      continue;
    }
    const what = 'unknown' in arg.value ? arg.value.unknown : `\`${arg.node.text}\``;
    if (isRate || isKeep) {
      const assumed = isKeep ? 1 - ASSUMED_PROGRAM_RATE : ASSUMED_PROGRAM_RATE;
      initArgs[name] = assumed;
      assumptions.push(`${what} is not known statically; ${name}=${assumed} assumed`);
      rate ??= ASSUMED_PROGRAM_RATE;
    } else if (initArgs[name] !== null && typeof initArgs[name] === 'object' && 'missing' in initArgs[name]) {
      initArgs[name] = { missing: `not profiled: ${what} is not known statically and \`${name}\` has no default` };
    } else {
      assumptions.push(`${what} is not known statically; its default used`);
    }
  }
  return {
    ...extracted,
    program: { ...extracted.program, initArgs, rate: rate ?? extracted.program.rate },
    assumptions,
  };
}

function methodNode(cls: Node, name: string): Node | null {
  for (const stmt of cls.childForFieldName('body')?.namedChildren ?? []) {
    const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === name) return def;
  }
  return null;
}

function literalValue(node: Node): number | boolean | string | null | undefined {
  switch (node.type) {
    case 'none':
      return null;
    case 'true':
      return true;
    case 'false':
      return false;
    case 'integer':
    case 'float': {
      const v = Number(node.text.replace(/_/g, ''));
      return Number.isFinite(v) ? v : undefined;
    }
    case 'unary_operator': {
      const v = literalValue(node.childForFieldName('argument')!);
      return typeof v === 'number' && node.childForFieldName('operator')?.text === '-' ? -v : undefined;
    }
    default:
      return undefined;
  }
}

const line = (n: Node): number => n.startPosition.row + 1;
const children = (n: Node | null | undefined): Node[] =>
  (n?.namedChildren ?? []).filter((c): c is Node => !!c && c.type !== 'comment');

class Converter {
  readonly functions: Record<string, FunctionDef> = {};
  readonly classes: Record<string, ClassDef> = {};
  readonly globals: Record<string, Expr> = {};
  private readonly queue: Array<() => void> = [];
  private readonly className: string | undefined;
  /** Names bound in the function being converted (parameters and assignment targets). */
  private locals = new Set<string>();
  private selfName: string | null = null;
  private readonly moduleAssignments = new Map<string, Node>();

  constructor(
    private readonly model: FileModel,
    private readonly cls: Node | null,
  ) {
    this.className = cls?.childForFieldName('name')?.text;
    if (this.className) this.classes[this.className] = { name: this.className, methods: {} };
    for (const stmt of children(model.file.root)) {
      const a = stmt.type === 'expression_statement' ? stmt.namedChild(0) : null;
      const left = a?.type === 'assignment' ? a.childForFieldName('left') : null;
      const right = a?.childForFieldName('right');
      if (left?.type === 'identifier' && right) this.moduleAssignments.set(left.text, right);
    }
  }

  drain(): void {
    while (this.queue.length) this.queue.shift()!();
  }

  fn(def: Node): void {
    const name = def.childForFieldName('name')?.text;
    if (!name || this.functions[name]) return;
    this.functions[name] = { name, params: [], body: [], line: line(def) };
    this.queue.push(() => Object.assign(this.functions[name], this.convertFunction(def, false)));
  }

  method(cls: Node, name: string): void {
    const def = methodNode(cls, name);
    const entry = this.classes[this.className!];
    if (!def || entry.methods[name]) return;
    entry.methods[name] = { name, params: [], body: [], line: line(def) };
    this.queue.push(() => Object.assign(entry.methods[name], this.convertFunction(def, true)));
  }

  private convertFunction(def: Node, isMethod: boolean): FunctionDef {
    const saved = { locals: this.locals, selfName: this.selfName };
    const params = parameterList(def);
    this.locals = new Set(params.map((p) => p.name));
    this.selfName = isMethod ? (params[0]?.name ?? null) : null;
    collectLocals(def.childForFieldName('body'), this.locals);
    try {
      return {
        name: def.childForFieldName('name')?.text ?? '?',
        params: params.map((p) => ({ name: p.name, default: p.default ? this.expr(p.default) : undefined })),
        body: this.block(def.childForFieldName('body')),
        line: line(def),
      };
    } finally {
      this.locals = saved.locals;
      this.selfName = saved.selfName;
    }
  }

  private block(block: Node | null): Stmt[] {
    const out: Stmt[] = [];
    for (const stmt of children(block)) {
      // A docstring is a statement that does nothing.
      if (stmt.type === 'expression_statement' && stmt.namedChildCount === 1 && stmt.namedChild(0)?.type === 'string')
        continue;
      out.push(...this.stmt(stmt));
    }
    return out;
  }

  private stmt(n: Node): Stmt[] {
    const ln = line(n);
    switch (n.type) {
      case 'expression_statement': {
        const inner = children(n);
        if (inner.length !== 1)
          return [{ s: 'expr', x: { e: 'tuple', items: inner.map((c) => this.expr(c)), line: ln }, line: ln }];
        const x = inner[0];
        if (x.type === 'assignment') return this.assignment(x);
        if (x.type === 'augmented_assignment') {
          const op = x.childForFieldName('operator')?.text.slice(0, -1) as BinaryOp;
          if (!['+', '-', '*', '/', '//', '%', '**', '&', '|', '^'].includes(op))
            return [{ s: 'unsupported', name: `${op}=`, line: ln }];
          return [
            {
              s: 'augassign',
              target: this.target(x.childForFieldName('left')!),
              op,
              value: this.expr(x.childForFieldName('right')!),
              line: ln,
            },
          ];
        }
        return [{ s: 'expr', x: this.expr(x), line: ln }];
      }
      case 'if_statement': {
        const alternatives = n.childrenForFieldName('alternative').filter((c): c is Node => !!c);
        let orelse: Stmt[] = [];
        for (let i = alternatives.length - 1; i >= 0; i--) {
          const alt = alternatives[i];
          if (alt.type === 'else_clause') orelse = this.block(alt.childForFieldName('body'));
          else
            orelse = [
              {
                s: 'if',
                cond: this.expr(alt.childForFieldName('condition')!),
                body: this.block(alt.childForFieldName('consequence')),
                orelse,
                line: line(alt),
              },
            ];
        }
        return [
          {
            s: 'if',
            cond: this.expr(n.childForFieldName('condition')!),
            body: this.block(n.childForFieldName('consequence')),
            orelse,
            line: ln,
          },
        ];
      }
      case 'while_statement':
        if (n.childForFieldName('alternative')) return [{ s: 'unsupported', name: 'while … else', line: ln }];
        return [
          {
            s: 'while',
            cond: this.expr(n.childForFieldName('condition')!),
            body: this.block(n.childForFieldName('body')),
            line: ln,
          },
        ];
      case 'for_statement':
        if (n.childForFieldName('alternative')) return [{ s: 'unsupported', name: 'for … else', line: ln }];
        return [
          {
            s: 'for',
            target: this.target(n.childForFieldName('left')!),
            iter: this.expr(n.childForFieldName('right')!),
            body: this.block(n.childForFieldName('body')),
            line: ln,
          },
        ];
      case 'return_statement': {
        const value = children(n)[0];
        return [{ s: 'return', x: value ? this.expr(value) : undefined, line: ln }];
      }
      case 'pass_statement':
        return [{ s: 'pass', line: ln }];
      case 'break_statement':
        return [{ s: 'break', line: ln }];
      case 'continue_statement':
        return [{ s: 'continue', line: ln }];
      case 'raise_statement':
        return [{ s: 'raise', text: oneLine(n.text), line: ln }];
      case 'assert_statement': {
        const cond = children(n)[0];
        return [
          { s: 'assert', cond: cond ? this.expr(cond) : { e: 'bool', v: true }, text: oneLine(n.text), line: ln },
        ];
      }
      default:
        return [{ s: 'unsupported', name: STATEMENT_NAMES[n.type] ?? n.type.replace(/_statement$/, ''), line: ln }];
    }
  }

  private assignment(a: Node): Stmt[] {
    const ln = line(a);
    const right = a.childForFieldName('right');
    const left = a.childForFieldName('left')!;
    // `x: Tensor` declares without assigning.
    if (!right) return [{ s: 'pass', line: ln }];
    // `a = b = value`: the value once, stored to every target left to right.
    if (right.type === 'assignment') {
      const inner = this.assignment(right);
      const last = inner[inner.length - 1];
      if (last?.s !== 'assign') return inner;
      return [...inner, { s: 'assign', target: this.target(left), value: targetAsExpr(last.target, ln), line: ln }];
    }
    return [{ s: 'assign', target: this.target(left), value: this.expr(right), line: ln }];
  }

  private target(n: Node): Target {
    switch (n.type) {
      case 'identifier':
        return { t: 'name', id: n.text };
      case 'attribute':
        return {
          t: 'attr',
          obj: this.expr(n.childForFieldName('object')!),
          name: n.childForFieldName('attribute')!.text,
        };
      case 'subscript':
        return { t: 'index', obj: this.expr(n.childForFieldName('value')!), index: this.subscriptIndex(n) };
      case 'pattern_list':
      case 'tuple_pattern':
      case 'tuple':
      case 'list_pattern':
      case 'expression_list':
        return { t: 'tuple', items: children(n).map((c) => this.target(c)) };
      case 'parenthesized_expression':
        return this.target(children(n)[0]);
      default:
        return {
          t: 'tuple',
          items: [{ t: 'index', obj: { e: 'unsupported', name: n.type, line: line(n) }, index: { e: 'none' } }],
        };
    }
  }

  private subscriptIndex(n: Node): Expr {
    const parts = n.childrenForFieldName('subscript').filter((c): c is Node => !!c);
    if (parts.length === 1) return this.expr(parts[0]);
    return {
      e: 'unsupported',
      name: `${n.childForFieldName('value')?.text ?? ''}[…, …] (multi-dimensional indexing)`,
      line: line(n),
    };
  }

  expr(n: Node): Expr {
    const ln = line(n);
    switch (n.type) {
      case 'integer':
      case 'float': {
        const v = Number(n.text.replace(/_/g, ''));
        return Number.isFinite(v) ? { e: 'num', v } : { e: 'unsupported', name: n.text, line: ln };
      }
      case 'true':
        return { e: 'bool', v: true };
      case 'false':
        return { e: 'bool', v: false };
      case 'none':
        return { e: 'none' };
      case 'string': {
        if (/^[rbuRBU]*[fF]/.test(n.text)) return { e: 'unsupported', name: 'f-string', line: ln };
        const content = children(n)
          .filter((c) => c.type === 'string_content')
          .map((c) => c.text)
          .join('');
        return { e: 'str', v: content };
      }
      case 'concatenated_string':
        return {
          e: 'str',
          v: children(n)
            .map((c) => c.text.replace(/^[rbuRBU]*(['"]{1,3})([\s\S]*)\1$/, '$2'))
            .join(''),
        };
      case 'parenthesized_expression':
        return this.expr(children(n)[0]);
      case 'identifier':
        return this.identifier(n, false);
      case 'attribute':
        return this.attribute(n, false);
      case 'subscript':
        return { e: 'index', obj: this.expr(n.childForFieldName('value')!), index: this.subscriptIndex(n), line: ln };
      case 'slice': {
        // `a:b:c` — the parts are the named children around the colons.
        const parts: Array<Expr | undefined> = [undefined, undefined, undefined];
        let slot = 0;
        for (const c of n.children) {
          if (!c) continue;
          if (c.type === ':') slot++;
          else if (c.isNamed && c.type !== 'comment') parts[slot] = this.expr(c);
        }
        return { e: 'slice', lo: parts[0], hi: parts[1], step: parts[2], line: ln };
      }
      case 'call':
        return this.call(n);
      case 'binary_operator': {
        const op = n.childForFieldName('operator')!.text;
        if (!['+', '-', '*', '/', '//', '%', '**', '&', '|', '^'].includes(op))
          return { e: 'unsupported', name: op, line: ln };
        return {
          e: 'bin',
          op: op as BinaryOp,
          l: this.expr(n.childForFieldName('left')!),
          r: this.expr(n.childForFieldName('right')!),
          line: ln,
        };
      }
      case 'unary_operator': {
        const op = n.childForFieldName('operator')!.text as '-' | '+' | '~';
        return { e: 'unary', op, x: this.expr(n.childForFieldName('argument')!), line: ln };
      }
      case 'not_operator':
        return { e: 'unary', op: 'not', x: this.expr(n.childForFieldName('argument')!), line: ln };
      case 'boolean_operator':
        return {
          e: 'logic',
          op: n.childForFieldName('operator')!.text as 'and' | 'or',
          l: this.expr(n.childForFieldName('left')!),
          r: this.expr(n.childForFieldName('right')!),
          line: ln,
        };
      case 'comparison_operator': {
        const ops: CompareOp[] = [];
        const operands: Expr[] = [];
        let pending = '';
        for (const c of n.children) {
          if (!c || c.type === 'comment') continue;
          if (c.isNamed) {
            if (pending) ops.push(pending as CompareOp);
            pending = '';
            operands.push(this.expr(c));
          } else pending = pending ? `${pending} ${c.text}` : c.text;
        }
        if (ops.some((o) => o === ('<>' as CompareOp))) return { e: 'unsupported', name: '<>', line: ln };
        return { e: 'compare', ops, operands, line: ln };
      }
      case 'conditional_expression': {
        const [a, cond, b] = children(n);
        return { e: 'ifexp', cond: this.expr(cond), then: this.expr(a), else: this.expr(b), line: ln };
      }
      case 'tuple':
      case 'expression_list':
        return { e: 'tuple', items: children(n).map((c) => this.expr(c)), line: ln };
      case 'list':
        return { e: 'list', items: children(n).map((c) => this.expr(c)), line: ln };
      default:
        return { e: 'unsupported', name: EXPRESSION_NAMES[n.type] ?? n.type, line: ln };
    }
  }

  private call(n: Node): Expr {
    const ln = line(n);
    const fnNode = n.childForFieldName('function')!;
    const argsNode = n.childForFieldName('arguments');
    if (argsNode?.type === 'generator_expression') return { e: 'unsupported', name: 'generator expression', line: ln };
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    for (const a of children(argsNode)) {
      if (a.type === 'keyword_argument')
        kwargs.push([a.childForFieldName('name')!.text, this.expr(a.childForFieldName('value')!)]);
      else if (a.type === 'list_splat') args.push({ e: 'splat', x: this.expr(children(a)[0]), line: ln });
      else if (a.type === 'dictionary_splat')
        return { e: 'unsupported', name: `**${children(a)[0]?.text ?? ''}`, line: ln };
      else args.push(this.expr(a));
    }
    let fn: Expr;
    if (fnNode.type === 'identifier') fn = this.identifier(fnNode, true);
    else if (fnNode.type === 'attribute') fn = this.attribute(fnNode, true);
    else fn = this.expr(fnNode);
    return { e: 'call', fn, args, kwargs, line: ln };
  }

  private identifier(n: Node, called: boolean): Expr {
    const id = n.text;
    const ln = line(n);
    if (this.locals.has(id)) return { e: 'name', id, line: ln };
    const fn = this.model.functions.get(id);
    if (fn) {
      this.fn(fn.node);
      return { e: 'name', id, line: ln };
    }
    const qualified = this.model.imports.resolveName(id);
    if (qualified) return this.library(qualified, id, called, ln);
    const assigned = this.moduleAssignments.get(id);
    if (assigned) {
      if (!(id in this.globals)) {
        this.globals[id] = { e: 'none' };
        const saved = { locals: this.locals, selfName: this.selfName };
        this.locals = new Set();
        this.selfName = null;
        this.globals[id] = this.expr(assigned);
        this.locals = saved.locals;
        this.selfName = saved.selfName;
      }
      return { e: 'name', id, line: ln };
    }
    if (BUILTINS.has(id)) return { e: 'lib', name: id, line: ln };
    return { e: 'unsupported', name: id, line: ln };
  }

  private library(qualified: string, spelled: string, called: boolean, ln: number): Expr {
    if (called ? LIBRARY_FUNCTIONS.has(qualified) : LIBRARY_VALUES.has(qualified))
      return { e: 'lib', name: qualified, line: ln };
    return { e: 'unsupported', name: spelled, line: ln };
  }

  private attribute(n: Node, called: boolean): Expr {
    const ln = line(n);
    const objNode = n.childForFieldName('object')!;
    const name = n.childForFieldName('attribute')!.text;
    let base: Node = objNode;
    while (base.type === 'attribute') base = base.childForFieldName('object')!;
    if (base.type === 'identifier' && !this.locals.has(base.text)) {
      const qualified = this.model.imports.resolve(n);
      if (qualified) return this.library(qualified, n.text, called, ln);
    }
    const obj = this.expr(objNode);
    if (this.selfName && objNode.type === 'identifier' && objNode.text === this.selfName) {
      if (called && this.cls && methodNode(this.cls, name)) this.method(this.cls, name);
      return { e: 'attr', obj, name, line: ln };
    }
    // `super().__init__(…)`
    if (obj.e === 'call' && obj.fn.e === 'lib' && obj.fn.name === 'super') return { e: 'attr', obj, name, line: ln };
    const known = called ? TENSOR_METHODS.has(name) : TENSOR_ATTRIBUTES.has(name);
    if (!known) return { e: 'unsupported', name: called ? `${n.text}()` : n.text, line: ln };
    return { e: 'attr', obj, name, line: ln };
  }
}

function targetAsExpr(target: Target, ln: number): Expr {
  switch (target.t) {
    case 'name':
      return { e: 'name', id: target.id, line: ln };
    case 'attr':
      return { e: 'attr', obj: target.obj, name: target.name, line: ln };
    case 'index':
      return { e: 'index', obj: target.obj, index: target.index, line: ln };
    case 'tuple':
      return { e: 'tuple', items: target.items.map((t) => targetAsExpr(t, ln)), line: ln };
  }
}

/** Every name a function body binds: assignment and loop targets (Python's rule: assigned anywhere means local). */
function collectLocals(body: Node | null, out: Set<string>): void {
  if (!body) return;
  const visit = (n: Node): void => {
    if (n.type === 'function_definition' || n.type === 'class_definition' || n.type === 'lambda') return;
    if (n.type === 'assignment' || n.type === 'augmented_assignment' || n.type === 'for_statement') {
      const left = n.childForFieldName('left');
      if (left) boundNames(left, out);
    }
    for (const c of children(n)) visit(c);
  };
  visit(body);
}

function oneLine(text: string): string {
  const first = text.split('\n')[0];
  return first.length > 60 ? `${first.slice(0, 57)}…` : first;
}

const STATEMENT_NAMES: Record<string, string> = {
  with_statement: 'with',
  try_statement: 'try',
  import_statement: 'import',
  import_from_statement: 'import',
  global_statement: 'global',
  nonlocal_statement: 'nonlocal',
  delete_statement: 'del',
  function_definition: 'def (nested function)',
  class_definition: 'class (nested class)',
  decorated_definition: 'decorated nested definition',
  match_statement: 'match',
  print_statement: 'print',
  exec_statement: 'exec',
};

const EXPRESSION_NAMES: Record<string, string> = {
  lambda: 'lambda',
  list_comprehension: 'list comprehension',
  dictionary_comprehension: 'dict comprehension',
  set_comprehension: 'set comprehension',
  generator_expression: 'generator expression',
  dictionary: 'dict',
  set: 'set',
  await: 'await',
  named_expression: ':=',
  yield: 'yield',
  list_splat: '*',
  ellipsis: '...',
};
