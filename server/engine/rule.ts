import type { ProfileResult } from '../../kernels/profile-result';
import { firstParameter, type ModuleClass } from './classes';
import type { FileModel } from './model';
import { nodeRange, type Node, type SourceFile } from './parser';
import type { SiteKind } from './sites';
import type { Applicability, Finding, Range, RelatedLocation, Severity, TextEdit } from './types';

/**
 * A rule is one module with its metadata and a `create` function, in the manner of ESLint. The metadata is the
 * single source of the rule's docs page, its SARIF entry, its hover text and its code-action titles.
 */
export interface RuleMeta {
  code: string;
  name: string;
  /** One sentence: what the rule finds. */
  summary: string;
  /** Markdown: why it matters and when it is silent. */
  explanation: string;
  /** Python that triggers the rule, and the same code fixed. */
  wrong: string;
  right: string;
  defaultSeverity: Severity;
  /** The strongest fix the rule offers: what `--fix` and fix-all may do with it. */
  fix: Applicability | 'none';
  tags?: 'unnecessary'[];
  /**
   * Text that must occur in a file for the rule to possibly fire. Files matching no enabled rule's triggers are
   * not parsed at all: in a CI run over a whole repository most files never mention dropout.
   */
  triggers: RegExp;
  /**
   * Whether a statement's findings, or their absence, depend on other statements of the file (a script's rule reads
   * the functions a loop calls and the calls of a function). In a file its triggers match, the analyzer then keeps
   * no findings across an edit: its cache, keyed by statement, cannot see those reads.
   */
  readsOtherStatements?: boolean;
  /**
   * The rule reads the other rules' findings (its visitor's `findings`), once per analysis, after every statement:
   * the findings of every rule, enabled or not, before `# noqa` comments apply. RG100 reports the codes of those
   * comments that silence nothing.
   */
  readsFindings?: boolean;
  /** Message templates; `{name}` placeholders are filled from `data`. */
  messages: Record<string, string>;
  /** What a profile adds to this rule's findings, for a rule whose mistake a measurement can show. */
  profile?: RuleProfile;
}

/**
 * A rule's measured figure: the language server appends it to a finding that lies on (or, for a site with a scope,
 * inside) a profiled site of one of these kinds.
 */
export interface RuleProfile {
  sites: readonly SiteKind[];
  /** The sentence the finding gets, or undefined when this measurement does not bear on it. */
  phrase(measurement: SiteMeasurement): string | undefined;
}

/** One profiled site's result, with the phrasing every rule shares. */
export interface SiteMeasurement {
  result: ProfileResult;
  /** `wasm, shape [8, 256, 768]`: where the figures come from. */
  where: string;
  /** Implementation sites (the regularizer's own code run): what its outputs show against what it promises. */
  implementation: { expectation?: string; granularity?: string };
}

export const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;

export interface FixSpec {
  applicability: Applicability;
  title: string;
  edits: TextEdit[];
}

/**
 * A message placeholder that names the line of a node (or of a range, in another file too): rendered 1-based, and
 * kept with the finding as data.
 */
export interface LineOf {
  lineOf: Range;
}

export function lineOf(at: Node | Range): LineOf {
  return { lineOf: 'type' in at ? nodeRange(at) : at };
}

export interface Report {
  node?: Node;
  range?: Range;
  messageId: string;
  /** Placeholder values; a line number in a message is always a `lineOf`, never a number the rule computed. */
  data?: Record<string, string | number | LineOf>;
  /** Overrides the rule's default severity for this finding (RG008: an out-of-range rate is an error). */
  severity?: Severity;
  fix?: FixSpec | null;
  /** Further fixes, offered after `fix` in the editor's menu only. */
  alternatives?: FixSpec[];
  related?: RelatedLocation[];
  /**
   * The finding read code outside its top-level statement (the calls that set a rate, a config class): the
   * analyzer never reuses it from its cache, since an edit there can change it.
   */
  fileWide?: boolean;
}

/** Where a node sits: the `nn.Module` class and method around it, and what that method calls `self`. */
export interface MethodScope {
  cls: ModuleClass;
  method: Node;
  methodName: string;
  selfName: string;
}

export interface RuleContext {
  readonly file: SourceFile;
  readonly model: FileModel;
  report(report: Report): void;
  /** The `nn.Module` method the node belongs to (nested functions and lambdas count as their method's). */
  moduleMethod(node: Node): MethodScope | undefined;
  edit(node: Node, newText: string): TextEdit;
  insertAt(offset: number, text: string): TextEdit;
}

/** The tree-sitter node types rules may subscribe to; extend the list when a rule needs another. */
export type VisitedNodeType =
  | 'call'
  | 'assignment'
  | 'augmented_assignment'
  | 'expression_statement'
  | 'if_statement'
  | 'conditional_expression'
  | 'for_statement'
  | 'function_definition'
  | 'class_definition'
  | 'return_statement'
  | 'attribute'
  | 'binary_operator';

/**
 * Handlers by node type, plus `moduleClass` once for every class of the file, and, for a rule that `readsFindings`,
 * `findings` once per analysis.
 */
export type RuleVisitor = { [K in VisitedNodeType]?: (node: Node) => void } & {
  moduleClass?: (cls: ModuleClass) => void;
  findings?: (findings: readonly Finding[], codes: RuleCodes) => void;
};

/** The rule codes of an analysis. */
export interface RuleCodes {
  known(code: string): boolean;
}

export interface Rule {
  meta: RuleMeta;
  create(context: RuleContext): RuleVisitor;
}

export function docsUrl(repository: string, code: string): string {
  return `${repository.replace(/\.git$/, '')}/blob/main/docs/rules/${code}.md`;
}

export function methodScope(model: FileModel, node: Node): MethodScope | undefined {
  let method: Node | null = null;
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'function_definition') method = p;
    else if (p.type === 'class_definition') {
      if (!method) return undefined;
      const cls = model.classes.get(p.childForFieldName('name')?.text ?? '');
      if (!cls || cls.node.id !== p.id || !cls.isModule) return undefined;
      const selfName = firstParameter(method);
      const methodName = method.childForFieldName('name')?.text ?? '';
      // Static methods have no `self` to gate on.
      if (
        !selfName ||
        (method.parent?.type === 'decorated_definition' &&
          /@staticmethod\b/.test(method.parent.text.slice(0, method.startIndex - method.parent.startIndex)))
      )
        return undefined;
      return { cls, method, methodName, selfName };
    }
  }
  return undefined;
}
