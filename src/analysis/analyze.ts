// From records to tables: per point and variant, the distribution over repetitions of every metric
// (median, bootstrap CI, CV), and Boost% of every variant against the baseline (FlexVF Eq. 1, sign so
// that positive = better) with its CI and a rank-test p-value. The repetition is the unit.
import type { PointRef, TrialRecord } from '../results/record.js';
import { metricDirection, type Direction } from './metrics.js';
import { bootstrapCI, bootstrapTwoSampleCI, cvPercent, mannWhitney, median } from './stats.js';

export { metricDirection, type Direction, median };

/** Boost% as defined in DESIGN.md: positive means the variant is better than the baseline. */
export function boostPercent(baseline: number, variant: number, direction: Direction): number {
  return direction === 'lower' ? ((baseline - variant) / baseline) * 100 : ((variant - baseline) / baseline) * 100;
}

/** A point as the tables show it: the test by name. */
export interface PointInfo extends Omit<PointRef, 'test' | 'testName'> {
  pointKey: string;
  test: string;
  latencyKind?: string;
}

/** The distribution of one metric over the valid repetitions of a point and variant. */
export interface MetricStats {
  n: number;
  median: number;
  /** Bootstrap CI of the median; absent when n < 3 (too few to say anything about spread). */
  ciLow?: number;
  ciHigh?: number;
  /** Coefficient of variation across repetitions, %. */
  cvPct?: number;
  /** The repetition values, by repetition index (for pairing, comparisons and history). */
  values: number[];
  repetitions: number[];
}

export interface SummaryRow extends PointInfo {
  variant: string;
  /** Repetitions that measured on the intended path. */
  n: number;
  invalid: number;
  failed: number;
  /** Medians over repetitions. */
  metrics: Record<string, number>;
  stats: Record<string, MetricStats>;
}

export interface BoostRow extends PointInfo {
  variant: string;
  baseline: string;
  metric: string;
  direction: Direction;
  baselineValue: number;
  variantValue: number;
  boostPercent: number;
  ciLow?: number;
  ciHigh?: number;
  /** Whether the CI resampled repetitions in pairs (same repetition index, interleaved order). */
  paired: boolean;
  /** Two-sided Mann–Whitney p-value, baseline vs variant repetitions. */
  pValue?: number;
  nBaseline: number;
  nVariant: number;
  /** Set when a side has fewer than 3 valid repetitions, or when it is too noisy to judge. */
  note?: string;
}

export interface AnalysisOptions {
  /** Pair repetitions for Boost% CIs (true when the run's order interleaved variants). */
  paired?: boolean;
  level?: number;
  seed?: number;
  /** CV above which a point is flagged as too noisy to judge (%). */
  noisyCvPct?: number;
}

export interface Analysis {
  run: string;
  baseline: string;
  variants: string[];
  level: number;
  summary: SummaryRow[];
  boost: BoostRow[];
  warnings: string[];
}

function pointInfo(r: TrialRecord): PointInfo {
  const { testName, ...rest } = r.point;
  return { ...rest, pointKey: r.pointKey, test: testName, latencyKind: r.latencyKind };
}

export const MIN_REPEATS_FOR_CI = 3;
const NOISY_CV_PCT = 10;

function metricStats(values: number[], repetitions: number[], opts: AnalysisOptions): MetricStats {
  const s: MetricStats = { n: values.length, median: median(values), values, repetitions };
  if (values.length >= MIN_REPEATS_FOR_CI) {
    const ci = bootstrapCI(values, { level: opts.level, seed: opts.seed });
    s.ciLow = ci.low;
    s.ciHigh = ci.high;
    s.cvPct = cvPercent(values);
  }
  return s;
}

type Options = AnalysisOptions & { level: number };
type Group = { info: PointInfo; variant: string; records: TrialRecord[] };

/** `records` should be the latest record per trial (RunDir.latestRecords). */
export function analyze(run: string, baseline: string, variants: string[], records: TrialRecord[], opts: AnalysisOptions = {}): Analysis {
  const o: Options = { ...opts, level: opts.level ?? 0.95 };
  const warnings: string[] = [];
  const groups = new Map<string, Group>();
  const pointOrder: string[] = [];
  for (const r of records) {
    const key = `${r.pointKey}\0${r.variant}`;
    if (!pointOrder.includes(r.pointKey)) pointOrder.push(r.pointKey);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { info: pointInfo(r), variant: r.variant, records: [] }));
    g.records.push(r);
  }
  const summary: SummaryRow[] = [];
  for (const pk of pointOrder) {
    for (const variant of variants) {
      const g = groups.get(`${pk}\0${variant}`);
      const row = g ? summarize(pk, g, o, warnings) : undefined;
      if (row) summary.push(row);
    }
  }
  const boost = pointOrder.flatMap((pk) => boostOf(pk, summary, baseline, o, warnings));
  return { run, baseline, variants, level: o.level, summary, boost, warnings };
}

/** One point and variant: per metric the median over its ok repetitions, with CI and CV. */
function summarize(pk: string, g: Group, o: Options, warnings: string[]): SummaryRow | undefined {
  const ok = g.records.filter((r) => r.status === 'ok').sort((a, b) => a.repetition - b.repetition);
  const kinds = new Set(ok.map((r) => r.latencyKind).filter(Boolean));
  if (kinds.size > 1) {
    warnings.push(`${pk} ${g.variant}: repetitions mix RTT and RTT/2 latencies; not summarised`);
    return undefined;
  }
  const names = new Set(ok.flatMap((r) => Object.keys(r.metrics)));
  const metrics: Record<string, number> = {};
  const stats: Record<string, MetricStats> = {};
  for (const m of names) {
    const have = ok.filter((r) => typeof r.metrics[m] === 'number' && Number.isFinite(r.metrics[m]));
    if (have.length === 0) continue;
    stats[m] = metricStats(have.map((r) => r.metrics[m]!), have.map((r) => r.repetition), o);
    metrics[m] = stats[m]!.median;
  }
  if (ok.length > 0 && ok.length < MIN_REPEATS_FOR_CI) warnings.push(`${pk} ${g.variant}: n=${ok.length}, no confidence interval (needs ${MIN_REPEATS_FOR_CI} repetitions)`);
  for (const r of ok) warnings.push(...shortfalls(r));
  return {
    ...g.info,
    latencyKind: [...kinds][0],
    variant: g.variant,
    n: ok.length,
    invalid: g.records.filter((r) => r.status === 'invalid').length,
    failed: g.records.filter((r) => r.status === 'failed').length,
    metrics,
    stats,
  };
}

/** What a trial asked for and did not reach: said next to the result, it changes what the point means. */
function shortfalls(r: TrialRecord): string[] {
  const out: string[] = [];
  const bg = r.background;
  if (bg && bg.targetPps > 0 && (bg.sentPps ?? 0) < 0.9 * bg.targetPps) {
    out.push(`${r.trial}: the background load reached ${Math.round(bg.sentPps ?? 0)} of the asked ${bg.targetPps} packets/s`);
  }
  const { target_mps: target, round_trips_per_s: reached } = r.metrics;
  if (target !== undefined && reached !== undefined && reached < 0.9 * target) {
    out.push(`${r.trial}: ${Math.round(reached)} of the asked ${target} messages/s (one message in flight: the round trip limits the rate)`);
  }
  return out;
}

/** Boost% of every other variant of a point over the baseline, per metric with a direction. */
function boostOf(pk: string, summary: SummaryRow[], baseline: string, o: Options, warnings: string[]): BoostRow[] {
  const out: BoostRow[] = [];
  const base = summary.find((s) => s.pointKey === pk && s.variant === baseline);
  for (const row of summary.filter((s) => s.pointKey === pk && s.variant !== baseline)) {
    if (!base || base.n === 0 || row.n === 0) {
      warnings.push(`${pk}: no valid ${!base || base.n === 0 ? baseline : row.variant} repetitions, no Boost% for ${row.variant}`);
      continue;
    }
    if (base.latencyKind !== row.latencyKind) {
      warnings.push(`${pk}: ${baseline} and ${row.variant} report different latency kinds; no Boost%`);
      continue;
    }
    for (const [metric, variantValue] of Object.entries(row.metrics)) {
      const direction = metricDirection(metric);
      const bs = base.stats[metric];
      if (!direction || !bs || bs.median === 0) continue;
      out.push(boostRow(row, baseline, metric, direction, bs, row.stats[metric]!, variantValue, o));
    }
  }
  return out;
}

function boostRow(row: SummaryRow, baseline: string, metric: string, direction: Direction, bs: MetricStats, vs: MetricStats, variantValue: number, o: Options): BoostRow {
  const b: BoostRow = {
    ...row,
    baseline,
    metric,
    direction,
    baselineValue: bs.median,
    variantValue,
    boostPercent: boostPercent(bs.median, variantValue, direction),
    paired: false,
    nBaseline: bs.n,
    nVariant: vs.n,
  };
  if (Math.min(bs.n, vs.n) < MIN_REPEATS_FOR_CI) return { ...b, note: `n<${MIN_REPEATS_FOR_CI}: no CI` };
  // Pair by repetition index when both sides have the same repetitions (interleaved runs).
  const paired = !!o.paired && bs.repetitions.join() === vs.repetitions.join();
  const ci = bootstrapTwoSampleCI(bs.values, vs.values, (x, y) => boostPercent(x, y, direction), { paired, level: o.level, seed: o.seed });
  Object.assign(b, { ciLow: ci.low, ciHigh: ci.high, paired, pValue: mannWhitney(bs.values, vs.values).p });
  const noisy = o.noisyCvPct ?? NOISY_CV_PCT;
  const cv = Math.max(bs.cvPct ?? 0, vs.cvPct ?? 0);
  if (cv > noisy) b.note = `noisy: CV ${cv.toFixed(0)}% > ${noisy}%`;
  return b;
}
