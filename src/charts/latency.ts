// Figure: latency percentiles per variant, grouped by message size (one panel per test and protocol).
import type { TopLevelSpec } from 'vega-lite';
import type { Analysis } from '../analysis/analyze.js';
import { pointLabel } from '../analysis/metrics.js';

const PERCENTILES: [string, string][] = [
  ['p50_us', 'p50'],
  ['p90_us', 'p90'],
  ['p99_us', 'p99'],
  ['p99_9_us', 'p99.9'],
];

export interface LatencyDatum {
  panel: string;
  size: number;
  variant: string;
  percentile: string;
  order: number;
  latency_us: number;
  n: number;
}

/** The data behind the figure, also what tests check. */
export function latencyFigureData(a: Analysis): LatencyDatum[] {
  const out: LatencyDatum[] = [];
  for (const s of a.summary) {
    if (s.n === 0) continue;
    const kind = s.latencyKind === 'rtt' ? 'RTT' : 'RTT/2';
    PERCENTILES.forEach(([metric, label], order) => {
      const v = s.metrics[metric];
      if (v === undefined) return;
      out.push({
        panel: `${pointLabel({ ...s, size: 0 })} (${kind})`,
        size: s.size,
        variant: s.variant,
        percentile: label,
        order,
        latency_us: v,
        n: s.n,
      });
    });
  }
  return out;
}

/** "3", or "2–3" when the bars rest on different numbers of repetitions. */
function nRange(data: LatencyDatum[]): string {
  const ns = data.map((d) => d.n);
  const [lo, hi] = [Math.min(...ns), Math.max(...ns)];
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

export function latencyFigure(a: Analysis, title: string): TopLevelSpec {
  const data = latencyFigureData(a);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `median over repetitions of pooled per-message percentiles (n = ${nRange(data)} repetitions per bar); baseline: ${a.baseline}` },
    data: { values: data },
    facet: {
      row: { field: 'panel', type: 'nominal', title: null },
      column: { field: 'size', type: 'ordinal', title: 'message size (bytes)', sort: 'ascending' },
    },
    spec: {
      width: 180,
      height: 180,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'percentile', type: 'ordinal', title: null, sort: { field: 'order' }, axis: { labelAngle: 0 } },
        xOffset: { field: 'variant', type: 'nominal', sort: a.variants },
        y: { field: 'latency_us', type: 'quantitative', title: 'latency (µs)' },
        color: { field: 'variant', type: 'nominal', title: 'variant', sort: a.variants },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'percentile', type: 'ordinal' },
          { field: 'latency_us', type: 'quantitative', format: '.1f', title: 'latency (µs)' },
          { field: 'n', type: 'quantitative', title: 'repetitions' },
        ],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
