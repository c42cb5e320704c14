import type { RegularizerSpec } from './catalog';
import type { ImportTable } from './imports';
import type { Node, SourceFile } from './parser';
import type { WorkspaceScope } from './scope';

/**
 * The classes and functions of one file as the file model (server/engine/model.ts) reads them, and
 * `FileDefinitions`, what the data flow (server/engine/flow/) reads of a file. A leaf below both: `FileModel`
 * implements `FileDefinitions` and builds the file's `ForwardAnalysis`, which reads the file through this
 * interface, so the two modules do not import each other.
 */

/** A submodule assigned in `__init__` (`self.drop = nn.Dropout(p)`). */
export interface Submodule {
  name: string;
  /** The `self.<name>` target node. */
  target: Node;
  /** The whole statement, for fixes that remove it. */
  statement: Node;
  value: Node;
  /**
   * Regularizers the value constructs: itself, a branch of `a if c else b`, or every element of a container of
   * regularizers.
   */
  regularizers: RegularizerSpec[];
  /** Every `self.` name the statement binds to the value, in order (`self.a = self.b = …`): one object. */
  chain: string[];
}

export interface ModuleClass {
  name: string;
  node: Node;
  /** Derives from `nn.Module` directly or through classes of this file. */
  isModule: boolean;
  /** Every ancestor is known (a class of this file or a torch base), so nothing outside the file can touch `self`. */
  closedHierarchy: boolean;
  /**
   * Derives from `nn.Sequential`, `nn.ModuleList` or `nn.ModuleDict` (directly or through classes of this file): the
   * base runs or reaches every child the class registers, whether or not the class names it again.
   */
  runsChildren: boolean;
  bases: string[];
  /** The class's source text, sliced once per model: the memos keyed by it then hash it once per analysis. */
  text: string;
  /** The body's details, built on first use: after an edit only the classes being re-checked pay for them. */
  readonly members: ClassMembers;
}

export interface ClassMembers {
  methods: Map<string, Node>;
  submodules: Submodule[];
  /** Every `self.<name>` node in the class, the submodule assignment targets included. */
  selfReferences: Map<string, Node[]>;
  /**
   * Names passed as strings to `getattr(self, "...")`, `self.get_submodule("...")` and the like; `*` when the class
   * reaches its attributes dynamically (`self.children()`, `getattr(self, f"…")`). `self.apply(fn)` is not such an
   * access: it hands every module to `fn` (weight initialisation), it does not run them.
   */
  dynamicNames: Set<string>;
}

/** A function defined at module level, with what the rules need of its signature. */
export interface FunctionSignature {
  name: string;
  node: Node;
  /** Position and default of a `training` parameter, when the function has one. */
  training?: { position: number; default: boolean | undefined };
}

/** A file's module classes and functions, with the imports and workspace that resolve the names in them. */
export interface FileDefinitions {
  readonly file: SourceFile;
  readonly imports: ImportTable;
  readonly classes: ReadonlyMap<string, ModuleClass>;
  readonly functions: ReadonlyMap<string, FunctionSignature>;
  readonly workspace: WorkspaceScope | null;
  /** Classes of this file the given one derives from. */
  superclassesOf(name: string): ModuleClass[];
}

/** The name a method gives its first parameter (`self`), when it is a plain or typed parameter. */
export function firstParameter(def: Node): string | null {
  const first = def.childForFieldName('parameters')?.namedChild(0);
  if (!first) return null;
  if (first.type === 'identifier') return first.text;
  if (first.type === 'typed_parameter') return first.namedChild(0)?.text ?? null;
  return null;
}
