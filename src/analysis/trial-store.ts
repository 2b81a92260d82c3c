// Where a sockperf trial's per-message samples are: the run directory's sample store (series and sorted
// columns), made once at ingest, or now from the saved full log of a run made before the store existed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunDir } from '../results/run-dir.js';
import type { TrialRecord } from '../results/record.js';
import type { Manifest } from '../results/manifest.js';
import { toolOf } from '../tools/registry.js';
import { ingestSavedLog } from '../results/full-log-ingest.js';

export interface TrialStore {
  series: string;
  sorted: string;
}

/**
 * A trial's store (tools with a per-message log: sockperf), relative paths resolved. A run made before the
 * store (vfbench ≤ 0.1) kept the whole log in raw/: it is stored once now, the same way, so old runs keep
 * their figures.
 */
export async function trialStore(dir: RunDir, r: TrialRecord, manifest: Manifest): Promise<TrialStore | undefined> {
  const test = manifest.scenario.tests?.[r.point.test];
  if (!test) return undefined;
  if (r.samples) return { series: join(dir.path, r.samples.series), sorted: join(dir.path, r.samples.sorted) };
  const store = { series: dir.samplesPath(r.trial, 'arrow'), sorted: dir.samplesPath(r.trial, 'sorted.arrow') };
  if (existsSync(store.sorted)) return store;
  const log = dir.rawPath(r.trial, 'fulllog.csv');
  if (!existsSync(log)) return undefined;
  const ingested = await ingestSavedLog(log, store, { warmupS: toolOf(test).warmupS(test), arrivals: !!test.switchover });
  return ingested.ok ? store : undefined;
}
