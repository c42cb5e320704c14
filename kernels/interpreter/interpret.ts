/**
 * A safe interpreter of hand-written regularizer code over TensorFlow.js tensors. It walks a `RegularizerProgram`
 * (kernels/program.ts: plain data, extracted from the syntax tree by the engine) and runs only what the whitelists
 * of program.ts name: arithmetic, comparisons, tuples and shape arithmetic, locals, `if`/`while`/`for range`,
 * calls of the file's own functions and methods, and the tensor operations of common dropout and drop-path code.
 * Python never runs. Limits on steps, tensor elements, call depth and wall time stop hostile or runaway code with a
 * sentence saying which limit and where.
 *
 * This file is the entry point. The language core is run.ts (statements, expressions, scopes, calls, limits) over
 * the boxed values of values.ts and the operators of operators.ts; the tensor library, one implementation per
 * whitelisted name, is library-functions.ts and tensor-methods.ts. The caller runs a call inside `tf.tidy`, so
 * every intermediate is disposed with it.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { RegularizerProgram } from '../program';
import { tf } from '../tf';
import { Run, type RunOptions } from './run';
import { InterpreterError, TensorValue, typeName, type Value } from './values';

export interface RunStats {
  steps: number;
  maxDepth: number;
}

/**
 * Runs the program's entry on `input` (training flag per `options`) and returns its output tensor. Call inside
 * `tf.tidy`. Throws `InterpreterError` with a sentence for anything it will not or cannot run.
 */
export function interpret(program: RegularizerProgram, input: Tensor, options: RunOptions, stats?: RunStats): Tensor {
  const run = new Run(program, input, options);
  try {
    let out: Value;
    try {
      out = run.main();
    } catch (e) {
      // A tfjs error (a shape no op accepts) is the code failing at that line, as PyTorch would raise there.
      if (e instanceof InterpreterError || !(e instanceof Error)) throw e;
      throw new InterpreterError(`not profiled: line ${run.line} fails with these arguments: ${e.message}`);
    }
    if (!(out instanceof TensorValue))
      throw new InterpreterError(
        `not profiled: the ` +
          `${program.entry.className ? `${program.entry.className}.` : ''}${program.entry.function} call returns ` +
          `${typeName(out)}, not a tensor`,
      );
    if (out.t.shape.join(',') !== input.shape.join(',')) {
      throw new InterpreterError(
        `not profiled: the output has shape [${out.t.shape.join(', ')}], not the input's [${input.shape.join(', ')}]`,
      );
    }
    return out.t.dtype === 'float32' ? out.t : tf().cast(out.t, 'float32');
  } finally {
    if (stats) {
      stats.steps = run.steps;
      stats.maxDepth = run.deepest;
    }
  }
}
