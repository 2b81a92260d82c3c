// The report's figures drawn from per-message samples (the run directory's sample store): the pooled CDF
// per point and variant, the latency box per group, the live switchover timeline. Pooling is exact (a
// merge of the trials' sorted columns, one batch each), so it needs no histogram and has no binning error.
import type { TrialRecord } from '../results/record.js';
import type { Analysis } from '../analysis/analyze.js';
import { comparePoints, shortPointLabels } from '../analysis/metrics.js';
import { cdfProbabilities, timeline } from '../analysis/distributions.js';
import { pooledPercentiles, readArrivals } from '../results/sample-store.js';
import { packetRates, type Samples } from '../tools/proc.js';
import type { CdfDatum, GroupBoxDatum, TimelineData } from '../charts/figures.js';

/** The pooled CDF of every point and variant with samples (switchover trials have their own figure). */
export async function cdfData(a: Analysis, records: TrialRecord[], stores: Map<string, { sorted: string }>): Promise<{ data: CdfDatum[]; common: string }> {
  const cdf: CdfDatum[] = [];
  const ps = cdfProbabilities();
  const withTrials = [...a.summary]
    .sort(comparePoints)
    .map((s) => ({ s, mine: records.filter((r) => r.pointKey === s.pointKey && r.variant === s.variant && !r.switchover && stores.has(r.trial)) }))
    .filter((x) => x.mine.length > 0);
  const { label, common } = shortPointLabels(withTrials.map((x) => x.s));
  for (const { s, mine } of withTrials) {
    const pooled = await pooledPercentiles(mine.map((r) => stores.get(r.trial)!.sorted), ps);
    for (const p of ps) cdf.push({ panel: label(s), variant: s.variant, latency_us: pooled.values.get(p)!, fraction: p / 100, trials: mine.length, messages: pooled.count });
  }
  return { data: cdf, common };
}

/** FlexVF Fig. 7: per group and variant, the box of the latencies of all its pairs' messages together. */
export async function groupBoxData(a: Analysis, records: TrialRecord[], stores: Map<string, { sorted: string }>): Promise<GroupBoxDatum[]> {
  const grouped = records.filter((r) => r.point.group !== undefined && !r.switchover && stores.has(r.trial));
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
export async function switchoverData(r: TrialRecord, store: { series: string }, samples: Samples | undefined): Promise<TimelineData> {
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
