import type { Node } from './parser';

/**
 * What each module-level name refers to, as a qualified name (`torch.nn.Dropout`), so that rules recognise
 * library code however it was imported and never mistake the user's own `Dropout` class for PyTorch's.
 */
export class ImportTable {
  /** local name → qualified name; `null` marks a name the file defines itself. */
  private readonly bindings = new Map<string, string | null>();
  /** Modules imported with `from m import *`, searched for names that are bound nowhere else. */
  private readonly starModules: string[] = [];
  /** `from .layers import *`: the workspace index follows these (a package's `__init__.py` re-exports this way). */
  private readonly relativeStarModules: string[] = [];

  /** `nameOf`: the name of a class or function definition, for a caller that already knows it without the node. */
  static fromModule(root: Node, nameOf: (def: Node) => string | undefined = definedName): ImportTable {
    const table = new ImportTable();
    table.collect(root, nameOf);
    table.complete = true;
    return table;
  }

  /** A stable text for cache keys: two files with equal signatures resolve every name alike. */
  signature(): string {
    const parts: string[] = [];
    for (const [k, v] of this.bindings) parts.push(`${k}=${v ?? ''}`);
    return `${parts.join(';')}|${this.starModules.join(',')}`;
  }

  /** Every module-level name bound by an import or assignment to an imported name, with its qualified target. */
  *importedNames(): IterableIterator<[string, string]> {
    for (const [k, v] of this.bindings) if (v !== null) yield [k, v];
  }

  /** Modules of `from m import *`, relative ones (`.layers`) included. */
  starImports(): string[] {
    return [...this.starModules, ...this.relativeStarModules];
  }

  private bind(name: string, qualified: string | null): void {
    this.bindings.set(name, qualified === null ? null : canonicalName(qualified));
  }

  /** Qualified name of an identifier or attribute chain, or null when it is not an imported name. */
  resolve(node: Node | null): string | null {
    if (!node) return null;
    if (node.type === 'identifier') return this.resolveName(node.text);
    if (node.type === 'attribute') {
      // `nn.Module`, `torch.nn.functional.dropout`: split the text rather than visit each link of the chain, whose
      // nodes cost far more to materialise. The same qualification as the recursion below, link by link.
      const chain = node.hasError ? undefined : this.resolveChain(node.text);
      if (chain !== undefined) return chain;
      const object = node.childForFieldName('object');
      const attr = node.childForFieldName('attribute');
      if (!object || !attr) return null;
      const base = this.resolve(object);
      return base === null ? null : canonicalName(`${base}.${attr.text}`);
    }
    if (node.type === 'parenthesized_expression') return this.resolve(node.namedChild(0));
    return null;
  }

  /**
   * `resolve` of an attribute node without a syntax error, from its text alone, when the text is a plain chain of
   * names (`torch.nn.functional.dropout`); undefined for any other text. Link by link, the same qualification as
   * the recursion of `resolve`.
   */
  resolveChain(text: string): string | null | undefined {
    // The same few chains (`nn.Dropout`, `torch.cat`) are asked for again and again, once the table is complete.
    if (!this.complete) return this.qualifyChain(text);
    if (this.chains.has(text)) return this.chains.get(text);
    const qualified = this.qualifyChain(text);
    this.chains.set(text, qualified);
    return qualified;
  }

  /** Set once every binding is in: until then a chain may resolve differently from one statement to the next. */
  private complete = false;
  /** Chains resolved since the table was complete. */
  private readonly chains = new Map<string, string | null | undefined>();

  private qualifyChain(text: string): string | null | undefined {
    if (!DOTTED_NAME.test(text)) return undefined;
    const parts = text.split('.');
    if (NOT_A_NAME.has(parts[0])) return undefined;
    let qualified = this.resolveName(parts[0]);
    for (let i = 1; i < parts.length && qualified !== null; i++) qualified = canonicalName(`${qualified}.${parts[i]}`);
    return qualified;
  }

  resolveName(name: string): string | null {
    const bound = this.bindings.get(name);
    if (bound !== undefined) return bound;
    for (const module of this.starModules) {
      const candidate = canonicalName(`${module}.${name}`);
      if (STAR_EXPORTS.has(candidate)) return candidate;
    }
    return null;
  }

  /** Local name under which a module (e.g. `torch.nn.functional`) can be reached, if any. */
  aliasFor(qualified: string): string | null {
    // The binding closest to the target gives the shortest spelling: `F.dropout` over `torch.nn.functional.dropout`.
    let best: { local: string; depth: number } | null = null;
    for (const [local, q] of this.bindings) {
      if (q === null || (q !== qualified && !qualified.startsWith(`${q}.`))) continue;
      if (!best || q.length > best.depth) best = { local: local + qualified.slice(q.length), depth: q.length };
    }
    return best?.local ?? null;
  }

  private collect(block: Node, nameOf: (def: Node) => string | undefined): void {
    for (const stmt of block.namedChildren) {
      if (!stmt) continue;
      switch (stmt.type) {
        case 'import_statement':
          this.importStatement(stmt);
          break;
        case 'import_from_statement':
          this.importFrom(stmt);
          break;
        case 'future_import_statement':
          break;
        case 'class_definition':
        case 'function_definition': {
          const name = nameOf(stmt);
          if (name !== undefined) this.bindings.set(name, null);
          break;
        }
        case 'decorated_definition': {
          const def = stmt.childForFieldName('definition');
          const name = def ? nameOf(def) : undefined;
          if (name !== undefined) this.bindings.set(name, null);
          break;
        }
        case 'expression_statement':
          this.assignment(stmt.namedChild(0));
          break;
        case 'if_statement':
        case 'try_statement':
        case 'with_statement':
        case 'else_clause':
        case 'elif_clause':
        case 'except_clause':
        case 'finally_clause':
        case 'block':
          // Imports guarded by `if TYPE_CHECKING:` or `try: … except ImportError:` still name the library.
          for (const child of stmt.namedChildren)
            if (child && (child.type === 'block' || child.type.endsWith('_clause'))) this.collect(child, nameOf);
          break;
      }
    }
  }

  private importStatement(stmt: Node): void {
    for (const child of stmt.namedChildren) {
      if (!child) continue;
      if (child.type === 'dotted_name') {
        const first = child.namedChild(0)?.text;
        if (first) this.bind(first, first);
      } else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name');
        const alias = child.childForFieldName('alias');
        if (name && alias) this.bind(alias.text, name.text);
      }
    }
  }

  private importFrom(stmt: Node): void {
    const moduleNode = stmt.childForFieldName('module_name');
    if (!moduleNode) return;
    // Relative imports (`from .layers import DropPath`) are the user's own code, never a library's.
    const module = moduleNode.text.replace(/\s+/g, '');
    for (const child of stmt.namedChildren) {
      if (child?.type !== 'wildcard_import') continue;
      if (module.startsWith('.')) this.relativeStarModules.push(module);
      else this.starModules.push(canonicalName(module));
    }
    // `from . import layers` names `.layers`, `from .. import x` names `..x`: the dots alone are the level.
    const prefix = module.endsWith('.') ? module : `${module}.`;
    for (const child of stmt.childrenForFieldName('name')) {
      if (!child) continue;
      if (child.type === 'dotted_name') {
        this.bind(child.text, `${prefix}${child.text}`);
      } else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name');
        const alias = child.childForFieldName('alias');
        if (name && alias) this.bind(alias.text, `${prefix}${name.text}`);
      }
    }
  }

  /** `Drop = nn.Dropout` or `dropout = F.dropout` re-binds a library name. */
  private assignment(expr: Node | null): void {
    if (!expr || expr.type !== 'assignment') return;
    const left = expr.childForFieldName('left');
    const right = expr.childForFieldName('right');
    if (!left || left.type !== 'identifier') return;
    const target = right && (right.type === 'identifier' || right.type === 'attribute') ? this.resolve(right) : null;
    if (target !== null) this.bindings.set(left.text, target);
    else if (this.bindings.has(left.text)) this.bindings.set(left.text, null);
  }
}

/** Library paths that re-export the same object, mapped to the one name the catalog uses. */
function definedName(def: Node): string | undefined {
  return def.childForFieldName('name')?.text;
}

/** An attribute chain of plain names, written without spaces, comments or brackets. */
const DOTTED_NAME = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;

/** Words tree-sitter does not parse as an identifier at the head of a chain; the node path handles those. */
const NOT_A_NAME = new Set([
  'None',
  'True',
  'False',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'exec',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'print',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

const CANONICAL_PREFIXES: [string, string][] = [
  ['torch.nn.modules.dropout.', 'torch.nn.'],
  ['torch.nn.modules.activation.', 'torch.nn.'],
  ['torch.nn.modules.transformer.', 'torch.nn.'],
  ['torch.nn.modules.rnn.', 'torch.nn.'],
  ['torch.nn.modules.module.', 'torch.nn.'],
  ['torch.nn.modules.container.', 'torch.nn.'],
  ['torch.nn.modules.', 'torch.nn.'],
  ['timm.models.layers.drop.', 'timm.layers.'],
  ['timm.models.layers.', 'timm.layers.'],
  ['timm.layers.drop.', 'timm.layers.'],
  ['torchvision.ops.stochastic_depth.', 'torchvision.ops.'],
  ['torchvision.ops.misc.', 'torchvision.ops.'],
  ['lightning.pytorch.', 'pytorch_lightning.'],
  ['transformers.modeling_utils.', 'transformers.'],
];

export function canonicalName(name: string): string {
  for (const [from, to] of CANONICAL_PREFIXES) if (name.startsWith(from)) return to + name.slice(from.length);
  if (name === 'lightning.LightningModule') return 'pytorch_lightning.LightningModule';
  return name;
}

/** Names a `from m import *` can bring in that matter to Reglens. */
const STAR_EXPORTS = new Set<string>([
  'torch.nn.Module',
  'torch.nn.Dropout',
  'torch.nn.Dropout1d',
  'torch.nn.Dropout2d',
  'torch.nn.Dropout3d',
  'torch.nn.AlphaDropout',
  'torch.nn.FeatureAlphaDropout',
  'torch.nn.Sequential',
  'torch.nn.ModuleList',
  'torch.nn.ModuleDict',
  'torch.nn.functional.dropout',
  'torch.nn.functional.dropout1d',
  'torch.nn.functional.dropout2d',
  'torch.nn.functional.dropout3d',
  'torch.nn.functional.alpha_dropout',
  'torch.nn.functional.feature_alpha_dropout',
  'torch.nn.functional.scaled_dot_product_attention',
  'timm.layers.DropPath',
  'timm.layers.drop_path',
  'torchvision.ops.StochasticDepth',
  'torchvision.ops.stochastic_depth',
]);
