// How each trial evolved while it measured: latency (rolling percentiles over windows of consecutive
// messages), throughput per iperf3 interval, the client host's busy CPU per sampler interval. Downsampled to
// at most WINDOWS points per trial and series, so analysis/timeseries.csv stays small whatever the logs.
import { nearestRank } from '../util/samples.js';
import { usage, type Samples } from '../tools/proc.js';

export const WINDOWS = 100;

export type SeriesName = 'p50_us' | 'p99_us' | 'throughput_gbps' | 'cpu_busy_pct';

export interface SeriesPoint {
  series: SeriesName;
  /** Seconds since the measurement began. */
  t: number;
  value: number;
}

/**
 * Latency per window of consecutive messages (in arrival order): WINDOWS windows of equal message count,
 * each placed at the share of the measurement its messages reach (message index × duration / count): exact
 * for a fixed send rate, an estimate for ping-pong, whose send times follow the replies.
 */
export function rollingLatency(latency: ArrayLike<number>, unitNs: number, durationS: number): SeriesPoint[] {
  const count = latency.length;
  if (count === 0) return [];
  const size = Math.ceil(count / WINDOWS);
  const out: SeriesPoint[] = [];
  for (let from = 0; from < count; from += size) {
    const to = Math.min(count, from + size);
    const window = Float64Array.from({ length: to - from }, (_, i) => latency[from + i]!).sort();
    const t = (((from + to) / 2) * durationS) / count;
    out.push({ series: 'p50_us', t, value: (nearestRank(window, 50)! * unitNs) / 1000 });
    out.push({ series: 'p99_us', t, value: (nearestRank(window, 99)! * unitNs) / 1000 });
  }
  return out;
}

/** iperf3's own intervals (omitted ones left out), at their middle; merged in pairs until ≤ WINDOWS. */
export function throughputSeries(intervals: { start: number; end: number; bitsPerSecond: number; omitted: boolean }[]): SeriesPoint[] {
  let kept = intervals.filter((i) => !i.omitted && i.end > i.start);
  while (kept.length > WINDOWS) {
    kept = Array.from({ length: Math.ceil(kept.length / 2) }, (_, k) => {
      const [a, b] = [kept[2 * k]!, kept[2 * k + 1]];
      if (!b) return a;
      const bits = a.bitsPerSecond * (a.end - a.start) + b.bitsPerSecond * (b.end - b.start);
      return { start: a.start, end: b.end, bitsPerSecond: bits / (b.end - a.start), omitted: false };
    });
  }
  return kept.map((i) => ({ series: 'throughput_gbps' as const, t: (i.start + i.end) / 2, value: i.bitsPerSecond / 1e9 }));
}

/** Busy CPU of the host (% of all its CPUs) between consecutive samples, from `origin` (epoch seconds). */
export function cpuSeries(s: Samples, origin: number, endS: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let k = 1; k < s.samples.length; k++) {
    const [a, b] = [s.samples[k - 1]!, s.samples[k]!];
    const t = (a.time + b.time) / 2 - origin;
    const busy = usage({ ...s, samples: [a, b] })?.busyPct;
    if (t >= 0 && t <= endS && busy !== undefined) out.push({ series: 'cpu_busy_pct', t, value: busy });
  }
  // Downsampled by keeping every k-th interval (the sampler's own means, not averaged again).
  const step = Math.ceil(out.length / WINDOWS);
  return step > 1 ? out.filter((_, i) => i % step === 0) : out;
}
