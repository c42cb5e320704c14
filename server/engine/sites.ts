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
import { regularizer } from './catalog';
import type { ModuleClass } from './classes';
import { droppedLogits, uncoveredFusions } from './flow/findings';
import type { FileModel } from './model';
import { nodeRange, type Node } from './parser';
import {
  regularizerCode,
  regularizerConstructions,
  type AppliedLibraryRegularizer,
  type RegularizerClass,
  type RegularizerCode,
  type RegularizerConstruction,
} from './construction-sites';
import { withInitArguments } from './regularizer-program';
import type { RegularizerSemantics } from './semantics/record';
import { handWrittenRegularizers } from './semantics/regularizers';
import { activeInEval, ASSUMED_RATE, kernelFor, readRate, readSchedule, skippedInEvaluation } from './site-kernels';
import { CALL_NODES, walk } from './syntax';
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
  /**
   * Hand-written regularizers: the whole definition (findings of RG003–RG005 inside it belong to this site), at the
   * definition and, for a class of the same file, at each construction.
   */
  scope?: Range;
  /** A construction of a regularizer class of the workspace (construction-sites.ts): the class it builds. */
  builds?: string;
  /** Fusion sites: text and image token counts, and where they came from. */
  tokens?: FusionTokens;
  /** Why the site cannot be profiled (a keep probability that is not a number): the lens and CLI say it. */
  notProfiled?: string;
  /**
   * Implementation sites: the mask granularities the regularizer's name promises (drop path: one decision per sample).
   */
  expectedGranularity?: Granularity[];
}

export interface SiteOptions {
  numHeads?: number;
  /** Regularizer classes of other workspace files, by the name the file imports (`.drop_path.DropPath`). */
  imported?: (importedName: string) => RegularizerClass | null;
}

export function findSites(model: FileModel, options: SiteOptions = {}): RegularizerSite[] {
  const sites: RegularizerSite[] = [];
  const seen = new Set<number>();
  const root = model.file.root;
  walk(
    root,
    (call) => {
      if (seen.has(call.id)) return;
      const fn = call.childForFieldName('function');
      const qualified = model.imports.resolve(fn);
      // Whatever its base (a class of another file or library may be the nn.Module), `self.x` reads the same.
      const cls = model.enclosingClass(call);
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
            activeInEval(call, spec) && !skippedInEvaluation(call, cls),
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
  sites.push(...constructionSites(model, options.numHeads ?? 12, options.imported));
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

/** A kernel that validates, for a site whose `notProfiled` keeps it from running or whose kernel comes later. */
const HOLDER_KERNEL: KernelSpec = {
  kind: 'semantics',
  semantics: { granularity: 'element', keepProb: 1, trainScale: 1, evalFactor: 1 },
};

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
        kernel: typeof mapped === 'string' ? HOLDER_KERNEL : mapped.kernel,
        rateSource: typeof mapped === 'string' ? rateSource : `${rateSource}${mapped.note}`,
        code: s.node.text,
        activeInEval: typeof mapped === 'string' ? false : mapped.activeInEval,
      };
      const implementation = implementationSite(regularizerCode(model, s), base);
      return [typeof mapped === 'string' ? { ...base, notProfiled: mapped } : base, implementation];
    });
}

/**
 * The same regularizer profiled by running its own code in the profiler's interpreter (kernels/interpreter.ts):
 * what it really does, not what the symbolic semantics made of it. At a construction of the class, `__init__` gets
 * the construction's arguments.
 */
function implementationSite(
  code: RegularizerCode,
  handWritten: RegularizerSite,
  construction?: RegularizerConstruction,
): RegularizerSite {
  const extracted =
    typeof code.extracted === 'string' || !construction
      ? code.extracted
      : withInitArguments(code.extracted, construction.passed);
  const base: RegularizerSite = {
    ...handWritten,
    id: construction ? handWritten.id : `implementation:${code.name}:${handWritten.code}`,
    kind: 'implementation',
    activeInEval: false,
    notProfiled: undefined,
  };
  if (typeof extracted === 'string') return { ...base, notProfiled: `not profiled: ${extracted}` };
  const keep = code.keep.value;
  const rate = extracted.program.rate ?? (keep !== undefined && keep >= 0 && keep <= 1 ? 1 - keep : ASSUMED_RATE);
  const source =
    extracted.program.rate !== undefined
      ? 'from its arguments'
      : keep !== undefined
        ? `keep ${code.keep.expression}`
        : `assumed ${ASSUMED_RATE}`;
  // At a construction: what it passes, then what had to be assumed; else the definition's own defaults.
  const passed = construction ? passedText(construction) : '';
  const detail = construction
    ? [passed, ...extracted.assumptions].filter(Boolean).join('; ') || 'from its defaults'
    : `${source}${extracted.assumptions.length ? `; ${extracted.assumptions.join(', ')}` : ''}`;
  return {
    ...base,
    label: `${handWritten.label} (its code)`,
    kernel: { kind: 'program', name: code.name, program: extracted.program, rate },
    rateSource: `rate ${formatNumber(rate)}${construction ? ':' : ''} ${detail}`,
    // An argument the call cannot be made without is known before anything runs: the lens says so.
    notProfiled: extracted.unsupported ?? missingArgument(extracted.program.args),
    expectedGranularity: code.expectedGranularity,
  };
}

/** `drop_prob ← drop_path=0.1 (default)`: the numbers a construction passes, by parameter. */
function passedText(construction: RegularizerConstruction): string {
  return [...construction.passed]
    .flatMap(([name, a]) => ('value' in a.value ? [`${name} ← ${a.value.source}`] : []))
    .join(', ');
}

/** A library regularizer's rate at a construction of its wrapper: the argument for the rate's parameter, if passed. */
function rateAtConstruction(applies: AppliedLibraryRegularizer, construction: RegularizerConstruction) {
  const parameter = applies.rateParameter;
  const passed = parameter && construction.passed.get(parameter.name);
  if (!passed) return applies.rate;
  if ('value' in passed.value)
    return { value: passed.value.value, source: `${parameter.chain} ← ${passed.value.source}` };
  return { value: ASSUMED_RATE, source: `${passed.value.unknown} is not known statically; assumed ${ASSUMED_RATE}` };
}

/**
 * Sites at the constructions of the workspace's regularizer classes (construction-sites.ts): a hand-written one runs
 * its code with the construction's arguments; a wrapper of a library regularizer is that regularizer at the rate
 * they give. The site's code holds the class's too, so that a cached profile goes when either changes.
 */
function constructionSites(
  model: FileModel,
  numHeads: number,
  imported?: (importedName: string) => RegularizerClass | null,
): RegularizerSite[] {
  return regularizerConstructions(model, imported).map((c) => {
    const code = `${c.call.text}\n${c.definition.text}`;
    const applies = c.definition.applies;
    if (applies.kind === 'library') {
      const rate = rateAtConstruction(applies, c);
      const kernel: KernelSpec =
        applies.kernel.kind === 'attention-dropout'
          ? { ...applies.kernel, p: rate.value, numHeads }
          : { ...applies.kernel, p: rate.value };
      const built = site('module', c.call, c.enclosing, kernel, rate.source);
      return { ...built, code, activeInEval: applies.activeInEval, builds: c.definition.name };
    }
    const at = site('implementation', c.call, c.enclosing, HOLDER_KERNEL, '');
    const scope = c.local && nodeRange(c.local);
    return implementationSite(applies, { ...at, code, scope, builds: c.definition.name }, c);
  });
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

/** A site with the shape and seed it is profiled at. */
export interface PlannedSite {
  site: RegularizerSite;
  shape: number[];
  shapeSource: string;
}

/** Every site of a file with its shape: comment, then setting, then the file's config defaults. */
export function planSites(
  model: FileModel,
  settingShape?: number[],
  imported?: SiteOptions['imported'],
): PlannedSite[] {
  const shapes = inferFileShape(model.file.text);
  const lines = model.file.text.split(/\r?\n/);
  return findSites(model, { numHeads: shapes.numHeads, imported }).map((site) => {
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
