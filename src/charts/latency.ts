// Figure: latency percentiles per variant on a log axis, one panel per message size (and per test and
// protocol).
import type { TopLevelSpec } from 'vega-lite';
import type { Analysis } from '../analysis/analyze.js';
import { pointLabel } from '../analysis/metrics.js';
import { ROW_HEADER } from './render.js';

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

/**
 * Percentiles as dots joined per variant on a log latency axis: p99.9 is often 10–50× p50, and a linear
 * axis would flatten the median to a few pixels. Hover shows the exact value.
 */
export function latencyFigure(a: Analysis, title: string, w: number): TopLevelSpec {
  const data = latencyFigureData(a);
  const byVariant = { field: 'variant', type: 'nominal', title: 'variant', sort: a.variants } as const;
  // One panel (one test): its name goes into the subtitle instead of a row label of its own.
  const panels = [...new Set(data.map((d) => d.panel))];
  const one = panels.length === 1 ? `${panels[0]}: ` : '';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `${one}median over repetitions of pooled per-message percentiles (n = ${nRange(data)} repetitions per point); baseline: ${a.baseline}` },
    data: { values: data },
    facet: {
      ...(one ? {} : { row: { field: 'panel', type: 'nominal', title: null, header: { ...ROW_HEADER, labelLimit: w } } }),
      column: { field: 'size', type: 'ordinal', title: 'message size (bytes)', sort: 'ascending' },
    },
    spec: {
      width: w,
      height: Math.round(Math.max(90, Math.min(180, w * 0.9))),
      mark: { type: 'line', point: { filled: true, size: 30 }, strokeWidth: 1.2, tooltip: true },
      encoding: {
        x: { field: 'percentile', type: 'ordinal', title: null, sort: { field: 'order' }, axis: { labelAngle: w < 120 ? -45 : 0 } },
        y: { field: 'latency_us', type: 'quantitative', title: 'latency (µs, log scale)', scale: { type: 'log' } },
        color: { ...byVariant, title: `variant (n = ${nRange(data)} per point)` },
        detail: byVariant,
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'percentile', type: 'ordinal' },
          { field: 'latency_us', type: 'quantitative', format: '.2f', title: 'latency (µs)' },
          { field: 'n', type: 'quantitative', title: 'repetitions' },
        ],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
