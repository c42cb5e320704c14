/**
 * Regularizer sites: the places in a file the profiler can measure. Built from the catalog and `FileModel`:
 * module constructions (`self.drop = nn.Dropout(p)`), calls (`F.dropout(x, p)`, `self.drop(x)`,
 * `scaled_dot_product_attention(..., dropout_p=…)`), and stochastic-depth schedules (`torch.linspace(0, rate,
 * depth)`). Each site carries the kernel it maps to (kernels/plan.ts), with the rate read from a literal, a
 * parameter default, a `self.x = x` assignment or a config field, or assumed and said so.
 *
 * The structure rules and the semantics engine add three kinds: the text dropout of every RG001 fusion becomes a
 * 'fusion' site (text tokens dropped before the merge vs the whole sequence after it), the dropout of every RG009
 * finding an 'attention-logits' site (dropout on logits vs on probabilities), and every hand-written regularizer
 * (`handWrittenRegularizers`) a 'hand-written' site running its derived semantics.
 */
import { formatNumber, type Granularity, type HandWrittenSemantics, type KernelSpec } from '../../kernels/plan';
import type { ArgumentValue } from '../../kernels/program';
import { regularizer, type RegularizerSpec } from './catalog';
import type { ModuleClass } from './classes';
import { droppedLogits, uncoveredFusions } from './flow/findings';
import type { FileModel } from './model';
import { nodeRange, type Node } from './parser';
import { extractProgram } from './regularizer-program';
import type { RegularizerSemantics } from './semantics/record';
import { handWrittenRegularizers } from './semantics/regularizers';
import { CALL_NODES, findArgument, isTrueLiteral, mentionsTraining, numericLiteral, walk } from './syntax';
import { inferFileShape, inferFusionTokens, siteShape, type FusionTokens } from './shapes';
import type { Range } from './types';

export type SiteKind =
  | 'module'
  | 'call'
  | 'schedule'
  | 'fusion'
  | 'attention-logits'
  | 'hand-written'
  | 'implementation';

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
  /** Hand-written regularizers: the whole definition (findings of RG003–RG005 inside it belong to this site). */
  scope?: Range;
  /** Fusion sites: text and image token counts, and where they came from. */
  tokens?: FusionTokens;
  /** Why the site cannot be profiled (a keep probability that is not a number): the lens and CLI say it. */
  notProfiled?: string;
  /**
   * Implementation sites: the mask granularities the regularizer's name promises (drop path: one decision per sample).
   */
  expectedGranularity?: Granularity[];
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
  const root = model.file.root;
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
        sites.push(
          site(
            spec.form === 'module' ? 'module' : 'call',
            call,
            cls,
            kernelFor(spec, call, rate.value, options.numHeads ?? 12),
            rate.source,
            activeInEval(call, spec),
          ),
        );
        return;
      }
      if (qualified === 'torch.linspace') {
        const schedule = readSchedule(model, call, cls);
        if (schedule)
          sites.push(
            site(
              'schedule',
              call,
              cls,
              { kind: 'schedule', rate: schedule.rate, depth: schedule.depth },
              schedule.source,
            ),
          );
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
        sites.push(
          site('call', call, cls, kernelFor(spec, constructed, rate.value, options.numHeads ?? 12), rate.source),
        );
      }
    },
    CALL_NODES,
  );
  structureSites(model, sites, options.numHeads ?? 12);
  sites.push(...handWrittenSites(model));
  return sites.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
}

const sameRange = (a: Range, b: Range): boolean =>
  a.start.line === b.start.line &&
  a.start.character === b.start.character &&
  a.end.line === b.end.line &&
  a.end.character === b.end.character;

/** The drop rate of a site found by the walk, or of a rate the data flow read. */
function rateAt(
  sites: RegularizerSite[],
  node: Node,
  rate: { text: string; value?: number } | undefined,
): { site?: RegularizerSite; p: number; source: string } {
  const range = nodeRange(node);
  const site = sites.find((s) => sameRange(s.range, range));
  if (site && 'p' in site.kernel) return { site, p: site.kernel.p, source: site.rateSource };
  if (rate?.value !== undefined)
    return { p: rate.value, source: rate.text === String(rate.value) ? rate.text : `${rate.text}=${rate.value}` };
  return { p: ASSUMED_RATE, source: `\`${rate?.text ?? node.text}\` is not known statically; assumed ${ASSUMED_RATE}` };
}

/**
 * RG001 and RG009 sites: the findings of the rules, chosen by the same selectors (flow/findings.ts), so the lens
 * sits on the squiggle.
 */
function structureSites(model: FileModel, sites: RegularizerSite[], numHeads: number): void {
  if (!/drop/i.test(model.file.text)) return;
  const tokens = inferFusionTokens(model.file.text);
  const replace = (found: RegularizerSite | undefined, next: RegularizerSite) => {
    if (found) sites.splice(sites.indexOf(found), 1, next);
    else sites.push(next);
  };
  for (const cls of model.classes.values()) {
    for (const l of droppedLogits(model.forward, cls)) {
      const rate = rateAt(sites, l.drop.call, l.drop.rate);
      const found = rate.site;
      replace(found, {
        ...site(
          'attention-logits',
          l.drop.call,
          cls,
          { kind: 'attention-dropout', p: rate.p, numHeads, placement: 'logits' },
          rate.source,
        ),
        activeInEval: found?.activeInEval ?? false,
      });
    }
    for (const { drop } of uncoveredFusions(model.forward, cls)) {
      const rate = rateAt(sites, drop.call, drop.rate);
      replace(rate.site, {
        ...site(
          'fusion',
          drop.call,
          cls,
          { kind: 'fusion', p: rate.p, textTokens: tokens.text, placement: 'text-before-merge' },
          rate.source,
        ),
        activeInEval: rate.site?.activeInEval ?? false,
        tokens,
      });
    }
  }
}

/** A fusion kernel for a shape whose token count is not text + image: the text share is kept. */
export function fitToShape(site: RegularizerSite, shape: number[]): KernelSpec {
  const k = site.kernel;
  if (k.kind !== 'fusion' || !site.tokens || shape.length !== 3) return k;
  const total = site.tokens.text + site.tokens.image;
  if (shape[1] === total) return k;
  const text = Math.min(shape[1] - 1, Math.max(1, Math.round((shape[1] * site.tokens.text) / total)));
  return { ...k, textTokens: shape[1] > 1 ? text : 0 };
}

/** Hand-written regularizers, each profiled with the semantics the engine derived from its code. */
function handWrittenSites(model: FileModel): RegularizerSite[] {
  const all = handWrittenRegularizers(model);
  // A class's `forward` is the class's own semantics: one site, on the class.
  const inside = (s: RegularizerSemantics) =>
    all.some((o) => o !== s && o.node.startIndex <= s.node.startIndex && s.node.endIndex <= o.node.endIndex);
  return all
    .filter((s) => !inside(s))
    .flatMap((s) => {
      const name = s.node.childForFieldName('name') ?? s.node;
      const label = s.node.type === 'class_definition' ? `class ${name.text}` : `def ${name.text}(…)`;
      const mapped = handWrittenKernel(s);
      const defaults = Object.entries(s.defaults)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      const rateSource = `keep ${s.keepProbability.expression}${defaults ? ` (${defaults} default)` : ''}`;
      const base: RegularizerSite = {
        id: `hand-written:${s.name}:${s.node.text}`,
        kind: 'hand-written',
        range: nodeRange(name),
        scope: nodeRange(s.node),
        label,
        // A kernel that validates; `notProfiled` keeps it from running.
        kernel:
          typeof mapped === 'string'
            ? { kind: 'semantics', semantics: { granularity: 'element', keepProb: 1, trainScale: 1, evalFactor: 1 } }
            : mapped.kernel,
        rateSource: typeof mapped === 'string' ? rateSource : `${rateSource}${mapped.note}`,
        code: s.node.text,
        activeInEval: typeof mapped === 'string' ? false : mapped.activeInEval,
      };
      return [typeof mapped === 'string' ? { ...base, notProfiled: mapped } : base, implementationSite(model, s, base)];
    });
}

/**
 * The same regularizer profiled by running its own code in the profiler's interpreter (kernels/interpreter.ts):
 * what it really does, not what the symbolic semantics made of it.
 */
function implementationSite(model: FileModel, s: RegularizerSemantics, handWritten: RegularizerSite): RegularizerSite {
  const extracted = extractProgram(model, s.node);
  const base: RegularizerSite = {
    ...handWritten,
    id: `implementation:${s.name}:${s.node.text}`,
    kind: 'implementation',
    activeInEval: false,
    notProfiled: undefined,
  };
  if (typeof extracted === 'string') return { ...base, notProfiled: `not profiled: ${extracted}` };
  const keep = s.keepProbability.value;
  const rate = extracted.program.rate ?? (keep !== undefined && keep >= 0 && keep <= 1 ? 1 - keep : ASSUMED_RATE);
  const source =
    extracted.program.rate !== undefined
      ? 'from its arguments'
      : keep !== undefined
        ? `keep ${s.keepProbability.expression}`
        : `assumed ${ASSUMED_RATE}`;
  return {
    ...base,
    label: `${handWritten.label} (its code)`,
    kernel: { kind: 'program', name: s.name, program: extracted.program, rate },
    rateSource:
      `rate ${formatNumber(rate)} ` +
      `${source}${extracted.assumptions.length ? `; ${extracted.assumptions.join(', ')}` : ''}`,
    // An argument the call cannot be made without is known before anything runs: the lens says so.
    notProfiled: extracted.unsupported ?? missingArgument(extracted.program.args),
    expectedGranularity:
      s.kind === 'drop-path' && !s.target.isWeight ? (s.deliberateBatch ? ['sample', 'batch'] : ['sample']) : undefined,
  };
}

function missingArgument(args: Record<string, ArgumentValue>): string | undefined {
  for (const v of Object.values(args)) if (v !== null && typeof v === 'object' && 'missing' in v) return v.missing;
  return undefined;
}

/** `RegularizerSemantics` → the profiler's `HandWrittenSemantics`, or why it cannot be profiled. */
export function handWrittenKernel(
  s: RegularizerSemantics,
): { kernel: KernelSpec; activeInEval: boolean; note: string } | string {
  const g = s.mask.granularity;
  if (g === 'conditional')
    return (
      `The mask's granularity depends on \`${s.mask.byCondition?.condition ?? 'a condition'}\` ` +
      `(${s.mask.byCondition?.then} or ${s.mask.byCondition?.else}): profile each branch by rewriting it.`
    );
  if (g === 'unknown')
    return "The mask's shape could not be derived from the code, so there is no granularity to profile.";
  const keep = s.keepProbability.value;
  if (keep === undefined)
    return (
      `The keep probability \`${s.keepProbability.expression}\` is not a number Reglens can read (no ` +
      `default), so there is nothing to profile.`
    );
  const scale = s.trainScale.value;
  if (scale === undefined)
    return (
      `The training scale \`${s.trainScale.expression}\` is not a number Reglens can read (no default), so ` +
      `there is nothing to profile.`
    );
  let evalFactor = 1;
  let note = '';
  switch (s.evaluation.behaviour) {
    case 'scaled':
      if (s.evaluation.factor?.value === undefined)
        return (
          `The evaluation factor \`${s.evaluation.factor?.expression ?? '?'}\` is not a number Reglens can ` +
          `read, so there is nothing to profile.`
        );
      evalFactor = s.evaluation.factor.value;
      break;
    case 'caller':
      note = '; evaluation left to the caller, profiled as identity';
      break;
    case 'unknown':
      note = '; evaluation not determined, profiled as identity';
      break;
    default:
      break;
  }
  const semantics: HandWrittenSemantics = { granularity: g, keepProb: keep, trainScale: scale, evalFactor };
  return { kernel: { kind: 'semantics', semantics }, activeInEval: s.evaluation.behaviour === 'stochastic', note };
}

/**
 * Whether a functional call keeps dropping in evaluation: its training flag is absent with a True default, or literally
 * true; for `dropout_p` (no flag), the rate does not mention `training`.
 */
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

function site(
  kind: SiteKind,
  node: Node,
  cls: ModuleClass | undefined,
  kernel: KernelSpec,
  rateSource: string,
  activeInEval = false,
): RegularizerSite {
  const code = node.text;
  const label = code.length > 60 ? `${code.slice(0, 57)}…` : code;
  return {
    id: `${kind}:${cls?.name ?? ''}:${code}`,
    kind,
    range: nodeRange(node),
    label: label.replace(/\s+/g, ' '),
    className: cls?.name,
    kernel,
    rateSource,
    code,
    activeInEval,
  };
}

function firstConstruction(model: FileModel, value: Node): Node | undefined {
  let found: Node | undefined;
  walk(
    value,
    (n) => {
      if (found) return false;
      if (regularizer(model.imports.resolve(n.childForFieldName('function')))?.form === 'module') found = n;
    },
    CALL_NODES,
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
  if (arg === 'unknown')
    return { value: ASSUMED_RATE, source: `${spec.rate.name} passed through *args/**kwargs; assumed ${ASSUMED_RATE}` };
  const resolved = resolveNumber(model, arg.node, cls, 0);
  // A rate outside [0, 1] is kept: the profiler refuses it with the reason (PyTorch raises at that call).
  if (resolved) return resolved;
  return { value: ASSUMED_RATE, source: `\`${arg.node.text}\` is not known statically; assumed ${ASSUMED_RATE}` };
}

function readSchedule(
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
  const pattern = new RegExp(
    `^${fields ? '[ \\t]*' : ''}${escaped}[ \\t]*(?::[^=\\n]+)?=[ \\t]*(-?[0-9][0-9_.eE+-]*)[ \\t]*(?:#.*)?$`,
    'm',
  );
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
    if (site.tokens && choice === shapes.inferred) {
      // Fusion sites run on the merged sequence: text + image tokens.
      const [batch, , channels] = choice.shape;
      return {
        site,
        shape: [batch, site.tokens.text + site.tokens.image, channels],
        shapeSource: `${choice.source}; ${site.tokens.source}`,
      };
    }
    return {
      site: { ...site, kernel: fitToShape(site, choice.shape) },
      shape: choice.shape,
      shapeSource: choice.source,
    };
  });
}

/** Fixed per site: the same code profiles to the same figures. */
export function siteSeed(site: RegularizerSite): number {
  let h = 2166136261;
  for (let i = 0; i < site.code.length; i++) h = Math.imul(h ^ site.code.charCodeAt(i), 16777619) >>> 0;
  return h % 1_000_000_007;
}
