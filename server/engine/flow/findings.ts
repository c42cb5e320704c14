import type { ModuleClass } from '../classes';
import type { Node } from '../parser';

/** Which flow facts become findings. */

/** Does the node lie inside the class's own text (a finding of a class statement must)? */
export function within(cls: ModuleClass, node: Node): boolean {
  return node.startIndex >= cls.node.startIndex && node.endIndex <= cls.node.endIndex;
}
