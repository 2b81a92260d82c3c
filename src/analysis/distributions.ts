// Pooled per-message distributions for figures: the CDF of a point and variant, box statistics per
// group, the switchover timeline. Pure: the report stage reads the raw files and passes the samples.
import { nearestRank } from '../util/samples.js';

/** Sorted copy of all samples of several trials together (pooled, never averaged percentiles). */
export function pool(parts: ArrayLike<number>[]): Float64Array {
  const n = parts.reduce((k, p) => k + p.length, 0);
  const out = new Float64Array(n);
  let i = 0;
  for (const p of parts) for (let j = 0; j < p.length; j++) out[i++] = p[j]!;
  return out.sort();
}

/**
 * The empirical CDF at `points` probabilities spread evenly, plus the tail at 99, 99.9 and 99.99 %
 * where the samples reach: enough to draw it without shipping every message.
 */
export function cdfPoints(sorted: Float64Array, points = 200): { latency_us: number; fraction: number }[] {
  if (sorted.length === 0) return [];
  const ps = new Set<number>();
  for (let i = 0; i <= points; i++) ps.add((i / points) * 100);
  for (const p of [99, 99.5, 99.9, 99.99]) ps.add(p);
  const out: { latency_us: number; fraction: number }[] = [];
  for (const p of [...ps].sort((a, b) => a - b)) {
    const v = p === 0 ? sorted[0] : nearestRank(sorted, p);
    if (v !== undefined) out.push({ latency_us: v, fraction: p / 100 });
  }
  return out;
}

export interface BoxStats {
  n: number;
  p1: number;
  p25: number;
  p50: number;
  p75: number;
  p99: number;
}

/** Box statistics from pooled samples: box p25–p75, median, whiskers at p1 and p99 (stated in the figure). */
export function boxStats(sorted: Float64Array): BoxStats | undefined {
  if (sorted.length === 0) return undefined;
  const q = (p: number) => nearestRank(sorted, p) ?? sorted[0]!;
  return { n: sorted.length, p1: q(1), p25: q(25), p50: q(50), p75: q(75), p99: q(99) };
}

/** Latency over time in bins: median and p99 of the replies that arrived in each bin. */
export function timeline(rx: ArrayLike<number>, latency: ArrayLike<number>, origin: number, binS: number): { t: number; p50_us: number; p99_us: number; n: number }[] {
  const bins = new Map<number, number[]>();
  for (let i = 0; i < rx.length; i++) {
    const b = Math.floor((rx[i]! - origin) / binS);
    let arr = bins.get(b);
    if (!arr) bins.set(b, (arr = []));
    arr.push(latency[i]!);
  }
  return [...bins.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, arr]) => {
      arr.sort((x, y) => x - y);
      return { t: (b + 0.5) * binS, p50_us: nearestRank(arr, 50) ?? arr[0]!, p99_us: nearestRank(arr, 99) ?? arr[arr.length - 1]!, n: arr.length };
    });
}
