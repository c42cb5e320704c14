/** Plain statistics over Float32Arrays: intervals and the per-draw sums the profiler aggregates. */

/** Two-sided 99.9 % normal quantile. */
export const Z999 = 3.2905267314919255;

/** Wilson score interval for k successes in n trials. */
export function wilsonInterval(k: number, n: number, z = Z999): [number, number] {
  if (n <= 0) return [0, 1];
  const phat = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (phat + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * What a dropped value looks like: y is `y`, unless x is `unlessX` (dropout zeroes values, but an x that is already
 * 0 was not dropped; alpha dropout sets the saturation value whatever x was). NaN matches nothing, so
 * `{ y: NaN, unlessX: NaN }` is a regularizer that drops nothing.
 */
export interface DropRule {
  y: number;
  unlessX: number;
}

export const ZEROED: DropRule = { y: 0, unlessX: 0 };

/** Running sums over one or more draws of (x, y) pairs. */
export class PairStats {
  n = 0;
  sumX = 0;
  sumY = 0;
  sumX2 = 0;
  sumY2 = 0;
  maxAbsDiff = 0;
  dropped = 0;
  units = 0;
  droppedUnits = 0;
  samples = 0;
  samplesDroppedWhole = 0;

  /**
   * Adds one draw, in one pass over x and y. `unit` elements share one draw, so the interval counts units
   * (independent trials), not elements; a unit (and a sample of `sampleSize` elements) counts as dropped when all
   * its values are. The rule is data, not a callback: this loop runs over every element of every draw, and a call
   * per element (three of them, before) was most of a warm profile request on the wasm backend.
   */
  add(x: Float32Array, y: Float32Array, unit: number, sampleSize: number, rule: DropRule): void {
    const n = x.length;
    unit = Math.max(1, unit);
    sampleSize = Math.max(1, sampleSize);
    const dropY = rule.y,
      unlessX = rule.unlessX;
    let sx = 0,
      sy = 0,
      sx2 = 0,
      sy2 = 0,
      maxd = this.maxAbsDiff,
      dropped = 0;
    let units = 0,
      droppedUnits = 0,
      samples = 0,
      samplesDropped = 0;
    // Elements go in blocks that end at the next unit or sample boundary, whichever is first; the sums run in
    // element order, so they are the same numbers, bit for bit, as one plain loop's. A unit of one element is
    // dropped exactly when its element is: no unit boundaries then (a block per element cost 7× the pass).
    const perElement = unit === 1;
    let unitEnd = perElement ? n : Math.min(n, unit),
      sampleEnd = Math.min(n, sampleSize);
    let unitDropped = 0,
      sampleDropped = 0,
      unitStart = 0,
      sampleStart = 0;
    for (let i = 0; i < n; ) {
      const blockEnd = Math.min(unitEnd, sampleEnd);
      let d = 0;
      for (; i < blockEnd; i++) {
        const a = x[i],
          b = y[i];
        sx += a;
        sy += b;
        sx2 += a * a;
        sy2 += b * b;
        const diff = Math.abs(b - a);
        if (diff > maxd) maxd = diff;
        if (b === dropY && a !== unlessX) d++;
      }
      dropped += d;
      unitDropped += d;
      sampleDropped += d;
      if (i === unitEnd && !perElement) {
        units++;
        if (unitDropped === unitEnd - unitStart) droppedUnits++;
        unitDropped = 0;
        unitStart = unitEnd;
        unitEnd = Math.min(n, unitEnd + unit);
      }
      if (i === sampleEnd) {
        samples++;
        if (sampleDropped === sampleEnd - sampleStart) samplesDropped++;
        sampleDropped = 0;
        sampleStart = sampleEnd;
        sampleEnd = Math.min(n, sampleEnd + sampleSize);
      }
    }
    if (perElement) {
      units = n;
      droppedUnits = dropped;
    }
    this.n += n;
    this.sumX += sx;
    this.sumY += sy;
    this.sumX2 += sx2;
    this.sumY2 += sy2;
    this.maxAbsDiff = maxd;
    this.dropped += dropped;
    this.units += units;
    this.droppedUnits += droppedUnits;
    this.samples += samples;
    this.samplesDroppedWhole += samplesDropped;
  }

  get meanX(): number {
    return this.sumX / this.n;
  }
  get meanY(): number {
    return this.sumY / this.n;
  }
  get varX(): number {
    return this.sumX2 / this.n - this.meanX ** 2;
  }
  get varY(): number {
    return this.sumY2 / this.n - this.meanY ** 2;
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
