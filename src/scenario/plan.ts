// Plan expansion: a scenario becomes an ordered list of trials with stable ids.
import type { Scenario } from './load.js';
import type { TestSpec } from './schema.js';
import type { PointShape } from '../tools/tool.js';
import { toolOf } from '../tools/registry.js';
import { seededRandom } from '../util/random.js';

export { seededRandom };

/** One measured configuration, independent of variant and repetition. */
export interface Point {
  test: number;
  testName: string;
  tool: TestSpec['tool'];
  /** Tool-specific: sockperf ping-pong | under-load | throughput; netperf the test (TCP_RR …); iperf3 forward | reverse | bidir. */
  mode: string;
  protocol: PointShape['protocol'];
  /** Message, request or buffer size in bytes; 0 = the tool's default. */
  size: number;
  /** Parallel streams (iperf3 -P); 1 elsewhere. */
  streams: number;
  /** Background load in packets/s (0 = none); absent when the test has no `background`. */
  rate?: number;
  pair: number;
  group?: string;
}

export interface Trial {
  /** Stable across re-plans of the same scenario: used for resume and raw file names. */
  id: string;
  /** Position in the run (0-based). */
  seq: number;
  point: Point;
  pointKey: string;
  variant: string;
  repetition: number;
  /** Trials with the same batch run at once, one per pair (`pairs_run: together`). */
  batch?: string;
}

export interface Plan {
  trials: Trial[];
  points: number;
  variants: string[];
  /** Estimated wall time in seconds. */
  estimateSeconds: number;
}

/**
 * Seconds per trial besides the tool's own run: the server's start until it listens (sockperf ~0.1 s) and
 * two round trips per host to the hosts' agents (bench/overhead.ts measures it: 0.2 s on the lab).
 */
const TRIAL_OVERHEAD_S = 0.25;
/** Seconds once per run: connecting (one login per host), host facts, VF discovery, clock offsets. */
const RUN_SETUP_S = 2;
/** Seconds a path switch costs besides its settle time (the controller's round trips). */
const SWITCH_S = 0.05;
/** A test's display name: its `name`, else tool-mode, with the index only where two tests would share it. */
export function testNames(tests: TestSpec[]): string[] {
  const base = tests.map((t) => t.name ?? toolOf(t).defaultName(t));
  return base.map((n, i) => (tests[i]!.name === undefined && base.filter((b) => b === n).length > 1 ? `${n}-${i}` : n));
}

export function pointKey(p: Point): string {
  const mode = p.mode === toolOf(p.tool).keyDefaultMode ? '' : `${p.mode.toLowerCase()}-`;
  return `t${p.test}-${mode}${p.protocol}-m${p.size}${p.streams > 1 ? `-P${p.streams}` : ''}${p.rate !== undefined ? `-bg${p.rate}` : ''}-p${p.pair}`;
}

/** The most trials a plan may have (validation refuses more, naming the product that reached it). */
export const MAX_TRIALS = 100_000;

/**
 * How many points a test expands to, counted without expanding them (the limit is checked before a plan
 * of millions is built); the same product as testPoints' loops.
 */
export function pointCount(t: TestSpec): number {
  return toolOf(t).pointCount(t) * (t.background?.rates.length ?? 1);
}

/** The (mode, protocol, size, streams, background rate) combinations a test asks for. */
function testPoints(t: TestSpec): (PointShape & { rate?: number })[] {
  const out = toolOf(t).points(t);
  const rates = t.background?.rates;
  return rates ? out.flatMap((p) => rates.map((rate) => ({ ...p, rate }))) : out;
}

/**
 * The points of the scenario, as units that run at once: one point each, or with `pairs_run: together`
 * the same point on every pair.
 */
function units(s: Scenario): Point[][] {
  const out: Point[][] = [];
  const names = testNames(s.tests);
  s.tests.forEach((t, ti) => {
    for (const p of testPoints(t)) {
      const perPair = s.pairs.map((pair, pi): Point => ({ test: ti, testName: names[ti]!, tool: t.tool, ...p, pair: pi, group: pair.group }));
      if (s.pairs_run === 'together') out.push(perPair);
      else out.push(...perPair.map((q) => [q]));
    }
  });
  return out;
}

/** The variants a test runs in: a switchover trial starts in one variant and switches during the trial. */
function testVariants(s: Scenario, test: TestSpec, variants: string[]): string[] {
  const switchover = test.switchover;
  return switchover ? [switchover.start] : variants;
}

/**
 * Order of variants for the k-th (point, repetition) block.
 * interleaved: A B | B A | A B … so that consecutive blocks share the variant at their border (one
 * switch per two trials) and a linear drift affects both variants alike.
 */
function variantOrder(order: Scenario['order'], variants: string[], k: number, rnd: () => number): string[] {
  if (order === 'interleaved') return k % 2 === 0 ? variants : [...variants].reverse();
  if (order === 'random') {
    const v = [...variants];
    for (let i = v.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [v[i], v[j]] = [v[j]!, v[i]!];
    }
    return v;
  }
  return variants;
}

export function makePlan(s: Scenario): Plan {
  // The baseline goes first so that a sequential run reads "baseline, then the others".
  const variants = [s.baseline, ...Object.keys(s.variants).filter((v) => v !== s.baseline)];
  const all = units(s);
  const rnd = seededRandom(s.seed);
  const trials: Trial[] = [];
  const push = (unit: Point[], variant: string, repetition: number) => {
    const batch = unit.length > 1 ? `${pointKey(unit[0]!).replace(/-p\d+$/, '')}-${variant}-r${repetition + 1}` : undefined;
    for (const point of unit) {
      const key = pointKey(point);
      trials.push({ id: `${key}-${variant}-r${repetition + 1}`, seq: trials.length, point, pointKey: key, variant, repetition, ...(batch ? { batch } : {}) });
    }
  };
  const vs = (unit: Point[]) => variants.filter((v) => testVariants(s, s.tests[unit[0]!.test]!, variants).includes(v));
  if (s.order === 'sequential') {
    // All repetitions of one variant, then the next: the order a naive script would use (drift-prone).
    for (const variant of variants) for (let r = 0; r < s.repeat; r++) for (const u of all) if (vs(u).includes(variant)) push(u, variant, r);
  } else {
    let k = 0;
    for (let r = 0; r < s.repeat; r++) {
      for (const u of all) {
        for (const v of variantOrder(s.order, vs(u), k, rnd)) push(u, v, r);
        k++;
      }
    }
  }
  let estimate = RUN_SETUP_S;
  let current: string | undefined;
  let lastBatch: string | undefined;
  for (const t of trials) {
    if (t.batch !== undefined && t.batch === lastBatch) continue; // a batch takes the time of one trial
    lastBatch = t.batch;
    const test = s.tests[t.point.test]!;
    if (t.variant !== current) estimate += s.variants[t.variant]!.settle + SWITCH_S;
    current = t.variant;
    const tool = toolOf(test);
    const background = test.background;
    const lead = background && (t.point.rate ?? 0) > 0 ? background.lead + 1 : 0;
    estimate += test.duration + tool.warmupS(test) + lead + tool.startupS + TRIAL_OVERHEAD_S;
  }
  return { trials, points: all.reduce((n, u) => n + u.length, 0), variants, estimateSeconds: estimate };
}
