// The figures of the seed papers' experiments, as Vega-Lite specs built from analysis tables and the
// pooled distributions the report stage passes in. Every figure states n and shows CIs where they exist.
import type { TopLevelSpec } from 'vega-lite';
import type { Analysis } from '../analysis/analyze.js';
import { comparePoints, metricLabel, pointLabel } from '../analysis/metrics.js';
import type { BoxStats } from '../analysis/distributions.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const variantColor = (a: Analysis) => ({ field: 'variant', type: 'nominal', title: 'variant', sort: a.variants }) as const;

export interface CdfDatum {
  panel: string;
  variant: string;
  latency_us: number;
  fraction: number;
  /** Trials and messages pooled. */
  trials: number;
  messages: number;
}

/** Latency CDF per variant (one panel per point), log latency axis; each panel states its n. */
export function cdfFigure(a: Analysis, data: CdfDatum[], title: string): TopLevelSpec {
  const panels = [...new Set(data.map((d) => d.panel))];
  // One label row per panel and variant: trials and messages pooled.
  const labels = panels.flatMap((panel) =>
    a.variants.flatMap((variant, rank) => {
      const d = data.find((x) => x.panel === panel && x.variant === variant);
      return d ? [{ panel, variant, rank, label: `${variant}: n = ${d.trials} trials, ${d.messages.toLocaleString('en-US')} msgs` }] : [];
    }),
  );
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'empirical CDF of per-message latency, pooled over the repetitions' },
    data: { values: [...data, ...labels] },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
    columns: Math.min(3, panels.length),
    spec: {
      width: 300,
      height: 170,
      layer: [
        {
          transform: [{ filter: 'datum.label == null' }],
          mark: { type: 'line', interpolate: 'step-after', clip: true },
          encoding: {
            x: { field: 'latency_us', type: 'quantitative', title: 'latency (µs, log scale)', scale: { type: 'log' } },
            y: { field: 'fraction', type: 'quantitative', title: 'fraction of messages', scale: { domain: [0, 1] } },
            color: variantColor(a),
          },
        },
        {
          // Bottom right: slow and rare, where a CDF has no line.
          transform: [{ filter: 'datum.label != null' }, { calculate: `162 - 12 * (${a.variants.length - 1} - datum.rank)`, as: 'ypx' }],
          mark: { type: 'text', align: 'right', baseline: 'bottom', fontSize: 9, x: 296 },
          encoding: { y: { field: 'ypx', type: 'quantitative', scale: null }, text: { field: 'label' }, color: variantColor(a) },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec;
}

export interface BarDatum {
  panel: string;
  metric: string;
  point: string;
  variant: string;
  value: number;
  ci_low?: number;
  ci_high?: number;
  n: number;
}

/** Median of each metric per point and variant as bars, with the bootstrap CI as error bars. */
export function barsWithCi(a: Analysis, metrics: string[], scale: Record<string, { factor: number; unit: string }>): BarDatum[] {
  const out: BarDatum[] = [];
  // One test: its name goes without saying, and the labels stay readable.
  const oneTest = new Set(a.summary.map((s) => s.test)).size === 1;
  for (const s of [...a.summary].sort(comparePoints)) {
    for (const m of metrics) {
      const st = s.stats[m];
      if (!st || s.n === 0) continue;
      const { factor, unit } = scale[m] ?? { factor: 1, unit: '' };
      out.push({
        panel: `${metricLabel(m)}${unit ? ` (${unit})` : ''}`,
        metric: m,
        point: oneTest ? pointLabel({ ...s, test: '' }).trim() : pointLabel(s),
        variant: s.variant,
        value: st.median * factor,
        ci_low: st.ciLow !== undefined ? st.ciLow * factor : undefined,
        ci_high: st.ciHigh !== undefined ? st.ciHigh * factor : undefined,
        n: st.n,
      });
    }
  }
  return out;
}

/** Grouped bars (point on x, variant as offset) with CI whiskers; one row per metric. */
export function barFigure(a: Analysis, data: BarDatum[], title: string, subtitle: string): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    data: { values: data.map((d) => ({ ...d, label: `n=${d.n}` })) },
    facet: { row: { field: 'panel', type: 'nominal', title: null } },
    spec: {
      width: Math.max(220, 90 * new Set(data.map((d) => d.point)).size),
      height: 160,
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            // In the order of the analysis (the scenario's order), not alphabetical: 64B before 1024B.
            x: { field: 'point', type: 'nominal', title: null, sort: null, axis: { labelAngle: -20, labelLimit: 220 } },
            xOffset: { field: 'variant', type: 'nominal', sort: a.variants },
            y: { field: 'value', type: 'quantitative', title: null },
            color: variantColor(a),
          },
        },
        {
          mark: { type: 'rule', color: 'black' },
          encoding: {
            x: { field: 'point', type: 'nominal', sort: null },
            xOffset: { field: 'variant', type: 'nominal', sort: a.variants },
            y: { field: 'ci_low', type: 'quantitative' },
            y2: { field: 'ci_high' },
          },
        },
        {
          mark: { type: 'text', dy: -6, fontSize: 9, baseline: 'bottom' },
          encoding: {
            x: { field: 'point', type: 'nominal', sort: null },
            xOffset: { field: 'variant', type: 'nominal', sort: a.variants },
            y: { field: 'value', type: 'quantitative' },
            text: { field: 'label' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export interface BoostRateDatum {
  metric: string;
  size: number;
  rate: number;
  variant: string;
  boost: number;
  ci_low?: number;
  ci_high?: number;
  n: number;
}

/** FlexVF Fig. 5: the data, Boost% of p50 and p99 per background rate, one series per size. */
export function boostVsRateData(a: Analysis, metrics = ['p50_us', 'p99_us']): BoostRateDatum[] {
  return a.boost
    .filter((b) => b.rate !== undefined && metrics.includes(b.metric))
    .map((b) => ({
      metric: metricLabel(b.metric),
      size: b.size,
      rate: b.rate!,
      variant: b.variant,
      boost: b.boostPercent,
      ci_low: b.ciLow,
      ci_high: b.ciHigh,
      n: Math.min(b.nBaseline, b.nVariant),
    }));
}

export function boostVsRateFigure(a: Analysis, data: BoostRateDatum[], title: string): TopLevelSpec {
  const n = Math.min(...data.map((d) => d.n));
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `Boost% = (lat_${a.baseline} − lat_variant) / lat_${a.baseline} × 100; ${Math.round(a.level * 100)}% bootstrap CI where n ≥ 3 (n = ${n} per point)` },
    data: { values: data },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          mark: { type: 'line', point: true, tooltip: true },
          encoding: {
            x: { field: 'rate', type: 'quantitative', title: 'background load (packets/s)' },
            y: { field: 'boost', type: 'quantitative', title: 'Boost (%)' },
            color: { field: 'size', type: 'nominal', title: 'size (bytes)', sort: 'ascending' },
            strokeDash: { field: 'variant', type: 'nominal', title: 'variant' },
          },
        },
        {
          mark: { type: 'rule' },
          encoding: {
            x: { field: 'rate', type: 'quantitative' },
            y: { field: 'ci_low', type: 'quantitative' },
            y2: { field: 'ci_high' },
            color: { field: 'size', type: 'nominal', sort: 'ascending' },
          },
        },
        { mark: { type: 'rule', strokeDash: [2, 2], color: '#888' }, encoding: { y: { datum: 0 } } },
      ],
    },
  } as TopLevelSpec;
}

export interface GroupBoxDatum extends BoxStats {
  group: string;
  variant: string;
  pairs: number;
  trials: number;
}

/** FlexVF Fig. 7: latency per group and variant, pooled over the group's pairs and repetitions. */
export function groupBoxFigure(a: Analysis, data: GroupBoxDatum[], title: string): TopLevelSpec {
  const x = { field: 'group', type: 'nominal', title: 'group', axis: { labelAngle: 0 } } as const;
  const off = { field: 'variant', type: 'nominal', sort: a.variants } as const;
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'per-message latency pooled over each group\'s pairs and repetitions: box p25–p75, line median, whiskers p1–p99' },
    data: { values: data.map((d) => ({ ...d, label: `pairs ${d.pairs}, trials ${d.trials}` })) },
    width: Math.max(240, 120 * new Set(data.map((d) => d.group)).size),
    height: 220,
    layer: [
      { mark: { type: 'rule' }, encoding: { x, xOffset: off, y: { field: 'p1', type: 'quantitative', title: 'latency (µs, log scale)', scale: { type: 'log' } }, y2: { field: 'p99' }, color: variantColor(a) } },
      { mark: { type: 'bar', size: 14, tooltip: true }, encoding: { x, xOffset: off, y: { field: 'p25', type: 'quantitative' }, y2: { field: 'p75' }, color: variantColor(a) } },
      { mark: { type: 'tick', color: 'white', size: 14, thickness: 2 }, encoding: { x, xOffset: off, y: { field: 'p50', type: 'quantitative' } } },
      { mark: { type: 'text', dy: -8, fontSize: 9 }, encoding: { x, xOffset: off, y: { field: 'p99', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}

export interface TimelineData {
  latency: { t: number; p50_us: number; p99_us: number; n: number }[];
  switches: { variant: string; begin: number; end: number }[];
  counters: { t: number; iface: string; pps: number }[];
  gapMs: number;
  lost: number;
}

/** FlexVF Fig. 6: latency over time with the switch instants marked, above the per-interface packet rates. */
export function switchoverFigure(data: TimelineData, title: string): TopLevelSpec {
  const xTitle = 'time since the measurement started (s)';
  // Both panels on one time axis: the measured span.
  const end = Math.max(0.1, ...data.latency.map((d) => d.t));
  const x = (field: string) => ({ field, type: 'quantitative' as const, title: xTitle, scale: { domain: [0, end], nice: false } });
  const switchLayers = [
    { data: { values: data.switches }, mark: { type: 'rect', color: '#D55E00', opacity: 0.25 }, encoding: { x: x('begin'), x2: { field: 'end' } } },
    {
      data: { values: data.switches },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, y: 2, fontSize: 10, color: '#D55E00' },
      encoding: { x: x('end'), text: { field: 'variant' } },
    },
  ];
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `shaded: switch under way (→ new variant); longest gap without replies ${data.gapMs.toFixed(1)} ms, ${data.lost} messages lost` },
    vconcat: [
      {
        width: 520,
        height: 200,
        layer: [
          ...switchLayers,
          {
            data: { values: data.latency.flatMap((d) => [{ t: d.t, v: d.p50_us, stat: 'median' }, { t: d.t, v: d.p99_us, stat: 'p99' }]) },
            mark: { type: 'line', strokeWidth: 1.2 },
            encoding: {
              x: x('t'),
              y: { field: 'v', type: 'quantitative', title: 'latency per bin (µs, log)', scale: { type: 'log' } },
              color: { field: 'stat', type: 'nominal', title: 'latency', scale: { range: ['#0072B2', '#999999'] } },
            },
          },
        ],
      },
      {
        width: 520,
        height: 120,
        layer: [
          ...switchLayers,
          {
            data: { values: data.counters.filter((c) => c.t >= 0 && c.t <= end) },
            mark: { type: 'line', interpolate: 'step', clip: true },
            encoding: {
              x: x('t'),
              y: { field: 'pps', type: 'quantitative', title: 'client packets/s' },
              color: { field: 'iface', type: 'nominal', title: 'interface', scale: { range: ['#009E73', '#CC79A7', '#E69F00'] } },
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}
