// Pooled statistics of one trial's per-message samples (used by the tool adapters to turn a
// full log into metrics; analysis/ works across trials).

/**
 * Nearest-rank percentile as sockperf computes it: sorted ascending, index = floor(0.5 + p/100·n) − 1.
 * Using the same rule means percentiles pooled from a full log equal the tool's own summary.
 * Returns undefined when the rank falls below the first sample (too few samples for that percentile).
 */
export function nearestRank(sorted: ArrayLike<number>, p: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const index = Math.floor(0.5 + (p / 100) * n) - 1;
  if (index < 0) return undefined;
  return sorted[Math.min(index, n - 1)];
}

export const LATENCY_PERCENTILES = [50, 90, 99, 99.9, 99.99] as const;

/** Metric name of a percentile: 99.9 -> "p99_9". */
export function percentileName(p: number): string {
  return `p${String(p).replace('.', '_')}`;
}

export interface LatencyStats {
  count: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  percentiles: Record<string, number | undefined>;
}

/** Pooled statistics of one trial's samples (µs). stddev is the population standard deviation, as sockperf's. */
export function latencyStats(samples: ArrayLike<number>): LatencyStats {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = n > 0 ? sum / n : NaN;
  let sq = 0;
  for (const v of sorted) sq += (v - mean) ** 2;
  const percentiles: Record<string, number | undefined> = {};
  for (const p of LATENCY_PERCENTILES) percentiles[percentileName(p)] = nearestRank(sorted, p);
  return {
    count: n,
    mean,
    stddev: n > 0 ? Math.sqrt(sq / n) : NaN,
    min: n > 0 ? sorted[0]! : NaN,
    max: n > 0 ? sorted[n - 1]! : NaN,
    percentiles,
  };
}
