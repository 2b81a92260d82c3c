// The history of a scenario's runs and the nightly verdict: run summaries into the history database
// (`vfbench history add`), the baseline side from it (the stored baseline run or the pooled last N runs),
// and the nightly gate's judgement of a finished run (compare with that baseline, then record the run).
import { join } from 'node:path';
import type { Analysis } from './analyze.js';
import { poolSamples, type CompareRow, type ComparePolicy, type Sample } from './compare.js';
import { pointLabel } from './metrics.js';
import { isLegacyGroupKey, pointVariantKey } from '../results/point.js';
import type { HistoryDb, HistorySample } from '../results/history.js';
import { UserError } from '../util/errors.js';
import { computeAnalysis } from './run-analysis.js';
import { compareSides, type Side } from './baseline.js';
import { writeCompareOutputs } from './compare-report.js';

function historySamples(a: Analysis): HistorySample[] {
  return a.summary.flatMap((s) =>
    Object.entries(s.stats).map(([metric, st]) => ({
      key: pointVariantKey(s, s.variant),
      label: pointLabel(s),
      variant: s.variant,
      latencyKind: s.latencyKind,
      metric,
      values: st.values,
      median: st.median,
      ciLow: st.ciLow,
      ciHigh: st.ciHigh,
    })),
  );
}

/** History rows of one run back into compare's samples. */
function samplesFromHistory(rows: HistorySample[], run: string): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const r of rows) {
    let s = byKey.get(r.key);
    if (!s) byKey.set(r.key, (s = { key: r.key, label: r.label, variant: r.variant, latencyKind: r.latencyKind, values: {}, runs: [run] }));
    s.values[r.metric] = r.values;
  }
  return [...byKey.values()];
}

export async function addToHistory(db: HistoryDb, runDir: string): Promise<{ id: string; scenario: string; samples: number }> {
  const { analysis, manifest } = await computeAnalysis(runDir);
  if (manifest.status !== 'complete') throw new UserError(`${runDir} is ${manifest.status}, not complete: only complete runs go into the history`);
  const samples = historySamples(analysis);
  db.addRun(
    { id: manifest.id, scenario: manifest.scenario.name, started: manifest.started, ended: manifest.ended, status: manifest.status, dir: runDir, added: new Date().toISOString(), vfbench: manifest.vfbench },
    samples,
  );
  return { id: manifest.id, scenario: manifest.scenario.name, samples: samples.length };
}

/** The baseline side for a scenario: its stored baseline run, or the pooled last N runs. */
function baselineSide(db: HistoryDb, scenario: string, last?: number, exclude?: string): Side | undefined {
  const runs = last
    ? db.runs(scenario).filter((r) => r.id !== exclude && r.status === 'complete').slice(0, last).map((r) => r.id)
    : [db.baseline(scenario)].filter((r): r is string => !!r && r !== exclude);
  if (runs.length === 0) return undefined;
  const stored = runs.map((id) => ({ id, samples: db.samples(id) }));
  // A run added by vfbench 0.1 keyed a grouped point by its group alone: it would match nothing now.
  const legacy = stored.find((r) => r.samples.some((x) => isLegacyGroupKey(x.key)));
  if (legacy) throw new UserError(`the history's run ${legacy.id} was added by vfbench 0.1, which keyed the points of a group by the group alone: add it again (vfbench history add RUN_DIR) before judging against it`);
  return { scenario, runs, samples: poolSamples(stored.map((r) => samplesFromHistory(r.samples, r.id))) };
}

export interface NightlyResult {
  runDir: string;
  status: string;
  baselineRuns?: string[];
  rows?: CompareRow[];
  becameBaseline: boolean;
  regressed: number;
}

/** Compare a finished run with the history and record it. The run itself is made by the caller. */
export async function judgeNightly(db: HistoryDb, runDir: string, opts: { last?: number; policy: ComparePolicy; out?: string }): Promise<NightlyResult> {
  const { analysis, manifest } = await computeAnalysis(runDir);
  const scenario = manifest.scenario.name;
  const result: NightlyResult = { runDir, status: manifest.status, becameBaseline: false, regressed: 0 };
  const baseline = baselineSide(db, scenario, opts.last, manifest.id);
  if (baseline) {
    const candidate: Side = { scenario, runs: [manifest.id], samples: samplesFromHistory(historySamples(analysis), manifest.id) };
    const rows = compareSides(baseline, candidate, opts.policy);
    await writeCompareOutputs(opts.out ?? join(runDir, 'compare'), rows, { baseline, candidate, policy: opts.policy });
    result.baselineRuns = baseline.runs;
    result.rows = rows;
    result.regressed = rows.filter((r) => r.verdict === 'regressed').length;
  }
  await addToHistory(db, runDir);
  if (!baseline && !opts.last) {
    db.setBaseline(scenario, manifest.id);
    result.becameBaseline = true;
  }
  await db.save();
  return result;
}
