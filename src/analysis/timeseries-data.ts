// analysis/timeseries.csv: how each trial evolved while it measured, from the run directory alone (the
// sample store, iperf3's intervals, the client's sampler), downsampled (see src/analysis/timeseries.ts).
// analyze writes it; report draws a small-multiple figure per point from it and nothing else.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { RunDir } from '../results/run-dir.js';
import type { Manifest } from '../results/manifest.js';
import type { TrialRecord } from '../results/record.js';
import { readColumns } from '../results/sample-store.js';
import { parseSamples, type Samples } from '../tools/proc.js';
import { toolOf } from '../tools/registry.js';
import { cpuSeries, rollingLatency, throughputSeries, type SeriesPoint } from './timeseries.js';
import { toCsv } from '../results/export.js';
import { trialStore } from './trial-store.js';

const TIMESERIES_COLUMNS = ['trial', 'point', 'variant', 'repetition', 'series', 't_s', 'value'];

export interface TimeseriesRow {
  trial: string;
  point: string;
  variant: string;
  repetition: number;
  series: string;
  t_s: number;
  value: number;
}

/** One of the trial's raw files by its suffix (client.stdout, client.times …), if it was kept. */
const raw = (dir: RunDir, r: TrialRecord, suffix: string) => {
  const file = r.raw.find((f) => f.endsWith(`.${suffix}`));
  return file ? readFile(join(dir.path, file), 'utf8').catch(() => undefined) : Promise.resolve(undefined);
};

/** The client host's sampler output of a trial, parsed (none when sampling was off or it failed). */
export async function clientSamples(dir: RunDir, r: TrialRecord): Promise<Samples | undefined> {
  const text = await raw(dir, r, 'client.samples');
  const parsed = text === undefined ? undefined : parseSamples(text);
  return parsed?.ok ? parsed.value : undefined;
}

/** One trial's series, each from what its tool and sampler left in the run directory. */
async function trialSeries(dir: RunDir, manifest: Manifest, r: TrialRecord): Promise<SeriesPoint[]> {
  const test = manifest.scenario.tests?.[r.point.test];
  if (!test || test.switchover) return []; // a switchover has its own timeline
  const tool = toolOf(test);
  const out: SeriesPoint[] = [];
  const store = await trialStore(dir, r, manifest);
  if (store) {
    const { meta, columns } = await readColumns(store.series, ['latency']);
    out.push(...rollingLatency(columns.latency!, meta.unitNs, test.duration));
  }
  if (tool.intervals) {
    const intervals = tool.intervals((await raw(dir, r, 'client.stdout')) ?? '');
    if (intervals) out.push(...throughputSeries(intervals));
  }
  const [times, samples] = [await raw(dir, r, 'client.times'), await clientSamples(dir, r)];
  const clientStart = Number(times?.split('\n')[0]);
  if (samples && Number.isFinite(clientStart)) {
    // The measurement begins once the tool started (and, for sockperf, after its warm-up).
    const begin = clientStart + tool.startupS + tool.warmupS(test);
    out.push(...cpuSeries(samples, begin, test.duration));
  }
  return out;
}

/** The CSV text of every ok trial's series. */
export async function timeseriesCsv(dir: RunDir, manifest: Manifest, records: TrialRecord[]): Promise<string> {
  const rows: TimeseriesRow[] = [];
  for (const r of records.filter((x) => x.status === 'ok')) {
    for (const p of await trialSeries(dir, manifest, r)) {
      rows.push({ trial: r.trial, point: r.pointKey, variant: r.variant, repetition: r.repetition + 1, series: p.series, t_s: +p.t.toFixed(4), value: +p.value.toPrecision(6) });
    }
  }
  return toCsv(rows as unknown as Record<string, string | number>[], TIMESERIES_COLUMNS);
}

/** What report reads back: analysis/timeseries.csv (none for a run analyzed before it existed). */
export async function readTimeseries(analysisDir: string): Promise<TimeseriesRow[]> {
  const text = await readFile(join(analysisDir, 'timeseries.csv'), 'utf8').catch(() => undefined);
  if (!text) return [];
  return (parse(text, { columns: true, cast: (v, c) => (['repetition', 't_s', 'value'].includes(String(c.column)) ? Number(v) : v) }) as TimeseriesRow[]);
}
