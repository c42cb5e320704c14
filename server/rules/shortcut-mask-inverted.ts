import type { Node } from '../engine/parser';
import { lineOf, type Rule } from '../engine/rule';
import { RANDOM_TEXT } from '../engine/semantics/syntax-queries';
import { blockStatements, mentionsTraining, numericLiteral, walk, withoutParentheses } from '../engine/syntax';

/**
 * RG016: a function that draws a boolean mask (`torch.rand(n) > p`) and returns early without drawing (`if not
 * training or p == 0.0:`) must return the mask the draw gives at that rate. A uniform draw in [0, 1) compared with a
 * rate of 0 or 1 has one outcome (`rand > 0` is True everywhere), so the shortcut's constant mask (`new_zeros(…,
 * dtype=torch.bool)`) is checked against it, position by position in what the two paths return. Evaluation is read as
 * rate 0: nothing is dropped.
 */

/** `zeros` ↔ `ones` and their spellings: what a constant boolean mask is built with. */
const FLIPPED: Record<string, string> = {
  zeros: 'ones',
  ones: 'zeros',
  new_zeros: 'new_ones',
  new_ones: 'new_zeros',
  zeros_like: 'ones_like',
  ones_like: 'zeros_like',
};

/** A constant boolean mask: its value, and the token a fix flips (the constructor's name, or the fill literal). */
interface ConstantMask {
  value: boolean;
  node: Node;
  flip: Node;
  flipped: string;
}

/** The rate a shortcut's condition stands for: `p == 0`, `p == 1`, or evaluation (read as rate 0). */
interface Shortcut {
  rate: 0 | 1;
  /** The rate's text (`p`, `self.p`); null for evaluation, which applies to any rate the draw compares with. */
  name: string | null;
}

/** The terms of `a or b or c`, each a shortcut; null when any term is something else. */
function shortcuts(condition: Node | null): Shortcut[] | null {
  const c = withoutParentheses(condition);
  if (!c) return null;
  if (c.type === 'boolean_operator' && c.childForFieldName('operator')?.text === 'or') {
    const left = shortcuts(c.childForFieldName('left'));
    const right = shortcuts(c.childForFieldName('right'));
    return left && right ? [...left, ...right] : null;
  }
  if (c.type === 'not_operator') {
    const operand = withoutParentheses(c.childForFieldName('argument'));
    return operand && ['identifier', 'attribute'].includes(operand.type) && mentionsTraining(operand)
      ? [{ rate: 0, name: null }]
      : null;
  }
  if (c.type === 'comparison_operator' && c.namedChildCount === 2 && c.children[1]?.type === '==') {
    const [left, right] = [withoutParentheses(c.namedChild(0)), withoutParentheses(c.namedChild(1))];
    const value = numericLiteral(right);
    if (left && ['identifier', 'attribute'].includes(left.type) && (value === 0 || value === 1))
      return [{ rate: value, name: left.text }];
  }
  return null;
}

/** `torch.zeros(n, dtype=torch.bool)`, `x.new_ones(n, dtype=torch.bool)`, `torch.full(s, False)`, `….bool()`. */
function constantMask(value: Node | null): ConstantMask | null {
  const v = withoutParentheses(value);
  if (v?.type !== 'call') return null;
  const fn = v.childForFieldName('function');
  const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute') : fn?.type === 'identifier' ? fn : null;
  if (!name) return null;
  // `torch.zeros(n).bool()`: the constructor is the object of `.bool()`.
  if (name.text === 'bool' && fn?.type === 'attribute') {
    const inner = constantMask(fn.childForFieldName('object'));
    return inner && { ...inner, node: v };
  }
  const args = v.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => a !== null) ?? [];
  const boolean = args.some(
    (a) =>
      a.type === 'keyword_argument' &&
      a.childForFieldName('name')?.text === 'dtype' &&
      /^(?:torch\.)?bool$/.test(a.childForFieldName('value')?.text ?? ''),
  );
  if (name.text in FLIPPED)
    return boolean ? { value: /ones/.test(name.text), node: v, flip: name, flipped: FLIPPED[name.text] } : null;
  if (['full', 'new_full', 'full_like'].includes(name.text)) {
    const fill = args.filter((a) => a.type !== 'keyword_argument')[1];
    if (fill?.type === 'true' || fill?.type === 'false')
      return { value: fill.type === 'true', node: v, flip: fill, flipped: fill.type === 'true' ? 'False' : 'True' };
  }
  return null;
}

/** A uniform draw in [0, 1): `torch.rand(…)`, `torch.rand_like(x)`, `….uniform_()` / `uniform_(0, 1)`. */
function isUniformDraw(node: Node, drawn: ReadonlySet<string>): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    if (n.type === 'identifier' && drawn.has(n.text)) found = true;
    if (n.type !== 'call') return;
    const fn = n.childForFieldName('function');
    const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
    if (name === 'rand' || name === 'rand_like' || name === 'torch.rand' || name === 'torch.rand_like') found = true;
    if (name === 'uniform_') {
      const args = n.childForFieldName('arguments')?.namedChildren ?? [];
      const bounds = args.map((a) => (a ? numericLiteral(a) : undefined));
      found = bounds.length === 0 || (bounds.length === 2 && bounds[0] === 0 && bounds[1] === 1);
    }
  });
  return found;
}

/** The names a block assigns (the last assignment of each), and the names it assigns a uniform draw. */
function assignments(statements: readonly Node[]): { values: Map<string, Node>; drawn: Set<string> } {
  const values = new Map<string, Node>();
  const drawn = new Set<string>();
  for (const s of statements) {
    const a = s.type === 'expression_statement' ? s.namedChild(0) : null;
    if (a?.type !== 'assignment') continue;
    const target = a.childForFieldName('left');
    const value = a.childForFieldName('right');
    if (target?.type !== 'identifier' || !value) continue;
    values.set(target.text, value);
    if (value.type !== 'comparison_operator' && isUniformDraw(value, drawn)) drawn.add(target.text);
    else drawn.delete(target.text);
  }
  return { values, drawn };
}

/** The values a block's final `return` gives, one per element of a returned tuple. */
function returned(statements: readonly Node[]): Node[] | null {
  const last = statements.at(-1);
  if (last?.type !== 'return_statement') return null;
  const value = withoutParentheses(last.namedChild(0));
  if (!value) return null;
  if (value.type === 'expression_list' || value.type === 'tuple') return blockStatements(value);
  return [value];
}

/**
 * What a drawn mask `draw OP rate` is at the shortcut's rate: `rand > 0` and `rand >= 0` are True, `rand < 0` False;
 * `rand > 1` False, `rand < 1` True. Null when the comparison is not a uniform draw against the shortcut's rate.
 */
function drawnAt(mask: Node, shortcut: Shortcut, drawn: ReadonlySet<string>): boolean | null {
  const m = withoutParentheses(mask);
  if (m?.type !== 'comparison_operator' || m.namedChildCount !== 2) return null;
  const op = m.children[1]?.type ?? '';
  if (!['<', '<=', '>', '>='].includes(op)) return null;
  const [left, right] = [m.namedChild(0)!, m.namedChild(1)!];
  const drawOnLeft = isUniformDraw(left, drawn);
  if (drawOnLeft === isUniformDraw(right, drawn)) return null;
  const rate = withoutParentheses(drawOnLeft ? right : left);
  if (!rate || (shortcut.name !== null && rate.text !== shortcut.name)) return null;
  // Read as `draw > rate` or `draw < rate`.
  const greater = op.startsWith('>') === drawOnLeft;
  return shortcut.rate === 0 ? greater : !greater;
}

/** The function's shortcuts: each `if`/`elif` that returns, with the path that draws (the `else`, or what follows). */
function shortcutClauses(body: readonly Node[]): { condition: Node; block: Node[]; drawing: Node[] }[] {
  const out: { condition: Node; block: Node[]; drawing: Node[] }[] = [];
  body.forEach((statement, i) => {
    if (statement.type !== 'if_statement') return;
    const clauses = [statement, ...statement.namedChildren.filter((c) => c?.type === 'elif_clause')] as Node[];
    const otherwise = statement.namedChildren.find((c) => c?.type === 'else_clause');
    const drawing = otherwise ? blockStatements(otherwise.childForFieldName('body')) : body.slice(i + 1);
    for (const clause of clauses) {
      const condition = clause.childForFieldName('condition');
      const block = blockStatements(clause.childForFieldName('consequence'));
      if (condition && block) out.push({ condition, block, drawing });
    }
  });
  return out;
}

export const shortcutMaskInverted: Rule = {
  meta: {
    code: 'RG016',
    name: 'shortcut-mask-inverted',
    summary:
      "A dropout function's shortcut (in evaluation, or at rate 0 or 1) returns a constant mask that says the " +
      'opposite of the mask it draws at that rate.',
    explanation: [
      'Dropout helpers that return masks (which nodes, edges or tokens were kept) usually skip the draw when there ' +
        'is nothing to drop: `if not training or p == 0.0: return x, mask`. That mask must be the one the draw ' +
        'would give at that rate. A draw `torch.rand(n) > p` is True for what is kept, so at rate 0 it is True ' +
        'everywhere; a shortcut that returns `new_zeros(n, dtype=torch.bool)` instead says that everything was ' +
        'dropped, in evaluation and at rate 0, while the data it returns is untouched. Whoever filters with the ' +
        'mask then throws everything away exactly when nothing should be dropped (PyTorch Geometric fixed this in ' +
        '`dropout_node`).',
      '',
      'The rule compares, position by position in what the shortcut and the drawing path return, a constant ' +
        'boolean mask (`torch.zeros`/`ones`, `new_zeros`/`new_ones`, `zeros_like`/`ones_like` with `dtype=torch.' +
        'bool`, `torch.full(…, False)`) with a comparison of a uniform draw (`torch.rand`, `rand_like`, ' +
        '`uniform_()`) against the rate. Evaluation (`not training`, `not self.training`) counts as rate 0. It is ' +
        'silent for masks it cannot follow (returned by another function) and for draws that are not uniform in ' +
        '[0, 1).',
      '',
      'The fix (unsafe: callers may have worked around the old mask) builds the constant mask the draw gives.',
    ].join('\n'),
    wrong: [
      'def dropout_node(edge_index, p=0.5, training=True):',
      '    if not training or p == 0.0:',
      '        node_mask = edge_index.new_zeros(num_nodes(edge_index), dtype=torch.bool)',
      '        return edge_index, node_mask',
      '    node_mask = torch.rand(num_nodes(edge_index)) > p',
      '    return subgraph(node_mask, edge_index), node_mask',
    ].join('\n'),
    right: [
      'def dropout_node(edge_index, p=0.5, training=True):',
      '    if not training or p == 0.0:',
      '        node_mask = edge_index.new_ones(num_nodes(edge_index), dtype=torch.bool)',
      '        return edge_index, node_mask',
      '    node_mask = torch.rand(num_nodes(edge_index)) > p',
      '    return subgraph(node_mask, edge_index), node_mask',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: RANDOM_TEXT,
    messages: {
      inverted:
        '`{mask}` is all {constant} when `{condition}` (line {line}), but the draw `{draw}` (line {drawLine}) is all ' +
        '{expected} at {at}: {meaning}',
    },
  },

  create(context) {
    return {
      function_definition(node) {
        const body = blockStatements(node.childForFieldName('body'));
        for (const { condition, block, drawing } of shortcutClauses(body)) {
          // A rate the condition names (`p == 0.0`) says more than "in evaluation": it comes first.
          const terms = shortcuts(condition)?.sort((a, b) => Number(a.name === null) - Number(b.name === null));
          if (!terms) continue;
          const shortcut = assignments(block);
          const drawn = assignments(drawing);
          const early = returned(block);
          const late = returned(drawing);
          if (!early || !late || early.length !== late.length) continue;
          early.forEach((value, i) => {
            const resolve = (v: Node, env: Map<string, Node>) => (v.type === 'identifier' ? env.get(v.text) : v);
            const constant = constantMask(resolve(value, shortcut.values) ?? null);
            const mask = resolve(late[i], drawn.values);
            if (!constant || !mask) return;
            for (const term of terms) {
              const expected = drawnAt(mask, term, drawn.drawn);
              if (expected === null || expected === constant.value) continue;
              const name =
                value.type === 'identifier' ? value.text : late[i].type === 'identifier' ? late[i].text : 'the mask';
              context.report({
                node: constant.node,
                messageId: 'inverted',
                data: {
                  mask: name,
                  constant: constant.value ? 'True' : 'False',
                  condition: condition.text,
                  line: lineOf(condition),
                  draw: mask.text,
                  drawLine: lineOf(mask),
                  expected: expected ? 'True' : 'False',
                  at: term.name === null ? 'rate 0 (evaluation drops nothing)' : `${term.name} == ${term.rate}`,
                  // At rate 0 nothing is dropped, at rate 1 everything is, whichever way round the mask is.
                  meaning:
                    term.rate === 0
                      ? 'the shortcut marks everything dropped where nothing is.'
                      : 'the shortcut marks everything kept where everything is dropped.',
                },
                fix: {
                  applicability: 'unsafe',
                  title: `Build the mask with \`${constant.flipped}\``,
                  edits: [context.edit(constant.flip, constant.flipped)],
                },
              });
              return;
            }
          });
        }
      },
    };
  },
};
