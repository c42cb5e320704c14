/**
 * The profiler in the language server: code lenses above every regularizer site, the commands that run them in
 * the worker (kernels/host.ts), the results cache, and the hover table. Kernels never run in this process; a
 * worker that crashes or hangs is restarted and the server keeps serving diagnostics.
 */
import {
  CodeLensRefreshRequest,
  MarkupKind,
  MessageType,
  ShowMessageNotification,
  type CancellationToken,
  type CodeLens,
  type Connection,
  type Hover,
  type Position,
} from 'vscode-languageserver/node';
import { chartMarkdown, implementationEvidence, markdownTable, summaryLine } from '../../kernels/format';
import { DEFAULT_PROFILER_OPTIONS, ProfileError, ProfilerHost, type BackendInfo, type ProfilerOptions } from '../../kernels/host';
import type { BackendSetting } from '../../kernels/backends';
import { describeKernel, validateRequest } from '../../kernels/plan';
import type { ProfileResult } from '../../kernels/profile-result';
import type { FileModel } from '../engine/model';
import { fitToShape, planSites, siteSeed, type PlannedSite, type RegularizerSite } from '../engine/sites';
import { parseShape } from '../engine/shapes';
import type { Finding, Range } from '../engine/types';
import type { OpenDocument } from './documents';

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character <= q.character);
  return before(a.start, b.end) && before(b.start, a.end);
}

function contains(outer: Range, inner: Range): boolean {
  const le = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character <= q.character);
  return le(outer.start, inner.start) && le(inner.end, outer.end);
}

const ANNOTATED: Partial<Record<RegularizerSite['kind'], readonly string[]>> = {
  fusion: ['RG001'],
  'attention-logits': ['RG009'],
  'hand-written': ['RG003', 'RG004', 'RG005'],
  implementation: ['RG003', 'RG004', 'RG005'],
};

function annotates(site: RegularizerSite, code: string): boolean {
  return (site.kind === 'hand-written' || site.kind === 'implementation' ? ANNOTATED[site.kind]! : [...(ANNOTATED[site.kind] ?? []), 'RG006', 'RG008']).includes(code);
}

/** The lens of a hand-written regularizer's own code before it runs. */
export const IMPLEMENTATION_LENS_TITLE = 'Profile this implementation (train/eval)';

/** The measured figure a finding gets, or undefined when the profile does not bear on it. */
function measuredFigure(code: string, site: RegularizerSite, r: ProfileResult): string | undefined {
  const where = `${r.backend}, shape [${r.shape.join(', ')}]`;
  if (r.implementation) {
    const evidence = implementationEvidence(r, site.expectedGranularity);
    const sentence = code === 'RG003' ? evidence.granularity : evidence.expectation;
    return sentence ? `Measured by running its code: ${sentence} (${where}).` : undefined;
  }
  switch (code) {
    case 'RG006':
      return r.eval.identity ? undefined : `Measured in evaluation: ${pct(r.eval.droppedFraction)} of values dropped (${where}).`;
    case 'RG008':
      return `Measured in training: ${pct(r.train.droppedFraction)} of values dropped (99.9% interval ${pct(r.train.interval[0])}–${pct(r.train.interval[1])}; ${where}).`;
    case 'RG001': {
      const f = r.fusion;
      if (!f) return undefined;
      const after = f.alternatives.find((a) => a.placement === 'after-merge');
      return `Measured in training: ${pct(f.text.droppedFraction)} of the ${f.text.tokens} text tokens' values and ${pct(f.image.droppedFraction)} of the ${f.image.tokens} image tokens' values dropped${after ? `; after the merge: ${pct(after.text.droppedFraction)} and ${pct(after.image.droppedFraction)}` : ''} (${where}).`;
    }
    case 'RG009':
      return r.kernel.kind === 'attention-dropout' ? `Measured in training: ${pct(r.train.droppedFraction)} of attention probabilities dropped at p=${r.kernel.p} (${where}).` : undefined;
    case 'RG003': {
      if (r.kernel.kind !== 'semantics') return undefined;
      const g = r.kernel.semantics.granularity;
      if (g === 'batch') return `Measured in training: one decision per batch, ${r.train.units} decisions for ${r.train.units * r.shape[0]} samples; ${pct(r.train.samplesDroppedWhole)} of samples dropped whole (${where}).`;
      if (g === 'element' || g === 'channel') {
        if (!(r.train.samplesDroppedWhole < r.train.droppedFraction / 2)) return undefined;
        return `Measured in training: ${pct(r.train.droppedFraction)} of values dropped but ${pct(r.train.samplesDroppedWhole)} of samples dropped whole (${where}).`;
      }
      return undefined;
    }
    case 'RG004':
    case 'RG005': {
      if (r.kernel.kind !== 'semantics') return undefined;
      // E[y]/E[x] in training is keep × scale: its interval follows from the drop fraction's 99.9 % interval.
      const scale = r.kernel.semantics.trainScale;
      const lo = Math.min((1 - r.train.interval[1]) * scale, r.train.meanRatio);
      const hi = Math.max((1 - r.train.interval[0]) * scale, r.train.meanRatio);
      if (r.eval.meanRatio >= lo && r.eval.meanRatio <= hi) return undefined;
      return `Measured: E[y]/E[x] = ${r.train.meanRatio.toFixed(3)} in training (99.9% interval ${lo.toFixed(3)}–${hi.toFixed(3)}) vs ${r.eval.meanRatio.toFixed(3)} in evaluation (${where}).`;
    }
    default:
      return undefined;
  }
}

export const PROFILE_SITE_COMMAND = 'reglens.profileSite';
export const PROFILE_FILE_COMMAND = 'reglens.profileFile';
export const PROFILER_BACKENDS_COMMAND = 'reglens.profilerBackends';
/** A client-side command (client/extension.ts): asks for a shape, then runs PROFILE_SITE_COMMAND with it. */
export const PICK_SHAPE_COMMAND = 'reglens.profileSiteWithShape';
export const SERVER_COMMANDS = [PROFILE_SITE_COMMAND, PROFILE_FILE_COMMAND, PROFILER_BACKENDS_COMMAND];
/** Server → client: the worker's backend and every backend's availability, for the status bar. */
export const PROFILER_STATUS_NOTIFICATION = 'reglens/profilerStatus';

export interface ProfilerSettings extends ProfilerOptions {
  shape?: number[];
}

const BACKENDS: readonly BackendSetting[] = ['auto', 'cuda', 'webgpu', 'wasm', 'cpu'];

/** `reglens.profiler` settings, validated; anything invalid falls back to its default. */
export function readProfilerSettings(raw: unknown): ProfilerSettings {
  const section = (raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {}) as Record<string, unknown>;
  const backend = BACKENDS.includes(section.backend as BackendSetting) ? (section.backend as BackendSetting) : DEFAULT_PROFILER_OPTIONS.backend;
  const timeoutMs = typeof section.timeoutMs === 'number' && section.timeoutMs > 0 ? section.timeoutMs : DEFAULT_PROFILER_OPTIONS.timeoutMs;
  const budgetMB = typeof section.memoryBudgetMB === 'number' && section.memoryBudgetMB > 0 ? section.memoryBudgetMB : DEFAULT_PROFILER_OPTIONS.memoryBudgetBytes / 1024 ** 2;
  const shape = Array.isArray(section.shape) && section.shape.length > 0 ? parseShape(section.shape.join(',')) : undefined;
  return { backend, timeoutMs, memoryBudgetBytes: budgetMB * 1024 ** 2, shape };
}

interface SiteEntry extends PlannedSite {
  key: string;
}

export interface ProfilingHooks {
  document(uri: string): OpenDocument | undefined;
  /** The `reglens.profiler` section for a document (pulled or pushed). */
  settings(uri: string): Promise<unknown>;
  codeLensRefresh: boolean;
  workDoneProgress: boolean;
  /** The client's workspace trust (initializationOptions.workspaceTrusted); untrusted: no native backend is loaded. */
  trusted: boolean;
  logError(what: string, error: unknown): void;
  /** Re-publishes a document's diagnostics (a new profile adds its figures to them). */
  republish(uri: string): void;
}

export class ProfilingService {
  private host: ProfilerHost | undefined;
  private hostKey = '';
  /** Results keyed by (site code, kernel, shape, eval mode, backend setting): an edited site misses. */
  private readonly results = new Map<string, ProfileResult>();
  private readonly running = new Map<string, Promise<ProfileResult>>();
  private lastStatus: BackendInfo | undefined;
  /** Settings last read per document, so diagnostics (published synchronously) find their cached profiles. */
  private readonly lastSettings = new Map<string, ProfilerSettings>();

  constructor(
    private readonly connection: Connection,
    private readonly hooks: ProfilingHooks,
  ) {}

  dispose(): void {
    this.host?.dispose();
    this.host = undefined;
  }

  // ---- lenses and hover -----------------------------------------------------------------------------------------

  /** Planned sites per model (one per text version) and shape setting: lenses, hovers and runs share them. */
  private readonly planned = new WeakMap<FileModel, Map<string, PlannedSite[]>>();

  private sites(doc: OpenDocument, settings: ProfilerSettings): SiteEntry[] {
    this.lastSettings.set(doc.uri, settings);
    const model = doc.model;
    if (!model) return [];
    let byShape = this.planned.get(model);
    if (!byShape) this.planned.set(model, (byShape = new Map()));
    const shapeKey = JSON.stringify(settings.shape ?? null);
    let plans = byShape.get(shapeKey);
    if (!plans) byShape.set(shapeKey, (plans = planSites(model, settings.shape)));
    return plans.map((p) => ({ ...p, key: this.keyOf(p, settings) }));
  }

  private keyOf(p: PlannedSite, settings: ProfilerSettings): string {
    return JSON.stringify([p.site.code, p.site.kernel, p.shape, p.site.activeInEval, settings.backend]);
  }

  async codeLenses(uri: string): Promise<CodeLens[]> {
    const doc = this.hooks.document(uri);
    if (!doc) return [];
    const settings = readProfilerSettings(await this.hooks.settings(uri));
    const lenses: CodeLens[] = [];
    for (const entry of this.sites(doc, settings)) {
      const range = { start: entry.site.range.start, end: entry.site.range.start };
      const result = this.results.get(entry.key);
      const args = [uri, entry.site.id];
      const problem = entry.site.notProfiled ?? validateRequest({ kernel: entry.site.kernel, shape: entry.shape, seed: 0 });
      if (problem) {
        // Nothing to run: say why in the lens itself (a click shows it again as a message).
        lenses.push({ range, command: { title: problem.startsWith('not profiled:') ? problem : `Not profiled: ${problem}`, command: PROFILE_SITE_COMMAND, arguments: args } });
        continue;
      }
      const idle = entry.site.kind === 'implementation' ? IMPLEMENTATION_LENS_TITLE : 'Profile train/eval';
      lenses.push({
        range,
        command: {
          title: result ? summaryLine(result) : this.running.has(entry.key) ? 'Profiling…' : idle,
          command: PROFILE_SITE_COMMAND,
          arguments: args,
        },
      });
      lenses.push({ range, command: { title: `shape [${entry.shape.join(', ')}]…`, command: PICK_SHAPE_COMMAND, arguments: [uri, entry.site.id, entry.shape] } });
    }
    return lenses;
  }

  async hover(doc: OpenDocument, position: Position): Promise<Hover | null> {
    const settings = readProfilerSettings(await this.hooks.settings(doc.uri));
    // A hand-written regularizer has two sites on its name (derived semantics, its own code): both profiles show.
    const sections: string[] = [];
    let range: Range | undefined;
    for (const entry of this.sites(doc, settings)) {
      const { start, end } = entry.site.range;
      const inside = (position.line > start.line || (position.line === start.line && position.character >= start.character)) && (position.line < end.line || (position.line === end.line && position.character <= end.character));
      if (!inside) continue;
      const result = this.results.get(entry.key);
      if (!result) continue;
      const evidence = implementationEvidence(result, entry.site.expectedGranularity);
      const warnings = [evidence.expectation && `**Train and eval differ:** ${evidence.expectation}.`, evidence.granularity && `**Granularity:** ${evidence.granularity}.`].filter((w): w is string => !!w);
      sections.push(
        [
          `**Reglens profile: ${describeKernel(result.kernel)}**, shape [${result.shape.join(', ')}] (${entry.shapeSource}; ${entry.site.rateSource})`,
          summaryLine(result),
          ...warnings,
          markdownTable(result),
          chartMarkdown(result),
        ].join('\n\n'),
      );
      range ??= entry.site.range;
    }
    if (sections.length === 0) return null;
    return { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') }, range };
  }

  /**
   * Adds measured figures to diagnostics that a profile of the same site confirms: RG006 (active in eval) gets
   * what evaluation really drops, RG008 (suspicious rate) what training really drops, RG001 the coverage of each
   * modality, RG009 the probabilities really dropped, and RG003–RG005 (inside a profiled hand-written regularizer)
   * the samples dropped whole or the train vs eval means, when the measurement contradicts the intent.
   */
  annotator(doc: OpenDocument): (finding: Finding) => Finding {
    const settings = this.lastSettings.get(doc.uri);
    if (!settings || this.results.size === 0 || !doc.sourceFile) return (f) => f;
    const profiled = this.sites(doc, settings).flatMap((e) => {
      const result = this.results.get(e.key);
      return result ? [{ site: e.site, result }] : [];
    });
    if (profiled.length === 0) return (f) => f;
    return (finding) => {
      // A hand-written regularizer has two profiled sites (derived semantics, its own code): each may add a figure.
      const figures = profiled
        .filter((p) => (p.site.scope ? contains(p.site.scope, finding.range) : overlaps(p.site.range, finding.range)) && annotates(p.site, finding.code))
        .map((p) => measuredFigure(finding.code, p.site, p.result))
        .filter((f): f is string => !!f);
      return figures.length ? { ...finding, message: `${finding.message} ${figures.join(' ')}` } : finding;
    };
  }

  // ---- commands -------------------------------------------------------------------------------------------------

  async executeCommand(command: string, args: unknown[], token: CancellationToken): Promise<unknown> {
    switch (command) {
      case PROFILE_SITE_COMMAND: {
        const [uri, siteId, shapeArg] = args as [string, string, unknown];
        const shape = Array.isArray(shapeArg) ? parseShape(shapeArg.join(',')) : typeof shapeArg === 'string' ? parseShape(shapeArg) : undefined;
        if (shapeArg !== undefined && shapeArg !== null && !shape) return { error: `"${String(shapeArg)}" is not a shape such as [8, 256, 768].` };
        return this.profileSite(uri, siteId, shape, token);
      }
      case PROFILE_FILE_COMMAND:
        return this.profileFile(String(args[0]), token);
      case PROFILER_BACKENDS_COMMAND:
        return this.backends(String(args[0] ?? ''));
      default:
        return undefined;
    }
  }

  private async hostFor(uri: string): Promise<{ host: ProfilerHost; settings: ProfilerSettings }> {
    const settings = { ...readProfilerSettings(await this.hooks.settings(uri)), trusted: this.hooks.trusted };
    const key = JSON.stringify([settings.backend, settings.timeoutMs, settings.memoryBudgetBytes, settings.trusted]);
    if (!this.host) {
      this.host = new ProfilerHost(settings);
      this.host.onWorkerProblem = (message) => void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `Reglens: ${message}` });
      this.host.onReady = (info) => {
        this.lastStatus = info;
        void this.connection.sendNotification(PROFILER_STATUS_NOTIFICATION, info);
        if (info.fallback) void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `Reglens profiler: ${info.fallback}; using ${info.backend} (${info.device}).` });
      };
    } else if (key !== this.hostKey) this.host.configure(settings);
    this.hostKey = key;
    return { host: this.host, settings };
  }

  private async backends(uri: string): Promise<BackendInfo | { error: string }> {
    const { host } = await this.hostFor(uri);
    try {
      return await host.backends();
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Profiles one site; answers the result (or `{ error }`) and refreshes the lenses. */
  async profileSite(uri: string, siteId: string, shape: number[] | undefined, token?: CancellationToken): Promise<ProfileResult | { error: string }> {
    const doc = this.hooks.document(uri);
    if (!doc) return { error: `${uri} is not open.` };
    const { host, settings } = await this.hostFor(uri);
    const entry = this.sites(doc, settings).find((e) => e.site.id === siteId);
    if (!entry) return { error: 'That regularizer site is no longer in the file; the lenses were out of date.' };
    if (entry.site.notProfiled) return { error: entry.site.notProfiled };
    if (shape) {
      entry.shape = shape;
      entry.site = { ...entry.site, kernel: fitToShape(entry.site, shape) };
      entry.key = this.keyOf(entry, settings);
    }
    const controller = new AbortController();
    const listener = token?.onCancellationRequested(() => controller.abort());
    try {
      return await this.run(host, entry, controller.signal);
    } catch (e) {
      const message = e instanceof ProfileError ? e.message : String(e);
      if (!(e instanceof ProfileError && e.kind === 'cancelled')) void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `Reglens: ${entry.site.label}: ${message}` });
      return { error: message };
    } finally {
      listener?.dispose();
      this.refreshLenses();
    }
  }

  private run(host: ProfilerHost, entry: SiteEntry, signal: AbortSignal): Promise<ProfileResult> {
    const existing = this.running.get(entry.key);
    if (existing) return existing;
    const promise = host
      .profile({ kernel: entry.site.kernel, shape: entry.shape, seed: siteSeed(entry.site), activeInEval: entry.site.activeInEval }, signal)
      .then((result) => {
        this.results.set(entry.key, result);
        for (const uri of this.lastSettings.keys()) this.hooks.republish(uri);
        return result;
      })
      .finally(() => {
        this.running.delete(entry.key);
      });
    this.running.set(entry.key, promise);
    this.refreshLenses();
    return promise;
  }

  /** Every site of the file, with a cancellable progress notification when the client supports it. */
  private async profileFile(uri: string, token: CancellationToken): Promise<{ profiled: number; failed: string[]; cancelled: boolean }> {
    const doc = this.hooks.document(uri);
    if (!doc) return { profiled: 0, failed: [`${uri} is not open.`], cancelled: false };
    const { host, settings } = await this.hostFor(uri);
    // Sites that cannot run say why in their lens; they are not failures.
    const entries = this.sites(doc, settings).filter((e) => !e.site.notProfiled);
    const progress = this.hooks.workDoneProgress ? await this.connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
    progress?.begin('Reglens: profiling regularizers', 0, `0/${entries.length} sites`, true);
    const controller = new AbortController();
    const listeners = [token.onCancellationRequested(() => controller.abort()), progress?.token.onCancellationRequested(() => controller.abort())];
    const failed: string[] = [];
    let profiled = 0;
    try {
      for (const [i, entry] of entries.entries()) {
        if (controller.signal.aborted) break;
        progress?.report(Math.round((i / Math.max(1, entries.length)) * 100), `${i}/${entries.length} sites: ${entry.site.label}`);
        try {
          await this.run(host, entry, controller.signal);
          profiled++;
        } catch (e) {
          if (e instanceof ProfileError && e.kind === 'cancelled') break;
          failed.push(`${entry.site.label}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      for (const l of listeners) l?.dispose();
      progress?.done();
      this.refreshLenses();
    }
    if (failed.length) void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `Reglens: ${failed.length} site(s) could not be profiled: ${failed.join('; ')}` });
    return { profiled, failed, cancelled: controller.signal.aborted };
  }

  private refreshLenses(): void {
    if (this.hooks.codeLensRefresh) this.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  }

  get status(): BackendInfo | undefined {
    return this.lastStatus;
  }
}
