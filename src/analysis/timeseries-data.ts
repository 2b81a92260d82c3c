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
import { pointCells, runCells, writeTable, type RunColumns, type TableRow } from '../results/tables.js';
import { trialStore } from './trial-store.js';
import { metricUnit } from './metrics.js';
import { leadingColumns } from './run-tables.js';

/** After the run's and the point's columns (analysis/run-tables.ts): a row per trial, series and instant. */
const TIMESERIES_COLUMNS = ['variant', 'repetition', 'trial', 'metric', 'unit', 't_s', 'value'];

/** A row of timeseries.csv as report draws it (the series is the table's `metric` column). */
export interface TimeseriesRow {
  trial: string;
  /** The table's point (results/tables.ts tablePoint); the plan's point key in a table written before vfbench 0.2. */
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

/** Every ok trial's series, a row per instant, as they are computed (one trial's series in memory at a time). */
async function* timeseriesRows(dir: RunDir, manifest: Manifest, run: RunColumns, records: TrialRecord[]): AsyncGenerator<TableRow> {
  for (const r of records.filter((x) => x.status === 'ok')) {
    const point = pointCells({ ...r.point, test: r.point.testName });
    for (const p of await trialSeries(dir, manifest, r)) {
      yield {
        ...runCells(run), ...point, variant: r.variant, repetition: r.repetition + 1, trial: r.trial,
        metric: p.series, unit: metricUnit(p.series), t_s: +p.t.toFixed(4), value: +p.value.toPrecision(6),
      };
    }
  }
}

/** analysis/timeseries.{csv,jsonl}. */
export async function writeTimeseries(analysisDir: string, dir: RunDir, manifest: Manifest, run: RunColumns, records: TrialRecord[]): Promise<void> {
  await writeTable(analysisDir, 'timeseries', [...leadingColumns(run), ...TIMESERIES_COLUMNS], timeseriesRows(dir, manifest, run, records));
}

/**
 * What report reads back: analysis/timeseries.csv (none for a run analyzed before it existed). A table
 * written before vfbench 0.2 names the series `series` and the point by the plan's key.
 */
export async function readTimeseries(analysisDir: string): Promise<TimeseriesRow[]> {
  const text = await readFile(join(analysisDir, 'timeseries.csv'), 'utf8').catch(() => undefined);
  if (!text) return [];
  const rows = parse(text, { columns: true }) as Record<string, string>[];
  return rows.map((x) => ({
    trial: x.trial!, point: x.point!, variant: x.variant!, repetition: Number(x.repetition), series: x.metric ?? x.series!, t_s: Number(x.t_s), value: Number(x.value),
  }));
}
