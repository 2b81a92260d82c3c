// The analyze stage on a run directory: its records into tables (analysis/*.csv, analysis.json). It never
// touches the hosts.
import { RunDir } from '../results/run-dir.js';
import { toCsv, trialRows, TRIAL_COLUMNS, writeTables } from '../results/export.js';
import type { TrialRecord } from '../results/record.js';
import type { Manifest } from '../runner/run.js';
import { analyze, boostRows, summaryRows, BOOST_COLUMNS, SUMMARY_COLUMNS, type Analysis } from './analyze.js';
import { timeseriesCsv } from './timeseries-data.js';

/** The analysis of a run directory, computed from its records (nothing written). */
export async function computeAnalysis(path: string): Promise<{ analysis: Analysis; manifest: Manifest; records: TrialRecord[] }> {
  const dir = await RunDir.open(path);
  const manifest = await dir.readManifest<Manifest>();
  const records = await dir.latestRecords();
  const variants = [manifest.scenario.baseline, ...Object.keys(manifest.scenario.variants).filter((v) => v !== manifest.scenario.baseline)];
  const analysis = analyze(dir.id, manifest.scenario.baseline, variants, records, { paired: manifest.scenario.order === 'interleaved' });
  return { analysis, manifest, records };
}

/** `vfbench analyze`: the analysis, written to the run's analysis/ folder. */
export async function analyzeRun(path: string): Promise<Analysis> {
  const dir = await RunDir.open(path);
  const { analysis: a, records, manifest } = await computeAnalysis(path);
  await writeTables(
    dir.analysisDir,
    {
      'trials.csv': toCsv(trialRows(records), TRIAL_COLUMNS),
      'summary.csv': toCsv(summaryRows(a), SUMMARY_COLUMNS),
      'boost.csv': toCsv(boostRows(a), BOOST_COLUMNS),
      'timeseries.csv': await timeseriesCsv(dir, manifest, records),
    },
    a,
  );
  return a;
}
