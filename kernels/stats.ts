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
   * Adds one draw. `isDropped(x, y)` says whether a value was dropped; `unit` elements share one draw, so the
   * interval counts units (independent trials), not elements. A unit counts as dropped when all its values are.
   */
  add(x: Float32Array, y: Float32Array, unit: number, sampleSize: number, isDropped: (x: number, y: number) => boolean): void {
    const n = x.length;
    let sx = 0, sy = 0, sx2 = 0, sy2 = 0, maxd = this.maxAbsDiff, dropped = 0;
    for (let i = 0; i < n; i++) {
      const a = x[i], b = y[i];
      sx += a;
      sy += b;
      sx2 += a * a;
      sy2 += b * b;
      const d = Math.abs(b - a);
      if (d > maxd) maxd = d;
      if (isDropped(a, b)) dropped++;
    }
    this.n += n;
    this.sumX += sx;
    this.sumY += sy;
    this.sumX2 += sx2;
    this.sumY2 += sy2;
    this.maxAbsDiff = maxd;
    this.dropped += dropped;
    for (let start = 0; start < n; start += unit) {
      this.units++;
      if (allDropped(x, y, start, Math.min(n, start + unit), isDropped)) this.droppedUnits++;
    }
    for (let start = 0; start < n; start += sampleSize) {
      this.samples++;
      if (allDropped(x, y, start, Math.min(n, start + sampleSize), isDropped)) this.samplesDroppedWhole++;
    }
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

function allDropped(x: Float32Array, y: Float32Array, start: number, end: number, isDropped: (x: number, y: number) => boolean): boolean {
  for (let i = start; i < end; i++) if (!isDropped(x[i], y[i])) return false;
  return true;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
