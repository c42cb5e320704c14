// Finds a Python with PyTorch (Debian's python3-torch lives in /usr/bin/python3; a pyenv or venv `python3` on
// PATH may lack it) and runs a script in it. Used by the PyTorch cross-check test and by `npm run bench`; the
// profiler itself never runs Python.
import { spawnSync } from 'node:child_process';

export interface TorchPython {
  python?: string;
  version?: string;
  /** Why no Python with torch was found: every interpreter tried and what it said. */
  reason?: string;
}

export function findTorchPython(): TorchPython {
  const candidates = [process.env.REGLENS_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return {
    reason:
      `\`python3 -c "import torch"\` fails (${tried.join('; ')}); install Debian's python3-torch (apt-get ` +
      `install python3-torch)`,
  };
}

/** Runs `script` with `python`, passing `input` as JSON on stdin; returns the JSON it prints. */
export function runPython<T>(python: string, script: string, input: unknown, timeoutMs = 300_000): T {
  const r = spawnSync(python, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
