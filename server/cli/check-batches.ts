// How `reglens check` cuts its files into batches for the worker threads (check-pool.ts): a pure function of the
// files' sizes, so bench/check-jobs.ts can simulate the schedule on machines with more cores than it runs on.

/**
 * Batches in the order they are handed out, each to the first worker that is free. A check's cost follows the
 * file's size, so batches are cut by bytes: each holds about a quarter of a worker's share of the bytes still left,
 * which makes early batches long runs of neighbours (files of one folder import the same classes, which a worker
 * then summarizes once) and later ones short, so the workers finish together. A file larger than that share at the
 * start goes first, alone, largest first: started last, it would keep one worker busy after the others are done.
 */
export function planBatches<T extends { bytes: number }>(files: readonly T[], workers: number): T[][] {
  const total = files.reduce((n, f) => n + f.bytes, 0);
  const large = (f: T) => f.bytes > total / (workers * 4);
  const batches = files
    .filter(large)
    .sort((a, b) => b.bytes - a.bytes)
    .map((f) => [f]);
  const rest = files.filter((f) => !large(f));
  let remaining = rest.reduce((n, f) => n + f.bytes, 0);
  for (let i = 0; i < rest.length; ) {
    const budget = remaining / (workers * 4);
    const batch = [rest[i]];
    let bytes = rest[i++].bytes;
    while (i < rest.length && bytes + rest[i].bytes <= budget) {
      bytes += rest[i].bytes;
      batch.push(rest[i++]);
    }
    remaining -= bytes;
    batches.push(batch);
  }
  return batches;
}
