import type { FileDefinitions, ModuleClass } from '../classes';
import { TextMemo } from '../memo';
import type { Node } from '../parser';

/**
 * Reading methods and functions: a class's method (inherited ones included), what a factory returns, what a text calls.
 */

export function methodOf(model: FileDefinitions, cls: ModuleClass, name: string): Node | undefined {
  for (const c of [cls, ...model.superclassesOf(cls.name)]) {
    const m = c.members.methods.get(name);
    if (m) return m;
  }
  return undefined;
}

/** The expression a function returns, when it has exactly one `return` at the top of its body. */
export function singleReturn(fn: Node): Node | null {
  const body = fn.childForFieldName('body');
  const returns = body?.namedChildren.filter((s) => s?.type === 'return_statement') ?? [];
  return returns.length === 1 ? returns[0]!.namedChild(0) : null;
}

/** Names called in a text, memoized by the text: after an edit, only the edited class is scanned again. */
const calledNamesByText = new TextMemo<string[]>();

/** Names called in a class's or a function's text. */
export function calledNames(def: Node): string[] {
  return calledNamesByText.ofNode(def, () => [
    ...new Set([...def.ownText.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1])),
  ]);
}
