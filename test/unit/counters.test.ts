import { describe, expect, it } from 'vitest';
import { verifyPath, delta, type CounterSnapshot } from '../../src/paths/counters.js';

const rule = { accelerated: 'vf0', synthetic: 'pv0', share: 0.95, min_packets: 100 };
const snap = (vfRx: number, vfTx: number, pvRx: number, pvTx: number): CounterSnapshot => ({
  vf0: { rx_packets: vfRx, tx_packets: vfTx, rx_bytes: vfRx * 100, tx_bytes: vfTx * 100 },
  pv0: { rx_packets: pvRx, tx_packets: pvTx, rx_bytes: pvRx * 100, tx_bytes: pvTx * 100 },
});
const zero = snap(1000, 1000, 50, 50);

describe('path verification from counters', () => {
  it('computes deltas, and a vanished interface moved nothing', () => {
    expect(delta(zero, snap(1500, 1600, 50, 50), 'vf0')).toEqual({ rx_packets: 500, tx_packets: 600, rx_bytes: 50000, tx_bytes: 60000 });
    expect(delta(zero, { pv0: zero.pv0! }, 'vf0')).toEqual({ rx_packets: 0, tx_packets: 0, rx_bytes: 0, tx_bytes: 0 });
  });

  it('accepts a trial whose packets crossed the expected interface on both hosts', () => {
    const v = verifyPath('accelerated', rule, {
      vm1: { before: zero, after: snap(6000, 6000, 52, 51) },
      vm2: { before: zero, after: snap(6000, 6000, 51, 52) },
    });
    expect(v.ok).toBe(true);
    expect(v.observed).toBe('accelerated');
    expect(v.hosts.vm1!.acceleratedShare).toBeCloseTo(10000 / 10003, 6);
  });

  it('marks a trial that expected the VF but ran on the synthetic path, with the counts', () => {
    const v = verifyPath('accelerated', rule, {
      vm1: { before: zero, after: snap(1000, 1000, 5050, 5050) },
      vm2: { before: zero, after: snap(1000, 1000, 5050, 5050) },
    });
    expect(v.ok).toBe(false);
    expect(v.observed).toBe('synthetic');
    expect(v.reason).toContain('0 packets on vf0, 10000 on pv0');
  });

  it('calls a split between paths mixed, and too little traffic insufficient', () => {
    const mixed = verifyPath('synthetic', rule, {
      vm1: { before: zero, after: snap(3000, 3000, 3050, 3050) },
      vm2: { before: zero, after: snap(1000, 1000, 5050, 5050) },
    });
    expect(mixed.ok).toBe(false);
    expect(mixed.observed).toBe('mixed');
    const few = verifyPath('synthetic', rule, { vm1: { before: zero, after: snap(1000, 1000, 90, 90) } });
    expect(few.observed).toBe('insufficient');
    expect(few.reason).toContain('only 80 packets');
  });

  it('judges each host: one host on the wrong path fails the trial', () => {
    const v = verifyPath('synthetic', rule, {
      vm1: { before: zero, after: snap(1000, 1000, 5050, 5050) },
      vm2: { before: zero, after: snap(6000, 6000, 50, 50) },
    });
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/^expected the synthetic path; vm2:/);
  });
});
