/**
 * Which calls of a method receive a flat feature batch, shape (N, F). The reading follows the rank of each local
 * name through the method's own statements: set by `torch.flatten(x, 1)`, `x.view(x.size(0), -1)` or
 * `x.reshape(-1, 28, 28)`, carried through linear layers, norms, activations, dropouts and recurrent layers (`out, h =
 * self.lstm(x)`), and lowered by indexing with a number (`out[:, -1, :]`, the last step of a sequence) or by a mean
 * or sum over one dimension. A straight-line reading: a name assigned inside a branch or loop is forgotten afterwards,
 * and anything the reading does not know (a submodule of another class, an index that is not a number) has no rank,
 * so is never flat. Channel dropout reads a 2-D input as something other than a batch of feature maps, so RG014 asks
 * this of every channel dropout it sees.
 */
import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import { callArguments, numericLiteral, walk, withoutPlacement, CALL_NODES } from './syntax';

/** Modules whose output has the rank of their input. */
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

/** Recurrent layers: `out, h = self.rnn(x)` gives `out` the rank of `x` (batched or not). */
const RECURRENT_MODULES = new Set(['LSTM', 'GRU', 'RNN'].map((n) => `torch.nn.${n}`));

/** Tensor methods that reduce one dimension given one (`x.mean(1)`, `x.sum(dim=-1)`) without `keepdim`. */
const REDUCING_METHODS = new Set(['mean', 'sum']);

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
  /** The rank each local name is known to have here. */
  const ranks = new Map<string, number>();
  const found = new Set<number>();
  const submoduleKind = new Map<string, string | null>();
  for (const s of cls.members.submodules) {
    const value = withoutPlacement(s.value);
    const callee = value.type === 'call' ? model.imports.resolve(value.childForFieldName('function')) : null;
    // A name assigned twice in `__init__` (say in two branches) is known only when both agree.
    const known = submoduleKind.get(s.name);
    submoduleKind.set(s.name, known === undefined || known === callee ? callee : null);
  }

  const rankOf = (node: Node | null | undefined): number | undefined => {
    if (!node) return undefined;
    switch (node.type) {
      case 'identifier':
        return ranks.get(node.text);
      case 'parenthesized_expression':
        return rankOf(node.namedChild(0));
      case 'call':
        return callRank(node);
      case 'subscript':
        return indexedRank(rankOf(node.childForFieldName('value')), node.childrenForFieldName('subscript'));
      default:
        return undefined;
    }
  };

  const firstPositional = (call: Node): Node | undefined =>
    callArguments(call).find((a) => a.type !== 'keyword_argument' && a.type !== 'comment');

  /** The kind of `self.<name>` a call's function is, if it is one. */
  const submoduleCalled = (fn: Node): string | null | undefined => {
    if (fn.type !== 'attribute' || fn.childForFieldName('object')?.text !== selfName) return undefined;
    return submoduleKind.get(fn.childForFieldName('attribute')?.text ?? '');
  };

  const callRank = (call: Node): number | undefined => {
    const fn = call.childForFieldName('function');
    if (!fn) return undefined;
    const args = callArguments(call);
    const qualified = model.imports.resolve(fn);
    if (qualified === 'torch.flatten') return flattensFromOne(args.slice(1)) ? 2 : undefined;
    if (qualified && ELEMENTWISE_FUNCTIONS.has(qualified)) return rankOf(firstPositional(call));
    if (fn.type !== 'attribute') return undefined;
    const object = fn.childForFieldName('object');
    const name = fn.childForFieldName('attribute')?.text ?? '';
    if (object?.type === 'identifier' && object.text === selfName) {
      const kind = submoduleCalled(fn);
      return kind && RANK_KEEPING_MODULES.has(kind) ? rankOf(firstPositional(call)) : undefined;
    }
    if (name === 'flatten') return flattensFromOne(args) ? 2 : undefined;
    if (name === 'view' || name === 'reshape') return reshapedRank(args);
    if (SHAPE_KEEPING_METHODS.has(name)) return rankOf(object);
    if (REDUCING_METHODS.has(name)) {
      const rank = rankOf(object);
      return rank !== undefined && reducesOneDimension(args) ? rank - 1 : undefined;
    }
    return undefined;
  };

  const evaluate = (expr: Node) => {
    walk(
      expr,
      (n) => {
        if (rankOf(firstPositional(n)) === 2) found.add(n.id);
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
      for (const name of assigned) ranks.delete(name);
    }
  };

  const assign = (assignment: Node) => {
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    // Read before the names are bound: `x = x[:, -1]` reads the old `x`.
    const rank = left?.type === 'identifier' ? rankOf(right) : recurrentOutput(left, right);
    walk(left ?? assignment, (n) => {
      if (n.type === 'identifier') ranks.delete(n.text);
    });
    if (rank === undefined || !left) return;
    const name = left.type === 'identifier' ? left : left.namedChild(0);
    if (name) ranks.set(name.text, rank);
  };

  /** `out, h = self.lstm(x)` / `out, (h, c) = …`: the rank of `out`, which is that of `x`. */
  const recurrentOutput = (left: Node | null, right: Node | null): number | undefined => {
    if ((left?.type !== 'pattern_list' && left?.type !== 'tuple_pattern') || left.namedChild(0)?.type !== 'identifier')
      return undefined;
    const value = right && withoutPlacement(right);
    const fn = value?.type === 'call' ? value.childForFieldName('function') : null;
    const kind = fn ? submoduleCalled(fn) : undefined;
    return kind && RECURRENT_MODULES.has(kind) ? rankOf(firstPositional(value!)) : undefined;
  };

  const body = method.childForFieldName('body');
  if (body) readBlock(body);
  return found;
}

/**
 * The rank of `value[…]` for a value of known rank: a number takes its dimension away, `None` adds one, a slice
 * keeps one; anything else (a tensor or a name as index, `...`) and the rank is not known.
 */
function indexedRank(rank: number | undefined, indices: readonly (Node | null)[]): number | undefined {
  if (rank === undefined || indices.length > rank) return undefined;
  let result = rank;
  for (const index of indices) {
    if (!index) return undefined;
    if (index.type === 'slice') continue;
    if (index.type === 'none') result++;
    else if (Number.isInteger(numericLiteral(index))) result--;
    else return undefined;
  }
  return result;
}

/** `mean(1)`, `sum(dim=-1)`: one literal dimension, no `keepdim`. */
function reducesOneDimension(args: Node[]): boolean {
  if (args.length !== 1) return false;
  const [arg] = args;
  const dim =
    arg.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'dim'
      ? arg.childForFieldName('value')
      : arg;
  return Number.isInteger(numericLiteral(dim ?? null));
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

/**
 * `view(x.size(0), -1)`, `reshape(-1, 28, 28)`, `reshape((n, -1))`: as many dimensions as sizes, when each argument is
 * one size; a name alone may be a whole shape (`view(shape)`), so one argument counts only as a tuple or list.
 */
function reshapedRank(args: Node[]): number | undefined {
  if (args.some((a) => a.type === 'keyword_argument' || a.type.endsWith('splat'))) return undefined;
  if (args.length === 1 && (args[0].type === 'tuple' || args[0].type === 'list'))
    return reshapedRank(args[0].namedChildren.filter((n): n is Node => !!n));
  if (args.length < 2 || args.some((a) => a.type === 'tuple' || a.type === 'list' || a.type.endsWith('splat')))
    return undefined;
  return args.length;
}

function isAssignedName(id: Node): boolean {
  const parent = id.parent;
  if (!parent) return false;
  if (parent.type === 'assignment' || parent.type === 'augmented_assignment' || parent.type === 'for_statement')
    return parent.childForFieldName('left')?.id === id.id;
  return parent.type === 'pattern_list' || parent.type === 'tuple_pattern';
}
