import { describe, expect, it } from 'vitest';
import { verifyPath, delta, netvscSnapshot, type CounterSnapshot } from '../../src/paths/counters.js';
import { parseEthtoolStats } from '../../src/paths/discovery.js';

const rule = { source: 'sysfs' as const, accelerated: 'vf0', synthetic: 'pv0', share: 0.95, min_packets: 100 };
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

describe('verification from hv_netvsc counters (Azure)', () => {
  // ethtool -S eth0 of an Azure guest, as LISA's sample shows it; the same NIC a 5 s trial later.
  const before = parseEthtoolStats('NIC statistics:\n     vf_rx_packets: 228\n     vf_rx_bytes: 1158450\n     vf_tx_packets: 966\n     vf_tx_bytes: 140000\n     tx_queue_0_packets: 0\n     rx_queue_0_packets: 91\n     rx_queue_1_packets: 1108\n     tx_queue_1_packets: 3\n');
  const netvsc = { source: 'netvsc' as const, synthetic: 'eth0', share: 0.95, min_packets: 100 };
  const after = (vfRx: number, vfTx: number, q0: number) => ({ ...before, vf_rx_packets: 228 + vfRx, vf_tx_packets: 966 + vfTx, rx_queue_0_packets: 91 + q0 });

  it('counts vf_* as the VF path and the per-queue counters as the synthetic path', () => {
    const snap = netvscSnapshot('eth0', before);
    expect(snap['eth0:vf']).toMatchObject({ rx_packets: 228, tx_packets: 966, rx_bytes: 1158450 });
    expect(snap['eth0:queues']).toMatchObject({ rx_packets: 91 + 1108, tx_packets: 3 });
  });

  it('proves the accelerated path when the VF counters moved, and catches a VF that was not used', () => {
    const vf = verifyPath('accelerated', netvsc, { vm1: { before: netvscSnapshot('eth0', before), after: netvscSnapshot('eth0', after(5000, 5000, 12)) } });
    expect(vf).toMatchObject({ ok: true, observed: 'accelerated' });
    const synthetic = verifyPath('accelerated', netvsc, { vm1: { before: netvscSnapshot('eth0', before), after: netvscSnapshot('eth0', after(0, 0, 9000)) } });
    expect(synthetic).toMatchObject({ ok: false, observed: 'synthetic' });
    expect(synthetic.reason).toContain('0 packets on eth0:vf, 9000 on eth0:queues');
  });
});

describe('verification chosen from discovery when the scenario names no counters', () => {
  it('uses hv_netvsc counters of the one NIC paired with a VF (Azure)', async () => {
    const { autoCounterSource } = await import('../../src/paths/counters.js');
    const pairs = [{ synthetic: 'eth0', vf: 'enP31819s1' }];
    expect(autoCounterSource(pairs, { eth0: 'hv_netvsc', enP31819s1: 'mlx5_core' })).toEqual({ source: 'netvsc', synthetic: 'eth0' });
    // Two accelerated NICs: which one carries the test is not known, so nothing is guessed.
    expect(autoCounterSource([...pairs, { synthetic: 'eth1', vf: 'enP41968s2' }], { eth0: 'hv_netvsc', eth1: 'hv_netvsc' })).toBeUndefined();
    // A failover or other master whose counters mix the paths: not automatic either.
    expect(autoCounterSource([{ synthetic: 'eth0', vf: 'ens5' }], { eth0: 'virtio_net' })).toBeUndefined();
    expect(autoCounterSource([], {})).toBeUndefined();
  });

  it('judges each host by its own counters', () => {
    const snapA = (vf: number, q: number) => netvscSnapshot('eth0', parseEthtoolStats(`vf_rx_packets: ${vf}\nvf_tx_packets: ${vf}\nrx_queue_0_packets: ${q}\ntx_queue_0_packets: ${q}\n`));
    const snapB = (vf: number, q: number) => netvscSnapshot('eth1', parseEthtoolStats(`vf_rx_packets: ${vf}\nvf_tx_packets: ${vf}\nrx_queue_0_packets: ${q}\ntx_queue_0_packets: ${q}\n`));
    const v = verifyPath('accelerated', { source: 'netvsc', synthetic: 'eth0', share: 0.95, min_packets: 100 }, {
      a: { before: snapA(0, 0), after: snapA(5000, 3), source: { source: 'netvsc', synthetic: 'eth0' } },
      b: { before: snapB(0, 0), after: snapB(5000, 3), source: { source: 'netvsc', synthetic: 'eth1' } },
    });
    expect(v).toMatchObject({ ok: true, observed: 'accelerated' });
  });
});
