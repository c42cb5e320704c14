// REGLENS_DEBUG decides what a rule's exception becomes: thrown (set), or a finding that says so (unset). Tests that
// depend on either set it for their own run and leave the environment as they found it.

export function withRuleDebugging<T>(on: boolean, fn: () => T): T {
  const before = process.env.REGLENS_DEBUG;
  if (on) process.env.REGLENS_DEBUG = '1';
  else delete process.env.REGLENS_DEBUG;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.REGLENS_DEBUG;
    else process.env.REGLENS_DEBUG = before;
  }
}
