// Before/after comparison of two runs (or a run and a pooled baseline): points matched by their
// parameters, per metric the change, its bootstrap CI, a rank-test p-value and a verdict that respects
// the metric's direction. Pure: the CLI reads the runs and writes the outputs.
import { boostPercent, MIN_REPEATS_FOR_CI, type SummaryRow } from './analyze.js';
import { HEADLINE, metricDirection, pointLabel, type Direction } from './metrics.js';
import { bootstrapTwoSampleCI, cvPercent, mannWhitney, median } from './stats.js';
import { pointVariantKey } from '../results/point.js';
import type { VerdictMeasures } from '../results/history/types.js';

export type Verdict = 'improved' | 'regressed' | 'unchanged' | 'inconclusive';

export interface ComparePolicy {
  /** Smallest change that matters, in % (direction-aware). */
  minEffectPct: number;
  /** Significance level of the rank test. */
  alpha: number;
  /** A side whose CV exceeds this (%) is too noisy to call unchanged. */
  maxCvPct: number;
  /** Metrics to judge; default: the headline metrics each point has. */
  metrics?: string[];
  level: number;
  seed?: number;
}

export const DEFAULT_POLICY: ComparePolicy = { minEffectPct: 5, alpha: 0.05, maxCvPct: 10, level: 0.95 };

/** One side of a comparison: per point and variant, the repetition values of each metric. */
export interface Sample {
  /** The point's identity and variant (results/point.ts): points of two runs match by it. */
  key: string;
  label: string;
  variant: string;
  latencyKind?: string;
  values: Record<string, number[]>;
  /** Run ids that contributed (several when pooled). */
  runs: string[];
}

export interface CompareRow extends VerdictMeasures {
  key: string;
  direction?: Direction;
  verdict: Verdict;
}

export function samplesFromSummary(rows: SummaryRow[], run: string): Sample[] {
  return rows.map((r) => ({
    key: pointVariantKey(r, r.variant),
    label: pointLabel(r),
    variant: r.variant,
    latencyKind: r.latencyKind,
    values: Object.fromEntries(Object.entries(r.stats).map(([m, st]) => [m, st.values])),
    runs: [run],
  }));
}

/** Pool several runs' samples (e.g. the last N nightly runs) into one baseline. */
export function poolSamples(sets: Sample[][]): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const set of sets) {
    for (const s of set) {
      const p = byKey.get(s.key);
      if (!p) {
        byKey.set(s.key, { ...s, values: Object.fromEntries(Object.entries(s.values).map(([m, v]) => [m, [...v]])), runs: [...s.runs] });
        continue;
      }
      for (const [m, v] of Object.entries(s.values)) (p.values[m] ??= []).push(...v);
      p.runs.push(...s.runs.filter((r) => !p.runs.includes(r)));
    }
  }
  return [...byKey.values()];
}

function judge(row: Omit<CompareRow, 'verdict' | 'reason'>, cv: number, policy: ComparePolicy): { verdict: Verdict; reason: string } {
  if (Math.min(row.nBaseline, row.nCandidate) < MIN_REPEATS_FOR_CI) {
    return { verdict: 'inconclusive', reason: `n=${row.nBaseline}/${row.nCandidate}: at least ${MIN_REPEATS_FOR_CI} repetitions per side are needed` };
  }
  const imp = row.improvementPct!;
  const p = row.pValue!;
  const effect = Math.abs(imp) >= policy.minEffectPct;
  if (p < policy.alpha && effect) {
    return { verdict: imp > 0 ? 'improved' : 'regressed', reason: `${imp > 0 ? '+' : ''}${imp.toFixed(1)}% (p=${p.toPrecision(2)} < ${policy.alpha})` };
  }
  if (cv > policy.maxCvPct) return { verdict: 'inconclusive', reason: `too noisy to judge: CV ${cv.toFixed(0)}% > ${policy.maxCvPct}%` };
  if (!effect) return { verdict: 'unchanged', reason: `|${imp.toFixed(1)}%| < ${policy.minEffectPct}%` };
  return { verdict: 'inconclusive', reason: `${imp > 0 ? '+' : ''}${imp.toFixed(1)}% but p=${p.toPrecision(2)} ≥ ${policy.alpha} (more repetitions would tell)` };
}

export function compareSamples(baseline: Sample[], candidate: Sample[], policy: ComparePolicy = DEFAULT_POLICY): CompareRow[] {
  const rows: CompareRow[] = [];
  const base = new Map(baseline.map((s) => [s.key, s]));
  const cand = new Map(candidate.map((s) => [s.key, s]));
  for (const key of [...new Set([...base.keys(), ...cand.keys()])]) {
    const b = base.get(key);
    const c = cand.get(key);
    const any = (b ?? c)!;
    if (!b || !c) {
      rows.push({ key, point: any.label, variant: any.variant, metric: '*', nBaseline: 0, nCandidate: 0, verdict: 'inconclusive', reason: `only in the ${b ? 'baseline' : 'candidate'}` });
      continue;
    }
    if (b.latencyKind !== c.latencyKind) {
      rows.push({ key, point: c.label, variant: c.variant, metric: '*', nBaseline: 0, nCandidate: 0, verdict: 'inconclusive', reason: 'the runs report different latency kinds (RTT vs RTT/2)' });
      continue;
    }
    const have = Object.keys(c.values).filter((m) => b.values[m]?.length && c.values[m]!.length && metricDirection(m));
    const metrics = policy.metrics ? policy.metrics.filter((m) => have.includes(m)) : HEADLINE.filter((m) => have.includes(m));
    for (const metric of metrics) {
      const bv = b.values[metric]!;
      const cv = c.values[metric]!;
      const direction = metricDirection(metric)!;
      const bm = median(bv);
      const cm = median(cv);
      const partial: Omit<CompareRow, 'verdict' | 'reason'> = {
        key,
        point: c.label,
        variant: c.variant,
        metric,
        direction,
        baselineMedian: bm,
        candidateMedian: cm,
        changePct: ((cm - bm) / bm) * 100,
        improvementPct: boostPercent(bm, cm, direction),
        nBaseline: bv.length,
        nCandidate: cv.length,
      };
      let noise = 0;
      if (Math.min(bv.length, cv.length) >= MIN_REPEATS_FOR_CI) {
        const ci = bootstrapTwoSampleCI(bv, cv, (x, y) => boostPercent(x, y, direction), { level: policy.level, seed: policy.seed });
        Object.assign(partial, { ciLow: ci.low, ciHigh: ci.high, pValue: mannWhitney(bv, cv).p });
        noise = Math.max(cvPercent(bv), cvPercent(cv));
      }
      rows.push({ ...partial, ...judge(partial, noise, policy) });
    }
  }
  return rows;
}

/** How many rows got each verdict. */
export function verdictCounts(rows: CompareRow[]): Record<string, number> {
  const c: Record<string, number> = { improved: 0, regressed: 0, unchanged: 0, inconclusive: 0 };
  for (const r of rows) c[r.verdict]!++;
  return c;
}
