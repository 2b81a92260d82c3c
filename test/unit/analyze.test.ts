import { describe, expect, it } from 'vitest';
import { analyze, boostPercent, median } from '../../src/analysis/analyze.js';
import { RECORD_SCHEMA, type TrialRecord } from '../../src/results/record.js';

let seq = 0;
function rec(size: number, variant: string, rep: number, p50: number, status: TrialRecord['status'] = 'ok', kind: 'rtt' | 'half-rtt' = 'half-rtt'): TrialRecord {
  const pointKey = `t0-udp-m${size}-p0`;
  return {
    schema: RECORD_SCHEMA,
    run: 'r',
    trial: `${pointKey}-${variant}-r${rep}`,
    seq: seq++,
    pointKey,
    point: { test: 0, testName: 'pp', tool: 'sockperf', mode: 'ping-pong', protocol: 'udp', size, pair: 0 },
    variant,
    repetition: rep - 1,
    status,
    started: '',
    ended: '',
    metrics: status === 'failed' ? {} : { p50_us: p50, p99_us: p50 * 2, count: 1000 },
    latencyKind: kind,
    tool: { name: 'sockperf', command: '' },
    raw: [],
  };
}

describe('analysis', () => {
  it('median and Boost% follow their definitions', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // FlexVF Eq. 1: (lat_pv − lat_vf) / lat_pv × 100
    expect(boostPercent(80, 20, 'lower')).toBe(75);
    expect(boostPercent(80, 100, 'lower')).toBe(-25);
    // Higher is better: (variant − baseline) / baseline × 100
    expect(boostPercent(10, 15, 'higher')).toBe(50);
  });

  it('summarises repetitions by median and compares each variant to the baseline', () => {
    const records = [rec(64, 'pv', 1, 80), rec(64, 'pv', 2, 90), rec(64, 'pv', 3, 70), rec(64, 'vf', 1, 30), rec(64, 'vf', 2, 20), rec(64, 'vf', 3, 25)];
    const a = analyze('r', 'pv', ['pv', 'vf'], records);
    const pv = a.summary.find((s) => s.variant === 'pv')!;
    const vf = a.summary.find((s) => s.variant === 'vf')!;
    expect(pv.metrics.p50_us).toBe(80);
    expect(vf.metrics.p50_us).toBe(25);
    expect(pv.n).toBe(3);
    const b = a.boost.find((x) => x.metric === 'p50_us')!;
    expect(b.boostPercent).toBeCloseTo(((80 - 25) / 80) * 100, 10);
    // pv 80, 90, 70 has a CV of 12.5% and vf 30, 20, 25 one of 20%: over the 10% that makes a point noisy.
    expect(b.note).toBe('noisy: CV 20% > 10%');
    // Every baseline repetition is slower than every variant one: U = 9 of 9, the exact p for 3 vs 3.
    expect(b.pValue).toBeCloseTo(0.1, 10);
    expect(b.ciLow!).toBeLessThanOrEqual(b.boostPercent);
    expect(b.ciHigh!).toBeGreaterThanOrEqual(b.boostPercent);
    // count is not a performance metric: no Boost% for it.
    expect(a.boost.some((x) => x.metric === 'count')).toBe(false);
  });

  it('leaves invalid and failed trials out of the numbers but counts them, and flags n < 3', () => {
    const records = [rec(64, 'pv', 1, 80), rec(64, 'pv', 2, 1000, 'invalid'), rec(64, 'pv', 3, 0, 'failed'), rec(64, 'vf', 1, 30), rec(64, 'vf', 2, 20)];
    const a = analyze('r', 'pv', ['pv', 'vf'], records);
    const pv = a.summary.find((s) => s.variant === 'pv')!;
    expect(pv).toMatchObject({ n: 1, invalid: 1, failed: 1 });
    expect(pv.metrics.p50_us).toBe(80);
    const b = a.boost.find((x) => x.metric === 'p50_us')!;
    expect(b.variantValue).toBe(25);
    expect(b.note).toContain('n<3');
    expect(b.ciLow).toBeUndefined();
    expect(a.warnings.join('\n')).toContain('n=1, no confidence interval');
  });

  it('never compares RTT with RTT/2', () => {
    const records = [rec(64, 'pv', 1, 160, 'ok', 'rtt'), rec(64, 'vf', 1, 30, 'ok', 'half-rtt')];
    const a = analyze('r', 'pv', ['pv', 'vf'], records);
    expect(a.boost).toHaveLength(0);
    expect(a.warnings.join('\n')).toContain('different latency kinds');
  });

  it('keeps points apart', () => {
    const records = [rec(64, 'pv', 1, 80), rec(64, 'vf', 1, 20), rec(1024, 'pv', 1, 100), rec(1024, 'vf', 1, 50)];
    const a = analyze('r', 'pv', ['pv', 'vf'], records);
    const boosts = a.boost.filter((x) => x.metric === 'p50_us').map((x) => [x.size, x.boostPercent]);
    expect(boosts).toEqual([
      [64, 75],
      [1024, 50],
    ]);
  });
});

describe('background load in the analysis', () => {
  it('warns about each trial whose load fell more than 10% short of the asked rate, and only those', () => {
    const withLoad = (r: TrialRecord, sent: number): TrialRecord => ({ ...r, background: { tool: 'iperf3', targetPps: 20000, size: 256, streams: 1, sentPps: sent } });
    const records = [withLoad(rec(64, 'pv', 1, 90), 11500), withLoad(rec(64, 'vf', 1, 30), 19950), withLoad(rec(64, 'vf', 2, 30), 17999)];
    const a = analyze('r', 'pv', ['pv', 'vf'], records);
    const bg = a.warnings.filter((w) => w.includes('background load'));
    expect(bg).toEqual([
      't0-udp-m64-p0-pv-r1: the background load reached 11500 of the asked 20000 packets/s',
      't0-udp-m64-p0-vf-r2: the background load reached 17999 of the asked 20000 packets/s',
    ]);
  });

  it('warns about a ping-pong that could not reach its asked message rate', () => {
    const at = (r: TrialRecord, reached: number): TrialRecord => ({ ...r, metrics: { ...r.metrics, target_mps: 8000, round_trips_per_s: reached } });
    const a = analyze('r', 'pv', ['pv', 'vf'], [at(rec(64, 'pv', 1, 300), 2600), at(rec(64, 'vf', 1, 10), 7990)]);
    expect(a.warnings.filter((w) => w.includes('messages/s'))).toEqual([
      't0-udp-m64-p0-pv-r1: 2600 of the asked 8000 messages/s (one message in flight: the round trip limits the rate)',
    ]);
  });
});
