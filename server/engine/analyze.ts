import { fxTracedClasses } from './tracing';
import { RuleSelection } from './config';
import { FileModel } from './model';
import type { WorkspaceScope } from './scope';
import { isSuppressed, silenceLine, suppressions, type Suppressions } from './noqa';
import { SourceFile, type Node } from './parser';
import { recover, type Recovery } from './recovery';
import { regularizerContext } from './semantics/regularizers';
import type { Rule, RuleCodes } from './rule';
import { readFindings, StatementRunner } from './statement-runner';
import { comparePositions, type Finding, type Fix, type Range } from './types';

/** Context signatures whose cached findings an Analyzer keeps (see `Analyzer.caches`). */
const MAX_CONTEXTS = 4;

/** Files above this size are not analysed: the user gets one message instead of a stalled editor. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

interface CachedStatement {
  startRow: number;
  findings: Finding[];
  /**
   * False when a finding points outside its statement (a related location or fix edit in another class) or names a
   * line in its message: those move independently of the statement's text, so such a statement is re-checked.
   */
  reusable: boolean;
}

/** Does every position of these findings move with the statement at rows [startRow, endRow]? */
function movesWithStatement(findings: readonly Finding[], startRow: number, endRow: number): boolean {
  const inside = (r: Range) => r.start.line >= startRow && r.end.line <= endRow + 1;
  return findings.every(
    (f) =>
      inside(f.range) &&
      f.related.every((r) => inside(r.range)) &&
      (f.fix?.edits ?? []).every((e) => inside(e.range)) &&
      // A line the message names is rendered text: moving the statement would leave it stale.
      (f.mentions ?? []).length === 0,
  );
}

/**
 * Runs the rules over a file. Findings are cached per top-level statement, keyed by the statement's text and
 * everything outside it that can change its findings (imports, the file's class hierarchy, function
 * signatures), so an edit inside one class re-checks only that class.
 */
export class Analyzer {
  /**
   * Cached findings by statement key, per context signature (the file-level facts they were computed under), the
   * contexts of the last analyses first. More than one: while a syntax error swallows statements, each analysis reads
   * the file with the damaged lines blanked out and the damaged file itself (rawFindings), two contexts that would
   * otherwise evict each other's findings on every keystroke; and the context from before the error is kept for
   * when it is mended.
   */
  private caches = new Map<string, Map<string, CachedStatement>>();

  /**
   * `once`: the file is analysed once (the CLI, a one-off lint), so no findings are kept for the next analysis and
   * the context they would depend on is not computed: that context resolves every imported name through the
   * workspace index, summarising modules no rule of this file may ever look at.
   */
  constructor(
    private readonly rules: readonly Rule[],
    private readonly once = false,
  ) {
    const known = new Set(rules.map((r) => r.meta.code));
    this.codes = { known: (code) => known.has(code) };
  }

  /** The codes of the rules, for the rules that read findings (RG100 names a code no rule has). */
  private readonly codes: RuleCodes;

  /**
   * Every finding of the enabled rules, with noqa comments applied, in document order. `workspace` resolves names
   * imported from other files of the workspace (server/engine/workspace.ts).
   */
  analyze(file: SourceFile, selection: RuleSelection, workspace: WorkspaceScope | null = null): Finding[] {
    if (!mayHaveFindings(this.rules, file, selection)) return [];
    const { findings: raw, recovery } = this.findingsAndRecovery(file, workspace);
    const late = this.findingsOfFindings(file, raw, selection, workspace);
    const suppressed = recovery?.recovered ? mergeRecovered(file, recovery) : suppressions(file);
    const out: Finding[] = [];
    for (const f of late.length > 0 ? [...raw, ...late].sort(byPosition) : raw) {
      if (!selection.enabled(f.code)) continue;
      if (isSuppressed(suppressed, f.code, f.range.start.line)) continue;
      out.push(selection.configured(f));
    }
    return out;
  }

  /** What the rules that read findings (RG100) make of this analysis's; never cached, as noqa comments are not. */
  private findingsOfFindings(
    file: SourceFile,
    raw: readonly Finding[],
    selection: RuleSelection,
    workspace: WorkspaceScope | null,
  ): Finding[] {
    const readers = this.rules.filter(
      (r) => r.meta.readsFindings && selection.enabled(r.meta.code) && file.mentions(r.meta.triggers),
    );
    if (readers.length === 0) return [];
    return readFindings(readers, file, () => new FileModel(file, workspace), raw, this.codes);
  }

  /**
   * Findings of all rules before configuration and noqa: what the cache holds. When a syntax error (an unclosed
   * bracket, say) makes tree-sitter swallow the statements after it, the broken statements are blanked out and the
   * rest is parsed again, so the intact code keeps its findings (recovery.ts); the broken lines have none, or, when
   * whole top-level statements had to be blanked, those of the first parse.
   */
  rawFindings(file: SourceFile, workspace: WorkspaceScope | null = null): Finding[] {
    return this.findingsAndRecovery(file, workspace).findings;
  }

  private findingsAndRecovery(
    file: SourceFile,
    workspace: WorkspaceScope | null,
  ): { findings: Finding[]; recovery: Recovery | null } {
    const next = new Map<string, Map<string, CachedStatement>>();
    try {
      const recovery = recover(file);
      if (!recovery) return { findings: this.statementFindings(file, next, workspace), recovery };
      // Recovery is a refinement: when its parse runs out of time, the damaged file's own findings stand.
      if (!recovery.recovered) return { findings: this.statementFindings(file, next, workspace), recovery };
      const inDamage = (f: Finding) => isDamaged(recovery, f.range.start.line);
      const outside = this.statementFindings(recovery.recovered, next, workspace).filter((f) => !inDamage(f));
      if (recovery.damage === 'unchecked') return { findings: outside, recovery };
      const inside = this.statementFindings(file, next, workspace).filter(inDamage);
      return { findings: [...outside, ...inside].sort(byPosition), recovery };
    } finally {
      // The contexts this analysis used, with only the statements it saw; then the others, most recent first.
      for (const [context, cache] of this.caches) {
        if (next.size >= MAX_CONTEXTS) break;
        if (!next.has(context)) next.set(context, cache);
      }
      this.caches = next;
    }
  }

  private statementFindings(
    file: SourceFile,
    next: Map<string, Map<string, CachedStatement>>,
    workspace: WorkspaceScope | null,
  ): Finding[] {
    const model = new FileModel(file, workspace);
    // Cached findings hold only while the file-level facts they were computed under hold.
    const context = this.once ? '' : contextSignature(model, this.rules);
    const cache = this.caches.get(context);
    let seen = next.get(context);
    if (!seen) next.set(context, (seen = new Map()));
    const findings: Finding[] = [];
    let runner: StatementRunner | undefined;
    for (const stmt of file.root.children) {
      if (!stmt) continue;
      const type = stmt.type;
      if (type === 'comment') continue;
      const key = this.once ? '' : statementKey(model, stmt, type);
      const startRow = stmt.startRow;
      const cached = this.once ? undefined : (cache?.get(key) ?? seen.get(key));
      const hit = cached?.reusable ? cached : undefined;
      let stmtFindings: Finding[];
      let reusable = true;
      if (hit) {
        stmtFindings =
          hit.startRow === startRow ? hit.findings : hit.findings.map((f) => shiftFinding(f, startRow - hit.startRow));
      } else {
        runner ??= new StatementRunner(this.rules, file, model);
        stmtFindings = runner.run(stmt);
        // A rule that failed here is tried again, and says so again, at the next analysis.
        reusable =
          !runner.fileWide && !runner.failed && movesWithStatement(stmtFindings, startRow, stmt.endPosition.row);
      }
      if (!this.once) seen.set(key, { startRow, findings: stmtFindings, reusable });
      findings.push(...stmtFindings);
    }
    return findings.sort(byPosition);
  }
}

function isDamaged(recovery: Recovery, line: number): boolean {
  return recovery.damaged.some(([a, b]) => line >= a && line < b);
}

/**
 * The `# noqa` comments of a file whose findings outside the damage come from its recovered text: there, a comment
 * is read as the recovered parse reads it. An unclosed string earlier in the file makes the original parse read the
 * rest as string content, where a `# noqa` added after a finding would silence nothing.
 */
function mergeRecovered(file: SourceFile, recovery: Recovery): Suppressions {
  const merged = suppressions(file);
  const recovered = suppressions(recovery.recovered!);
  merged.file ??= recovered.file;
  for (const [line, codes] of recovered.lines) if (!isDamaged(recovery, line)) silenceLine(merged, line, codes);
  return merged;
}

function byPosition(a: Finding, b: Finding): number {
  return comparePositions(a.range.start, b.range.start) || a.code.localeCompare(b.code);
}

function contextSignature(model: FileModel, rules: readonly Rule[]): string {
  // What the file imports from other workspace files: a dependency's edit changes its dependents' findings.
  const imported = model.workspace ? model.workspace.signature(model.imports) : '';
  // A rule that reads across statements, in a file it may fire on: the whole text is the context, so no statement's
  // findings outlive an edit anywhere.
  const file = model.file;
  if (rules.some((r) => r.meta.readsOtherStatements && file.mentions(r.meta.triggers)))
    return `${file.text}|${imported}`;
  const parts = [
    model.imports.signature(),
    [...model.forward.nonZeroRates].sort().join(','),
    [...fxTracedClasses(model).keys()].sort().join(','),
  ];
  for (const cls of model.classes.values())
    parts.push(
      `${cls.name}(${cls.bases.join(',')}):${cls.isModule ? 'm' : ''}${cls.closedHierarchy ? 'c' : ''}` +
        `${cls.runsChildren ? 's' : ''}`,
    );
  for (const fn of model.functions.values()) {
    parts.push(`${fn.name}:${fn.training ? `${fn.training.position}=${fn.training.default}` : ''}`);
    // A helper without a training flag that calls a functional dropout: its callers' findings read its body.
    if (!fn.training && /dropout/.test(fn.node.ownText)) parts.push(fn.node.ownText);
  }
  // Hand-written regularizers read the file's random-mask helpers and the calls that set their rescale switches.
  parts.push(regularizerContext(model));
  parts.push(imported);
  return parts.join('|');
}

/** Keys made of several texts, by statement: the same string while the statement and what it names stay. */
const compositeKeys = new WeakMap<Node, { parts: string; key: string }>();

/**
 * The statement's text, plus the text and place of the classes it inherits from or passes on to. A statement the
 * tree copy took over gives the same string as before (`ownText`), which the cache's map has hashed already.
 */
function statementKey(model: FileModel, stmt: Node, type: string): string {
  const def = type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
  const text = stmt.ownText;
  if (!def || (def === stmt ? type : def.type) !== 'class_definition') return text;
  const name = model.classNameOf(def) ?? '';
  const cls = model.classes.get(name);
  // A later class of the same name shadows this one, and the model (one class per name) then reads it as no module:
  // the same text must not reuse what it found while it was the class of that name.
  if (cls && cls.node.startIndex !== def.startIndex) return `${text}\u0002shadowed`;
  const related = [...model.superclassesOf(name), ...model.subclassesOf(name)].map((c) => c.node);
  // The classes and functions it builds its submodules from: a block's findings change when its attention gains or
  // loses a dropout.
  const dependencies = cls?.isModule ? model.forward.dependencies(cls) : [];
  if (related.length === 0 && dependencies.length === 0) return text;
  const nodes = [...related, ...dependencies];
  // The same nodes on the same rows have the same texts: the key made last time is this one.
  const parts = nodes.map((n) => `${n.id}:${n.startRow}`).join(',');
  const known = compositeKeys.get(stmt);
  if (known?.parts === parts) return known.key;
  const key = text + nodes.map((n) => `\u0001${n.startPosition.row}\u0001${n.ownText}`).join('');
  compositeKeys.set(stmt, { parts, key });
  return key;
}

function shiftRange(r: Range, rows: number): Range {
  return {
    start: { line: r.start.line + rows, character: r.start.character },
    end: { line: r.end.line + rows, character: r.end.character },
  };
}

function shiftFix(fix: Fix, rows: number): Fix {
  return { ...fix, edits: fix.edits.map((e) => ({ ...e, range: shiftRange(e.range, rows) })) };
}

function shiftFinding(f: Finding, rows: number): Finding {
  return {
    ...f,
    range: shiftRange(f.range, rows),
    fix: f.fix ? shiftFix(f.fix, rows) : null,
    ...(f.alternatives ? { alternatives: f.alternatives.map((a) => shiftFix(a, rows)) } : {}),
    related: f.related.map((r) => ({ ...r, range: shiftRange(r.range, rows) })),
  };
}

/**
 * Every finding needs a name the file imports from one of these libraries: the catalog's regularizers, its rate
 * arguments and the `nn.Module` bases (`libraryBase`) all live there, and an import spells the library's name.
 */
const LIBRARIES = /torch|timm|lightning/;

/**
 * Could any enabled rule fire on this text? When not, the text need not even be parsed. Given a parsed file, whose
 * searches carry over its edits.
 */
export function mayHaveFindings(
  rules: readonly Rule[],
  source: string | SourceFile,
  selection: RuleSelection,
): boolean {
  const mentions = typeof source === 'string' ? (re: RegExp) => re.test(source) : (re: RegExp) => source.mentions(re);
  return mentions(LIBRARIES) && rules.some((r) => selection.enabled(r.meta.code) && mentions(r.meta.triggers));
}

/** Lints one text with fresh state; for the CLI and tests. */
export function lintText(
  rules: readonly Rule[],
  text: string,
  selection: RuleSelection = new RuleSelection({}),
  workspace: WorkspaceScope | null = null,
): Finding[] {
  if (!mayHaveFindings(rules, text, selection)) return [];
  const file = new SourceFile(text);
  try {
    return new Analyzer(rules, true).analyze(file, selection, workspace);
  } finally {
    file.dispose();
  }
}
