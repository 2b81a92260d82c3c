// The pieces behind the seed papers' experiments: the sampler's parser and arithmetic, the barrier, the
// background rate, the switchover summary, the pooled distributions, plan and scenario rules.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseSamples, usage, packetRates, type Samples } from '../../src/tools/proc.js';
import { Barrier, startMarginS, startSkewMs } from '../../src/runner/barrier.js';
import { backgroundPlan } from '../../src/runner/background.js';
import { backgroundRate } from '../../src/analysis/background-rate.js';
import { summarizeSwitchover } from '../../src/analysis/switchover-segments.js';
import { runSwitches } from '../../src/runner/switchover.js';
import type { Host } from '../../src/hosts/host.js';
import { cpuCost } from '../../src/analysis/cpu-cost.js';
import { cdfProbabilities, timeline } from '../../src/analysis/distributions.js';
import { parseScenario, ScenarioError, type Problem } from '../../src/scenario/load.js';
import { makePlan } from '../../src/scenario/plan.js';
import { command } from '../../src/util/shell.js';
import { labLayout } from '../../src/lab/lab.js';
import { comparePoints, metricDirection } from '../../src/analysis/metrics.js';

const fixture = (p: string) => readFileSync(`test/fixtures/${p}`, 'utf8');

describe('sampler output (captured in a lab namespace)', () => {
  const text = fixture('proc/sampler-lab-vm1.txt');
  const parsed = (): Samples => {
    const r = parseSamples(text);
    if (!r.ok) throw new Error(r.failure.message);
    return r.value;
  };

  it('parses every sample with CPU times, interrupts, context switches and interfaces', () => {
    const r = parseSamples(text);
    if (!r.ok) throw new Error(r.failure.message);
    expect(r.value.ncpu).toBe(2);
    expect(r.value.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.value.samples).toHaveLength(4);
    const [a] = r.value.samples;
    expect(a!.time).toBeCloseTo(1795499719.493384654, 6);
    expect(a!.cpu).toEqual({ user: 18358, nice: 0, system: 10982, idle: 1713497, iowait: 2788, irq: 0, softirq: 1385, steal: 1946 });
    expect(a!.interrupts).toBe(915894);
    expect(a!.contextSwitches).toBe(1623063);
    expect(Object.keys(a!.interfaces).sort()).toEqual(['lo', 'mgmt0', 'pv0', 'vf0']);
    expect(a!.interfaces.vf0).toEqual({ rxBytes: 4659584, rxPackets: 43964, txBytes: 21618489, txPackets: 203952 });
  });

  it('computes CPU shares and rates from the first and last sample of the window', () => {
    const s = parsed();
    const u = usage(s)!;
    const [a, b] = [s.samples[0]!, s.samples[s.samples.length - 1]!];
    const tot = (c: typeof a.cpu) => Object.values(c).reduce((x, y) => x + y, 0);
    const dt = tot(b.cpu) - tot(a.cpu);
    expect(u.busyPct).toBeCloseTo(100 - ((b.cpu.idle - a.cpu.idle + b.cpu.iowait - a.cpu.iowait) / dt) * 100, 9);
    expect(u.softirqPct).toBeCloseTo(((b.cpu.softirq - a.cpu.softirq) / dt) * 100, 9);
    expect(u.cores).toBeCloseTo((u.busyPct / 100) * 2, 9);
    expect(u.interruptsPerS).toBeCloseTo((b.interrupts - a.interrupts) / (b.time - a.time), 6);
    // The ping of the capture: 3 requests out of vf0 and 3 replies in.
    expect(u.interfaces.vf0!.txPackets).toBeGreaterThanOrEqual(2);
    expect(u.interfaces.vf0!.rxPackets).toBe(u.interfaces.vf0!.txPackets);
    expect(u.interfaces.pv0!.txPackets).toBe(0);
    const rates = packetRates(s, ['vf0']);
    expect(rates).toHaveLength(3);
  });

  it('drops a sample cut off by the stop, and refuses output without samples', () => {
    const cut = text.slice(0, text.lastIndexOf('@ ') + 30);
    const r = parseSamples(cut);
    expect(r.ok && r.value.samples.length).toBe(3);
    expect(parseSamples('ncpu 2\n').ok).toBe(false);
    
  });

  it('counts a kernel shared by two hosts once, and derives CPU per Gbit/s and per 1000 transactions', () => {
    const s = parsed();
    const one = usage(s)!.cores;
    const shared = cpuCost([{ name: 'a', role: 'client', samples: s }, { name: 'b', role: 'server', samples: s }], {}, { throughput_bps: 2e9, transactions_per_s: 5000 })!;
    expect(shared.sharedKernel).toBe(true);
    expect(shared.metrics.cpu_cores).toBeCloseTo(one, 9);
    expect(shared.metrics.cpu_cores_per_gbps).toBeCloseTo(one / 2, 9);
    expect(shared.metrics.cpu_ms_per_1k_trans).toBeCloseTo((one / 5000) * 1e6, 6);
    const other = { ...s, bootId: 'another-kernel' };
    const two = cpuCost([{ name: 'a', role: 'client', samples: s }, { name: 'b', role: 'server', samples: other }], {}, {})!;
    expect(two.sharedKernel).toBe(false);
    expect(two.metrics.cpu_cores).toBeCloseTo(2 * one, 9);
    expect(metricDirection('cpu_cores_per_gbps')).toBe('lower');
    expect(metricDirection('client_interrupts_per_s')).toBeUndefined();
  });
});

describe('barrier', () => {
  it('gives every trial the same start once all have arrived or left', async () => {
    let now = 100;
    const b = new Barrier(3, () => 1, () => now);
    const first = b.arrive();
    now = 105;
    b.leave();
    let settled = false;
    void first.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    now = 107;
    const [x, y] = await Promise.all([first, b.arrive()]);
    expect(x).toBe(108);
    expect(y).toBe(108);
    // The margin follows the slowest host's deliveries (twice, plus a floor), and what earlier lateness added.
    expect(startMarginS([1, 3, 2])).toBeCloseTo(0.036, 9);
    expect(startMarginS([40], 0.01)).toBeCloseTo(0.12, 9);
    expect(startSkewMs([10, 10.002, 10.0005])).toBeCloseTo(2, 6);
    expect(startSkewMs([10])).toBeUndefined();
  });
});

describe('background load', () => {
  it('asks iperf3 for rate × size × 8 bits/s split over the streams, and a one-off server', () => {
    const p = backgroundPlan({ tool: 'iperf3', rates: [20000], size: 256, streams: 4, lead: 1, port: 5202 }, { address: '198.18.1.2', rate: 20000, size: 256, seconds: 5.3 });
    expect(command(p.client.argv)).toBe('iperf3 -c 198.18.1.2 -p 5202 -J -t 6 -u -b 10240000 -P 4 -l 256');
    expect(command(p.server.argv)).toBe('iperf3 -s -B 198.18.1.2 -p 5202 -1');
    const s = backgroundPlan({ tool: 'sockperf', rates: [1000], streams: 1, lead: 1, port: 5202 }, { address: '198.18.1.2', rate: 1000, size: 64, seconds: 3 });
    expect(command(s.client.argv)).toContain('sockperf throughput -i 198.18.1.2 -p 5202 -m 64 -t 3 --mps=1000');
  });

  it('measures the sent rate over the intervals that overlap the measured window (captured iperf3 3.12 UDP)', () => {
    const out = fixture('iperf3/captured/udp_json_b100M.stdout');
    const doc = JSON.parse(out) as { intervals: { sum: { start: number; end: number; packets: number } }[]; end: { sum: { packets: number; lost_packets: number } } };
    const blk = 32768;
    const whole = backgroundRate('iperf3', out, { size: blk });
    const dur = doc.intervals[doc.intervals.length - 1]!.sum.end;
    expect(whole.sentPps).toBeCloseTo(doc.end.sum.packets / dur, 6);
    expect(whole.receivedPps).toBeCloseTo((doc.end.sum.packets - doc.end.sum.lost_packets) / dur, 6);
    // Window inside the first interval only: that interval's rate.
    const first = doc.intervals[0]!.sum;
    const win = backgroundRate('iperf3', out, { size: blk, window: [0.2, 0.7] });
    expect(win.sentPps).toBeCloseTo(first.packets / (first.end - first.start), 0);
    expect(backgroundRate('iperf3', 'not json', { size: 64 }).problem).toMatch(/no-result|json/i);
  });
});

describe('switchover summary', () => {
  it('finds the longest gap, splits segments at the switches and names the interface of each from counters', () => {
    // Replies every 1 ms from t=0 to 3 s, none after 1.000 until 1.050 (the switch), latency 10 µs then 80 then 10.
    const rx: number[] = [];
    const lat: number[] = [];
    for (let i = 0; i <= 3000; i++) {
      const t = i / 1000;
      if (t > 1.0 && t < 1.05) continue;
      rx.push(1000 + t);
      lat.push(t < 1.0 ? 10 : t < 2.0 ? 80 : 10);
    }
    const sample = (time: number, vf: number, pv: number) => ({
      time,
      cpu: { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0 },
      interrupts: 0,
      contextSwitches: 0,
      interfaces: { vf0: { rxBytes: 0, rxPackets: vf, txBytes: 0, txPackets: vf }, pv0: { rxBytes: 0, rxPackets: pv, txBytes: 0, txPackets: pv } },
    });
    const samples = { ncpu: 2, samples: [sample(1000.1, 0, 0), sample(1000.9, 800, 0), sample(1001.2, 800, 0), sample(1001.9, 800, 700), sample(1002.2, 800, 700), sample(1002.9, 1500, 700)] };
    const s = summarizeSwitchover(Float64Array.from(rx), Float64Array.from(lat), 7, 'vf', [
      { variant: 'pv', at: 1, begin: 1000.99, end: 1001.01 },
      { variant: 'vf', at: 2, begin: 1001.99, end: 1002.01 },
    ], samples, ['vf0', 'pv0']);
    expect(s.gapMs).toBeCloseTo(50, 6);
    expect(s.gapAt).toBeCloseTo(1.0, 6);
    expect(s.lost).toBe(7);
    expect(s.segments.map((x) => x.variant)).toEqual(['vf', 'pv', 'vf']);
    expect(s.segments.map((x) => x.observed)).toEqual(['vf0', 'pv0', 'vf0']);
    expect(s.segments.map((x) => x.p50_us)).toEqual([10, 80, 10]);
    expect(s.segments[1]!.packets).toEqual({ vf0: 0, pv0: 1400 });
  });
});

describe('live switchover schedule', () => {
  it('makes no switch once its trial has ended: a pending step is dropped at once', async () => {
    const ended = new AbortController();
    const switched: string[] = [];
    const t0 = Date.now();
    // The client host is asked for its clock only around a switch; none is due before the trial ends.
    const noHost = { name: 'vm1' } as unknown as Host;
    const run = runSwitches({ signal: ended.signal, clockOffset: new Map() }, noHost, [{ at: 30, variant: 'pv' }], Date.now() / 1000, async (v) => void switched.push(v));
    setTimeout(() => ended.abort(), 50);
    expect(await run).toEqual({ switches: [] });
    expect(Date.now() - t0).toBeLessThan(29_000); // not the 30 s the step waited for
    expect(switched).toEqual([]);
  });
});

describe('pooled distributions', () => {
  it('draws the CDF at evenly spread percentiles plus the tail, and the timeline per bin', () => {
    // Pooling itself (a merge of the trials' sorted columns): test/unit/sample-store.test.ts.
    const ps = cdfProbabilities(4);
    expect(ps).toEqual([0, 25, 50, 75, 99, 99.5, 99.9, 99.99, 100]);
    expect(cdfProbabilities().length).toBe(201 + 2); // every 0.5 %, plus 99.9 and 99.99
    const tl = timeline([0.01, 0.02, 0.06], [5, 7, 9], 0, 0.05);
    expect(tl.map((b) => ({ ...b, t: Number(b.t.toFixed(6)) }))).toEqual([{ t: 0.025, p50_us: 5, p99_us: 7, n: 2 }, { t: 0.075, p50_us: 9, p99_us: 9, n: 1 }]);
  });
});

const BASE = `name: t
hosts:
  vm1: { ssh: root@198.18.0.11, data: 198.18.1.1 }
  vm2: { ssh: root@198.18.0.12, data: 198.18.1.2 }
  vm3: { ssh: root@198.18.0.13, data: 198.18.1.3 }
  vm4: { ssh: root@198.18.0.14, data: 198.18.1.4 }
pairs:
  - { client: vm1, server: vm2, group: a }
  - { client: vm3, server: vm4, group: b }
variants:
  vf: { controller: guest-link, interface: vf0, state: up }
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
repeat: 2
`;

function problems(text: string): Problem[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  return [];
}

describe('plans and rules of the experiments', () => {
  it('sweeps background rates × sizes, one point each', () => {
    const s = parseScenario(`${BASE}tests:\n  - tool: sockperf\n    sizes: [64, 1024]\n    background: { rates: [0, 5000] }\n`, 'x.yaml');
    const plan = makePlan(s);
    expect(new Set(plan.trials.map((t) => `${t.point.size}/${t.point.rate}`))).toEqual(new Set(['64/0', '64/5000', '1024/0', '1024/5000']));
    expect(plan.trials[0]!.id).toBe('t0-udp-m64-bg0-p0-pv-r1');
  });

  it('runs all pairs of a point together as one batch, and a switchover only from its start variant', () => {
    const s = parseScenario(`${BASE}pairs_run: together\ngroups:\n  a: { mps: 1000 }\ntests:\n  - tool: sockperf\n    sizes: [64]\n`, 'x.yaml');
    const plan = makePlan(s);
    expect(plan.trials).toHaveLength(8);
    const batches = new Map<string, number[]>();
    for (const t of plan.trials) batches.set(t.batch!, [...(batches.get(t.batch!) ?? []), t.point.pair]);
    expect([...batches.values()]).toEqual([[0, 1], [0, 1], [0, 1], [0, 1]]);
    // Consecutive: a batch is never split by another trial.
    plan.trials.forEach((t, i) => i % 2 === 1 && expect(t.batch).toBe(plan.trials[i - 1]!.batch));
    const sw = parseScenario(`${BASE}tests:\n  - tool: sockperf\n    mode: under-load\n    reply_every: 1\n    sizes: [64]\n    duration: 10\n    switchover: { start: vf, steps: [{ at: 3, variant: pv }, { at: 6, variant: vf }] }\n`, 'x.yaml');
    expect(new Set(makePlan(sw).trials.map((t) => t.variant))).toEqual(new Set(['vf']));
  });

  it('names file, line and field of every wrong experiment setting', () => {
    const p = problems(`${BASE}pairs_run: together
groups:
  c: { mps: 10 }
tests:
  - tool: sockperf
    sizes: [64]
    duration: 5
    background: { rates: [1000], port: 11111, tool: sockperf, streams: 2 }
    switchover: { start: vf, steps: [{ at: 3, variant: vf }, { at: 2, variant: nope }, { at: 9, variant: pv }] }
`);
    const at = (field: string) => p.find((x) => x.field === field);
    expect(at('groups.c')).toMatchObject({ file: 'bad.yaml', line: 17, message: expect.stringContaining('no pair is in group "c"') });
    expect(at('tests[0].background.port')?.message).toMatch(/port of its own/);
    expect(at('tests[0].background.streams')?.message).toMatch(/one stream/);
    expect(at('tests[0].switchover.steps[0].variant')?.message).toMatch(/already "vf"/);
    expect(at('tests[0].switchover.steps[1].variant')?.message).toMatch(/unknown variant "nope"/);
    expect(at('tests[0].switchover.steps[1].at')?.message).toMatch(/increasing/);
    expect(at('tests[0].switchover.steps[2].at')?.message).toMatch(/not inside the 5s/);
    expect(at('pairs_run')?.message).toMatch(/one-by-one/);
    expect(at('tests[0].mode')?.message).toMatch(/UDP switchover needs mode: under-load/);
  });
});

describe('figure order', () => {
  it('puts points in reading order: sizes and rates as numbers, not as text', () => {
    const p = (size: number, rate?: number) => ({ test: 'sockperf-ping-pong', mode: 'ping-pong', protocol: 'udp', size, rate, pair: 0 });
    const sorted = [p(1024, 0), p(64, 5000), p(64, 0), p(1024, 2000), p(256, 0)].sort(comparePoints);
    expect(sorted.map((x) => `${x.size}/${x.rate}`)).toEqual(['64/0', '64/5000', '256/0', '1024/0', '1024/2000']);
  });
});

describe('lab of several pairs', () => {
  it('numbers VMs and addresses by pair, all inside 198.18.0.0/15', () => {
    const l = labLayout({ prefix: 'q', block: 3, rules: 1, home: '/tmp/x', pairs: 3 });
    expect(l.vms).toEqual(['vm1', 'vm2', 'vm3', 'vm4', 'vm5', 'vm6']);
    expect(l.mgmt.vm6).toBe('198.18.12.16');
    expect(l.data.vm5).toBe('198.18.13.5');
    expect(l.namespaces.vswitch).toBe('q-vswitch');
    expect(() => labLayout({ prefix: 'q', block: 3, rules: 1, home: '/tmp/x', pairs: 33 })).toThrow(/1\.\.32/);
  });
});
