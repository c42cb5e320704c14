/**
 * Which calls of a method receive a flat feature batch, shape (N, F): the value after `torch.flatten(x, 1)` or
 * `x.view(x.size(0), -1)`, carried through linear layers, activations and dropouts. A straight-line reading of the
 * method's own statements: a name assigned inside a branch or loop is forgotten afterwards, and anything the
 * reading does not know (a submodule of another class, an indexing) is not flat. Channel dropout reads a 2-D input
 * as something other than a batch of feature maps, so RG014 asks this of every channel dropout it sees.
 */
import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import { callArguments, numericLiteral, walk, withoutPlacement, CALL_NODES } from './syntax';

/** Modules whose output has the rank of their input when that input is (N, F). */
const RANK_KEEPING_MODULES = new Set(
  [
    'Linear',
    'LazyLinear',
    'BatchNorm1d',
    'LayerNorm',
    'Identity',
    'ReLU',
    'ReLU6',
    'GELU',
    'SiLU',
    'ELU',
    'LeakyReLU',
    'PReLU',
    'Tanh',
    'Sigmoid',
    'Mish',
    'Dropout',
    'Dropout1d',
    'Dropout2d',
    'Dropout3d',
    'AlphaDropout',
  ].map((n) => `torch.nn.${n}`),
);

/** Element-wise functions: the output has the input's shape. */
const ELEMENTWISE_FUNCTIONS = new Set([
  ...['relu', 'relu6', 'gelu', 'silu', 'elu', 'leaky_relu', 'mish', 'tanh', 'sigmoid'].map(
    (n) => `torch.nn.functional.${n}`,
  ),
  ...['dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout'].map((n) => `torch.nn.functional.${n}`),
  'torch.relu',
  'torch.tanh',
  'torch.sigmoid',
]);

/** Tensor methods that keep the shape (`x.to(device)`, `x.relu()`). */
const SHAPE_KEEPING_METHODS = new Set([
  'to',
  'cuda',
  'cpu',
  'float',
  'half',
  'double',
  'bfloat16',
  'contiguous',
  'relu',
  'relu_',
  'tanh',
  'sigmoid',
  'type_as',
  'clone',
  'detach',
]);

/** The ids of the calls in `method` whose first positional argument is a flat (N, F) feature batch. */
export function callsOnFlatFeatures(model: FileModel, cls: ModuleClass, method: Node, selfName: string): Set<number> {
  const flatNames = new Set<string>();
  const found = new Set<number>();
  const submoduleKind = new Map<string, string | null>();
  for (const s of cls.members.submodules) {
    const value = withoutPlacement(s.value);
    const callee = value.type === 'call' ? model.imports.resolve(value.childForFieldName('function')) : null;
    // A name assigned twice in `__init__` (say in two branches) is known only when both agree.
    const known = submoduleKind.get(s.name);
    submoduleKind.set(s.name, known === undefined || known === callee ? callee : null);
  }

  const isFlat = (node: Node | null | undefined): boolean => {
    if (!node) return false;
    switch (node.type) {
      case 'identifier':
        return flatNames.has(node.text);
      case 'parenthesized_expression':
        return isFlat(node.namedChild(0));
      case 'call':
        return callIsFlat(node);
      default:
        return false;
    }
  };

  const firstPositional = (call: Node): Node | undefined =>
    callArguments(call).find((a) => a.type !== 'keyword_argument' && a.type !== 'comment');

  const callIsFlat = (call: Node): boolean => {
    const fn = call.childForFieldName('function');
    if (!fn) return false;
    const args = callArguments(call);
    const qualified = model.imports.resolve(fn);
    if (qualified === 'torch.flatten') return flattensFromOne(args.slice(1));
    if (qualified && ELEMENTWISE_FUNCTIONS.has(qualified)) return isFlat(firstPositional(call));
    if (fn.type !== 'attribute') return false;
    const object = fn.childForFieldName('object');
    const name = fn.childForFieldName('attribute')?.text ?? '';
    if (object?.type === 'identifier' && object.text === selfName) {
      const kind = submoduleKind.get(name);
      return !!kind && RANK_KEEPING_MODULES.has(kind) && isFlat(firstPositional(call));
    }
    if (name === 'flatten') return flattensFromOne(args);
    if (name === 'view' || name === 'reshape') return reshapesToFlat(args);
    if (SHAPE_KEEPING_METHODS.has(name)) return isFlat(object);
    return false;
  };

  const evaluate = (expr: Node) => {
    walk(
      expr,
      (n) => {
        if (isFlat(firstPositional(n))) found.add(n.id);
      },
      CALL_NODES,
    );
  };

  const readBlock = (block: Node) => {
    for (const stmt of block.namedChildren) {
      if (!stmt) continue;
      if (stmt.type === 'expression_statement' || stmt.type === 'return_statement') {
        const expr = stmt.namedChild(0);
        if (!expr) continue;
        evaluate(expr);
        if (expr.type === 'assignment') assign(expr);
        continue;
      }
      // A compound statement: read its blocks with what is known now, then forget whatever they assign.
      const assigned = new Set<string>();
      walk(stmt, (n) => {
        if (n.type === 'identifier' && isAssignedName(n)) assigned.add(n.text);
      });
      walk(stmt, (n) => {
        if (n.type !== 'block') return true;
        readBlock(n);
        return false;
      });
      for (const name of assigned) flatNames.delete(name);
    }
  };

  const assign = (assignment: Node) => {
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (left?.type !== 'identifier') {
      walk(left ?? assignment, (n) => {
        if (n.type === 'identifier') flatNames.delete(n.text);
      });
      return;
    }
    if (right && isFlat(right)) flatNames.add(left.text);
    else flatNames.delete(left.text);
  };

  const body = method.childForFieldName('body');
  if (body) readBlock(body);
  return found;
}

/** `flatten(1)`, `flatten(start_dim=1)`: everything after the batch dimension in one. */
function flattensFromOne(args: Node[]): boolean {
  let start: Node | undefined;
  for (const a of args) {
    if (a.type === 'keyword_argument') {
      const key = a.childForFieldName('name')?.text;
      if (key === 'start_dim') start = a.childForFieldName('value') ?? undefined;
      else return false; // an `end_dim` keeps trailing dimensions
    } else if (!start) start = a;
    else return false;
  }
  return !!start && numericLiteral(start) === 1;
}

/** `view(x.size(0), -1)`, `reshape(-1, 320)`: two dimensions, one of them inferred. */
function reshapesToFlat(args: Node[]): boolean {
  if (args.length !== 2 || args.some((a) => a.type === 'keyword_argument' || a.type.endsWith('splat'))) return false;
  return args.some((a) => numericLiteral(a) === -1);
}

function isAssignedName(id: Node): boolean {
  const parent = id.parent;
  if (!parent) return false;
  if (parent.type === 'assignment' || parent.type === 'augmented_assignment' || parent.type === 'for_statement')
    return parent.childForFieldName('left')?.id === id.id;
  return parent.type === 'pattern_list' || parent.type === 'tuple_pattern';
}
