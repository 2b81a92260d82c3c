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
  return latencyStatsOf(Float64Array.from(samples).sort(), (v) => v);
}

/**
 * The statistics of an already sorted column whose values `value()` turns into µs (an exact integer column
 * of a streamed full log): sums in ascending order, as latencyStats does, so both give the same numbers.
 */
export function latencyStatsOf<T extends ArrayLike<number>>(sorted: T, value: (raw: number) => number): LatencyStats {
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += value(sorted[i]!);
  const mean = n > 0 ? sum / n : NaN;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (value(sorted[i]!) - mean) ** 2;
  const percentiles: Record<string, number | undefined> = {};
  for (const p of LATENCY_PERCENTILES) {
    const v = nearestRank(sorted, p);
    percentiles[percentileName(p)] = v === undefined ? undefined : value(v);
  }
  return {
    count: n,
    mean,
    stddev: n > 0 ? Math.sqrt(sq / n) : NaN,
    min: n > 0 ? value(sorted[0]!) : NaN,
    max: n > 0 ? value(sorted[n - 1]!) : NaN,
    percentiles,
  };
}

/** A trial's latency statistics as metrics: count, mean/stddev/min/max and each percentile, in µs. */
export function statsMetrics(s: LatencyStats): Record<string, number> {
  const out: Record<string, number> = { count: s.count, mean_us: s.mean, stddev_us: s.stddev, min_us: s.min, max_us: s.max };
  for (const [name, v] of Object.entries(s.percentiles)) if (v !== undefined) out[`${name}_us`] = v;
  return out;
}
