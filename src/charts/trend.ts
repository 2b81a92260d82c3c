// Figure: a metric over the runs of a scenario (median with its CI per run), the baseline run's CI
// drawn as a band, one panel per point, one colour per series: the variant, or with `history trend --by
// LABEL` the label's value (vm_size…: a team's runners side by side), a panel per point and variant.
import type { TopLevelSpec } from 'vega-lite';
import { metricLabel } from '../analysis/metrics.js';
import { PALETTE, ROW_HEADER } from './render.js';

export interface TrendDatum {
  run: string;
  time: string;
  /** The panel: the point (with --by, the point and variant). */
  point: string;
  variant: string;
  /** The colour: the variant, or the value of the --by label. */
  series: string;
  metric: string;
  median: number;
  ciLow?: number;
  ciHigh?: number;
  n: number;
  baseline: boolean;
}

function unit(metric: string): { scale: number; unit: string } {
  if (metric.endsWith('_us')) return { scale: 1, unit: 'µs' };
  if (metric.endsWith('_bps')) return { scale: 1e-9, unit: 'Gbit/s' };
  if (metric.endsWith('_per_s')) return { scale: 1, unit: 'per second' };
  if (metric.endsWith('_ms')) return { scale: 1, unit: 'ms' };
  return { scale: 1, unit: '' };
}

/** `by`: the label the series are values of (undefined: the series are the variants). */
export function trendFigure(scenario: string, metric: string, data: TrendDatum[], w: number, by?: string): TopLevelSpec {
  const u = unit(metric);
  const series = [...new Set(data.map((d) => d.series))].sort();
  const color = { field: 'series', type: 'nominal', title: by ?? 'variant', sort: series, scale: { domain: series, range: series.map((_, i) => PALETTE[i % PALETTE.length]!) } } as const;
  const band = by ? `band: the baseline run's CI of each ${by}` : "band: the baseline run's CI";
  const values = data.map((d) => ({
    ...d,
    median: d.median * u.scale,
    ciLow: d.ciLow === undefined ? undefined : d.ciLow * u.scale,
    ciHigh: d.ciHigh === undefined ? undefined : d.ciHigh * u.scale,
  }));
  const title = `${metricLabel(metric)}${u.unit ? ` (${u.unit})` : ''}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${scenario}: ${title} over runs`, subtitle: `median over repetitions with its bootstrap CI; ${band}` },
    data: { values },
    facet: { row: { field: 'point', type: 'nominal', title: null, header: ROW_HEADER } },
    spec: {
      width: w,
      height: Math.round(Math.max(80, Math.min(160, w * 0.45))),
      layer: [
        {
          transform: [{ filter: 'datum.baseline && isValid(datum.ciLow)' }],
          mark: { type: 'rect', opacity: 0.15 },
          encoding: {
            y: { field: 'ciLow', type: 'quantitative' },
            y2: { field: 'ciHigh' },
            color,
          },
        },
        {
          transform: [{ filter: 'isValid(datum.ciLow)' }],
          mark: { type: 'rule' },
          encoding: {
            x: { field: 'time', type: 'temporal', title: 'run' },
            y: { field: 'ciLow', type: 'quantitative' },
            y2: { field: 'ciHigh' },
            color,
          },
        },
        {
          mark: { type: 'line', point: true, tooltip: true },
          encoding: {
            x: { field: 'time', type: 'temporal', title: 'run' },
            y: { field: 'median', type: 'quantitative', title, scale: { zero: false } },
            color,
            tooltip: [
              { field: 'run', type: 'nominal' },
              { field: 'variant', type: 'nominal' },
              ...(by ? [{ field: 'series', type: 'nominal', title: by }] : []),
              { field: 'median', type: 'quantitative', format: '.3~f' },
              { field: 'n', type: 'quantitative', title: 'repetitions' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
