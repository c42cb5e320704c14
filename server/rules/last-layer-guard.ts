/**
 * RG014's reading of a hand-written layer stack: `for i in range(n)` (or `for i, layer in enumerate(self.layers)`)
 * with a dropout under `if i != n:`, a guard meant to skip the last layer that never does.
 */
import { regularizer } from '../engine/catalog';
import type { ModuleClass } from '../engine/classes';
import type { FileModel } from '../engine/model';
import type { Node } from '../engine/parser';
import { callArguments, walk } from '../engine/syntax';

const LOOPS = new Set(['for_statement']);
const NESTING = new Set(['for_statement', 'function_definition', 'if_statement']);

export interface LastLayerGuard {
  condition: Node;
  /** The operand the index is compared with: `self.num_layers`. */
  bound: Node;
  index: string;
  /** `for i in range(self.num_layers)`. */
  loopHeader: string;
  /** The dropout the guard was meant to keep off the last layer. */
  dropout: Node;
}

export function lastLayerGuards(model: FileModel, cls: ModuleClass, method: Node, selfName: string): LastLayerGuard[] {
  const out: LastLayerGuard[] = [];
  walk(
    method,
    (loop) => {
      const header = loopBounds(loop, cls, selfName);
      if (!header) return;
      const body = loop.childForFieldName('body');
      if (!body) return;
      walk(
        body,
        (stmt) => {
          // A loop nested inside has its own index; its guards are read on their own.
          if (stmt.type === 'for_statement' || stmt.type === 'function_definition') return false;
          if (stmt.type !== 'if_statement') return;
          const condition = stmt.childForFieldName('condition');
          const bound = condition && alwaysTrueBound(condition, header.index, header.bounds);
          const dropout = bound && firstDropout(model, cls, stmt.childForFieldName('consequence'), selfName);
          if (condition && bound && dropout) {
            const loopHeader = loop.text.slice(0, (body.startIndex - loop.startIndex) | 0).replace(/:\s*$/, '');
            out.push({ condition, bound, index: header.index, loopHeader: loopHeader.trim(), dropout });
          }
        },
        NESTING,
      );
    },
    LOOPS,
  );
  return out;
}

/** The loop index and every expression known to equal the number of iterations. */
function loopBounds(loop: Node, cls: ModuleClass, selfName: string): { index: string; bounds: string[] } | null {
  const left = loop.childForFieldName('left');
  const right = loop.childForFieldName('right');
  if (!left || right?.type !== 'call') return null;
  const fn = right.childForFieldName('function')?.text;
  const args = callArguments(right);
  if (fn === 'range' && left.type === 'identifier') {
    const stop = args.length === 1 ? args[0] : args.length === 2 && args[0].text === '0' ? args[1] : null;
    if (!stop || stop.type === 'keyword_argument') return null;
    return { index: left.text, bounds: [squeeze(stop.text)] };
  }
  if (fn === 'enumerate' && args.length === 1 && (left.type === 'pattern_list' || left.type === 'tuple_pattern')) {
    const index = left.namedChild(0);
    if (index?.type !== 'identifier') return null;
    const container = squeeze(args[0].text);
    return { index: index.text, bounds: [`len(${container})`, ...lengthAttributes(cls, container, selfName)] };
  }
  return null;
}

/**
 * `self.num_layers` counts `self.layers` when `__init__` stores the count and builds the container from it:
 * `self.num_layers = num_layers` and `for _ in range(num_layers): self.layers.append(…)` (or a comprehension).
 */
function lengthAttributes(cls: ModuleClass, container: string, selfName: string): string[] {
  const init = cls.members.methods.get('__init__');
  if (!init || !container.startsWith(`${selfName}.`)) return [];
  const initSelf = init.childForFieldName('parameters')?.namedChild(0)?.text ?? 'self';
  const containerInInit = `${initSelf}.${container.slice(selfName.length + 1)}`;
  const stored = new Map<string, string>();
  const ranges: { count: string; statement: Node }[] = [];
  walk(init, (n) => {
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (left?.type === 'attribute' && left.childForFieldName('object')?.text === initSelf && right)
        stored.set(left.childForFieldName('attribute')!.text, squeeze(right.text));
    }
    if (n.type === 'call' && n.childForFieldName('function')?.text === 'range') {
      const args = callArguments(n);
      if (args.length !== 1) return;
      let statement: Node | null = n;
      while (statement && statement.type !== 'for_statement' && statement.type !== 'expression_statement')
        statement = statement.parent;
      if (statement) ranges.push({ count: squeeze(args[0].text), statement });
    }
  });
  const out: string[] = [];
  for (const [attr, value] of stored) {
    const counts = ranges.some(
      (r) => (r.count === value || r.count === `${initSelf}.${attr}`) && r.statement.text.includes(containerInInit),
    );
    if (counts) out.push(`${selfName}.${attr}`);
  }
  return out;
}

/** `i != n`, `i < n`, `n != i`, `n > i` where `n` is the loop's own bound: true on every iteration. */
function alwaysTrueBound(condition: Node, index: string, bounds: string[]): Node | null {
  if (condition.type === 'parenthesized_expression' && condition.namedChild(0))
    return alwaysTrueBound(condition.namedChild(0)!, index, bounds);
  if (condition.type !== 'comparison_operator' || condition.namedChildCount !== 2) return null;
  const [a, b] = [condition.namedChild(0)!, condition.namedChild(1)!];
  const op = condition.children.find((c) => c && !c.isNamed)?.text;
  if (a.text === index && (op === '!=' || op === '<') && bounds.includes(squeeze(b.text))) return b;
  if (b.text === index && (op === '!=' || op === '>') && bounds.includes(squeeze(a.text))) return a;
  return null;
}

/** The first dropout call in the block: a regularizer function, or a submodule of `self` that constructs one. */
function firstDropout(model: FileModel, cls: ModuleClass, block: Node | null, selfName: string): Node | null {
  if (!block) return null;
  let found: Node | null = null;
  walk(block, (n) => {
    if (found) return false;
    if (n.type !== 'call') return;
    const fn = n.childForFieldName('function');
    if (regularizer(model.imports.resolve(fn))?.form === 'function') found = n;
    else if (fn?.type === 'attribute' && fn.childForFieldName('object')?.text === selfName) {
      const name = fn.childForFieldName('attribute')!.text;
      if (cls.members.submodules.some((s) => s.name === name && s.regularizers.length > 0)) found = n;
    }
  });
  return found;
}

const squeeze = (text: string): string => text.replace(/\s+/g, '');
