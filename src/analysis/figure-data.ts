// What the report's figures of per-message samples draw, computed by analyze from the sample store and
// written to analysis/figure-data.json: the pooled CDF per point and variant, the latency box per group,
// each live switchover's timeline. Pooling is exact (a merge of the trials' sorted columns, one batch each),
// so it needs no histogram and has no binning error. report reads this file, never the store.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunDir } from '../results/run-dir.js';
import type { TrialRecord } from '../results/record.js';
import type { Manifest } from '../results/manifest.js';
import { pooledPercentiles, readArrivals } from '../results/sample-store.js';
import { packetRates, type Samples } from '../tools/proc.js';
import type { Analysis } from './analyze.js';
import { comparePoints } from './metrics.js';
import { cdfProbabilities, timeline, type BoxStats } from './distributions.js';
import { clientSamples } from './timeseries-data.js';
import { trialStore, type TrialStore } from './trial-store.js';

/** One step of a point's pooled CDF. */
export interface CdfRow {
  point: string;
  variant: string;
  latency_us: number;
  fraction: number;
  /** Trials and messages pooled. */
  trials: number;
  messages: number;
}

/** FlexVF Fig. 7: a group's pooled latency box per variant. */
export interface GroupBoxDatum extends BoxStats {
  group: string;
  variant: string;
  pairs: number;
  trials: number;
}

/** FlexVF Fig. 6: latency in 50 ms bins, the switches and the client's packet rates, in s since the measurement began. */
export interface TimelineData {
  latency: { t: number; p50_us: number; p99_us: number; n: number }[];
  switches: { variant: string; begin: number; end: number }[];
  counters: { t: number; iface: string; pps: number }[];
  gapMs: number;
  lost: number;
}

export interface FigureData {
  cdf: CdfRow[];
  groupBoxes: GroupBoxDatum[];
  switchovers: { trial: string; data: TimelineData }[];
}

export const FIGURE_DATA_FILE = 'figure-data.json';

/** The figure data of a run's (ok) records, from their sample stores. */
export async function figureData(dir: RunDir, manifest: Manifest, a: Analysis, records: TrialRecord[]): Promise<FigureData> {
  const stores = new Map<string, TrialStore>();
  for (const r of records.filter((x) => x.status === 'ok')) {
    const store = await trialStore(dir, r, manifest);
    if (store) stores.set(r.trial, store);
  }
  const ok = records.filter((r) => stores.has(r.trial));
  const switchovers: FigureData['switchovers'] = [];
  for (const r of ok.filter((x) => x.switchover)) switchovers.push({ trial: r.trial, data: await switchoverData(r, stores.get(r.trial)!, await clientSamples(dir, r)) });
  return { cdf: await cdfRows(a, ok, stores), groupBoxes: await groupBoxData(a, ok, stores), switchovers };
}

/** analysis/figure-data.json, or undefined when analyze has not written it (a run analyzed by vfbench 0.1). */
export async function readFigureData(analysisDir: string): Promise<FigureData | undefined> {
  const text = await readFile(join(analysisDir, FIGURE_DATA_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as FigureData);
}

/** The pooled CDF of every point and variant with samples (switchover trials have their own figure). */
async function cdfRows(a: Analysis, records: TrialRecord[], stores: Map<string, TrialStore>): Promise<CdfRow[]> {
  const rows: CdfRow[] = [];
  const ps = cdfProbabilities();
  for (const s of [...a.summary].sort(comparePoints)) {
    const mine = records.filter((r) => r.pointKey === s.pointKey && r.variant === s.variant && !r.switchover);
    if (mine.length === 0) continue;
    const pooled = await pooledPercentiles(mine.map((r) => stores.get(r.trial)!.sorted), ps);
    for (const p of ps) rows.push({ point: s.pointKey, variant: s.variant, latency_us: pooled.values.get(p)!, fraction: p / 100, trials: mine.length, messages: pooled.count });
  }
  return rows;
}

/** FlexVF Fig. 7: per group and variant, the box of the latencies of all its pairs' messages together. */
async function groupBoxData(a: Analysis, records: TrialRecord[], stores: Map<string, TrialStore>): Promise<GroupBoxDatum[]> {
  const grouped = records.filter((r) => r.point.group !== undefined && !r.switchover);
  const box: GroupBoxDatum[] = [];
  for (const g of [...new Set(grouped.map((r) => r.point.group!))]) {
    for (const v of a.variants) {
      const mine = grouped.filter((r) => r.point.group === g && r.variant === v);
      if (mine.length === 0) continue;
      const q = await pooledPercentiles(mine.map((r) => stores.get(r.trial)!.sorted), [1, 25, 50, 75, 99]);
      const at = (p: number) => q.values.get(p)!;
      box.push({ n: q.count, p1: at(1), p25: at(25), p50: at(50), p75: at(75), p99: at(99), group: g, variant: v, pairs: new Set(mine.map((r) => r.point.pair)).size, trials: mine.length });
    }
  }
  return box;
}

/** FlexVF Fig. 6: a switchover trial's latency over time in 50 ms bins, its switches, its packet rates. */
async function switchoverData(r: TrialRecord, store: { series: string }, samples: Samples | undefined): Promise<TimelineData> {
  const sw = r.switchover!;
  const { meta, rx, latency } = await readArrivals(store.series, sw.clientStart);
  const origin = sw.clientStart + meta.firstTx;
  const ifaces = Object.keys(sw.segments[0]?.packets ?? {});
  return {
    latency: timeline(rx, latency, origin, 0.05),
    switches: sw.switches.map((s) => ({ variant: `→ ${s.variant}`, begin: s.begin - origin, end: s.end - origin })),
    counters: samples ? packetRates(samples, ifaces).map((c) => ({ t: c.time - origin, iface: c.iface, pps: c.rxPps + c.txPps })) : [],
    gapMs: sw.gapMs,
    lost: sw.lost,
  };
}
