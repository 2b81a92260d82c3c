// The tidy tables of a run's analysis/ (docs/tables.md): trials, summary and boost, one row per measured
// value (long form), each also as JSON lines. The column lists here are the documentation's; the
// scenario's label names may not take any of them (scenario/labels.ts RESERVED_LABELS, checked by a test).
import type { TrialRecord } from '../results/record.js';
import type { Manifest } from '../results/manifest.js';
import { labelColumns, pointCells, runCells, writeTable, POINT_COLUMNS, type RunColumns, type TableRow } from '../results/tables.js';
import type { Analysis } from './analyze.js';
import { metricUnit } from './metrics.js';

/** The run's columns from its manifest (a run made before labels has none). */
export function runColumnsOf(runId: string, manifest: Manifest): RunColumns {
  return { runId, scenario: manifest.scenario.name, labels: manifest.labels ?? {} };
}

/** The leading columns of a run's tables: the run, its labels, the point. */
export const leadingColumns = (run: RunColumns): string[] => ['run_id', 'scenario', ...labelColumns(run.labels), ...POINT_COLUMNS];

export const TRIAL_COLUMNS = [
  'variant', 'repetition', 'trial', 'seq', 'status', 'latency_kind', 'path_expected', 'path_observed', 'failure', 'started', 'start_skew_ms',
  'metric', 'unit', 'value',
];
export const SUMMARY_COLUMNS = [
  'variant', 'latency_kind', 'n_ok', 'n_invalid', 'n_failed', 'metric', 'unit', 'n', 'median', 'mean', 'ci_low', 'ci_high', 'ci_level', 'cv_pct',
];
export const BOOST_COLUMNS = [
  'variant', 'baseline_variant', 'latency_kind', 'metric', 'unit', 'direction', 'baseline_median', 'variant_median', 'boost_pct',
  'boost_ci_low_pct', 'boost_ci_high_pct', 'ci_level', 'paired', 'p_value', 'n_baseline', 'n_variant', 'boost_note',
];

/** trials: a row per trial and metric; a trial without a value (failed) keeps one row, its metric empty. */
export function* trialRows(run: RunColumns, records: Iterable<TrialRecord>): Generator<TableRow> {
  for (const r of records) {
    const head: TableRow = {
      ...runCells(run),
      ...pointCells({ ...r.point, test: r.point.testName }),
      variant: r.variant,
      repetition: r.repetition + 1,
      trial: r.trial,
      seq: r.seq,
      status: r.status,
      latency_kind: r.latencyKind,
      path_expected: r.verification?.expected,
      path_observed: r.verification?.observed,
      failure: r.failure ? `${r.failure.kind}: ${r.failure.message}` : undefined,
      started: r.started,
      start_skew_ms: r.batch?.skewMs,
    };
    const metrics = Object.keys(r.metrics).sort();
    if (metrics.length === 0) yield head;
    for (const m of metrics) yield { ...head, metric: m, unit: metricUnit(m), value: r.metrics[m] };
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : undefined);

/** summary: a row per point, variant and metric: its distribution over the valid repetitions. */
export function* summaryRows(run: RunColumns, a: Analysis): Generator<TableRow> {
  for (const s of a.summary) {
    const head: TableRow = {
      ...runCells(run), ...pointCells(s), variant: s.variant, latency_kind: s.latencyKind, n_ok: s.n, n_invalid: s.invalid, n_failed: s.failed,
    };
    for (const m of Object.keys(s.stats).sort()) {
      const st = s.stats[m]!;
      yield {
        ...head, metric: m, unit: metricUnit(m), n: st.n, median: st.median, mean: mean(st.values),
        ci_low: st.ciLow, ci_high: st.ciHigh, ci_level: st.ciLow === undefined ? undefined : a.level, cv_pct: st.cvPct,
      };
    }
  }
}

/** boost: a row per point, variant and metric: Boost% over the baseline variant, its CI and p-value. */
export function* boostRows(run: RunColumns, a: Analysis): Generator<TableRow> {
  for (const b of a.boost) {
    yield {
      ...runCells(run),
      ...pointCells(b),
      variant: b.variant,
      baseline_variant: b.baseline,
      latency_kind: b.latencyKind,
      metric: b.metric,
      unit: metricUnit(b.metric),
      direction: b.direction,
      baseline_median: b.baselineValue,
      variant_median: b.variantValue,
      boost_pct: b.boostPercent,
      boost_ci_low_pct: b.ciLow,
      boost_ci_high_pct: b.ciHigh,
      ci_level: b.ciLow === undefined ? undefined : a.level,
      paired: b.ciLow === undefined ? undefined : b.paired,
      p_value: b.pValue,
      n_baseline: b.nBaseline,
      n_variant: b.nVariant,
      boost_note: b.note,
    };
  }
}

/** analysis/{trials,summary,boost}.{csv,jsonl}. */
export async function writeRunTables(dir: string, run: RunColumns, a: Analysis, records: TrialRecord[]): Promise<void> {
  const lead = leadingColumns(run);
  await writeTable(dir, 'trials', [...lead, ...TRIAL_COLUMNS], trialRows(run, records));
  await writeTable(dir, 'summary', [...lead, ...SUMMARY_COLUMNS], summaryRows(run, a));
  await writeTable(dir, 'boost', [...lead, ...BOOST_COLUMNS], boostRows(run, a));
}
