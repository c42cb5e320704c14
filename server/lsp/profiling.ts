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
import { chartMarkdown, implementationEvidence, markdownTable, resultLine } from '../../kernels/format';
import {
  DEFAULT_PROFILER_OPTIONS,
  ProfileError,
  ProfilerHost,
  type BackendInfo,
  type ProfilerOptions,
} from '../../kernels/host';
import type { BackendSetting } from '../../kernels/backends';
import { bytesNeeded, describeKernel, validateRequest } from '../../kernels/plan';
import type { ProfileResult } from '../../kernels/profile-result';
import type { RegularizerClass } from '../engine/construction-sites';
import type { FileModel } from '../engine/model';
import { fitToShape, planSites, siteSeed, type PlannedSite, type RegularizerSite } from '../engine/sites';
import { parseShape } from '../engine/shapes';
import type { Rule } from '../engine/rule';
import type { Finding, Range } from '../engine/types';
import type { OpenDocument } from './documents';
import {
  OPEN_SETTINGS_NOTIFICATION,
  PICK_SHAPE_COMMAND,
  PROFILER_STATUS_NOTIFICATION,
  SERVER_COMMANDS,
  type OpenSettings,
  type ProfilerStatus,
  type ShapeChoice,
} from './protocol';

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) =>
    p.line < q.line || (p.line === q.line && p.character <= q.character);
  return before(a.start, b.end) && before(b.start, a.end);
}

/** Does a finding belong to a site: inside a hand-written regularizer's definition, or on the site itself? */
function siteHas(site: RegularizerSite, finding: Range): boolean {
  return site.scope ? contains(site.scope, finding) : overlaps(site.range, finding);
}

function contains(outer: Range, inner: Range): boolean {
  const le = (p: Range['start'], q: Range['start']) =>
    p.line < q.line || (p.line === q.line && p.character <= q.character);
  return le(outer.start, inner.start) && le(inner.end, outer.end);
}

/** The lens of a hand-written regularizer's own code before it runs. */
export const IMPLEMENTATION_LENS_TITLE = 'Profile this implementation (train/eval)';

/** The rule's measured figure for a finding on this site (the rule's `meta.profile`), if it has one. */
function measuredFigure(rule: Rule | undefined, site: RegularizerSite, result: ProfileResult): string | undefined {
  const profile = rule?.meta.profile;
  if (!profile?.sites.includes(site.kind)) return undefined;
  // A construction's figure is about the class it builds, measured as built there: it says which construction.
  const built = site.builds
    ? `as built by \`${site.label.replace(/ \(its code\)$/, '')}\` on line ${site.range.start.line + 1}, `
    : '';
  const where = `${built}${result.backend}, shape [${result.shape.join(', ')}]`;
  return profile.phrase({ result, where, implementation: implementationEvidence(result, site.expectedGranularity) });
}

export interface ProfilerSettings extends ProfilerOptions {
  shape?: number[];
}

/** `reglens.codeLens`: a lens at every site, only at sites with a finding, or none. */
export type LensMode = 'all' | 'findings' | 'off';

export function readLensMode(section: unknown): LensMode {
  const mode = (section as { codeLens?: unknown } | null | undefined)?.codeLens;
  return mode === 'findings' || mode === 'off' ? mode : 'all';
}

/** Shapes the shape lens offers, each only when it fits the memory budget. */
const SHAPE_PRESETS: readonly number[][] = [
  [8, 256, 768],
  [8, 197, 384],
  [32, 197, 768],
  [8, 1024, 768],
  [64, 1024, 1024],
];

const BACKENDS: readonly BackendSetting[] = ['auto', 'cuda', 'webgpu', 'wasm', 'cpu'];

/** `reglens.profiler` settings, validated; anything invalid falls back to its default. */
export function readProfilerSettings(raw: unknown): ProfilerSettings {
  const section = (raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {}) as Record<string, unknown>;
  const backend = BACKENDS.includes(section.backend as BackendSetting)
    ? (section.backend as BackendSetting)
    : DEFAULT_PROFILER_OPTIONS.backend;
  const timeoutMs =
    typeof section.timeoutMs === 'number' && section.timeoutMs > 0
      ? section.timeoutMs
      : DEFAULT_PROFILER_OPTIONS.timeoutMs;
  const budgetMB =
    typeof section.memoryBudgetMB === 'number' && section.memoryBudgetMB > 0
      ? section.memoryBudgetMB
      : DEFAULT_PROFILER_OPTIONS.memoryBudgetBytes / 1024 ** 2;
  // One value as the Settings editor writes it (`8, 256, 768`), or a list written in settings.json by hand.
  const shape =
    typeof section.shape === 'string'
      ? parseShape(section.shape)
      : Array.isArray(section.shape) && section.shape.length > 0
        ? parseShape(section.shape.join(','))
        : undefined;
  return { backend, timeoutMs, memoryBudgetBytes: budgetMB * 1024 ** 2, shape };
}

interface PlannedSites {
  plans: PlannedSite[];
  /** The classes of other files the planning looked up, as it found them. */
  imported: Map<string, RegularizerClass | null>;
}

interface SiteEntry extends PlannedSite {
  key: string;
}

export interface ProfilingHooks {
  document(uri: string): OpenDocument | undefined;
  /**
   * The regularizer classes a document imports from other workspace files, by imported name (the workspace index):
   * their constructions get sites. The same class is the same object until its file changes.
   */
  regularizerClasses(uri: string): (importedName: string) => RegularizerClass | null;
  /** The `reglens` section for a document (pulled or pushed): `profiler` and `codeLens`. */
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
  /** Sites clicked whose run has not reached the worker yet (`uri site-id`): their lens says "Profiling…" at once. */
  private readonly starting = new Set<string>();
  private lastStatus: BackendInfo | undefined;
  /** Settings last read per document, so diagnostics (published synchronously) find their cached profiles. */
  private readonly lastSettings = new Map<string, ProfilerSettings>();

  constructor(
    private readonly connection: Connection,
    private readonly hooks: ProfilingHooks,
    private readonly rules: ReadonlyMap<string, Rule>,
  ) {}

  dispose(): void {
    this.host?.dispose();
    this.host = undefined;
  }

  // ---- lenses and hover -----------------------------------------------------------------------------------------

  /**
   * Planned sites per model (one per text version) and shape setting: lenses, hovers and runs share them. They hold
   * while every class imported from another file that the planning looked up is still the same (`imported`).
   */
  private readonly planned = new WeakMap<FileModel, Map<string, PlannedSites>>();

  private sites(doc: OpenDocument, settings: ProfilerSettings): SiteEntry[] {
    this.lastSettings.set(doc.uri, settings);
    const model = doc.model;
    if (!model) return [];
    let byShape = this.planned.get(model);
    if (!byShape) this.planned.set(model, (byShape = new Map()));
    const shapeKey = JSON.stringify(settings.shape ?? null);
    const classes = this.hooks.regularizerClasses(doc.uri);
    let planned = byShape.get(shapeKey);
    if (!planned || [...planned.imported].some(([name, found]) => classes(name) !== found)) {
      const imported = new Map<string, RegularizerClass | null>();
      const plans = planSites(model, settings.shape, (name) => {
        const found = classes(name);
        imported.set(name, found);
        return found;
      });
      byShape.set(shapeKey, (planned = { plans, imported }));
    }
    return planned.plans.map((p) => ({ ...p, key: this.keyOf(p, settings) }));
  }

  private keyOf(p: PlannedSite, settings: ProfilerSettings): string {
    return JSON.stringify([p.site.code, p.site.kernel, p.shape, p.site.activeInEval, settings.backend]);
  }

  /** The `reglens.profiler` settings and the lens mode of a document, from one read of its `reglens` section. */
  private async settingsOf(uri: string): Promise<{ settings: ProfilerSettings; lensMode: LensMode }> {
    const section = (await this.hooks.settings(uri)) as { profiler?: unknown } | null | undefined;
    return { settings: readProfilerSettings(section?.profiler), lensMode: readLensMode(section) };
  }

  /**
   * One lens line per site position: a link per site (a hand-written regularizer has two, its derived semantics and
   * its own code, labelled apart), then one shape link. A result reads what was measured, then the time; the backend
   * is named once, in the status bar and the hover.
   */
  async codeLenses(uri: string): Promise<CodeLens[]> {
    const doc = this.hooks.document(uri);
    // A file `exclude` matches is left alone, as its diagnostics are: no lens to clutter vendored or generated code.
    if (!doc || doc.config?.excluded) return [];
    const { settings, lensMode } = await this.settingsOf(uri);
    if (lensMode === 'off') return [];
    const lenses: CodeLens[] = [];
    const entries = this.sites(doc, settings).filter(
      (e) => lensMode === 'all' || doc.findings.some((f) => siteHas(e.site, f.range)),
    );
    const lines = new Map<string, SiteEntry[]>();
    for (const entry of entries) {
      const at = `${entry.site.range.start.line}:${entry.site.range.start.character}`;
      lines.set(at, [...(lines.get(at) ?? []), entry]);
    }
    for (const group of lines.values()) {
      const range = { start: group[0].site.range.start, end: group[0].site.range.start };
      const runnable: SiteEntry[] = [];
      for (const entry of group) {
        const args = [uri, entry.site.id];
        const problem =
          entry.site.notProfiled ?? validateRequest({ kernel: entry.site.kernel, shape: entry.shape, seed: 0 });
        if (problem) {
          // Nothing to run: say why in the lens itself (a click shows it again as a message).
          const title = problem.startsWith('not profiled:') ? problem : `Not profiled: ${problem}`;
          lenses.push({ range, command: { title, command: SERVER_COMMANDS.profileSite, arguments: args } });
          continue;
        }
        runnable.push(entry);
        lenses.push({
          range,
          command: {
            title: this.lensTitle(uri, entry, group.length > 1),
            command: SERVER_COMMANDS.profileSite,
            arguments: args,
          },
        });
      }
      if (runnable.length === 0) continue;
      this.warmUp(uri);
      const shape = runnable[0].shape;
      lenses.push({
        range,
        command: {
          title: `shape [${shape.join(', ')}]…`,
          command: PICK_SHAPE_COMMAND,
          arguments: [uri, runnable.map((e) => e.site.id), shape, this.shapeChoices(runnable, settings)],
        },
      });
    }
    return lenses;
  }

  private lensTitle(uri: string, entry: SiteEntry, shared: boolean): string {
    const result = this.results.get(entry.key);
    // Two sites on one name (a hand-written regularizer): its semantics as Reglens read them, and its own code run;
    // the results say which, as `reglens profile` does, so the two links never read alike.
    const implementation = entry.site.kind === 'implementation';
    const which = !shared ? '' : implementation ? 'its code: ' : 'as read: ';
    if (result) return `${which}${resultLine(result)}`;
    if (this.running.has(entry.key) || this.starting.has(`${uri} ${entry.site.id}`))
      return shared && implementation ? 'Profiling its code…' : 'Profiling…';
    return entry.site.kind === 'implementation' ? IMPLEMENTATION_LENS_TITLE : 'Profile train/eval';
  }

  /** The shapes the shape lens offers: the current one and the presets that fit the memory budget. */
  private shapeChoices(entries: SiteEntry[], settings: ProfilerSettings): ShapeChoice[] {
    const current = entries[0].shape;
    const shapes = [current, ...SHAPE_PRESETS].filter((s, i, all) => all.findIndex((o) => o.join() === s.join()) === i);
    return shapes.flatMap((shape) => {
      const bytes = Math.max(...entries.map((e) => bytesNeeded({ kernel: fitToShape(e.site, shape), shape, seed: 0 })));
      const isCurrent = shape === current;
      return isCurrent || bytes <= settings.memoryBudgetBytes ? [{ shape, bytes, current: isCurrent }] : [];
    });
  }

  async hover(doc: OpenDocument, position: Position): Promise<Hover | null> {
    if (doc.config?.excluded) return null;
    const { settings } = await this.settingsOf(doc.uri);
    // A hand-written regularizer has two sites on its name (derived semantics, its own code): both profiles show.
    const sections: string[] = [];
    let range: Range | undefined;
    for (const entry of this.sites(doc, settings)) {
      const { start, end } = entry.site.range;
      const inside =
        (position.line > start.line || (position.line === start.line && position.character >= start.character)) &&
        (position.line < end.line || (position.line === end.line && position.character <= end.character));
      if (!inside) continue;
      const result = this.results.get(entry.key);
      if (!result) continue;
      const evidence = implementationEvidence(result, entry.site.expectedGranularity);
      const warnings = [
        evidence.expectation && `**Train and eval differ:** ${evidence.expectation}.`,
        evidence.granularity && `**Granularity:** ${evidence.granularity}.`,
      ].filter((w): w is string => !!w);
      sections.push(
        [
          `**Reglens profile: ${describeKernel(result.kernel)}**, shape [${result.shape.join(', ')}] ` +
            `(${entry.shapeSource}; ${entry.site.rateSource})`,
          resultLine(result),
          ...warnings,
          // The chart first: VS Code caps a hover's height, and the table's last rows may scroll.
          chartMarkdown(result),
          markdownTable(result),
        ].join('\n\n'),
      );
      range ??= entry.site.range;
    }
    if (sections.length === 0) return null;
    return { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') }, range };
  }

  /**
   * Adds measured figures to diagnostics that a profile of the same site confirms, each phrased by its rule
   * (`meta.profile`): what evaluation really drops, the coverage of each modality, the samples dropped whole, and so
   * on.
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
        .filter((p) => siteHas(p.site, finding.range))
        .map((p) => measuredFigure(this.rules.get(finding.code), p.site, p.result))
        .filter((f): f is string => !!f);
      return figures.length ? { ...finding, message: `${finding.message} ${figures.join(' ')}` } : finding;
    };
  }

  // ---- commands -------------------------------------------------------------------------------------------------

  async executeCommand(command: string, args: unknown[], token: CancellationToken): Promise<unknown> {
    switch (command) {
      case SERVER_COMMANDS.profileSite: {
        const [uri, siteId, shapeArg] = args as [string, string, unknown];
        const shape = Array.isArray(shapeArg)
          ? parseShape(shapeArg.join(','))
          : typeof shapeArg === 'string'
            ? parseShape(shapeArg)
            : undefined;
        if (shapeArg !== undefined && shapeArg !== null && !shape)
          return { error: `"${String(shapeArg)}" is not a shape such as [8, 256, 768].` };
        // The lens says "Profiling…" before the settings are read and the worker starts.
        const clicked = `${uri} ${siteId}`;
        this.starting.add(clicked);
        this.refreshLenses();
        try {
          return await this.profileSite(uri, siteId, shape, token);
        } finally {
          this.starting.delete(clicked);
        }
      }
      case SERVER_COMMANDS.profileFile:
        return this.profileFile(String(args[0]), token);
      case SERVER_COMMANDS.profilerBackends:
        return this.backends(String(args[0] ?? ''));
      default:
        return undefined;
    }
  }

  /**
   * Starts the worker once a lens offers a profile, so that the first click finds tfjs loaded and the backend
   * chosen (most of a cold result's time) instead of waiting for them. Lenses come after the document's
   * diagnostics, so this is never on the way to them.
   */
  private warmUp(uri: string): void {
    if (this.host) return;
    void this.hostFor(uri)
      .then(({ host }) => host.backends())
      .catch(() => undefined);
  }

  private async hostFor(uri: string): Promise<{ host: ProfilerHost; settings: ProfilerSettings }> {
    const settings = { ...(await this.settingsOf(uri)).settings, trusted: this.hooks.trusted };
    const key = JSON.stringify([settings.backend, settings.timeoutMs, settings.memoryBudgetBytes, settings.trusted]);
    if (!this.host) {
      this.host = new ProfilerHost(settings);
      this.host.onWorkerProblem = (message) =>
        void this.connection.sendNotification(ShowMessageNotification.type, {
          type: MessageType.Warning,
          message: `Reglens: ${message}`,
        });
      this.host.onReady = (info) => {
        this.lastStatus = info;
        void this.connection.sendNotification(PROFILER_STATUS_NOTIFICATION, info satisfies ProfilerStatus);
        if (info.fallback)
          void this.connection.sendNotification(ShowMessageNotification.type, {
            type: MessageType.Warning,
            message: `Reglens profiler: ${info.fallback}; using ${info.backend} (${info.device}).`,
          });
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
  async profileSite(
    uri: string,
    siteId: string,
    shape: number[] | undefined,
    token?: CancellationToken,
  ): Promise<ProfileResult | { error: string }> {
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
      if (e instanceof ProfileError && e.kind === 'budget') void this.offerSettings(entry, message);
      else if (!(e instanceof ProfileError && e.kind === 'cancelled'))
        void this.connection.sendNotification(ShowMessageNotification.type, {
          type: MessageType.Warning,
          message: `Reglens: ${entry.site.label}: ${message}`,
        });
      return { error: message };
    } finally {
      listener?.dispose();
      this.refreshLenses();
    }
  }

  /** A shape the memory budget refuses: the warning has an "Open Settings" button that shows the budget. */
  private async offerSettings(entry: SiteEntry, message: string): Promise<void> {
    const open = { title: 'Open Settings' };
    const chosen = await this.connection.window
      .showWarningMessage(`Reglens: ${entry.site.label}: ${message}`, open)
      .catch(() => undefined);
    if (chosen?.title === open.title)
      void this.connection.sendNotification(OPEN_SETTINGS_NOTIFICATION, {
        query: 'reglens.profiler.memoryBudgetMB',
      } satisfies OpenSettings);
  }

  private run(host: ProfilerHost, entry: SiteEntry, signal: AbortSignal): Promise<ProfileResult> {
    const existing = this.running.get(entry.key);
    if (existing) return existing;
    const promise = host
      .profile(
        {
          kernel: entry.site.kernel,
          shape: entry.shape,
          seed: siteSeed(entry.site),
          activeInEval: entry.site.activeInEval,
        },
        signal,
      )
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
  private async profileFile(
    uri: string,
    token: CancellationToken,
  ): Promise<{ profiled: number; failed: string[]; cancelled: boolean }> {
    const doc = this.hooks.document(uri);
    if (!doc) return { profiled: 0, failed: [`${uri} is not open.`], cancelled: false };
    const { host, settings } = await this.hostFor(uri);
    // Sites that cannot run say why in their lens; they are not failures.
    const entries = this.sites(doc, settings).filter((e) => !e.site.notProfiled);
    const progress = this.hooks.workDoneProgress
      ? await this.connection.window.createWorkDoneProgress().catch(() => undefined)
      : undefined;
    progress?.begin('Reglens: profiling regularizers', 0, `0/${entries.length} sites`, true);
    const controller = new AbortController();
    const listeners = [
      token.onCancellationRequested(() => controller.abort()),
      progress?.token.onCancellationRequested(() => controller.abort()),
    ];
    const failed: string[] = [];
    let profiled = 0;
    try {
      for (const [i, entry] of entries.entries()) {
        if (controller.signal.aborted) break;
        progress?.report(
          Math.round((i / Math.max(1, entries.length)) * 100),
          `${i}/${entries.length} sites: ${entry.site.label}`,
        );
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
    if (failed.length)
      void this.connection.sendNotification(ShowMessageNotification.type, {
        type: MessageType.Warning,
        message: `Reglens: ${failed.length} site(s) could not be profiled: ${failed.join('; ')}`,
      });
    return { profiled, failed, cancelled: controller.signal.aborted };
  }

  refreshLenses(): void {
    if (this.hooks.codeLensRefresh) this.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  }

  get status(): BackendInfo | undefined {
    return this.lastStatus;
  }
}
