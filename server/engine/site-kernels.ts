/**
 * What a library regularizer's site is profiled with: its kernel, and the numbers read statically — a drop rate
 * from a literal, a parameter's default, a `self.x = x` assignment in `__init__`, a module-level constant or a
 * config field; a stochastic-depth schedule's end and depth; the `__init__` parameter a class's rate comes from, which
 * a construction of the class (construction-sites.ts) then passes.
 */
import type { RegularizerSpec } from './catalog';
import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import { underTrainingGuard } from './training';
import type { KernelSpec } from '../../kernels/plan';
import {
  constructorParameters,
  findArgument,
  isTrueLiteral,
  mentionsTraining,
  numericLiteral,
  parameterList,
  walk,
} from './syntax';

/** What a library regularizer drops when its rate is not passed. */
const DEFAULT_RATE: Record<string, number> = {
  'torch.nn.Dropout': 0.5,
  'torch.nn.Dropout1d': 0.5,
  'torch.nn.Dropout2d': 0.5,
  'torch.nn.Dropout3d': 0.5,
  'torch.nn.AlphaDropout': 0.5,
  'torch.nn.FeatureAlphaDropout': 0.5,
  'torch.nn.functional.dropout': 0.5,
  'torch.nn.functional.dropout1d': 0.5,
  'torch.nn.functional.dropout2d': 0.5,
  'torch.nn.functional.dropout3d': 0.5,
  'torch.nn.functional.alpha_dropout': 0.5,
  'torch.nn.functional.feature_alpha_dropout': 0.5,
  'torch.nn.functional.scaled_dot_product_attention': 0,
  'timm.layers.DropPath': 0,
  'timm.layers.drop_path': 0,
};

/** A rate the profiler assumes when the code's rate cannot be read statically. */
export const ASSUMED_RATE = 0.1;

export interface Resolved {
  value: number;
  source: string;
}

export function readRate(model: FileModel, call: Node, spec: RegularizerSpec, cls: ModuleClass | undefined): Resolved {
  const arg = findArgument(call, spec.rate);
  if (arg === 'absent') {
    const d = DEFAULT_RATE[spec.qualifiedName];
    if (d !== undefined) return { value: d, source: `${spec.rate.name}=${d} (PyTorch default)` };
    return { value: ASSUMED_RATE, source: `${spec.rate.name} not given; assumed ${ASSUMED_RATE}` };
  }
  if (arg === 'unknown')
    return { value: ASSUMED_RATE, source: `${spec.rate.name} passed through *args/**kwargs; assumed ${ASSUMED_RATE}` };
  const resolved = resolveNumber(model, arg.node, cls, 0);
  // A rate outside [0, 1] is kept: the profiler refuses it with the reason (PyTorch raises at that call).
  if (resolved) return resolved;
  return { value: ASSUMED_RATE, source: `\`${arg.node.text}\` is not known statically; assumed ${ASSUMED_RATE}` };
}

export function readSchedule(
  model: FileModel,
  call: Node,
  cls: ModuleClass | undefined,
): (Resolved & { rate: number; depth: number }) | undefined {
  const start = findArgument(call, { name: 'start', position: 0 });
  if (typeof start !== 'object' || numericLiteral(start.node) !== 0) return undefined;
  const end = findArgument(call, { name: 'end', position: 1 });
  const steps = findArgument(call, { name: 'steps', position: 2 });
  if (typeof end !== 'object' || typeof steps !== 'object') return undefined;
  const rate = resolveNumber(model, end.node, cls, 0);
  const depth = resolveNumber(model, steps.node, cls, 0);
  // Only a drop-rate schedule: the end is a probability and its name says so, or it resolves to one.
  if (!rate && !/drop|path|depth|stoch/i.test(end.node.text)) return undefined;
  const r = rate && rate.value >= 0 && rate.value <= 1 ? rate.value : ASSUMED_RATE;
  const d = depth && Number.isInteger(depth.value) && depth.value >= 1 ? depth.value : 12;
  const source = `${rate ? rate.source : `rate assumed ${ASSUMED_RATE}`}, ${depth ? depth.source : 'depth assumed 12'}`;
  return { value: r, rate: r, depth: d, source };
}

/**
 * A number an expression statically stands for: a literal, a parameter's default, `self.x` assigned from one in
 * `__init__`, a module-level constant, or a config field (`config.dropout` → `dropout: float = 0.1`).
 */
export function resolveNumber(
  model: FileModel,
  node: Node,
  cls: ModuleClass | undefined,
  depth: number,
): Resolved | undefined {
  if (depth > 4) return undefined;
  const literal = numericLiteral(node);
  if (literal !== undefined) return { value: literal, source: node.text };
  if (node.type === 'identifier') {
    const fn = enclosingFunction(node);
    const param = fn ? parameterDefault(fn, node.text) : undefined;
    if (param) {
      const v = resolveNumber(model, param, cls, depth + 1);
      if (v) return { value: v.value, source: `${node.text}=${v.value} (default)` };
    }
    const passed = fn && !param ? passedToInit(model, fn, node.text, depth) : undefined;
    if (passed) return passed;
    const constant = moduleConstant(model, node.text);
    if (constant !== undefined) return { value: constant, source: `${node.text}=${constant}` };
    return undefined;
  }
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    const attr = node.childForFieldName('attribute')?.text;
    if (!attr) return undefined;
    if (object?.text === 'self' && cls) {
      const value = initAssignment(cls, attr);
      if (value) {
        const v = resolveNumber(model, value, cls, depth + 1);
        if (v) return { value: v.value, source: `self.${attr} ← ${v.source}` };
      }
      return undefined;
    }
    // config.dropout, cfg.model.drop_path_rate: a field of that name declared with a number in this file.
    const field = moduleConstant(model, attr, true);
    if (field !== undefined) return { value: field, source: `${attr}=${field} (config default)` };
  }
  return undefined;
}

/** What `__init__` first assigns to `self.<attr>` (the model's submodules hold every such assignment), if anything. */
function initAssignment(cls: ModuleClass, attr: string): Node | undefined {
  return cls.members.submodules.find((s) => s.name === attr)?.value;
}

/** An `__init__` parameter a rate is, and how it got there (`self.drop_prob ← drop_prob`). */
export interface InitParameter {
  name: string;
  chain: string;
}

/**
 * The parameter of `cls`'s `__init__` an expression stands for: the parameter itself (in `__init__`), or `self.x`
 * assigned from it there. A construction's argument for that parameter is then the rate.
 */
export function initParameterOf(node: Node, cls: ModuleClass): InitParameter | undefined {
  const init = cls.members.methods.get('__init__');
  if (!init) return undefined;
  if (node.type === 'identifier') {
    const fn = enclosingFunction(node);
    const isParameter = fn?.id === init.id && parameterList(init).some((p) => p.name === node.text);
    return isParameter ? { name: node.text, chain: node.text } : undefined;
  }
  const object = node.type === 'attribute' ? node.childForFieldName('object') : null;
  const attr = node.childForFieldName('attribute')?.text;
  if (object?.text !== 'self' || !attr) return undefined;
  const value = initAssignment(cls, attr);
  const through = value?.type === 'identifier' ? initParameterOf(value, cls) : undefined;
  return through && { name: through.name, chain: `self.${attr} ← ${through.chain}` };
}

function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return undefined;
}

/**
 * A parameter of a class's `__init__` without a default (`def __init__(self, dim, dropout)`), as the file's
 * constructions of the class pass it: the number when every one of them passes the same (latent diffusion's
 * `ResnetBlock(…, dropout=dropout)` in an encoder whose own `dropout=0.0`), else nothing.
 */
function passedToInit(model: FileModel, init: Node, name: string, depth: number): Resolved | undefined {
  const cls = model.enclosingClass(init);
  if (cls?.members.methods.get('__init__')?.id !== init.id) return undefined;
  const parameter = constructorParameters(init).find((p) => p.name === name);
  const calls = parameter ? fileCalls(model).constructions.get(cls.name) : undefined;
  if (!parameter || !calls) return undefined;
  let first: Resolved | undefined;
  for (const call of calls) {
    const arg = findArgument(call, parameter);
    const v =
      typeof arg === 'object' ? resolveNumber(model, arg.node, model.enclosingClass(call), depth + 1) : undefined;
    if (!v || (first && v.value !== first.value)) return undefined;
    first ??= v;
  }
  if (!first) return undefined;
  const where = calls.length === 1 ? 'its construction' : `its ${calls.length} constructions`;
  return { value: first.value, source: `${name} ← ${where} (line ${calls[0].startPosition.row + 1}): ${first.source}` };
}

/** The file's calls of a name or attribute, read once per model: rates here, constructions in construction-sites.ts. */
export interface FileCalls {
  /** By class of the file: the calls that construct it, outside the class itself. */
  constructions: Map<string, Node[]>;
  /** The calls of anything else named (`DropPath(…)` imported, `nn.Linear(…)`, `torch.cat(…)`). */
  others: Node[];
}

const calls = new WeakMap<FileModel, FileCalls>();

export function fileCalls(model: FileModel): FileCalls {
  let found = calls.get(model);
  if (found) return found;
  const constructions = new Map<string, Node[]>();
  const others: Node[] = [];
  walk(
    model.file.root,
    (call) => {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'identifier' && fn?.type !== 'attribute') return;
      const cls = fn.type === 'identifier' ? model.classes.get(fn.text) : undefined;
      if (!cls) others.push(call);
      // Inside its own definition the name is the class itself (`super(DropPath, self)`), not a construction.
      else if (cls.node.startIndex > call.startIndex || call.endIndex > cls.node.endIndex) {
        const list = constructions.get(cls.name);
        if (list) list.push(call);
        else constructions.set(cls.name, [call]);
      }
    },
    new Set(['call']),
  );
  found = { constructions, others };
  calls.set(model, found);
  return found;
}

function parameterDefault(fn: Node, name: string): Node | undefined {
  for (const p of fn.childForFieldName('parameters')?.namedChildren ?? []) {
    if (!p || (p.type !== 'default_parameter' && p.type !== 'typed_default_parameter')) continue;
    if (p.childForFieldName('name')?.text === name) return p.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/** `field(default=` or `dataclasses.field(default=`, up to the number. */
const FIELD_DEFAULT = '(?:dataclasses\\.)?field\\(\\s*default\\s*=\\s*';

/**
 * `NAME = 0.1` at module level, or with `fields`, also a field of a class body (a dataclass config): `name: float =
 * 0.1`, or `name: float = field(default=0.1, metadata=…)` as fairseq's configs declare theirs.
 */
function moduleConstant(model: FileModel, name: string, fields = false): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const number = '(-?[0-9][0-9_.eE+-]*)';
  const patterns = [
    new RegExp(`^${fields ? '[ \\t]*' : ''}${escaped}[ \\t]*(?::[^=\\n]+)?=[ \\t]*${number}[ \\t]*(?:#.*)?$`, 'm'),
    ...(fields ? [new RegExp(`^[ \\t]*${escaped}[ \\t]*:[^=\\n]+=[ \\t]*${FIELD_DEFAULT}${number}\\s*[,)]`, 'm')] : []),
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(model.file.text);
    const value = match ? Number(match[1].replace(/_/g, '')) : Number.NaN;
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/**
 * Does evaluation skip the call, the way its module is built? `underTrainingGuard` with each `self.<flag>` at the
 * literal `__init__` gives it (fairseq's `FairseqDropout`: `if self.p > 0 and (self.training or
 * self.apply_during_inference)`, with `apply_during_inference = False`): the rules' guards, read with the flags.
 */
export function skippedInEvaluation(call: Node, cls: ModuleClass | undefined): boolean {
  let method: Node | null = call.parent;
  while (method && method.type !== 'function_definition') method = method.parent;
  const selfName = method ? parameterList(method)[0]?.name : undefined;
  if (!method || !selfName) return false;
  const flags = new Map<string, boolean>();
  for (const sub of cls?.members.submodules ?? [])
    if (sub.value.type === 'true' || sub.value.type === 'false') flags.set(sub.name, sub.value.type === 'true');
  return underTrainingGuard(call, { method, selfName, flags });
}

/**
 * Whether a functional call keeps dropping in evaluation: its training flag is absent with a True default, or literally
 * true; for `dropout_p` (no flag), the rate does not mention `training`.
 */
export function activeInEval(call: Node, spec: RegularizerSpec): boolean {
  if (spec.form === 'module') return false;
  if (!spec.training) {
    const rate = findArgument(call, spec.rate);
    return typeof rate === 'object' && !mentionsTraining(rate.node) && numericLiteral(rate.node) !== 0;
  }
  const flag = findArgument(call, spec.training);
  if (flag === 'absent') return spec.training.default;
  if (flag === 'unknown') return false;
  return isTrueLiteral(flag.node);
}

export function kernelFor(spec: RegularizerSpec, call: Node, p: number, numHeads: number): KernelSpec {
  switch (spec.kind) {
    case 'dropout':
      return { kind: 'dropout', p };
    case 'channel-dropout':
      return { kind: 'channel-dropout', p };
    case 'alpha-dropout':
      return { kind: 'alpha-dropout', p };
    case 'feature-alpha-dropout':
      return { kind: 'feature-alpha-dropout', p };
    case 'attention-dropout':
      return { kind: 'attention-dropout', p, numHeads, placement: 'probs' };
    case 'drop-path': {
      const scale = findArgument(call, { name: 'scale_by_keep', position: spec.form === 'module' ? 1 : 3 });
      return {
        kind: 'drop-path',
        p,
        mode: 'row',
        scaleByKeep: !(typeof scale === 'object' && scale.node.type === 'false'),
      };
    }
    case 'stochastic-depth': {
      const mode = findArgument(call, { name: 'mode', position: spec.form === 'module' ? 1 : 2 });
      const batch = typeof mode === 'object' && /^['"]batch['"]$/.test(mode.node.text);
      return { kind: 'drop-path', p, mode: batch ? 'batch' : 'row', scaleByKeep: true };
    }
  }
}
