// Statistics across repetitions: median, bootstrap confidence intervals (seeded, reproducible), the
// Mann–Whitney U test (exact for small samples without ties), coefficient of variation.
import { seededRandom } from '../util/random.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1). */
export function stddev(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/** Coefficient of variation in percent (sample sd / mean). */
export function cvPercent(values: readonly number[]): number {
  return (stddev(values) / Math.abs(mean(values))) * 100;
}

/** Quantile with linear interpolation between order statistics (R type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
}

export interface Interval {
  low: number;
  high: number;
  level: number;
}

export interface BootstrapOptions {
  level?: number;
  resamples?: number;
  seed?: number;
}

const DEFAULTS = { level: 0.95, resamples: 4000, seed: 20261123 };

function percentileInterval(stats: number[], level: number): Interval {
  const s = stats.filter(Number.isFinite).sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { low: quantile(s, alpha), high: quantile(s, 1 - alpha), level };
}

/** Percentile bootstrap CI of a statistic (default: the median) of one sample. */
export function bootstrapCI(values: readonly number[], opts: BootstrapOptions & { statistic?: (v: number[]) => number } = {}): Interval {
  const { level, resamples, seed } = { ...DEFAULTS, ...opts };
  const stat = opts.statistic ?? median;
  const rnd = seededRandom(seed);
  const n = values.length;
  const out: number[] = [];
  const buf = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) buf[i] = values[Math.floor(rnd() * n)]!;
    out.push(stat(buf));
  }
  return percentileInterval(out, level);
}

/**
 * Bootstrap CI of f(statistic(a), statistic(b)), e.g. Boost% of two medians. Paired: a[i] and b[i] come
 * from the same repetition (interleaved order) and are resampled together; otherwise independently.
 */
export function bootstrapTwoSampleCI(
  a: readonly number[],
  b: readonly number[],
  f: (sa: number, sb: number) => number,
  opts: BootstrapOptions & { paired?: boolean } = {},
): Interval {
  const { level, resamples, seed } = { ...DEFAULTS, ...opts };
  const rnd = seededRandom(seed);
  const out: number[] = [];
  const paired = opts.paired && a.length === b.length;
  const ba = new Array<number>(a.length);
  const bb = new Array<number>(b.length);
  for (let r = 0; r < resamples; r++) {
    if (paired) {
      for (let i = 0; i < a.length; i++) {
        const j = Math.floor(rnd() * a.length);
        ba[i] = a[j]!;
        bb[i] = b[j]!;
      }
    } else {
      for (let i = 0; i < a.length; i++) ba[i] = a[Math.floor(rnd() * a.length)]!;
      for (let i = 0; i < b.length; i++) bb[i] = b[Math.floor(rnd() * b.length)]!;
    }
    out.push(f(median(ba), median(bb)));
  }
  return percentileInterval(out, level);
}

export interface RankTest {
  /** U of the first sample: pairs (x, y) with x > y, ties counting one half. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/** Number of ways to reach each U with m and n observations (no ties): the exact null distribution. */
function uDistribution(m: number, n: number): number[] {
  // f[i][j][u] by the recurrence f(m,n,u) = f(m-1,n,u-n) + f(m,n-1,u), built up in two dimensions.
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const max = i * j;
      const row = new Array<number>(max + 1).fill(0);
      const a = prev[j]!; // f(i-1, j, ·) shifted by j
      const b = cur[j - 1]!; // f(i, j-1, ·)
      for (let u = 0; u <= max; u++) row[u] = (u - j >= 0 ? (a[u - j] ?? 0) : 0) + (b[u] ?? 0);
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n]!;
}

/**
 * Mann–Whitney U test, two-sided. Exact when both samples are small (m·n ≤ 10000) and have no ties;
 * otherwise the normal approximation with tie and continuity corrections (as R's wilcox.test).
 */
export function mannWhitney(x: readonly number[], y: readonly number[]): RankTest {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) return { u: NaN, p: NaN, method: 'exact' };
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(all.length);
  const tieSizes: number[] = [];
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    if (j > i) tieSizes.push(j - i + 1);
    i = j + 1;
  }
  const r1 = all.reduce((acc, o, i) => (o.g === 0 ? acc + ranks[i]! : acc), 0);
  const u = r1 - (m * (m + 1)) / 2;
  if (tieSizes.length === 0 && m * n <= 10000) {
    const dist = uDistribution(m, n);
    const total = dist.reduce((a, b) => a + b, 0);
    const lower = Math.min(u, m * n - u);
    let tail = 0;
    for (let k = 0; k <= lower; k++) tail += dist[k]!;
    return { u, p: Math.min(1, (2 * tail) / total), method: 'exact' };
  }
  const mu = (m * n) / 2;
  const tieTerm = tieSizes.reduce((a, t) => a + t ** 3 - t, 0);
  const sigma = Math.sqrt(((m * n) / 12) * (m + n + 1 - tieTerm / ((m + n) * (m + n - 1))));
  if (sigma === 0) return { u, p: 1, method: 'normal' };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), method: 'normal' };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}
