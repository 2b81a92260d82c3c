// The figures of one run's report, in the order report.html shows them.
import type { Analysis, SummaryRow } from '../analysis/analyze.js';
import { comparePoints, pointLabel } from '../analysis/metrics.js';
import { readTimeseries, type TimeseriesRow } from '../analysis/timeseries-data.js';
import type { FigureData } from '../analysis/figure-data.js';
import type { RunDir } from '../results/run-dir.js';
import type { TrialRecord } from '../results/record.js';
import { tablePoint } from '../results/tables.js';
import { latencyFigure } from '../charts/latency.js';
import {
  barFigure, barsWithCi, boostData, boostFigure, boostVsRateData, boostVsRateFigure, cdfDatums, cdfFigure, groupBoxFigure, switchoverFigure, timeseriesFigure,
} from '../charts/figures.js';
import { figure, ifAny, type AnyFigure } from './figures.js';
import { CPU, THROUGHPUT } from './units.js';

/** What a run's figures draw from: what analyze wrote (its analysis, ok records, sample-based figure data). */
export interface RunFigureContext {
  /** The scenario's name: the figures' titles begin with it. */
  name: string;
  dir: RunDir;
  a: Analysis;
  records: TrialRecord[];
  data: FigureData;
}

type C = RunFigureContext;
const ci = (a: Analysis) => `${Math.round(a.level * 100)}%`;

/** Each point once, in reading order, with its number (timeseries-<k>), and its rows of analysis/timeseries.csv. */
async function pointSeries(c: C): Promise<{ k: number; s: SummaryRow; rows: TimeseriesRow[] }[]> {
  const series = await readTimeseries(c.dir.analysisDir);
  const points = [...c.a.summary].sort(comparePoints).filter((x, i, all) => all.findIndex((y) => y.pointKey === x.pointKey) === i);
  return points.map((s, k) => ({ k, s, rows: series.filter((x) => x.point === tablePoint(s) || x.point === s.pointKey) })).filter((x) => x.rows.length > 0);
}


export const RUN_FIGURES: AnyFigure<C>[] = [
  figure({
    name: 'boost',
    caption: 'Boost% of each variant over the baseline per point, with its confidence interval: the run\'s headline.',
    data: (c: C) => ifAny(boostData(c.a)),
    spec: (c, d, w) => boostFigure(c.a, d.data, d.common, `${c.name}: Boost% over ${c.a.baseline}`, w),
  }),
  figure({
    name: 'latency-percentiles',
    caption: 'Latency percentiles per variant (log axis): median over repetitions of the pooled per-message percentiles.',
    applies: (c: C) => c.a.summary.some((s) => s.n > 0 && s.metrics.p50_us !== undefined),
    data: () => [null],
    spec: (c, _d, w) => latencyFigure(c.a, `${c.name}: latency by variant`, w),
  }),
  figure({
    name: 'latency-cdf',
    caption: 'Empirical CDF of per-message latency per variant, pooled over the repetitions.',
    data: (c: C) => ifAny(cdfDatums(c.a, c.data.cdf)),
    spec: (c, d, w, page) => cdfFigure(c.a, d.data, d.common, `${c.name}: latency CDF`, w, page),
  }),
  figure({
    name: 'throughput',
    caption: 'Throughput and transaction rates per variant with confidence intervals.',
    data: (c: C) => ifAny(barsWithCi(c.a, Object.keys(THROUGHPUT), THROUGHPUT)),
    spec: (c, d, w) =>
      barFigure(c.a, d.data, `${c.name}: throughput`, `${d.common ? `${d.common}: ` : ''}median over repetitions; whiskers: ${ci(c.a)} bootstrap CI of the median (n ≥ 3)`, w),
  }),
  figure({
    name: 'cpu-cost',
    caption: 'CPU cost per variant from /proc/stat sampled during each trial; per Gbit/s and per 1000 transactions where the tool measured them.',
    data: (c: C) => ifAny(barsWithCi(c.a, Object.keys(CPU), CPU)),
    spec: (c, d, w) => {
      const shared = c.records.some((r) => r.sampling?.sharedKernel) ? ' (hosts share one kernel: counted once)' : '';
      return barFigure(c.a, d.data, `${c.name}: CPU cost`, `${d.common ? `${d.common}: ` : ''}busy CPUs of both hosts over the measured window${shared}; whiskers: ${ci(c.a)} CI`, w);
    },
  }),
  figure({
    name: 'boost-vs-background',
    caption: 'FlexVF Fig. 5: Boost% of p50 and p99 latency against the background packet rate, one line per message size.',
    data: (c: C) => ifAny(boostVsRateData(c.a)),
    spec: (c, d, w) => boostVsRateFigure(c.a, d, `${c.name}: Boost% vs background load`, w),
  }),
  figure({
    name: 'latency-by-group',
    caption: 'FlexVF Fig. 7: latency per group and variant, pooled over the pairs of each group.',
    data: (c: C) => ifAny(c.data.groupBoxes),
    spec: (c, d, w) => groupBoxFigure(c.a, d, `${c.name}: latency per group of pairs`, w),
  }),
  figure({
    name: 'switchover-timeline',
    caption: 'FlexVF Fig. 6: latency over time (50 ms bins) with the switch instants, and the client\'s packets/s per interface from its counters.',
    data: (c: C) => c.data.switchovers,
    spec: (c, d, w) => switchoverFigure(d.data, `${c.name}: live switchover (${d.trial})`, w),
    file: (_d, i) => `switchover-timeline${i ? `-${i + 1}` : ''}`,
  }),
  // How each point's trials evolved, one small-multiple figure per point (from analysis/ only).
  figure({
    name: 'timeseries',
    caption: (d) => `How the trials of ${pointLabel(d.s)} evolved while they measured (one line per trial).`,
    data: pointSeries,
    spec: (c, d, w) => timeseriesFigure(c.a, d.rows, `${c.name}: ${pointLabel(d.s)} over time`, w),
    file: (d) => `timeseries-${d.k + 1}`,
  }),
];
