// Cross-check against real PyTorch (Debian's python3-torch): the same statistics from torch's own F.dropout,
// F.dropout2d, F.alpha_dropout and torchvision-style stochastic_depth and from Reglens' kernels, at the same rate
// and shape. Constants (scales, alpha dropout's affine map and saturation value) must agree to float precision;
// drop fractions within the two-sample binomial bound Z·sqrt(2p(1-p)/n), Z = 5 (false-failure odds < 6e-7).
// Skipped, with the reason, where `import torch` fails.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { findTorchPython, runPython } from '../../bench/pytorch';
import { applyTrain } from '../../kernels/ops';
import { maskPlan, type KernelSpec } from '../../kernels/plan';
import { tf } from '../../kernels/tf';
import { activate, Z } from './suite';

const SHAPE = [16, 64, 128];

interface Stats {
  dropped: number;
  units: number;
  /** y = a·x + b on kept values (a = 1/(1-p), b = 0 for inverted dropout). */
  a: number;
  b: number;
  droppedValue: number;
}

// torchvision.ops.stochastic_depth, verbatim in behaviour (torchvision is not packaged with python3-torch).
const SCRIPT = `
import json, sys, torch
import torch.nn.functional as F
torch.manual_seed(0)
req = json.load(sys.stdin)
shape = req["shape"]

def stochastic_depth(input, p, mode, training=True):
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = torch.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise

def stats(x, y, unit_dims, dropped_value, draws):
    dropped = (y == dropped_value)
    kept = ~dropped
    xs, ys = x[kept].double(), y[kept].double()
    a = float(((xs - xs.mean()) * (ys - ys.mean())).sum() / ((xs - xs.mean()) ** 2).sum())
    b = float(ys.mean() - a * xs.mean())
    # Units: drop decisions are per element / channel / sample; count units all of whose values are dropped.
    u = dropped.reshape(list(dropped.shape[:unit_dims]) + [-1]).all(dim=-1)
    return {"dropped": int(u.sum()), "units": int(u.numel()), "a": a, "b": b, "droppedValue": float(dropped_value)}

out = {}
for k in req["kernels"]:
    p, kind = k["p"], k["kind"]
    total = None
    for d in range(k["draws"]):
        x = torch.randn(shape) + (0.0 if "alpha" in kind else 1.0)
        if kind == "dropout":
            y, dims, dv = F.dropout(x, p, training=True), len(shape), 0.0
        elif kind == "channel-dropout":
            y, dims, dv = F.dropout2d(x.unsqueeze(-1), p, training=True).squeeze(-1), 2, 0.0
        elif kind == "alpha-dropout":
            y, dims = F.alpha_dropout(x, p, training=True), len(shape)
            alpha = 1.7580993408473766
            a = 1.0 / ((alpha * alpha * p + 1) * (1 - p)) ** 0.5
            dv = float(torch.tensor(alpha * a * (p - 1), dtype=torch.float32))
        elif kind == "drop-path":
            y, dims, dv = stochastic_depth(x, p, k["mode"]), (1 if k["mode"] == "row" else 0), 0.0
        s = stats(x, y, dims, dv, k["draws"])
        if total is None: total = s
        else:
            total["dropped"] += s["dropped"]; total["units"] += s["units"]
    out[k["name"]] = total
print(json.dumps(out))
`;

const KERNELS: Array<{ name: string; spec: KernelSpec; draws: number; unitDims: number }> = [
  { name: 'dropout', spec: { kind: 'dropout', p: 0.3 }, draws: 1, unitDims: 3 },
  { name: 'dropout2d', spec: { kind: 'channel-dropout', p: 0.5 }, draws: 4, unitDims: 2 },
  { name: 'alpha_dropout', spec: { kind: 'alpha-dropout', p: 0.2 }, draws: 1, unitDims: 3 },
  {
    name: 'stochastic_depth_row',
    spec: { kind: 'drop-path', p: 0.25, mode: 'row', scaleByKeep: true },
    draws: 64,
    unitDims: 1,
  },
];

let python: string | undefined;
let reason: string | undefined;
let torch: Record<string, Stats> = {};

before(async () => {
  const found = findTorchPython();
  python = found.python;
  reason = found.reason;
  if (!python) return;
  torch = runPython<Record<string, Stats>>(python, SCRIPT, {
    shape: SHAPE,
    kernels: KERNELS.map((k) => ({ name: k.name, draws: k.draws, ...(k.spec as object) })),
  });
  await activate('cpu');
});

async function ours(k: (typeof KERNELS)[number]): Promise<Stats> {
  const t = tf();
  const plan = maskPlan(k.spec)!;
  const alpha = k.spec.kind === 'alpha-dropout';
  const droppedValue = Math.fround(plan.droppedValue);
  let dropped = 0,
    units = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0,
    n = 0;
  for (let d = 0; d < k.draws; d++) {
    const x = t.randomNormal(SHAPE, alpha ? 0 : 1, 1, 'float32', 100 + d);
    const xs = (await x.data()) as Float32Array;
    const y = applyTrain(x, plan, 200 + d);
    const ys = (await y.data()) as Float32Array;
    x.dispose();
    y.dispose();
    const unit = SHAPE.slice(k.unitDims).reduce((a, b) => a * b, 1);
    for (let u = 0; u < xs.length; u += unit) {
      units++;
      let all = true;
      for (let i = u; i < u + unit; i++) {
        if (ys[i] === droppedValue) continue;
        all = false;
        n++;
        sx += xs[i];
        sy += ys[i];
        sxx += xs[i] * xs[i];
        sxy += xs[i] * ys[i];
      }
      if (all) dropped++;
    }
  }
  const a = (sxy - (sx * sy) / n) / (sxx - (sx * sx) / n);
  return { dropped, units, a, b: sy / n - (a * sx) / n, droppedValue };
}

for (const k of KERNELS) {
  test(`${k.name}: the same constants and drop rate as PyTorch`, async (t) => {
    if (!python) {
      t.skip(reason!);
      return;
    }
    const theirs = torch[k.name];
    const mine = await ours(k);
    assert.ok(Math.abs(mine.a - theirs.a) <= 1e-5 * Math.abs(theirs.a), `scale: ours ${mine.a}, torch ${theirs.a}`);
    assert.ok(Math.abs(mine.b - theirs.b) <= 1e-5, `shift: ours ${mine.b}, torch ${theirs.b}`);
    assert.equal(Math.fround(mine.droppedValue), Math.fround(theirs.droppedValue), 'the dropped value');
    const p = (k.spec as { p: number }).p;
    const f1 = mine.dropped / mine.units,
      f2 = theirs.dropped / theirs.units;
    const bound = Z * Math.sqrt(p * (1 - p) * (1 / mine.units + 1 / theirs.units));
    assert.ok(
      Math.abs(f1 - f2) <= bound,
      `drop fraction: ours ${f1} (${mine.units} units), torch ${f2} (${theirs.units} units), bound ${bound}`,
    );
  });
}
