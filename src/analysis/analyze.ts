// From records to tables: per-trial rows, per point and variant summaries (median over repetitions),
// and Boost% of every variant against the baseline (FlexVF Eq. 1, sign so that positive = better).
import type { PointRef, TrialRecord } from '../results/record.js';

import { metricDirection, type Direction } from './metrics.js';

export { metricDirection, type Direction };

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

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

export interface SummaryRow extends PointInfo {
  variant: string;
  /** Repetitions that measured on the intended path. */
  n: number;
  invalid: number;
  failed: number;
  metrics: Record<string, number>;
}

export interface BoostRow extends PointInfo {
  variant: string;
  baseline: string;
  metric: string;
  direction: Direction;
  baselineValue: number;
  variantValue: number;
  boostPercent: number;
  nBaseline: number;
  nVariant: number;
  /** Set when a side has fewer than 3 valid repetitions: too few to judge spread. */
  note?: string;
}

export interface Analysis {
  run: string;
  baseline: string;
  variants: string[];
  summary: SummaryRow[];
  boost: BoostRow[];
  warnings: string[];
}

function pointInfo(r: TrialRecord): PointInfo {
  const { testName, ...rest } = r.point;
  return { ...rest, pointKey: r.pointKey, test: testName, latencyKind: r.latencyKind };
}

/** `records` should be the latest record per trial (RunDir.latestRecords). */
export function analyze(run: string, baseline: string, variants: string[], records: TrialRecord[]): Analysis {
  const warnings: string[] = [];
  const groups = new Map<string, { info: PointInfo; variant: string; records: TrialRecord[] }>();
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
      if (!g) continue;
      const ok = g.records.filter((r) => r.status === 'ok');
      const kinds = new Set(ok.map((r) => r.latencyKind).filter(Boolean));
      if (kinds.size > 1) {
        warnings.push(`${pk} ${variant}: repetitions mix RTT and RTT/2 latencies; not summarised`);
        continue;
      }
      const names = new Set(ok.flatMap((r) => Object.keys(r.metrics)));
      const metrics: Record<string, number> = {};
      for (const m of names) {
        const vals = ok.map((r) => r.metrics[m]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        if (vals.length > 0) metrics[m] = median(vals);
      }
      summary.push({
        ...g.info,
        latencyKind: [...kinds][0],
        variant,
        n: ok.length,
        invalid: g.records.filter((r) => r.status === 'invalid').length,
        failed: g.records.filter((r) => r.status === 'failed').length,
        metrics,
      });
    }
  }

  const boost: BoostRow[] = [];
  for (const pk of pointOrder) {
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
        const baselineValue = base.metrics[metric];
        if (!direction || baselineValue === undefined || baselineValue === 0) continue;
        const few = Math.min(base.n, row.n) < 3;
        boost.push({
          ...row,
          variant: row.variant,
          baseline,
          metric,
          direction,
          baselineValue,
          variantValue,
          boostPercent: boostPercent(baselineValue, variantValue, direction),
          nBaseline: base.n,
          nVariant: row.n,
          note: few ? `n<3: too few repetitions to judge spread` : undefined,
        });
      }
    }
  }
  return { run, baseline, variants, summary, boost, warnings };
}

/** Flat rows for summary.csv: one per point and variant, metrics as columns. */
export function summaryRows(a: Analysis): Record<string, string | number | undefined>[] {
  return a.summary.map((s) => ({
    point: s.pointKey,
    test: s.test,
    tool: s.tool,
    mode: s.mode,
    protocol: s.protocol,
    size: s.size,
    pair: s.pair,
    group: s.group,
    latency_kind: s.latencyKind,
    variant: s.variant,
    n: s.n,
    invalid: s.invalid,
    failed: s.failed,
    ...s.metrics,
  }));
}

export const SUMMARY_COLUMNS = ['point', 'test', 'tool', 'mode', 'protocol', 'size', 'pair', 'group', 'latency_kind', 'variant', 'n', 'invalid', 'failed'];

/** Flat rows for boost.csv: one per point, variant and metric. */
export function boostRows(a: Analysis): Record<string, string | number | undefined>[] {
  return a.boost.map((b) => ({
    point: b.pointKey,
    test: b.test,
    protocol: b.protocol,
    size: b.size,
    pair: b.pair,
    group: b.group,
    variant: b.variant,
    baseline: b.baseline,
    metric: b.metric,
    direction: b.direction,
    baseline_value: b.baselineValue,
    variant_value: b.variantValue,
    boost_percent: b.boostPercent,
    n_baseline: b.nBaseline,
    n_variant: b.nVariant,
    note: b.note,
  }));
}

export const BOOST_COLUMNS = [
  'point', 'test', 'protocol', 'size', 'pair', 'group', 'variant', 'baseline', 'metric', 'direction',
  'baseline_value', 'variant_value', 'boost_percent', 'n_baseline', 'n_variant', 'note',
];
