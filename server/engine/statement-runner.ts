// Runs the rules over one top-level statement: one walk, each node handed to the rules that visit its type, and
// what they report turned into findings. A rule that throws leaves a finding saying so (internalError).
import type { FileModel } from './model';
import { nodeRange, type Node, type SourceFile } from './parser';
import { methodScope, type Report, type Rule, type RuleCodes, type RuleContext, type RuleVisitor } from './rule';
import { walk } from './syntax';
import type { Finding, Range } from './types';

export class StatementRunner {
  private readonly visitors: { rule: Rule; visitor: RuleVisitor }[];
  private bucket: Finding[] = [];
  /** A finding of the last statement run read code outside the statement (`Report.fileWide`). */
  fileWide = false;
  /** Rules that threw on the last statement run: each said so once, as a finding (internalError). */
  private readonly failedRules = new Set<Rule>();

  constructor(
    rules: readonly Rule[],
    private readonly file: SourceFile,
    private readonly model: FileModel,
  ) {
    this.visitors = rules.map((rule) => ({ rule, visitor: rule.create(this.contextFor(rule)) }));
    // Per node type, the handlers of the rules that visit it, in rule order: most nodes are visited by no rule.
    for (const { rule, visitor } of this.visitors)
      for (const [type, handler] of Object.entries(visitor)) {
        if (type === 'moduleClass' || type === 'findings' || !handler) continue;
        let list = this.handlers.get(type);
        if (!list) this.handlers.set(type, (list = []));
        list.push({ rule, handler: handler as (node: Node) => void });
      }
  }

  private readonly handlers = new Map<string, { rule: Rule; handler: (node: Node) => void }[]>();

  get failed(): boolean {
    return this.failedRules.size > 0;
  }

  run(stmt: Node): Finding[] {
    this.bucket = [];
    this.fileWide = false;
    this.failedRules.clear();
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.type === 'class_definition') {
      const cls = this.model.classes.get(def.childForFieldName('name')?.text ?? '');
      if (cls && cls.node.id === def.id)
        for (const { rule, visitor } of this.visitors)
          if (visitor.moduleClass) this.guard(rule, visitor.moduleClass, cls, stmt);
    }
    walk(
      stmt,
      (node) => {
        for (const { rule, handler } of this.handlers.get(node.type)!) this.guard(rule, handler, node, stmt);
      },
      this.handlers,
    );
    return this.bucket;
  }

  /**
   * A rule that throws on odd code loses its findings for that statement, and says so in a finding of its own
   * (internalError) rather than leaving the statement looking clean; the other rules still report.
   */
  private guard<T>(rule: Rule, fn: (arg: T) => void, arg: T, stmt: Node): void {
    try {
      fn(arg);
    } catch (e) {
      if (process.env.REGLENS_DEBUG) throw e;
      if (this.failedRules.has(rule)) return;
      this.failedRules.add(rule);
      this.bucket.push(internalError(rule, this.file, stmt, e));
    }
  }

  private contextFor(rule: Rule): RuleContext {
    return ruleContext(
      this.file,
      () => this.model,
      (r) => {
        if (r.fileWide) this.fileWide = true;
        this.bucket.push(toFinding(rule, r));
      },
    );
  }
}

/** What a rule sees of the file: the statement pass's and the finding readers' alike. */
function ruleContext(file: SourceFile, model: () => FileModel, report: (r: Report) => void): RuleContext {
  return {
    file,
    get model() {
      return model();
    },
    report,
    moduleMethod: (node) => methodScope(model(), node),
    edit: (node, newText) => ({ range: nodeRange(node), newText }),
    insertAt: (offset, text) => {
      const p = file.positionAt(offset);
      return { range: { start: p, end: p }, newText: text };
    },
  };
}

/**
 * The rules that read the other rules' findings (`RuleMeta.readsFindings`), over the findings of one analysis. The
 * file model is built only if one of them asks for it.
 */
export function readFindings(
  readers: readonly Rule[],
  file: SourceFile,
  model: () => FileModel,
  findings: readonly Finding[],
  codes: RuleCodes,
): Finding[] {
  const out: Finding[] = [];
  let built: FileModel | undefined;
  const once = () => (built ??= model());
  for (const rule of readers) {
    try {
      rule.create(ruleContext(file, once, (r) => out.push(toFinding(rule, r)))).findings?.(findings, codes);
    } catch (e) {
      if (process.env.REGLENS_DEBUG) throw e;
      out.push(internalError(rule, file, file.root, e));
    }
  }
  return out;
}

/** A rule's failure on a statement, reported on the statement's first line. */
function internalError(rule: Rule, file: SourceFile, stmt: Node, e: unknown): Finding {
  const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const row = stmt.startPosition.row;
  return {
    code: rule.meta.code,
    name: 'internal-error',
    message:
      `${rule.meta.code} (${rule.meta.name}) failed on lines ${row + 1}–${stmt.endPosition.row + 1}, which it left ` +
      `unchecked: ${reason}. This is a bug in Reglens; please report it with the code that caused it.`,
    severity: 'error',
    range: {
      start: { line: row, character: stmt.startPosition.column },
      end: { line: row, character: file.lineText(row).length },
    },
    fix: null,
    related: [],
    tags: [],
  };
}

function toFinding(rule: Rule, r: Report): Finding {
  const template = rule.meta.messages[r.messageId];
  if (template === undefined) throw new Error(`${rule.meta.code} has no message "${r.messageId}"`);
  const mentions: Range[] = [];
  const message = template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const value = r.data?.[k];
    if (typeof value !== 'object') return String(value ?? `{${k}}`);
    mentions.push(value.lineOf);
    return String(value.lineOf.start.line + 1);
  });
  const range = r.range ?? (r.node ? nodeRange(r.node) : undefined);
  if (!range) throw new Error(`${rule.meta.code} reported without a node or range`);
  return {
    code: rule.meta.code,
    name: rule.meta.name,
    message,
    severity: r.severity ?? rule.meta.defaultSeverity,
    range,
    fix: r.fix ? { applicability: r.fix.applicability, title: r.fix.title, edits: r.fix.edits } : null,
    ...(r.alternatives?.length
      ? {
          alternatives: r.alternatives.map((a) => ({ applicability: a.applicability, title: a.title, edits: a.edits })),
        }
      : {}),
    related: r.related ?? [],
    tags: rule.meta.tags ?? [],
    ...(mentions.length > 0 ? { mentions } : {}),
  };
}
