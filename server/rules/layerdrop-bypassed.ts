import type { Node } from '../engine/parser';
import { lineOf, type Rule } from '../engine/rule';
import { readsOf } from '../engine/rate-params';
import { RANDOM_TEXT } from '../engine/semantics/syntax-queries';
import { blockStatements, mentionsTraining, walk } from '../engine/syntax';

/**
 * RG017: layer drop written as a sampled list of layers (`blocks = [b for b, drop in zip(self.blocks, to_drop) if
 * not drop]`, under `if self.training …:`) works only on the paths that run that list. The statements after the
 * sampling are followed path by path (each branch of an `if` apart); a `return` that never reads the sample runs the
 * layers some other way, whole.
 */

/** Does the node read the local `name` (not `self.name`, not a keyword `name=`)? */
const reads = (node: Node, name: string): boolean => readsOf(node, name).length > 0;

/** Does the expression call a submodule (`self.fused(x)`, `self.layers[0](x)`)? Only such a return runs layers. */
function runsModules(node: Node): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    if (n.type === 'call' && /^self\b/.test(n.childForFieldName('function')?.text ?? '')) found = true;
  });
  return found;
}

/** `L = [… for … in … if …]` where the comprehension draws (or reads a name drawn before it in the guard). */
function sampledList(guard: Node): { name: string; assignment: Node } | null {
  const drawn = new Set<string>();
  let sample: { name: string; assignment: Node } | null = null;
  for (const s of blockStatements(guard.childForFieldName('consequence'))) {
    const a = s.type === 'expression_statement' ? s.namedChild(0) : null;
    if (a?.type !== 'assignment') {
      if (sample && reads(s, sample.name)) return null;
      continue;
    }
    const target = a.childForFieldName('left');
    const value = a.childForFieldName('right');
    if (target?.type !== 'identifier' || !value) continue;
    const random = RANDOM_TEXT.test(value.text) || [...drawn].some((d) => reads(value, d));
    const filtered =
      (value.type === 'list_comprehension' || value.type === 'generator_expression') &&
      value.namedChildren.some((c) => c?.type === 'if_clause');
    if (filtered && random) sample = { name: target.text, assignment: a };
    else if (sample?.name === target.text)
      continue; // `blocks = self.blocks[:1] if not blocks else blocks`
    else if (sample && reads(s, sample.name))
      return null; // run inside the guard: the paths after it are not its
    else if (random) drawn.add(target.text);
  }
  return sample;
}

type Path = { kind: 'reads' | 'exits' | 'continues' } | { kind: 'bypasses'; at: Node };

/** Follows the statements in order until one reads the sample, leaves the function, or returns without it. */
function follow(body: readonly Node[], name: string): Path {
  for (const s of body) {
    if (s.type === 'if_statement') {
      const condition = s.childForFieldName('condition');
      if (condition && reads(condition, name)) return { kind: 'reads' };
      const branches = [
        blockStatements(s.childForFieldName('consequence')),
        ...s.namedChildren
          .filter((c): c is Node => c?.type === 'elif_clause' || c?.type === 'else_clause')
          .map((c) => {
            const cond = c.type === 'elif_clause' ? c.childForFieldName('condition') : null;
            if (cond && reads(cond, name)) return null;
            return blockStatements(c.childForFieldName(c.type === 'elif_clause' ? 'consequence' : 'body'));
          }),
      ];
      const hasElse = s.namedChildren.some((c) => c?.type === 'else_clause');
      const paths = branches.map((b) => (b ? follow(b, name) : ({ kind: 'reads' } as Path)));
      const bypass = paths.find((p) => p.kind === 'bypasses');
      if (bypass) return bypass;
      // Every branch read it or left: so does the whole statement (without an `else`, one path goes on).
      if (hasElse && paths.every((p) => p.kind !== 'continues'))
        return paths.some((p) => p.kind === 'reads') ? { kind: 'reads' } : { kind: 'exits' };
      continue;
    }
    if (s.type === 'return_statement') {
      const value = s.namedChild(0);
      if (!value) return { kind: 'exits' };
      if (reads(value, name)) return { kind: 'reads' };
      return runsModules(value) ? { kind: 'bypasses', at: s } : { kind: 'exits' };
    }
    if (s.type === 'raise_statement') return { kind: 'exits' };
    if (reads(s, name)) return { kind: 'reads' };
    // Loops, `with` and `try` that never read it: a `return` inside is not followed (better silent).
    let returns = false;
    walk(s, (n) => {
      if (n.type === 'return_statement' || n.type === 'raise_statement') returns = true;
      if (n.type === 'function_definition' || n.type === 'class_definition' || n.type === 'lambda') return false;
    });
    if (returns) return { kind: 'exits' };
    // `blocks = self.blocks` after the sampling replaces it on every path: nothing to follow.
    const a = s.type === 'expression_statement' ? s.namedChild(0) : null;
    if (a?.type === 'assignment' && a.childForFieldName('left')?.text === name) return { kind: 'exits' };
  }
  return { kind: 'continues' };
}

/** The `if` (or `elif`) whose branch holds the return, between the return and the function's body. */
function branchCondition(at: Node, body: Node): Node | null {
  for (let n = at.parent; n && n.id !== body.id; n = n.parent) {
    if (n.type === 'if_statement' || n.type === 'elif_clause') {
      const condition = n.childForFieldName('condition');
      if (condition && !(n.type === 'if_statement' && insideElse(at, n))) return condition;
    }
  }
  return null;
}

function insideElse(at: Node, statement: Node): boolean {
  return statement.namedChildren.some(
    (c) =>
      (c?.type === 'else_clause' || c?.type === 'elif_clause') &&
      at.startIndex >= c.startIndex &&
      at.endIndex <= c.endIndex,
  );
}

/** reformer-pytorch's layer drop before 39653be, shortened: the docs' example. */
const REFORMER = [
  'def forward(self, x):',
  '    blocks = self.blocks',
  '    if self.training and self.layer_dropout > 0:',
  '        to_drop = torch.empty(len(self.blocks)).uniform_(0, 1) < self.layer_dropout',
  '        blocks = [block for block, drop in zip(self.blocks, to_drop) if not drop]',
  '    if x.shape[1] <= self.reverse_thres:',
  '        return self.irreversible_fn(x)',
  '    return _ReversibleFunction.apply(x, blocks)',
].join('\n');

export const layerdropBypassed: Rule = {
  meta: {
    code: 'RG017',
    name: 'layerdrop-bypassed',
    summary: 'A path of `forward` returns without the layers that layer drop sampled, so every layer runs there.',
    explanation: [
      'Layer drop is often written as a sampled list: in training, `blocks = [b for b, drop in zip(self.blocks, ' +
        'to_drop) if not drop]`, and the layers of that list are run. Every path after the sampling has to run ' +
        '*that list*. A path that returns through something else (an `nn.Sequential` of the same blocks built in ' +
        '`__init__`, `self.layers` itself) runs every layer in training whenever it is taken, and the configured ' +
        'layer drop silently does nothing there. reformer-pytorch shipped this for short sequences, which took the ' +
        'non-reversible path (fixed in 39653be).',
      '',
      'The rule follows the statements after the sampling path by path, each branch of an `if` apart, to each ' +
        '`return`: one that calls a submodule (`self.fused(x)`) without reading the sample bypasses it; one that ' +
        'runs no submodule (`return None`, `return x.new_zeros(())`) is not a bypass, and a sample read in a ' +
        'condition counts as read. Loops, `with` and `try` that never read the sample are not followed inside. ' +
        'There is no fix: which layers the path should run is the author’s call.',
    ].join('\n'),
    wrong: REFORMER,
    right: REFORMER.replace('return self.irreversible_fn(x)', 'return nn.Sequential(*blocks)(x)'),
    defaultSeverity: 'warning',
    fix: 'none',
    triggers: RANDOM_TEXT,
    messages: {
      bypassed:
        'This path returns without `{sample}`, the layers that layer drop kept (line {line}): when `{condition}` ' +
        '(line {conditionLine}), every layer runs in training and layer drop does nothing. Run `{sample}` here too.',
      bypassedAlways:
        'This return runs without `{sample}`, the layers that layer drop kept (line {line}): on this path every ' +
        'layer runs in training and layer drop does nothing. Run `{sample}` here too.',
      unused:
        '`{sample}` holds the layers that layer drop kept, but nothing after it runs them: every layer runs in ' +
        'training and layer drop does nothing.',
    },
  },

  create(context) {
    return {
      function_definition(node) {
        const bodyNode = node.childForFieldName('body');
        const body = blockStatements(bodyNode);
        body.forEach((guard, i) => {
          if (guard.type !== 'if_statement') return;
          const condition = guard.childForFieldName('condition');
          if (!condition || !mentionsTraining(condition)) return;
          const sample = sampledList(guard);
          if (!sample) return;
          const rest = body.slice(i + 1);
          if (!rest.some((s) => reads(s, sample.name))) {
            context.report({ node: sample.assignment, messageId: 'unused', data: { sample: sample.name } });
            return;
          }
          const after = follow(rest, sample.name);
          if (after.kind !== 'bypasses') return;
          const branch = branchCondition(after.at, bodyNode!);
          const data = { sample: sample.name, line: lineOf(sample.assignment) };
          context.report({
            node: after.at,
            messageId: branch ? 'bypassed' : 'bypassedAlways',
            data: branch ? { ...data, condition: branch.text, conditionLine: lineOf(branch) } : data,
          });
        });
      },
    };
  },
};
