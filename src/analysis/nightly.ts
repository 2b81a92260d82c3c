// The history of a scenario's runs and the nightly verdict: run summaries into the history database
// (`vfbench history add`), the baseline side from it (the stored baseline of the scenario and label
// selection, or the pooled last N runs matching it), and the nightly gate's judgement of a finished run:
// the history is read after the run, and the run, its verdicts and (when first) the baseline are written
// in one transaction, so that overlapping jobs lose nothing.
import { join } from 'node:path';
import type { Analysis } from './analyze.js';
import { poolSamples, type CompareRow, type ComparePolicy, type Sample } from './compare.js';
import { pointLabel } from './metrics.js';
import { isLegacyGroupKey, pointVariantKey } from '../results/point.js';
import { describeSelection, matchesSelection, type History, type HistoryPoint, type HistoryRun, type HistoryVerdict, type RunBundle } from '../results/history/index.js';
import type { Manifest } from '../results/manifest.js';
import type { Labels } from '../scenario/labels.js';
import { UserError } from '../util/errors.js';
import { computeAnalysis } from './run-analysis.js';
import { compareSides, sharedLabels, type Side } from './baseline.js';
import { writeCompareOutputs } from './compare-report.js';

function historyPoints(a: Analysis): HistoryPoint[] {
  return a.summary.map((s) => ({
    key: pointVariantKey(s, s.variant),
    label: pointLabel(s),
    variant: s.variant,
    latencyKind: s.latencyKind,
    test: s.test,
    tool: s.tool,
    mode: s.mode,
    protocol: s.protocol,
    sizeBytes: s.size,
    streams: s.streams ?? 1,
    bgRatePktS: s.rate,
    pair: s.pair,
    group: s.group,
    metrics: Object.fromEntries(
      Object.entries(s.stats).map(([metric, st]) => [
        metric,
        // Repetitions are 0-based in the records, 1-based in the history (as in the tables).
        { n: st.n, median: st.median, ciLow: st.ciLow, ciHigh: st.ciHigh, values: st.values, repetitions: st.values.map((_, i) => (st.repetitions[i] ?? i) + 1) },
      ]),
    ),
  }));
}

function runBundle(a: Analysis, m: Manifest, runDir: string): RunBundle {
  const run: HistoryRun = { id: m.id, scenario: m.scenario.name, started: m.started, ended: m.ended, status: m.status, dir: runDir, added: new Date().toISOString(), vfbench: m.vfbench, labels: m.labels ?? {} };
  return { run, points: historyPoints(a) };
}

/** History points of one run as compare's samples. */
function samplesFromPoints(points: HistoryPoint[], run: string): Sample[] {
  return points.map((p) => ({
    key: p.key,
    label: p.label,
    variant: p.variant,
    latencyKind: p.latencyKind,
    values: Object.fromEntries(Object.entries(p.metrics).map(([metric, m]) => [metric, m.values])),
    runs: [run],
  }));
}

async function completeRun(runDir: string) {
  const r = await computeAnalysis(runDir);
  if (r.manifest.status !== 'complete') throw new UserError(`${runDir} is ${r.manifest.status}, not complete: only complete runs go into the history`);
  return r;
}

export async function addToHistory(db: History, runDir: string): Promise<{ id: string; scenario: string; points: number; labels: Labels }> {
  const { analysis, manifest } = await completeRun(runDir);
  const b = runBundle(analysis, manifest, runDir);
  await db.addRun(b);
  return { id: b.run.id, scenario: b.run.scenario, points: b.points.length, labels: b.run.labels };
}

/** The baseline side: the stored baseline of (scenario, selection), or the pooled last N complete runs matching it. */
export async function baselineSide(db: History, scenario: string, where: Labels, last?: number, exclude?: string): Promise<Side | undefined> {
  let runs: HistoryRun[];
  if (last) runs = (await db.runs({ scenario, where, complete: true, limit: last + 1 })).filter((r) => r.id !== exclude).slice(0, last);
  else {
    const id = await db.baseline(scenario, where);
    const run = id && id !== exclude ? await db.run(id) : undefined;
    runs = run ? [run] : [];
  }
  if (runs.length === 0) return undefined;
  const stored = await Promise.all(runs.map(async (r) => ({ id: r.id, points: await db.points(r.id) })));
  // A run added by vfbench 0.1 keyed a grouped point by its group alone: it would match nothing now.
  const legacy = stored.find((r) => r.points.some((x) => isLegacyGroupKey(x.key)));
  if (legacy) throw new UserError(`the history's run ${legacy.id} was added by vfbench 0.1, which keyed the points of a group by the group alone: add it again (vfbench history add RUN_DIR) before judging against it`);
  return { scenario, runs: runs.map((r) => r.id), samples: poolSamples(stored.map((r) => samplesFromPoints(r.points, r.id))), labels: sharedLabels(runs.map((r) => r.labels)) };
}

export interface NightlyResult {
  runDir: string;
  runId: string;
  status: string;
  baselineRuns?: string[];
  rows?: CompareRow[];
  becameBaseline: boolean;
  regressed: number;
}

/** A compare row as the history keeps it: its measures, keyed by the point's key (the direction is the metric's). */
const verdictRow = ({ key, direction: _, ...measures }: CompareRow): HistoryVerdict => ({ ...measures, pointKey: key });

export interface JudgeOptions {
  last?: number;
  /** The label selection whose baseline (or last N runs) the run is judged against; {} = the scenario's. */
  where?: Labels;
  policy: ComparePolicy;
  out?: string;
  /** The labels that name the comparison in the Markdown and JUnit reports (compare-report.ts). */
  nameLabels?: string[];
  /** false: judge only (`history compare`): nothing is written to the history. */
  record?: boolean;
}

/** Compare a finished run with the history and record it, its verdicts and (when first) the baseline. */
export async function judgeNightly(db: History, runDir: string, opts: JudgeOptions): Promise<NightlyResult> {
  const { analysis, manifest } = await completeRun(runDir);
  const where = opts.where ?? {};
  const bundle = runBundle(analysis, manifest, runDir);
  if (!matchesSelection(bundle.run.labels, where)) {
    throw new UserError(`${runDir}: the run's labels (${describeSelection(bundle.run.labels)}) do not match --where ${describeSelection(where)}: not judged, not recorded`);
  }
  const scenario = bundle.run.scenario;
  const result: NightlyResult = { runDir, runId: manifest.id, status: manifest.status, becameBaseline: false, regressed: 0 };
  const baseline = await baselineSide(db, scenario, where, opts.last, manifest.id);
  if (baseline) {
    const candidate: Side = { scenario, runs: [manifest.id], samples: samplesFromPoints(bundle.points, manifest.id), labels: bundle.run.labels };
    const rows = compareSides(baseline, candidate, opts.policy);
    await writeCompareOutputs(opts.out ?? join(runDir, 'compare'), rows, { baseline, candidate, policy: opts.policy, nameLabels: opts.nameLabels });
    bundle.verdicts = { baselineRuns: baseline.runs, judged: new Date().toISOString(), rows: rows.map(verdictRow) };
    Object.assign(result, { baselineRuns: baseline.runs, rows, regressed: rows.filter((r) => r.verdict === 'regressed').length });
  }
  if (opts.record === false) {
    if (!baseline) throw new UserError(`the history ${db.location} has no ${opts.last ? 'earlier complete run' : 'baseline'} of ${scenario}${Object.keys(where).length ? ` where ${describeSelection(where)}` : ''}: nothing to compare with`);
    return result;
  }
  const { becameBaseline } = await db.addRun(bundle, { baselineIfNone: !baseline && !opts.last ? where : undefined });
  result.becameBaseline = becameBaseline;
  return result;
}
