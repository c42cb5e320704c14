/**
 * RG006's reading of LayerDrop written by hand: in a loop over layers, a random condition decides whether the loop's
 * layer runs (`if random.random() < self.layerdrop: continue`), with no training check around it. The draw may sit in
 * the condition or in a local drawn before it, as fairseq, WavLM and Hugging Face write it (`dropout_probability =
 * np.random.random()`, `skip_the_layer = … if … else …`, `to_drop = True` under a drawn condition); the training
 * check may sit on the condition or on any of those locals.
 */
import type { Node } from '../engine/parser';
import { readsOf } from '../engine/rate-params';
import type { MethodScope, RuleContext } from '../engine/rule';
import type { Fix } from '../engine/types';
import { mentionsTraining, walk } from '../engine/syntax';
import { underTrainingGuard } from '../engine/training';

const RANDOM_DRAWS = new Set([
  'random.random',
  'random.uniform',
  'random.randint',
  'numpy.random.rand',
  'numpy.random.random',
  'numpy.random.uniform',
  'numpy.random.random_sample',
  'torch.rand',
  'torch.randn',
  'torch.randint',
  'torch.empty',
]);

/** Text a call `drawsRandom` takes may show: `torch.randn(`, `x.uniform_(`, any `np.random.` function. */
const MAY_DRAW = /\b(?:rand\w*|random\w*|uniform_?|empty)\s*\(|\brandom\./;

/** Does the expression draw a random number (`random.random() < p`, `torch.rand(1).item() < p`)? */
function drawsRandom(context: RuleContext, node: Node): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    if (n.type === 'call') {
      const q = context.model.imports.resolve(n.childForFieldName('function'));
      if (q && (RANDOM_DRAWS.has(q) || q.startsWith('numpy.random.'))) found = true;
    }
    return !found;
  });
  return found;
}

/** A local assigned a random draw: where, and whether a training check decides it. */
interface DrawnAssignment {
  name: string;
  /** The assignment, whose line the message names. */
  assignment: Node;
  gated: boolean;
}

/** Per file model (one analysis), per method: its drawn assignments, read once however many conditions ask. */
const drawnByMethod = new WeakMap<object, Map<number, DrawnAssignment[]>>();

/**
 * The locals of the method drawn at random, in source order: assigned a value that draws or reads a drawn local
 * (`dropout_probability = np.random.random()`), or assigned anything under a condition that does (`if
 * dropout_probability < p: to_drop = True`). Decided by training: the value, or a condition around the assignment,
 * reads the flag, or the assignment runs only in training (`if self.training:` above it).
 */
function drawnAssignments(context: RuleContext, scope: MethodScope): DrawnAssignment[] {
  let byMethod = drawnByMethod.get(context.model);
  if (!byMethod) drawnByMethod.set(context.model, (byMethod = new Map()));
  const known = byMethod.get(scope.method.id);
  if (known) return known;
  const out: DrawnAssignment[] = [];
  byMethod.set(scope.method.id, out);
  // Most methods draw nothing: one search of their text, not a walk of their assignments.
  if (!MAY_DRAW.test(scope.method.text)) return out;
  const drawn = new Map<string, { gated: boolean }>();
  const decided = (expr: Node) => {
    const read = [...drawn.keys()].filter((name) => readsOf(expr, name).length > 0);
    if (read.length === 0 && !drawsRandom(context, expr)) return null;
    return { gated: mentionsTraining(expr, scope.selfName) || read.some((n) => drawn.get(n)!.gated) };
  };
  walk(scope.method, (n) => {
    if (n.type === 'function_definition' && n.id !== scope.method.id) return false;
    if (n.type !== 'assignment') return;
    const target = n.childForFieldName('left');
    const value = n.childForFieldName('right');
    if (target?.type !== 'identifier' || !value) return;
    const sources = [decided(value)];
    for (let p = n.parent; p && p.id !== scope.method.id; p = p.parent) {
      const cond = p.type === 'if_statement' || p.type === 'elif_clause' ? p.childForFieldName('condition') : null;
      if (cond) sources.push(decided(cond));
    }
    const found = sources.filter((s) => s !== null);
    if (found.length === 0) return;
    const gated = found.some((s) => s.gated) || underTrainingGuard(n, scope);
    drawn.set(target.text, { gated });
    out.push({ name: target.text, assignment: n, gated });
  });
  return out;
}

/** The locals `cond` reads that were drawn before `node`, each with its last drawn assignment's training check. */
function drawnLocals(context: RuleContext, scope: MethodScope, node: Node, cond: Node): DrawnAssignment[] {
  const last = new Map<string, DrawnAssignment>();
  for (const a of drawnAssignments(context, scope)) if (a.assignment.startIndex < node.startIndex) last.set(a.name, a);
  // In the order the condition reads them: the message names the first.
  return [...last.values()]
    .map((a) => ({ a, at: readsOf(cond, a.name)[0]?.startIndex }))
    .filter((r): r is { a: DrawnAssignment; at: number } => r.at !== undefined)
    .sort((x, y) => x.at - y.at)
    .map((r) => r.a);
}

/**
 * A random condition that skips the layer of the enclosing loop in evaluation too, with the fix that checks
 * `self.training` (unsafe: it changes what runs); null when the condition is not one, or a training check decides it.
 */
export function randomLayerSkip(
  context: RuleContext,
  node: Node,
  cond: Node,
  scope: MethodScope,
): { fix: Fix | null; drawn?: { name: string; assignment: Node } } | null {
  let loop: Node | null = null;
  for (let p = node.parent; p && p.id !== scope.method.id; p = p.parent) {
    if (p.type === 'for_statement') {
      loop = p;
      break;
    }
  }
  const left = loop?.childForFieldName('left');
  if (!loop || !left) return null;
  let drawn: { name: string; assignment: Node } | undefined;
  if (!drawsRandom(context, cond)) {
    const read = drawnLocals(context, scope, node, cond);
    if (read.length === 0 || read.some((a) => a.gated)) return null;
    drawn = { name: read[0].name, assignment: read[0].assignment };
  }
  // Last, as the dearest: most conditions draw nothing and have left by now.
  if (mentionsTraining(cond, scope.selfName) || underTrainingGuard(node, scope)) return null;
  const found = (fix: Fix | null) => ({ fix, ...(drawn ? { drawn } : {}) });
  const targets = new Set<string>();
  walk(left, (n) => void (n.type === 'identifier' && targets.add(n.text)));
  // A random augmentation choice or a random sign is not layer skipping: the condition must decide
  // whether the loop's layer (`layer(x)`, `self.layers[i](x)`) runs.
  const callsLayer = (n: Node | null | undefined) => !!n && containsLayerCall(n, targets);
  const flag = `${scope.selfName}.training`;
  if (node.type !== 'if_statement') {
    const parts = node.namedChildren;
    return callsLayer(parts[0]) || callsLayer(parts[2]) ? found(null) : null;
  }
  const body = node.childForFieldName('consequence');
  const alternative = node.childForFieldName('alternative');
  const skips = body?.namedChildren.some((s) => s?.type === 'continue_statement');
  const onlyIf = (title: string, text: string) =>
    found({ applicability: 'unsafe', title, edits: [context.edit(cond, text)] });
  // `if draw < p: continue` and `if to_drop: skip… else: layer(x)` skip the layer when the condition holds.
  if ((skips && callsLayer(loop.childForFieldName('body'))) || (!callsLayer(body) && callsLayer(alternative)))
    return onlyIf(`Skip layers only when \`${flag}\``, `${flag} and ${wrapBool(cond)}`);
  if (!callsLayer(body)) return null;
  if (alternative) return found(null);
  return onlyIf(`Run every layer when not \`${flag}\``, `not ${flag} or ${wrapBool(cond)}`);
}

function containsLayerCall(root: Node, targets: Set<string>): boolean {
  let found = false;
  walk(root, (n) => {
    if (found) return false;
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      if (fn?.type === 'identifier' && targets.has(fn.text)) found = true;
      if (fn?.type === 'subscript') {
        const index = fn.childForFieldName('subscript');
        if (index?.type === 'identifier' && targets.has(index.text)) found = true;
      }
    }
    return !found;
  });
  return found;
}

function wrapBool(cond: Node): string {
  return cond.type === 'boolean_operator' ||
    cond.type === 'not_operator' ||
    cond.type === 'conditional_expression' ||
    cond.type === 'named_expression'
    ? `(${cond.text})`
    : cond.text;
}
