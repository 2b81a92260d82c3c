// How a trial evolved, downsampled to at most WINDOWS points per series: rolling latency percentiles over
// message windows, iperf3 intervals merged in pairs, sampler intervals from the measurement's start.
import { describe, expect, it } from 'vitest';
import { cpuSeries, rollingLatency, throughputSeries, WINDOWS } from '../../src/analysis/timeseries.js';
import type { Samples } from '../../src/tools/proc.js';

describe('time series of a trial', () => {
  it('latency: WINDOWS windows of consecutive messages, their nearest-rank p50 and p99, placed over the duration', () => {
    // 10 000 messages in ns (unit 1): the first half at 20 µs, the second at 40 µs, every 100th slow (1 ms).
    const lat = Uint32Array.from({ length: 10_000 }, (_, i) => (i % 100 === 99 ? 1_000_000 : i < 5000 ? 20_000 : 40_000));
    const s = rollingLatency(lat, 1, 10);
    const p50 = s.filter((p) => p.series === 'p50_us');
    expect(p50).toHaveLength(WINDOWS);
    expect(p50[0]).toEqual({ series: 'p50_us', t: 0.05, value: 20 });
    expect(p50.at(-1)).toEqual({ series: 'p50_us', t: 9.95, value: 40 });
    // 100 messages per window, one of them slow: it is the p99.9, not the p99 (nearest rank 99 of 100).
    expect(s.filter((p) => p.series === 'p99_us').every((p) => p.value === 20 || p.value === 40)).toBe(true);
    // Half-ns units of sockperf ≤ 3.3 logs.
    expect(rollingLatency(Uint32Array.of(40_000), 0.5, 1)).toEqual([{ series: 'p50_us', t: 0.5, value: 20 }, { series: 'p99_us', t: 0.5, value: 20 }]);
    expect(rollingLatency([], 1, 1)).toEqual([]);
  });

  it('throughput: iperf3 intervals, omitted ones left out, merged in pairs (bit-weighted) past WINDOWS', () => {
    const intervals = Array.from({ length: 300 }, (_, i) => ({ start: i * 0.1, end: (i + 1) * 0.1, bitsPerSecond: i % 2 ? 3e9 : 1e9, omitted: i < 4 }));
    const s = throughputSeries(intervals);
    expect(s.length).toBeLessThanOrEqual(WINDOWS);
    expect(s.length).toBeGreaterThan(WINDOWS / 2);
    // Merged pairs of 1 and 3 Gbit/s over equal times average 2.
    for (const p of s.slice(0, -1)) expect(p.value).toBeCloseTo(2, 9);
    expect(s[0]!.t).toBeGreaterThanOrEqual(0.4); // the omitted first 0.4 s are not drawn
    expect(throughputSeries(intervals.slice(4, 10)).map((p) => p.value)).toEqual([1, 3, 1, 3, 1, 3]);
  });

  it('CPU: busy share between consecutive samples, from the measurement start to its end', () => {
    const at = (time: number, busy: number, idle: number) => ({ time, cpu: { user: busy, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0 }, interrupts: 0, contextSwitches: 0, interfaces: {} });
    const s: Samples = { ncpu: 2, samples: [at(99, 0, 0), at(100, 50, 150), at(101, 150, 250), at(102, 150, 450), at(103, 200, 600)] };
    expect(cpuSeries(s, 100, 2.5)).toEqual([
      { series: 'cpu_busy_pct', t: 0.5, value: 50 },
      { series: 'cpu_busy_pct', t: 1.5, value: 0 },
      { series: 'cpu_busy_pct', t: 2.5, value: 25 },
    ]);
  });
});
