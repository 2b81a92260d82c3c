import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { makePlan, pointCount } from '../../src/scenario/plan.js';

/** One pair on this machine, the usual two variants. */
const HOSTS_AND_VARIANTS = `hosts:
  a: { ssh: local, data: 127.0.0.1 }
  b: { ssh: local, data: 127.0.0.1 }
pairs: [{ client: a, server: b }]
variants:
  vf: { controller: guest-link, interface: vf0, state: up }
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
`;

const scenario = (extra: string) =>
  parseScenario(
    `name: p
${HOSTS_AND_VARIANTS}${extra}
tests:
  - tool: sockperf
    protocol: [udp, tcp]
    sizes: [64, 1024]
    duration: 2s
    warmup: 1s
`,
    'p.yaml',
  );

describe('plan', () => {
  it('covers points × variants × repetitions with unique, stable ids', () => {
    const plan = makePlan(scenario('repeat: 3'));
    expect(plan.points).toBe(4);
    expect(plan.trials).toHaveLength(4 * 2 * 3);
    expect(new Set(plan.trials.map((t) => t.id)).size).toBe(plan.trials.length);
    expect(plan.trials.map((t) => t.seq)).toEqual(plan.trials.map((_, i) => i));
    expect(makePlan(scenario('repeat: 3')).trials.map((t) => t.id)).toEqual(plan.trials.map((t) => t.id));
    expect(plan.trials[0]!.id).toBe('t0-udp-m64-p0-pv-r1');
  });

  it('interleaves A B B A so that each switch serves two trials', () => {
    const plan = makePlan(scenario('repeat: 2'));
    const seq = plan.trials.map((t) => t.variant);
    expect(seq.slice(0, 8)).toEqual(['pv', 'vf', 'vf', 'pv', 'pv', 'vf', 'vf', 'pv']);
    // Every point gets both variants in every repetition.
    for (const t of plan.trials) {
      const twins = plan.trials.filter((u) => u.pointKey === t.pointKey && u.repetition === t.repetition);
      expect(twins.map((u) => u.variant).sort()).toEqual(['pv', 'vf']);
    }
  });

  it('runs one variant after the other with order: sequential', () => {
    const seq = makePlan(scenario('repeat: 2\norder: sequential')).trials.map((t) => t.variant);
    expect(seq).toEqual([...Array(8).fill('pv'), ...Array(8).fill('vf')]);
  });

  it('shuffles reproducibly from the seed with order: random', () => {
    const a = makePlan(scenario('repeat: 4\norder: random\nseed: 7')).trials.map((t) => t.variant);
    const b = makePlan(scenario('repeat: 4\norder: random\nseed: 7')).trials.map((t) => t.variant);
    const c = makePlan(scenario('repeat: 4\norder: random\nseed: 8')).trials.map((t) => t.variant);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.filter((v) => v === 'vf')).toHaveLength(16);
  });

  it('estimates wall time from durations, warm-up and switches', () => {
    const one = makePlan(scenario('repeat: 1')).estimateSeconds;
    const two = makePlan(scenario('repeat: 2')).estimateSeconds;
    // 8 trials of 2 s + 1 s warm-up each at least.
    expect(one).toBeGreaterThan(8 * 3);
    expect(two).toBeGreaterThan(1.9 * one);
  });
});

describe('plan size', () => {
  it('counts the points of every tool as the plan expands them, without expanding them', () => {
    const s = parseScenario(
      `name: q
${HOSTS_AND_VARIANTS}tests:
  - tool: sockperf
    protocol: [udp, tcp]
    sizes: [64, 256, 1024]
    duration: 1s
    background: { tool: iperf3, rates: [0, 1000], size: 256 }
  - tool: netperf
    test: [TCP_RR, UDP_RR]
    sizes: [1, 64]
    duration: 1s
  - tool: iperf3
    protocol: [tcp]
    direction: [forward, reverse]
    streams: [1, 4]
    duration: 1s
`,
      'q.yaml',
    );
    const plan = makePlan(s);
    expect(s.tests.map(pointCount)).toEqual([12, 4, 4]);
    expect(plan.trials.length).toBe((12 + 4 + 4) * 2 * s.repeat);
  });
});
