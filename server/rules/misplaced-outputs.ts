/**
 * RG014's reading of where a regularizer's output goes: a drop path whose result is never added to a shortcut
 * (it drops the whole block, not a residual branch), and a dropout on the logits a classifier returns.
 */
import { DROP_PATH_KINDS, regularizer } from '../engine/catalog';
import type { ModuleClass } from '../engine/classes';
import type { FileModel } from '../engine/model';
import type { Node } from '../engine/parser';
import { callArguments, walk, withoutPlacement, CALL_NODES } from '../engine/syntax';

/** Names of a linear layer's output size that mean classes or a vocabulary: its output is logits. */
const CLASS_COUNT =
  /^(num_classes|n_classes|nclasses|num_class|n_class|nclass|num_labels|n_labels|vocab_size|n_vocab|ntoken|ntokens)$/;

/** A drop path call (`self.drop_path(y)`, `drop_path(y, p, training)`) whose result never meets a `+`. */
export function dropPathsWithoutShortcut(model: FileModel, cls: ModuleClass, method: Node, selfName: string): Node[] {
  const out: Node[] = [];
  walk(
    method,
    (call) => {
      if (!isDropPath(model, cls, call, selfName)) return;
      const value = climbScaling(call);
      const parent = value.parent;
      if (!parent || addsUp(parent, value)) return;
      if (parent.type !== 'assignment' || parent.childForFieldName('right')?.id !== value.id) return;
      const target = parent.childForFieldName('left');
      if (target?.type !== 'identifier') return;
      // `x = self.drop_path(self.mlp(x))` replaces the stream it read: every later use has lost the shortcut
      // unless it adds one back. A new name may be handed to code not read here (a call, a list): silent then.
      const replaces = mentions(value, target.text);
      let handled = false;
      let used = false;
      walk(method, (n) => {
        if (handled || n.type !== 'identifier' || n.text !== target.text || n.startIndex <= parent.endIndex) return;
        used = true;
        const use = climbScaling(n);
        const up = use.parent;
        if (!up || addsUp(up, use) || up.type === 'return_statement' || up.type === 'expression_list') handled = true;
        if (!replaces && ['argument_list', 'list', 'tuple', 'keyword_argument'].includes(up?.type ?? ''))
          handled = true;
      });
      if (used && !handled) out.push(call);
    },
    CALL_NODES,
  );
  return out;
}

function mentions(node: Node, name: string): boolean {
  let found = false;
  walk(node, (n) => {
    if (n.type === 'identifier' && n.text === name) found = true;
  });
  return found;
}

function isDropPath(model: FileModel, cls: ModuleClass, call: Node, selfName: string): boolean {
  const fn = call.childForFieldName('function');
  if (!fn) return false;
  const spec = regularizer(model.imports.resolve(fn));
  if (spec) return DROP_PATH_KINDS.has(spec.kind);
  if (fn.type !== 'attribute' || fn.childForFieldName('object')?.text !== selfName) return false;
  const name = fn.childForFieldName('attribute')!.text;
  const subs = cls.members.submodules.filter((s) => s.name === name);
  return (
    subs.length > 0 &&
    subs.every(
      (s) =>
        s.regularizers.some((r) => DROP_PATH_KINDS.has(r.kind)) ||
        constructsNamed(s.value, /^(DropPath|StochasticDepth)$/),
    )
  );
}

/** `DropPath(r) if r > 0 else nn.Identity()`: some branch constructs a class of that name. */
function constructsNamed(value: Node, name: RegExp): boolean {
  let found = false;
  walk(value, (n) => {
    if (n.type !== 'call') return;
    const callee = n.childForFieldName('function');
    const last = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee?.text;
    if (last && name.test(last)) found = true;
  });
  return found;
}

/** Up through parentheses and multiplications by a scale (`self.gamma * drop_path(y)`). */
function climbScaling(node: Node): Node {
  let value = node;
  for (let p = value.parent; p; p = value.parent) {
    const op = p.type === 'binary_operator' ? p.childForFieldName('operator')?.text : undefined;
    if (p.type !== 'parenthesized_expression' && op !== '*' && op !== '/') return value;
    value = p;
  }
  return value;
}

/** `x + value`, `x += value`, `torch.add(x, value)`, `x.add_(value)`: the value joins a shortcut. */
function addsUp(parent: Node, value: Node): boolean {
  if (parent.type === 'binary_operator') return parent.childForFieldName('operator')?.text === '+';
  if (parent.type === 'augmented_assignment') return parent.childForFieldName('operator')?.text === '+=';
  if (parent.type !== 'argument_list') return false;
  const call = parent.parent;
  const fn = call?.childForFieldName('function');
  const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
  return !!name && /^(add_?|addcmul_?)$|\.add$/.test(name) && callArguments(call!).some((a) => a.id === value.id);
}

/**
 * A dropout whose input is the output of a linear layer sized by a class count or a vocabulary
 * (`nn.Linear(hidden, num_classes)`): the logits themselves are dropped. The input is the call itself or a name
 * the statement just before assigns from it.
 */
export function dropoutsOnLogits(
  model: FileModel,
  cls: ModuleClass,
  method: Node,
  selfName: string,
): { dropout: Node; layer: Node }[] {
  const heads = new Map<string, Node>();
  for (const s of cls.members.submodules) {
    const value = withoutPlacement(s.value);
    if (value.type !== 'call' || model.imports.resolve(value.childForFieldName('function')) !== 'torch.nn.Linear')
      continue;
    const args = callArguments(value);
    const out = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'out_features');
    const size = out ? out.childForFieldName('value') : args.filter((a) => a.type !== 'keyword_argument')[1];
    const name = size?.type === 'attribute' ? size.childForFieldName('attribute')?.text : size?.text;
    if (name && CLASS_COUNT.test(name)) heads.set(s.name, s.value);
  }
  if (heads.size === 0) return [];
  const found: { dropout: Node; layer: Node }[] = [];
  const headOf = (node: Node | undefined): Node | undefined => {
    if (node?.type !== 'call') return undefined;
    const fn = node.childForFieldName('function');
    if (fn?.type !== 'attribute' || fn.childForFieldName('object')?.text !== selfName) return undefined;
    return heads.get(fn.childForFieldName('attribute')!.text);
  };
  walk(
    method,
    (call) => {
      const fn = call.childForFieldName('function');
      if (!fn || !isDropout(model, cls, fn, selfName)) return;
      const input = callArguments(call)[0];
      const layer =
        headOf(input) ?? (input?.type === 'identifier' ? headOf(assignedJustBefore(call, input.text)) : undefined);
      if (layer) found.push({ dropout: call, layer });
    },
    CALL_NODES,
  );
  return found;
}

function isDropout(model: FileModel, cls: ModuleClass, fn: Node, selfName: string): boolean {
  const spec = regularizer(model.imports.resolve(fn));
  if (spec) return spec.kind === 'dropout';
  if (fn.type !== 'attribute' || fn.childForFieldName('object')?.text !== selfName) return false;
  const name = fn.childForFieldName('attribute')!.text;
  const subs = cls.members.submodules.filter((s) => s.name === name);
  return subs.length > 0 && subs.every((s) => s.regularizers.some((r) => r.kind === 'dropout'));
}

/** The value of `name = …` in the statement right before the one holding `node`, in the same block. */
function assignedJustBefore(node: Node, name: string): Node | undefined {
  let stmt: Node | null = node;
  while (stmt && stmt.parent?.type !== 'block') stmt = stmt.parent;
  const previous = stmt?.previousNamedSibling;
  const assignment = previous?.type === 'expression_statement' ? previous.namedChild(0) : null;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('left')?.text !== name) return undefined;
  return assignment.childForFieldName('right') ?? undefined;
}
