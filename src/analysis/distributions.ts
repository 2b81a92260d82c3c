// Per-message distributions for figures: which percentiles the CDF draws (pooled from the sample store,
// results/sample-store.ts), the box of a group, the switchover timeline. Pure: the report stage reads.
import { nearestRank } from '../util/samples.js';

/**
 * The percentiles the CDF figure draws: `points` spread evenly, plus the tail at 99, 99.5, 99.9 and
 * 99.99 %: enough to draw it without shipping every message.
 */
export function cdfProbabilities(points = 200): number[] {
  const ps = new Set<number>();
  for (let i = 0; i <= points; i++) ps.add((i / points) * 100);
  for (const p of [99, 99.5, 99.9, 99.99]) ps.add(p);
  return [...ps].sort((a, b) => a - b);
}

/** A box: p25–p75, median, whiskers at p1 and p99 (stated in the figure), of n pooled samples. */
export interface BoxStats {
  n: number;
  p1: number;
  p25: number;
  p50: number;
  p75: number;
  p99: number;
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
