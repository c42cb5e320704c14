/**
 * Regularizer sites: the places in a file the profiler can measure. Built from the catalog and `FileModel`:
 * module constructions (`self.drop = nn.Dropout(p)`), calls (`F.dropout(x, p)`, `self.drop(x)`,
 * `scaled_dot_product_attention(..., dropout_p=…)`), and stochastic-depth schedules (`torch.linspace(0, rate,
 * depth)`). Each site carries the kernel it maps to (kernels/plan.ts), with the rate read from a literal, a
 * parameter default, a `self.x = x` assignment or a config field, or assumed and said so.
 *
 * Later rules add their own kinds (an RG001 fusion site, an RG009 logits-dropout site, a hand-written regularizer
 * from the semantics issue) by producing `RegularizerSite` records with the matching `KernelSpec`.
 */
import type { KernelSpec } from '../../kernels/plan';
import { regularizer, type RegularizerSpec } from './catalog';
import type { FileModel, ModuleClass } from './model';
import { nodeRange, type Node } from './parser';
import { findArgument, isTrueLiteral, mentionsTraining, numericLiteral, walk } from './syntax';
import { inferFileShape, siteShape } from './shapes';
import type { Range } from './types';

export type SiteKind = 'module' | 'call' | 'schedule' | 'fusion' | 'hand-written';

export interface RegularizerSite {
  /** Stable within a file version: kind, class and the site's own text. */
  id: string;
  kind: SiteKind;
  /** The construction or call (the lens sits on its first line). */
  range: Range;
  /** What the user wrote, shortened: `nn.Dropout(proj_drop)`. */
  label: string;
  className?: string;
  kernel: KernelSpec;
  /** Where the rate came from, e.g. `proj_drop=0.1 (default)`, or `assumed` when it could not be read. */
  rateSource: string;
  /** The site's source text: a cached profile is dropped when it changes. */
  code: string;
  /** The code leaves it on in evaluation (a training flag that defaults to True, an ungated `dropout_p`). */
  activeInEval: boolean;
}

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

export function findSites(model: FileModel, options: { numHeads?: number } = {}): RegularizerSite[] {
  const sites: RegularizerSite[] = [];
  const seen = new Set<number>();
  const root = model.file.tree.rootNode;
  walk(
    root,
    (call) => {
      if (seen.has(call.id)) return;
      const fn = call.childForFieldName('function');
      const qualified = model.imports.resolve(fn);
      const cls = model.enclosingModuleClass(call);
      const spec = regularizer(qualified);
      if (spec) {
        seen.add(call.id);
        const rate = readRate(model, call, spec, cls);
        sites.push(site(spec.form === 'module' ? 'module' : 'call', call, cls, kernelFor(spec, call, rate.value, options.numHeads ?? 12), rate.source, activeInEval(call, spec)));
        return;
      }
      if (qualified === 'torch.linspace') {
        const schedule = readSchedule(model, call, cls);
        if (schedule) sites.push(site('schedule', call, cls, { kind: 'schedule', rate: schedule.rate, depth: schedule.depth }, schedule.source));
        return;
      }
      // `self.drop(x)`: a call of a regularizer submodule.
      if (cls && fn?.type === 'attribute' && fn.childForFieldName('object')?.text === 'self') {
        const name = fn.childForFieldName('attribute')?.text;
        const sub = cls.members.submodules.find((s) => s.name === name && s.regularizers.length > 0);
        if (!sub) return;
        const constructed = firstConstruction(model, sub.value);
        if (!constructed) return;
        const spec = sub.regularizers[0];
        const rate = readRate(model, constructed, spec, cls);
        sites.push(site('call', call, cls, kernelFor(spec, constructed, rate.value, options.numHeads ?? 12), rate.source));
      }
    },
    new Set(['call']),
  );
  return sites.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/** Whether a functional call keeps dropping in evaluation: its training flag is absent with a True default, or literally true; for `dropout_p` (no flag), the rate does not mention `training`. */
function activeInEval(call: Node, spec: RegularizerSpec): boolean {
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

function site(kind: SiteKind, node: Node, cls: ModuleClass | undefined, kernel: KernelSpec, rateSource: string, activeInEval = false): RegularizerSite {
  const code = node.text;
  const label = code.length > 60 ? `${code.slice(0, 57)}…` : code;
  return { id: `${kind}:${cls?.name ?? ''}:${code}`, kind, range: nodeRange(node), label: label.replace(/\s+/g, ' '), className: cls?.name, kernel, rateSource, code, activeInEval };
}

function firstConstruction(model: FileModel, value: Node): Node | undefined {
  let found: Node | undefined;
  walk(
    value,
    (n) => {
      if (found) return false;
      if (regularizer(model.imports.resolve(n.childForFieldName('function')))?.form === 'module') found = n;
    },
    new Set(['call']),
  );
  return found;
}

function kernelFor(spec: RegularizerSpec, call: Node, p: number, numHeads: number): KernelSpec {
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
      return { kind: 'drop-path', p, mode: 'row', scaleByKeep: !(typeof scale === 'object' && scale.node.type === 'false') };
    }
    case 'stochastic-depth': {
      const mode = findArgument(call, { name: 'mode', position: spec.form === 'module' ? 1 : 2 });
      const batch = typeof mode === 'object' && /^['"]batch['"]$/.test(mode.node.text);
      return { kind: 'drop-path', p, mode: batch ? 'batch' : 'row', scaleByKeep: true };
    }
  }
}

interface Resolved {
  value: number;
  source: string;
}

function readRate(model: FileModel, call: Node, spec: RegularizerSpec, cls: ModuleClass | undefined): Resolved {
  const arg = findArgument(call, spec.rate);
  if (arg === 'absent') {
    const d = DEFAULT_RATE[spec.qualifiedName];
    if (d !== undefined) return { value: d, source: `${spec.rate.name}=${d} (PyTorch default)` };
    return { value: ASSUMED_RATE, source: `${spec.rate.name} not given; assumed ${ASSUMED_RATE}` };
  }
  if (arg === 'unknown') return { value: ASSUMED_RATE, source: `${spec.rate.name} passed through *args/**kwargs; assumed ${ASSUMED_RATE}` };
  const resolved = resolveNumber(model, arg.node, cls, 0);
  // A rate outside [0, 1] is kept: the profiler refuses it with the reason (PyTorch raises at that call).
  if (resolved) return resolved;
  return { value: ASSUMED_RATE, source: `\`${arg.node.text}\` is not known statically; assumed ${ASSUMED_RATE}` };
}

function readSchedule(model: FileModel, call: Node, cls: ModuleClass | undefined): (Resolved & { rate: number; depth: number }) | undefined {
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
export function resolveNumber(model: FileModel, node: Node, cls: ModuleClass | undefined, depth: number): Resolved | undefined {
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
    const constant = moduleConstant(model, node.text);
    if (constant !== undefined) return { value: constant, source: `${node.text}=${constant}` };
    return undefined;
  }
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    const attr = node.childForFieldName('attribute')?.text;
    if (!attr) return undefined;
    if (object?.text === 'self' && cls) {
      const init = cls.members.methods.get('__init__');
      let value: Node | undefined;
      if (init) {
        walk(
          init,
          (a) => {
            if (value) return false;
            if (a.childForFieldName('left')?.text === `self.${attr}`) value = a.childForFieldName('right') ?? undefined;
          },
          new Set(['assignment']),
        );
      }
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

function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return undefined;
}

function parameterDefault(fn: Node, name: string): Node | undefined {
  for (const p of fn.childForFieldName('parameters')?.namedChildren ?? []) {
    if (!p || (p.type !== 'default_parameter' && p.type !== 'typed_default_parameter')) continue;
    if (p.childForFieldName('name')?.text === name) return p.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/** `NAME = 0.1` at module level, or with `fields`, also `name: float = 0.1` inside a class body (dataclass config). */
function moduleConstant(model: FileModel, name: string, fields = false): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${fields ? '[ \\t]*' : ''}${escaped}[ \\t]*(?::[^=\\n]+)?=[ \\t]*(-?[0-9][0-9_.eE+-]*)[ \\t]*(?:#.*)?$`, 'm');
  const match = pattern.exec(model.file.text);
  if (!match) return undefined;
  const value = Number(match[1].replace(/_/g, ''));
  return Number.isFinite(value) ? value : undefined;
}

/** A site with the shape and seed it is profiled at. */
export interface PlannedSite {
  site: RegularizerSite;
  shape: number[];
  shapeSource: string;
}

/** Every site of a file with its shape: comment, then setting, then the file's config defaults. */
export function planSites(model: FileModel, settingShape?: number[]): PlannedSite[] {
  const shapes = inferFileShape(model.file.text);
  const lines = model.file.text.split(/\r?\n/);
  return findSites(model, { numHeads: shapes.numHeads }).map((site) => {
    const choice = siteShape(lines, site.range.start.line, shapes, settingShape);
    return { site, shape: choice.shape, shapeSource: choice.source };
  });
}

/** Fixed per site: the same code profiles to the same figures. */
export function siteSeed(site: RegularizerSite): number {
  let h = 2166136261;
  for (let i = 0; i < site.code.length; i++) h = Math.imul(h ^ site.code.charCodeAt(i), 16777619) >>> 0;
  return h % 1_000_000_007;
}
