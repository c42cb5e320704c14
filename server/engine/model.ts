import { libraryBase, MODULE_CONTAINERS, regularizer, type RegularizerSpec } from './catalog';
import {
  firstParameter,
  type ClassMembers,
  type FileDefinitions,
  type FunctionSignature,
  type ModuleClass,
} from './classes';
import { ForwardAnalysis } from './flow/analysis';
import { ImportTable } from './imports';
import { TextMemo } from './memo';
import type { Node, SourceFile } from './parser';
import type { WorkspaceScope } from './scope';
import { numericLiteral, parameterList, walk, withoutPlacement } from './syntax';

/**
 * The model of one file: its imports, module classes and functions. Built from the whole tree; cheap enough
 * to rebuild on every change (it visits class bodies, not expressions), while rule results are cached per
 * top-level statement by the analyzer.
 */
export class FileModel implements FileDefinitions {
  readonly imports: ImportTable;
  readonly classes = new Map<string, ModuleClass>();
  readonly functions = new Map<string, FunctionSignature>();

  /**
   * `workspace`: the other files of the workspace, when the file is analysed as part of one; without it, names
   * imported from other files are unknown.
   */
  constructor(
    readonly file: SourceFile,
    readonly workspace: WorkspaceScope | null = null,
  ) {
    const root = file.root;
    const classNodes: Node[] = [];
    for (const stmt of root.namedChildren) {
      if (!stmt) continue;
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type === 'class_definition') classNodes.push(def);
      else if (def?.type === 'function_definition') this.addFunction(def);
    }
    // A header read from a tree with a syntax error may depend on more than the class's text (error recovery).
    const cacheable = !root.hasError;
    const raw = new Map<string, { node: Node; text: string; bases: BaseExpression[] }>();
    for (const node of classNodes) {
      const text = node.ownText;
      const header = classHeaders.ofNode(node, () => readHeader(node), cacheable);
      this.classNames.set(node.startIndex, header.name);
      if (header.name) raw.set(header.name, { node, text, bases: header.bases });
    }
    this.imports = ImportTable.fromModule(root, (def) => this.classNameOf(def));
    // What a base names; from its text when that is a plain dotted name, else from its node (read again, as the
    // header keeps no nodes).
    const resolveBase = (node: Node, bases: readonly BaseExpression[], i: number): string | null => {
      const base = bases[i];
      if (base.type === 'identifier') return this.imports.resolveName(base.text);
      const chain = cacheable && base.type === 'attribute' ? this.imports.resolveChain(base.text) : undefined;
      return chain !== undefined ? chain : this.imports.resolve(baseNodes(node)[i]);
    };
    const isModule = new Map<string, boolean>();
    const closed = new Map<string, boolean>();
    const runsChildren = new Map<string, boolean>();
    const resolveClass = (name: string, depth: number): void => {
      if (isModule.has(name) || depth > 50) return;
      const entry = raw.get(name)!;
      isModule.set(name, false);
      closed.set(name, true);
      runsChildren.set(name, false);
      let module = false;
      let allKnown = true;
      let children = false;
      for (let i = 0; i < entry.bases.length; i++) {
        const base = entry.bases[i];
        const text = base.text;
        if (base.type === 'identifier' && raw.has(text) && this.imports.resolveName(text) === null) {
          resolveClass(text, depth + 1);
          module ||= isModule.get(text) ?? false;
          allKnown &&= closed.get(text) ?? false;
          children ||= runsChildren.get(text) ?? false;
          continue;
        }
        const qualified = resolveBase(entry.node, entry.bases, i);
        const library = libraryBase(qualified);
        if (library) {
          module = true;
          // A library model or layer runs a `forward` of its own that reads attributes this class may set.
          if (library.usesOwnAttributes) allKnown = false;
          children ||= library.runsChildren;
          continue;
        }
        if (text === 'object' || text === 'ABC' || qualified === 'abc.ABC') continue;
        allKnown = false;
        // A base class of another workspace file that is a module: this class is one too, with methods of its own
        // unseen.
        const external = qualified !== null ? workspace?.definition(qualified) : null;
        if (external?.kind === 'class' && external.isModule) module = true;
      }
      isModule.set(name, module);
      closed.set(name, allKnown);
      runsChildren.set(name, children);
    };
    for (const name of raw.keys()) resolveClass(name, 0);
    for (const [name, { node, text, bases }] of raw) {
      this.classes.set(
        name,
        this.buildClass(name, node, text, bases, {
          isModule: isModule.get(name) ?? false,
          closedHierarchy: closed.get(name) ?? false,
          runsChildren: runsChildren.get(name) ?? false,
        }),
      );
    }
  }

  /** Names of the file's top-level class statements, by the start of their `class_definition` node. */
  private readonly classNames = new Map<number, string | undefined>();

  /** The name of a top-level `class_definition` of this file, as its header reads: no node is materialised. */
  classNameOf(def: Node): string | undefined {
    return this.classNames.has(def.startIndex)
      ? this.classNames.get(def.startIndex)
      : def.childForFieldName('name')?.text;
  }

  private forwardAnalysis: ForwardAnalysis | undefined;

  /**
   * Data flow through the methods of the file's module classes, and what each class's `forward` returns; built on first
   * use.
   */
  get forward(): ForwardAnalysis {
    return (this.forwardAnalysis ??= new ForwardAnalysis(this));
  }

  /** The module class whose body contains the node, if the node sits inside a method of an `nn.Module`. */
  enclosingModuleClass(node: Node): ModuleClass | undefined {
    const cls = this.enclosingClass(node);
    return cls?.isModule ? cls : undefined;
  }

  /**
   * The innermost class of the file whose body contains the node, `nn.Module` or not (a base class from another
   * file or library leaves that unknown): what `self.x` means there.
   */
  enclosingClass(node: Node): ModuleClass | undefined {
    for (let p = node.parent; p; p = p.parent) {
      if (p.type === 'class_definition') {
        const name = p.childForFieldName('name')?.text;
        const cls = name ? this.classes.get(name) : undefined;
        return cls && cls.node.id === p.id ? cls : undefined;
      }
    }
    return undefined;
  }

  /** Classes of this file that derive (transitively) from the given one. */
  subclassesOf(name: string): ModuleClass[] {
    // Direct subclasses by base name, built once: the analyzer asks for every class of the file.
    if (!this.derived) {
      this.derived = new Map();
      for (const cls of this.classes.values())
        for (const b of new Set(cls.bases)) {
          const list = this.derived.get(b);
          if (list) list.push(cls);
          else this.derived.set(b, [cls]);
        }
    }
    // Asked for every class on every edit, and most have no subclass in the file: nothing to search.
    if (!this.derived.has(name)) return [];
    const out: ModuleClass[] = [];
    const seen = new Set([name]);
    let frontier = [name];
    while (frontier.length) {
      const level: ModuleClass[] = [];
      for (const f of frontier) {
        for (const cls of this.derived.get(f) ?? []) {
          if (seen.has(cls.name)) continue;
          seen.add(cls.name);
          level.push(cls);
        }
      }
      level.sort((a, b) => a.node.startIndex - b.node.startIndex);
      out.push(...level);
      frontier = level.map((c) => c.name);
    }
    return out;
  }

  private derived: Map<string, ModuleClass[]> | undefined;

  /** Classes of this file the given one derives from. */
  superclassesOf(name: string): ModuleClass[] {
    // Most classes derive from library classes only (`nn.Module`): nothing to search.
    if (!this.classes.get(name)?.bases.some((b) => this.classes.has(b))) return [];
    const out: ModuleClass[] = [];
    const seen = new Set([name]);
    let frontier = [name];
    while (frontier.length) {
      const next: string[] = [];
      for (const f of frontier) {
        for (const b of this.classes.get(f)?.bases ?? []) {
          const cls = this.classes.get(b);
          if (cls && !seen.has(b)) {
            seen.add(b);
            out.push(cls);
            next.push(b);
          }
        }
      }
      frontier = next;
    }
    return out;
  }

  /**
   * The library regularizers an expression constructs (`nn.Dropout(p)`, `DropPath(r) if r > 0 else nn.Identity()`,
   * `nn.ModuleList([nn.Dropout(p) …])`).
   */
  constructedRegularizers(expression: Node): RegularizerSpec[] {
    return this.constructedBy(expression, (_call, callee) => {
      const spec = regularizer(callee);
      return spec?.form === 'module' ? spec : undefined;
    });
  }

  /**
   * What `select` finds in the calls an expression constructs its module with: the call itself, either value of `a
   * if c else b`, or every element of a container, when each element has one.
   */
  constructedBy<T>(expression: Node, select: (call: Node, callee: string | null) => T | undefined): T[] {
    const value = withoutPlacement(expression);
    switch (value.type) {
      case 'call': {
        const callee = this.imports.resolve(value.childForFieldName('function'));
        const found = select(value, callee);
        if (found !== undefined) return [found];
        if (callee && MODULE_CONTAINERS.has(callee)) {
          const args = value.childForFieldName('arguments')?.namedChildren ?? [];
          const inner = args.flatMap((a) => (a ? this.elementValues(a) : []));
          const each = inner.map((e) => this.constructedBy(e, select));
          if (inner.length > 0 && each.every((f) => f.length > 0)) return each.flat();
        }
        return [];
      }
      case 'conditional_expression': {
        const branches = value.namedChildren.filter((n): n is Node => !!n);
        // `a if cond else b`: the first and last children are the two values.
        return [branches[0], branches[branches.length - 1]].flatMap((b) => (b ? this.constructedBy(b, select) : []));
      }
      case 'parenthesized_expression':
        return value.namedChild(0) ? this.constructedBy(value.namedChild(0)!, select) : [];
      default:
        return [];
    }
  }

  private elementValues(node: Node): Node[] {
    switch (node.type) {
      case 'list':
      case 'tuple':
        return node.namedChildren.filter((n): n is Node => !!n);
      case 'list_comprehension':
      case 'generator_expression': {
        const body = node.childForFieldName('body');
        return body ? [body] : [];
      }
      case 'dictionary':
        return node.namedChildren.map((p) => p?.childForFieldName('value')).filter((n): n is Node => !!n);
      case 'dictionary_comprehension': {
        const body = node.childForFieldName('body');
        const value = body?.childForFieldName('value');
        return value ? [value] : [];
      }
      default:
        return [node];
    }
  }

  private addFunction(def: Node): void {
    const name = def.childForFieldName('name')?.text;
    if (!name) return;
    const sig: FunctionSignature = { name, node: def };
    parameterList(def).forEach((p, position) => {
      if (p.name !== 'training') return;
      const value = p.default;
      const literal = numericLiteral(value);
      const fallback =
        value?.type === 'true'
          ? true
          : value?.type === 'false'
            ? false
            : literal === undefined
              ? undefined
              : literal !== 0;
      sig.training = { position: p.keywordOnly ? -1 : position, default: value ? fallback : undefined };
    });
    this.functions.set(name, sig);
  }

  private buildClass(
    name: string,
    node: Node,
    text: string,
    bases: readonly BaseExpression[],
    facts: { isModule: boolean; closedHierarchy: boolean; runsChildren: boolean },
  ): ModuleClass {
    return new FileClass(
      name,
      node,
      text,
      bases.map((b) => b.text),
      facts.isModule,
      facts.closedHierarchy,
      facts.runsChildren,
      this.memberBuilder,
    );
  }

  /** One function for all classes of the model, which build their members with it on first use. */
  private readonly memberBuilder = (node: Node): ClassMembers => this.buildMembers(node);

  private buildMembers(node: Node): ClassMembers {
    const cls: ClassMembers = {
      methods: new Map(),
      submodules: [],
      selfReferences: new Map(),
      dynamicNames: new Set(),
    };
    const body = node.childForFieldName('body');
    if (!body) return cls;
    for (const stmt of body.namedChildren) {
      const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type !== 'function_definition') continue;
      const methodName = def.childForFieldName('name')?.text;
      if (!methodName) continue;
      cls.methods.set(methodName, def);
      const selfName = firstParameter(def);
      if (!selfName) continue;
      walk(
        def,
        (n) => {
          if (n.type === 'attribute') {
            const object = n.childForFieldName('object');
            if (object?.type === 'identifier' && object.text === selfName) {
              const attr = n.childForFieldName('attribute')?.text;
              if (attr) {
                if (DYNAMIC_ACCESS.has(attr)) cls.dynamicNames.add('*');
                const list = cls.selfReferences.get(attr);
                if (list) list.push(n);
                else cls.selfReferences.set(attr, [n]);
              }
            }
          } else if (n.type === 'call') {
            collectDynamicName(n, selfName, cls.dynamicNames);
          } else if (n.type === 'class_definition') {
            return false;
          }
          return true;
        },
        MEMBER_NODE_TYPES,
      );
      if (methodName === '__init__') this.collectSubmodules(def, selfName, cls);
    }
    return cls;
  }

  private collectSubmodules(init: Node, selfName: string, cls: ClassMembers): void {
    walk(
      init,
      (n) => {
        if (n.type === 'function_definition' && n.id !== init.id) return false;
        if (n.type === 'class_definition' || n.type === 'lambda') return false;
        if (n.type !== 'assignment') return true;
        // `self.dropout = self.dropout_module = FairseqDropout(p)` (fairseq's FastSpeech 2): the outer assignment
        // binds every name of the chain to the one value; its inner assignments are not read again.
        if (n.parent?.type === 'assignment' && n.parent.childForFieldName('right')?.id === n.id) return true;
        const targets: Node[] = [];
        let value: Node | null = n;
        for (; value?.type === 'assignment'; value = value.childForFieldName('right')) {
          const left = value.childForFieldName('left');
          if (left?.type === 'attribute' && left.childForFieldName('object')?.text === selfName) targets.push(left);
        }
        // A chain tree-sitter joined across a syntax error (`self.a = nn.Emb)` over `self.b = nn.Dropout(p)`) is two
        // statements to the user: only the last link is one.
        if (targets.length > 1 && n.hasError) targets.splice(0, targets.length - 1);
        const names = targets.map((t) => t.childForFieldName('attribute')?.text ?? '');
        if (!value || targets.length === 0 || names.includes('')) return true;
        const statement = n.parent?.type === 'expression_statement' ? n.parent : n;
        const regularizers = this.constructedRegularizers(value);
        for (const [i, target] of targets.entries())
          cls.submodules.push({ name: names[i], target, statement, value, regularizers, chain: names });
        return true;
      },
      SUBMODULE_NODE_TYPES,
    );
  }
}

/**
 * A class of the file. A class rather than an object literal with a getter: the model makes one per class on every
 * edit, and a literal's getter is a new function each time.
 */
class FileClass implements ModuleClass {
  private built: ClassMembers | undefined;

  constructor(
    readonly name: string,
    readonly node: Node,
    readonly text: string,
    readonly bases: string[],
    readonly isModule: boolean,
    readonly closedHierarchy: boolean,
    readonly runsChildren: boolean,
    private readonly buildMembers: (node: Node) => ClassMembers,
  ) {}

  get members(): ClassMembers {
    this.built ??= this.buildMembers(this.node);
    return this.built;
  }
}

/** A base class expression of a class statement, as the header keeps it. */
interface BaseExpression {
  type: string;
  text: string;
}

/** What the file model reads of a class statement before its body: its name and base class expressions. */
interface ClassHeader {
  name: string | undefined;
  bases: BaseExpression[];
}

/** Headers by class text: after an edit, only the edited class's header is read from its nodes again. */
const classHeaders = new TextMemo<ClassHeader>();

/** The base class expressions of a class, keyword arguments (`metaclass=…`) left out. */
function baseNodes(node: Node): Node[] {
  return (node.childForFieldName('superclasses')?.namedChildren ?? []).filter(
    (b): b is Node => !!b && b.type !== 'keyword_argument',
  );
}

function readHeader(node: Node): ClassHeader {
  return {
    name: node.childForFieldName('name')?.text,
    bases: baseNodes(node).map((b) => ({ type: b.type, text: b.text })),
  };
}

/** The nodes collectSubmodules acts on; the walk passes over the others without materialising them. */
const SUBMODULE_NODE_TYPES = new Set(['assignment', 'function_definition', 'class_definition', 'lambda']);

const MEMBER_NODE_TYPES = new Set(['attribute', 'call', 'class_definition']);

/** Ways a class reaches all of its submodules without naming them. */
const DYNAMIC_ACCESS = new Set(['children', 'named_children', 'modules', 'named_modules', '_modules', '__dict__']);

function collectDynamicName(call: Node, selfName: string, out: Set<string>): void {
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments')?.namedChildren ?? [];
  const isGetattr =
    fn?.type === 'identifier' &&
    (fn.text === 'getattr' || fn.text === 'hasattr' || fn.text === 'delattr' || fn.text === 'setattr') &&
    args[0]?.text === selfName;
  const isSelfMethod =
    fn?.type === 'attribute' &&
    fn.childForFieldName('object')?.text === selfName &&
    ['get_submodule', '__getattr__', '_modules'].includes(fn.childForFieldName('attribute')?.text ?? '');
  const nameArg = isGetattr ? args[1] : isSelfMethod ? args[0] : undefined;
  if (nameArg?.type === 'string') {
    const content = nameArg.text.replace(/^[rbuRBU]*(['"]{1,3})/, '').replace(/(['"]{1,3})$/, '');
    out.add(content.split('.')[0]);
  } else if (nameArg) {
    // getattr(self, f"drop{i}") and the like: any attribute may be read.
    out.add('*');
  }
}
