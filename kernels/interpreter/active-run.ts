/**
 * The run in progress as the operators and the tensor library see it: its limits, the tensor size check, and its
 * seeded draws. The evaluator (evaluator.ts) implements it; the tensor library never sees statements or scopes.
 */
import type { InterpreterLimits } from '../program';

export interface ActiveRun {
  readonly limits: InterpreterLimits;
  /** Throws unless a tensor of `shape` is within the element limit; returns the shape. */
  checkElements(shape: number[], line: number): number[];
  /** The seed of the next tensor draw. */
  seed(): number;
  /** The next scalar draw (`random.random()`), in [0, 1). */
  random(): number;
}
