import type { FileDefinitions, ModuleClass } from '../classes';
import type { Node } from '../parser';
import { numericLiteral, parameterList } from '../syntax';
import { methodOf } from './methods';
import type { Rate } from './types';

/** Drop rates: how the code writes one and what it is worth, and what two in a row amount to (RG010's message). */

/** A rate's text and, when it is a literal or a parameter with a literal default, its value. */
export function rateOf(model: FileDefinitions, owner: ModuleClass | null, node: Node): Rate {
  const text = node.text;
  const literal = numericLiteral(node);
  if (literal !== undefined) return { text, value: literal };
  if (node.type === 'identifier' && owner) {
    const init = methodOf(model, owner, '__init__');
    const param = init ? parameterList(init).find((p) => p.name === text) : undefined;
    const value = numericLiteral(param?.default ?? null);
    if (value !== undefined) return { text, value };
  }
  return { text };
}

/** The effective drop rate of two dropouts in a row, as a number when both rates are known, else as a formula. */
export function compoundRate(a: Rate | undefined, b: Rate | undefined): string {
  // A parameter whose default is 0 (speechbrain's `dropout=0.0`) is a rate the caller sets: "0%" would say nothing.
  // A rate outside [0, 1] is RG008's error; a percentage of it would be nonsense ("145%"), so it is named instead.
  const known = (r: Rate | undefined) =>
    r?.value !== undefined && r.value >= 0 && r.value <= 1 && (r.value !== 0 || /^[\d.]+$/.test(r.text));
  if (known(a) && known(b)) {
    a = a!;
    b = b!;
    const p = 1 - (1 - a.value!) * (1 - b.value!);
    return `${+(p * 100).toFixed(2)}%`;
  }
  const pa = a?.text ?? 'p';
  const pb = b?.text ?? 'p';
  return pa === pb ? `1 - (1 - ${pa})²` : `1 - (1 - ${pa})(1 - ${pb})`;
}
