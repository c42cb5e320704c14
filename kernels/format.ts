/** How profile results read: the lens summary, the CLI's text block, and the hover's table and SVG chart. */
import { formatNumber, type Granularity } from './plan';
import { RATIO_BINS, type MeasuredGranularity, type ModeMeasurement, type ProfileResult } from './profile-result';

const pct = (v: number, digits = 1): string => `${(v * 100).toFixed(digits)}%`;
const times = (v: number): string => (Number.isFinite(v) ? `×${v.toFixed(2)}` : 'n/a');

export function formatMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function backendLabel(r: Pick<ProfileResult, 'backend' | 'device'>): string {
  return `${r.backend} (${r.device})`;
}

function isAlpha(r: ProfileResult): boolean {
  return r.kernel.kind === 'alpha-dropout' || r.kernel.kind === 'feature-alpha-dropout';
}

function meanText(r: ProfileResult, m: ModeMeasurement): string {
  // Alpha dropout runs on standardized inputs (mean 0): a ratio of means says nothing, the shift does.
  if (isAlpha(r)) return `mean ${m.meanY >= m.meanX ? '+' : ''}${(m.meanY - m.meanX).toFixed(3)}`;
  return `mean ${times(m.meanRatio)}`;
}

const GRANULARITY_WORDS: Record<MeasuredGranularity, string> = {
  element: 'one decision per element',
  channel: 'one decision per channel',
  sample: 'one decision per sample',
  batch: 'one decision for the whole batch',
  none: 'nothing dropped',
};

function trainSummary(r: ProfileResult): string {
  if (r.implementation) {
    const g = r.implementation.granularity.train;
    const dropped =
      g === 'none'
        ? 'nothing dropped'
        : g === 'sample' || g === 'batch'
          ? `${pct(r.train.samplesDroppedWhole)} samples dropped (per ${g})`
          : `${pct(r.train.droppedFraction)} dropped (per ${g})`;
    return `train: ${dropped} · ${meanText(r, r.train)}`;
  }
  if (r.schedule)
    return `train: ${r.schedule.expectedActiveSampled.toFixed(2)}/${r.schedule.rates.length} blocks active`;
  if (r.fusion)
    return `train: text ${pct(r.fusion.text.droppedFraction)} · image ${pct(r.fusion.image.droppedFraction)} dropped`;
  if (r.kernel.kind === 'attention-dropout' && r.kernel.placement === 'logits')
    return `train: ${pct(r.train.droppedFraction)} of probabilities dropped (dropping logits drops nothing)`;
  const dropped =
    r.kernel.kind === 'drop-path' ||
    (r.kernel.kind === 'semantics' &&
      (r.kernel.semantics.granularity === 'sample' || r.kernel.semantics.granularity === 'batch'))
      ? `${pct(r.train.samplesDroppedWhole)} samples dropped`
      : `${pct(r.train.droppedFraction)} dropped`;
  return `train: ${dropped} · ${meanText(r, r.train)}`;
}

function evalSummary(r: ProfileResult): string {
  if (r.eval.identity) return 'eval: identity';
  if (r.eval.droppedFraction > 0)
    return `eval: STILL ACTIVE, ${pct(r.eval.droppedFraction)} dropped · ${meanText(r, r.eval)}`;
  return `eval: ${meanText(r, r.eval)} · max |y−x| ${r.eval.maxAbsDiff.toPrecision(3)}`;
}

/** One line: `train: 10.0% dropped · mean ×1.00 | eval: identity | 0.21 ms · webgpu (…)`. */
export function summaryLine(r: ProfileResult): string {
  return `${resultLine(r)} · ${backendLabel(r)}`;
}

/** The summary without the backend: `train: 10.0% dropped · mean ×1.00 | eval: identity | 0.21 ms`. */
export function resultLine(r: ProfileResult): string {
  return `${trainSummary(r)} | ${evalSummary(r)} | ${r.timing.noop ? 'no-op at rate 0' : formatMs(r.timing.medianMs)}`;
}

interface Row {
  name: string;
  train: string;
  eval: string;
  /** Statistics only the CLI's full block shows; the hover keeps to the rows a user reads. */
  detail?: boolean;
}

/** Does the site drop whole samples (drop path, a per-sample or per-batch mask), so that the share of them counts? */
function dropsSamples(r: ProfileResult): boolean {
  if (r.kernel.kind === 'drop-path') return true;
  if (r.kernel.kind === 'semantics')
    return r.kernel.semantics.granularity === 'sample' || r.kernel.semantics.granularity === 'batch';
  const g = r.implementation?.granularity;
  return !!g && [g.train, g.eval].some((x) => x === 'sample' || x === 'batch');
}

function rows(r: ProfileResult): Row[] {
  const interval = (m: ModeMeasurement) => `${pct(m.interval[0], 2)} – ${pct(m.interval[1], 2)}`;
  const out: Row[] = [
    { name: 'values dropped', train: pct(r.train.droppedFraction, 2), eval: pct(r.eval.droppedFraction, 2) },
    {
      name: `99.9% interval (${r.train.units} units)`,
      train: interval(r.train),
      eval: r.eval.identity ? '—' : interval(r.eval),
      detail: true,
    },
    {
      name: `rate ${formatNumber(r.rate)} inside`,
      train: r.train.rateInside ? 'yes' : 'NO',
      eval: '—',
      detail: r.train.rateInside,
    },
    isAlpha(r)
      ? {
          name: 'E[y] − E[x]',
          train: (r.train.meanY - r.train.meanX).toFixed(4),
          eval: (r.eval.meanY - r.eval.meanX).toFixed(4),
        }
      : { name: 'E[y] / E[x]', train: r.train.meanRatio.toFixed(4), eval: r.eval.meanRatio.toFixed(4) },
    {
      name: 'Var[y] / Var[x]',
      train: Number.isFinite(r.train.varRatio) ? r.train.varRatio.toFixed(4) : 'n/a',
      eval: Number.isFinite(r.eval.varRatio) ? r.eval.varRatio.toFixed(4) : 'n/a',
      detail: true,
    },
    {
      name: 'samples dropped whole',
      train: pct(r.train.samplesDroppedWhole, 2),
      eval: pct(r.eval.samplesDroppedWhole, 2),
      detail: !dropsSamples(r),
    },
    {
      name: 'max |y − x|',
      train: Number.isFinite(r.train.maxAbsDiff) ? r.train.maxAbsDiff.toPrecision(4) : 'n/a',
      eval: r.eval.identity ? '0 (identity)' : r.eval.maxAbsDiff.toPrecision(4),
    },
  ];
  if (r.fusion) {
    out.push({
      name: `text tokens dropped (${r.fusion.text.tokens})`,
      train: pct(r.fusion.text.droppedFraction, 2),
      eval: '0.00%',
    });
    out.push({
      name: `image tokens dropped (${r.fusion.image.tokens})`,
      train: pct(r.fusion.image.droppedFraction, 2),
      eval: '0.00%',
    });
    for (const a of r.fusion.alternatives)
      out.push({
        name: `… if ${a.placement}`,
        train: `text ${pct(a.text.droppedFraction)} · image ${pct(a.image.droppedFraction)}`,
        eval: '—',
      });
  }
  if (r.implementation) {
    const i = r.implementation;
    const k = i.keptScale;
    out.push({
      name: 'mask granularity (measured)',
      train: GRANULARITY_WORDS[i.granularity.train],
      eval: GRANULARITY_WORDS[i.granularity.eval],
    });
    out.push({
      name: 'kept values × (y/x)',
      train: !Number.isFinite(k.mean)
        ? 'n/a'
        : k.max - k.min <= 1e-3 * Math.abs(k.mean)
          ? k.mean.toFixed(4)
          : `${k.min.toFixed(3)} … ${k.max.toFixed(3)}`,
      eval: '—',
    });
    out.push({
      name: 'interpreter',
      train: `${i.steps} steps per call · ${i.draws.train} draws`,
      eval: `${i.draws.eval} draws`,
      detail: true,
    });
  }
  if (r.schedule) {
    const s = r.schedule;
    out.push({
      name: 'expected active blocks (closed form)',
      train: s.expectedActiveClosed.toFixed(3),
      eval: String(s.rates.length),
    });
    out.push({
      name: `sampled (${s.draws} draws, 99.9%)`,
      train: `${s.expectedActiveSampled.toFixed(3)} [${s.expectedActiveInterval.map((v) => v.toFixed(3)).join(', ')}]`,
      eval: String(s.rates.length),
    });
    out.push({ name: 'closed form inside', train: s.closedInside ? 'yes' : 'NO', eval: '—', detail: s.closedInside });
  }
  return out;
}

function timingText(r: ProfileResult): string {
  if (r.timing.noop) return 'no kernel runs at rate 0 (PyTorch returns x itself)';
  const { repeats, plannedRepeats } = r.timing;
  // Fewer calls than planned: they reached the time budget (slow calls), which the reader should know.
  const of =
    plannedRepeats > repeats
      ? `median of ${repeats} of ${plannedRepeats} planned: the time budget ran out`
      : `median of ${repeats}`;
  return `time per call ${formatMs(r.timing.medianMs)} (${of}) · ${r.timing.gbPerSecond.toFixed(2)} GB/s`;
}

/** The CLI's block for one site. */
export function textBlock(r: ProfileResult): string {
  const all = rows(r);
  const nameWidth = Math.max(...all.map((row) => row.name.length)) + 2;
  const trainWidth = Math.max(26, ...all.map((row) => row.train.length)) + 2;
  const lines = all.map((row) => `    ${row.name.padEnd(nameWidth)}${row.train.padEnd(trainWidth)}${row.eval}`);
  return [
    `    ${''.padEnd(nameWidth)}${'train'.padEnd(trainWidth)}eval`,
    ...lines,
    `    ${timingText(r)} · ${backendLabel(r)}${r.fused ? ' · fused kernel' : ''}`,
  ].join('\n');
}

/** A Markdown table cell: a `|` in the text (`max |y − x|`) would end the cell. */
const cell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');

/** The hover's table: the rows a user reads (the CLI's `textBlock` has every statistic), then timing and backend. */
export function markdownTable(r: ProfileResult): string {
  return [
    '| | train | eval |',
    '| --- | --- | --- |',
    ...rows(r)
      .filter((row) => !row.detail)
      .map((row) => `| ${cell(row.name)} | ${cell(row.train)} | ${cell(row.eval)} |`),
    '',
    `${timingText(r)} · ${backendLabel(r)}${r.fused ? ' · fused kernel' : ''} · shape [${r.shape.join(', ')}] · ` +
      `seed ${r.seed}`,
  ].join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** An SVG chart: y/x histograms (train vs eval), the token map for fusion, survival per block for schedules. */
export function chartSvg(r: ProfileResult): string {
  const W = 360,
    H = 120,
    pad = 18;
  const parts: string[] = [];
  if (r.schedule) {
    const s = r.schedule;
    const n = s.rates.length;
    const bw = (W - 2 * pad) / n;
    s.survivalClosed.forEach((v, i) => {
      const h = v * (H - 2 * pad);
      parts.push(
        `<rect x="${(pad + i * bw).toFixed(1)}" y="${(H - pad - h).toFixed(1)}" width="${(bw * 0.45).toFixed(1)}" ` +
          `height="${h.toFixed(1)}" fill="#4e79a7"/>`,
      );
      const hs = s.survivalSampled[i] * (H - 2 * pad);
      parts.push(
        `<rect x="${(pad + i * bw + bw * 0.5).toFixed(1)}" y="${(H - pad - hs).toFixed(1)}" ` +
          `width="${(bw * 0.45).toFixed(1)}" height="${hs.toFixed(1)}" fill="#f28e2b"/>`,
      );
    });
    parts.push(
      legend(
        [
          ['#4e79a7', 'survival (closed form)'],
          ['#f28e2b', 'sampled'],
        ],
        W,
      ),
    );
    parts.push(`<text x="${pad}" y="${H - 4}" font-size="9" fill="#888">block 0 … ${n - 1}</text>`);
  } else if (r.fusion) {
    const map = r.fusion.tokenMap;
    const bw = (W - 2 * pad) / map.length;
    const text = r.fusion.text.tokens;
    map.forEach((v, i) => {
      const base = i < text ? [78, 121, 167] : [89, 161, 79];
      const shade = base.map((c) => Math.round(c + (255 - c) * (1 - Math.min(1, v * 4))));
      parts.push(
        `<rect x="${(pad + i * bw).toFixed(2)}" y="${pad}" width="${Math.max(bw, 0.5).toFixed(2)}" ` +
          `height="${H - 2 * pad - 14}" fill="rgb(${shade.join(',')})"/>`,
      );
    });
    parts.push(
      legend(
        [
          ['rgb(78,121,167)', `text tokens (${text})`],
          ['rgb(89,161,79)', `image tokens (${map.length - text})`],
        ],
        W,
      ),
    );
    parts.push(
      `<text x="${pad}" y="${H - 4}" font-size="9" fill="#888">darker = more values dropped (sample 0)</text>`,
    );
  } else {
    const { min, max, count } = RATIO_BINS;
    const bw = (W - 2 * pad) / count;
    const top = Math.max(1, ...r.train.ratioHistogram, ...r.eval.ratioHistogram);
    const bars = (bins: number[], color: string, offset: number) =>
      bins.forEach((v, i) => {
        if (!v) return;
        const h = Math.max(1, (Math.sqrt(v) / Math.sqrt(top)) * (H - 2 * pad - 10));
        parts.push(
          `<rect x="${(pad + i * bw + offset).toFixed(1)}" y="${(H - pad - h).toFixed(1)}" ` +
            `width="${(bw * 0.45).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"/>`,
        );
      });
    bars(r.train.ratioHistogram, '#e15759', 0);
    bars(r.eval.ratioHistogram, '#4e79a7', bw * 0.5);
    for (const tick of [min, 0, 1, 2, max]) {
      const x = pad + ((tick - min) / (max - min)) * (W - 2 * pad);
      parts.push(
        `<text x="${x.toFixed(1)}" y="${H - 4}" font-size="9" fill="#888" text-anchor="middle">${tick}</text>`,
      );
    }
    parts.push(
      legend(
        [
          ['#e15759', 'train y/x'],
          ['#4e79a7', 'eval y/x'],
        ],
        W,
      ),
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><rect ` +
    `width="${W}" height="${H}" fill="#fff"/>${parts.join('')}</svg>`
  );
}

function legend(entries: Array<[string, string]>, W: number): string {
  return entries
    .map(
      ([color, label], i) =>
        `<rect x="${W - 150}" y="${4 + i * 12}" width="8" height="8" fill="${color}"/><text x="${W - 138}" ` +
        `y="${11 + i * 12}" font-size="9" fill="#444">${esc(label)}</text>`,
    )
    .join('');
}

/** The chart as a markdown image (data: URI), which VS Code renders in hovers. */
export function chartMarkdown(r: ProfileResult): string {
  return `![y/x in train and eval](data:image/svg+xml;base64,${Buffer.from(chartSvg(r)).toString('base64')})`;
}

/**
 * Where interpreted code contradicts what it should do, as sentences with the figures: training and evaluation
 * expectations that differ beyond the 99.9 % interval (E[y]/E[x] in training is keep × kept scale, so its interval
 * follows from the drop fraction's), and a granularity other than the one its name promises (`expected`).
 */
export function implementationEvidence(
  r: ProfileResult,
  expected?: readonly Granularity[],
): { expectation?: string; granularity?: string } {
  const impl = r.implementation;
  if (!impl) return {};
  const out: { expectation?: string; granularity?: string } = {};
  const g = impl.granularity.train;
  const k = impl.keptScale;
  // A constant rescale of kept values: otherwise (multiplicative noise) there is no keep × scale to bound.
  if (g !== 'none' && Number.isFinite(k.mean) && k.max - k.min <= 1e-3 * Math.abs(k.mean)) {
    const lo = Math.min((1 - r.train.interval[1]) * k.mean, r.train.meanRatio);
    const hi = Math.max((1 - r.train.interval[0]) * k.mean, r.train.meanRatio);
    if (r.eval.meanRatio < lo - 1e-6 || r.eval.meanRatio > hi + 1e-6) {
      out.expectation =
        `E[y]/E[x] = ${r.train.meanRatio.toFixed(3)} in training (99.9% interval ` +
        `${lo.toFixed(3)}–${hi.toFixed(3)}) vs ${r.eval.meanRatio.toFixed(3)} in evaluation`;
    }
  }
  if (expected && g !== 'none' && !expected.includes(g)) {
    out.granularity =
      `its name promises ${expected.map((e) => GRANULARITY_WORDS[e]).join(' or ')}, but the code ` +
      `makes ${GRANULARITY_WORDS[g]}: ${pct(r.train.droppedFraction)} of values dropped, ` +
      `${pct(r.train.samplesDroppedWhole)} of samples dropped whole`;
  }
  return out;
}
