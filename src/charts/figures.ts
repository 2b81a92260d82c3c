// The figures of the seed papers' experiments, as Vega-Lite specs built from analysis tables and the
// pooled distributions the report stage passes in. Every figure states n and shows CIs where they exist.
import type { TopLevelSpec } from 'vega-lite';
import type { Analysis } from '../analysis/analyze.js';
import { comparePoints, HEADLINE, metricLabel, shortPointLabels } from '../analysis/metrics.js';
import type { CdfRow, GroupBoxDatum, TimelineData } from '../analysis/figure-data.js';

export type { GroupBoxDatum, TimelineData };
import { PALETTE } from './render.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Drag to pan, wheel to zoom the x axis in the report's live views (no effect on the static files). */
const zoomX = (name = 'zoom') => ({ name, select: { type: 'interval' as const, encodings: ['x' as const] }, bind: 'scales' as const });

/**
 * Colour by variant, each variant in the same colour in every figure (its place among the run's variants),
 * also where only some of them are drawn (the Boost% figure has no baseline).
 */
const variantColor = (a: Analysis, shown: string[] = a.variants, title = 'variant') =>
  ({ field: 'variant', type: 'nominal', title, sort: shown, scale: { domain: shown, range: shown.map((v) => PALETTE[Math.max(0, a.variants.indexOf(v)) % PALETTE.length]!) } }) as const;

export interface CdfDatum {
  panel: string;
  variant: string;
  latency_us: number;
  fraction: number;
  /** Trials and messages pooled. */
  trials: number;
  messages: number;
}

/** analyze's CDF rows as the figure draws them: one panel per point, labelled by what tells the points apart. */
export function cdfDatums(a: Analysis, rows: CdfRow[]): { data: CdfDatum[]; common: string } {
  const have = new Set(rows.map((r) => `${r.point}\0${r.variant}`));
  const points = [...a.summary].sort(comparePoints).filter((s) => have.has(`${s.pointKey}\0${s.variant}`));
  const { label, common } = shortPointLabels(points);
  const byKey = new Map(points.map((s) => [s.pointKey, s]));
  const data = rows.filter((r) => byKey.has(r.point)).map(({ point, ...r }) => ({ panel: label(byKey.get(point)!), ...r }));
  return { data, common };
}

/** Latency CDF per variant (one panel per point), log latency axis; each panel states its n. */
export function cdfFigure(a: Analysis, data: CdfDatum[], common: string, title: string, w: number, page: number): TopLevelSpec {
  const h = Math.round(Math.max(90, Math.min(200, w * 0.62)));
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
    title: { text: title, subtitle: `${common ? `${common}: ` : ''}empirical CDF of per-message latency, pooled over the repetitions` },
    data: { values: [...data, ...labels] },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
    // Panels of at least ~170 pt side by side: a single column figure stacks them.
    columns: Math.max(1, Math.min(3, panels.length, Math.floor(page / 170))),
    spec: {
      width: w,
      height: h,
      layer: [
        {
          transform: [{ filter: 'datum.label == null' }],
          params: [zoomX()],
          mark: { type: 'line', interpolate: 'step-after', clip: true, strokeWidth: 1.5 },
          encoding: {
            x: { field: 'latency_us', type: 'quantitative', title: 'latency (µs, log scale)', scale: { type: 'log' }, axis: { labelOverlap: 'greedy', labelSeparation: 4 } },
            y: { field: 'fraction', type: 'quantitative', title: 'fraction of messages', scale: { domain: [0, 1] } },
            color: variantColor(a),
          },
        },
        {
          // Bottom right: slow and rare, where a CDF has no line.
          transform: [{ filter: 'datum.label != null' }, { calculate: `${h - 4} - 9 * (${a.variants.length - 1} - datum.rank)`, as: 'ypx' }],
          mark: { type: 'text', align: 'right', baseline: 'bottom', fontSize: 7, x: w - 3 },
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
export function barsWithCi(a: Analysis, metrics: string[], scale: Record<string, { factor: number; unit: string }>): { data: BarDatum[]; common: string } {
  const out: BarDatum[] = [];
  const summary = [...a.summary].sort(comparePoints).filter((s) => s.n > 0 && metrics.some((m) => s.stats[m]));
  const { label, common } = shortPointLabels(summary);
  for (const s of summary) {
    for (const m of metrics) {
      const st = s.stats[m];
      if (!st) continue;
      const { factor, unit } = scale[m] ?? { factor: 1, unit: '' };
      out.push({
        panel: `${metricLabel(m)}${unit ? ` (${unit})` : ''}`,
        metric: m,
        point: label(s),
        variant: s.variant,
        value: st.median * factor,
        ci_low: st.ciLow !== undefined ? st.ciLow * factor : undefined,
        ci_high: st.ciHigh !== undefined ? st.ciHigh * factor : undefined,
        n: st.n,
      });
    }
  }
  return { data: out, common };
}

/** Grouped bars (point on x, variant as offset) with CI whiskers; one chart per metric, titled by its y axis. */
export function barFigure(a: Analysis, data: BarDatum[], title: string, subtitle: string, w: number): TopLevelSpec {
  const x = { field: 'point', type: 'nominal', title: null, sort: null, axis: { labelAngle: -30, labelLimit: 140 } } as const;
  const off = { field: 'variant', type: 'nominal', sort: a.variants } as const;
  const panels = [...new Set(data.map((d) => d.panel))];
  const h = Math.round(Math.max(70, Math.min(150, w * 0.45)));
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    data: { values: data.map((d) => ({ ...d, label: `n=${d.n}` })) },
    vconcat: panels.map((panel, i) => ({
      transform: [{ filter: { field: 'panel', equal: panel } }],
      width: w,
      height: h,
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            // In the order of the analysis (the scenario's order), not alphabetical: 64B before 1024B.
            x: { ...x, axis: i === panels.length - 1 ? x.axis : { labels: false, ticks: false } },
            xOffset: off,
            y: { field: 'value', type: 'quantitative', title: panel },
            color: variantColor(a),
          },
        },
        { mark: { type: 'rule', color: 'black' }, encoding: { x, xOffset: off, y: { field: 'ci_low', type: 'quantitative' }, y2: { field: 'ci_high' } } },
        { mark: { type: 'text', dy: -4, fontSize: 6, baseline: 'bottom' }, encoding: { x, xOffset: off, y: { field: 'value', type: 'quantitative' }, text: { field: 'label' } } },
      ],
    })),
    // One x scale for every panel: the labels under the last one name the bars of all.
    resolve: { scale: { y: 'independent', x: 'shared' } },
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

export function boostVsRateFigure(a: Analysis, data: BoostRateDatum[], title: string, w: number): TopLevelSpec {
  const n = Math.min(...data.map((d) => d.n));
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `Boost% = (lat_${a.baseline} − lat_variant) / lat_${a.baseline} × 100; ${Math.round(a.level * 100)}% bootstrap CI where n ≥ 3 (n = ${n} per point)` },
    data: { values: data },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: w,
      height: Math.round(Math.max(90, Math.min(200, w * 0.75))),
      layer: [
        {
          params: [zoomX()],
          mark: { type: 'line', point: true, tooltip: true, clip: true },
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


/** FlexVF Fig. 7: latency per group and variant, pooled over the group's pairs and repetitions. */
export function groupBoxFigure(a: Analysis, data: GroupBoxDatum[], title: string, w: number): TopLevelSpec {
  const x = { field: 'group', type: 'nominal', title: 'group', axis: { labelAngle: 0 } } as const;
  const off = { field: 'variant', type: 'nominal', sort: a.variants } as const;
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'per-message latency pooled over each group\'s pairs and repetitions: box p25–p75, line median, whiskers p1–p99' },
    data: { values: data.map((d) => ({ ...d, label: `pairs ${d.pairs}, trials ${d.trials}` })) },
    width: w,
    height: Math.round(Math.max(100, Math.min(220, w * 0.7))),
    layer: [
      { mark: { type: 'rule' }, encoding: { x, xOffset: off, y: { field: 'p1', type: 'quantitative', title: 'latency (µs, log scale)', scale: { type: 'log' } }, y2: { field: 'p99' }, color: variantColor(a) } },
      { mark: { type: 'bar', size: 14, tooltip: true }, encoding: { x, xOffset: off, y: { field: 'p25', type: 'quantitative' }, y2: { field: 'p75' }, color: variantColor(a) } },
      { mark: { type: 'tick', color: 'white', size: 14, thickness: 2 }, encoding: { x, xOffset: off, y: { field: 'p50', type: 'quantitative' } } },
      { mark: { type: 'text', dy: -6, fontSize: 6 }, encoding: { x, xOffset: off, y: { field: 'p99', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}


/** FlexVF Fig. 6: latency over time with the switch instants marked, above the per-interface packet rates. */
export function switchoverFigure(data: TimelineData, title: string, w: number): TopLevelSpec {
  const xTitle = 'time since the measurement started (s)';
  // Both panels on one time axis: the measured span.
  const end = Math.max(0.1, ...data.latency.map((d) => d.t));
  const x = (field: string) => ({ field, type: 'quantitative' as const, title: xTitle, scale: { domain: [0, end], nice: false } });
  const switchLayers = [
    { data: { values: data.switches }, mark: { type: 'rect', color: '#D55E00', opacity: 0.25 }, encoding: { x: x('begin'), x2: { field: 'end' } } },
    {
      data: { values: data.switches },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 2, y: 2, fontSize: 7, color: '#D55E00' },
      encoding: { x: x('end'), text: { field: 'variant' } },
    },
  ];
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `shaded: switch under way (→ new variant); longest gap without replies ${data.gapMs.toFixed(1)} ms, ${data.lost} messages lost` },
    vconcat: [
      {
        width: w,
        height: Math.round(Math.max(90, Math.min(200, w * 0.4))),
        layer: [
          ...switchLayers,
          {
            data: { values: data.latency.flatMap((d) => [{ t: d.t, v: d.p50_us, stat: 'median' }, { t: d.t, v: d.p99_us, stat: 'p99' }]) },
            params: [zoomX()],
            mark: { type: 'line', strokeWidth: 1.2, clip: true, tooltip: true },
            encoding: {
              x: x('t'),
              y: { field: 'v', type: 'quantitative', title: 'latency per bin (µs, log)', scale: { type: 'log' } },
              color: { field: 'stat', type: 'nominal', title: 'latency', scale: { range: ['#0072B2', '#999999'] } },
            },
          },
        ],
      },
      {
        width: w,
        height: Math.round(Math.max(60, Math.min(120, w * 0.25))),
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

export interface BoostDatum {
  metric: string;
  point: string;
  order: number;
  variant: string;
  boost: number;
  ci_low?: number;
  ci_high?: number;
  n: string;
}

/**
 * The headline of a run with a baseline, as a figure: Boost% per point (Eq. 1 for latency; for rates and
 * throughput the relative gain, higher is better) with its CI, one facet per headline metric: the latency
 * percentiles where the tool measured them, else the tool's own headline (transactions/s, throughput).
 */
export function boostData(a: Analysis): { data: BoostDatum[]; common: string } {
  const rows = a.boost.filter((b) => b.variant !== a.baseline);
  const points = [...new Map(rows.map((b) => [b.pointKey, b])).values()].sort(comparePoints);
  // Latency percentiles where the tool measured them; elsewhere the point's first headline (a rate).
  const latency = ['p50_us', 'p99_us', 'p99_9_us'];
  const metricsOf = new Map<string, Set<string>>();
  for (const b of rows) metricsOf.set(b.pointKey, (metricsOf.get(b.pointKey) ?? new Set()).add(b.metric));
  const shown = (b: (typeof rows)[number]) => {
    const mine = metricsOf.get(b.pointKey)!;
    if (latency.some((m) => mine.has(m))) return latency.includes(b.metric);
    return HEADLINE.find((m) => mine.has(m)) === b.metric;
  };
  const { label, common } = shortPointLabels(points);
  const data = rows.filter(shown).map((b) => ({
    metric: metricLabel(b.metric),
    point: label(b),
    order: points.findIndex((p) => p.pointKey === b.pointKey),
    variant: b.variant,
    boost: b.boostPercent,
    ci_low: b.ciLow,
    ci_high: b.ciHigh,
    n: `${b.nBaseline}/${b.nVariant}`,
  }));
  return { data, common };
}

export function boostFigure(a: Analysis, data: BoostDatum[], common: string, title: string, w: number): TopLevelSpec {
  const variants = a.variants.filter((v) => data.some((d) => d.variant === v));
  const x = { field: 'point', type: 'nominal', title: null, sort: { field: 'order' }, axis: { labelAngle: -30, labelLimit: 140 } } as const;
  const off = { field: 'variant', type: 'nominal', sort: variants } as const;
  // n in the legend, where a paper's figure without titles still shows it.
  const ns = [...new Set(data.map((d) => d.n))];
  const color = variantColor(a, variants, `variant (n = ${ns.length === 1 ? ns[0] : ns.join(', ')} ${a.baseline}/variant)`);
  return {
    $schema: SCHEMA,
    title: {
      text: title,
      subtitle: `${common ? `${common}: ` : ''}Boost% = (${a.baseline} − variant) / ${a.baseline} × 100 for latency, (variant − ${a.baseline}) / ${a.baseline} × 100 for rates: above 0 the variant is better; whiskers: ${Math.round(a.level * 100)}% bootstrap CI (n ≥ 3 per side)`,
    },
    data: { values: data },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: [...new Set(data.map((d) => d.metric))] } },
    spec: {
      width: w,
      height: Math.round(Math.max(90, Math.min(180, w * 0.8))),
      layer: [
        { mark: { type: 'rule', color: '#888' }, encoding: { y: { datum: 0, type: 'quantitative' } } },
        { mark: { type: 'rule', strokeWidth: 1.2 }, encoding: { x, xOffset: off, y: { field: 'ci_low', type: 'quantitative' }, y2: { field: 'ci_high' }, color } },
        {
          mark: { type: 'point', filled: true, size: 36, tooltip: true },
          encoding: {
            x,
            xOffset: off,
            y: { field: 'boost', type: 'quantitative', title: `Boost over ${a.baseline} (%)` },
            color,
            tooltip: [
              { field: 'point', type: 'nominal' },
              { field: 'variant', type: 'nominal' },
              { field: 'metric', type: 'nominal' },
              { field: 'boost', type: 'quantitative', format: '.2f', title: 'Boost%' },
              { field: 'ci_low', type: 'quantitative', format: '.2f', title: 'CI low' },
              { field: 'ci_high', type: 'quantitative', format: '.2f', title: 'CI high' },
              { field: 'n', type: 'nominal', title: 'n (baseline/variant)' },
            ],
          },
        },
      ],
    },
  } as TopLevelSpec;
}

export interface TimeseriesDatum {
  trial: string;
  variant: string;
  repetition: number;
  series: string;
  t_s: number;
  value: number;
}

const SERIES_TITLE: Record<string, string> = {
  p50_us: 'p50 latency (µs)',
  p99_us: 'p99 latency (µs)',
  throughput_gbps: 'throughput (Gbit/s)',
  cpu_busy_pct: 'client host busy CPU (%)',
};

/**
 * One point's trials over time: a row per series (latency percentiles per window, throughput per iperf3
 * interval, busy CPU per sampler interval), a line per trial coloured by variant.
 */
export function timeseriesFigure(a: Analysis, data: TimeseriesDatum[], title: string, w: number): TopLevelSpec {
  const series = Object.keys(SERIES_TITLE).filter((s) => data.some((d) => d.series === s));
  const h = Math.round(Math.max(50, Math.min(110, w * 0.3)));
  return {
    $schema: SCHEMA,
    title: {
      text: title,
      subtitle: [
        series.includes('p50_us') ? 'latency: percentiles of windows of consecutive messages (1/100 of each trial, placed by message index over the duration)' : '',
        series.includes('throughput_gbps') ? 'throughput: iperf3 intervals' : '',
        series.includes('cpu_busy_pct') ? 'CPU: sampler intervals' : '',
      ]
        .filter(Boolean)
        .join('; '),
    },
    data: { values: data },
    vconcat: series.map((s, i) => ({
      transform: [{ filter: { field: 'series', equal: s } }],
      width: w,
      height: h,
      params: [zoomX(`zoom${i}`)],
      mark: { type: 'line', strokeWidth: 1, clip: true, tooltip: true },
      encoding: {
        x: { field: 't_s', type: 'quantitative', title: i === series.length - 1 ? 'time since the measurement began (s)' : null, axis: i === series.length - 1 ? {} : { labels: false } },
        y: { field: 'value', type: 'quantitative', title: SERIES_TITLE[s], scale: { zero: s !== 'p50_us' && s !== 'p99_us' }, axis: { titleFontSize: 7 } },
        color: variantColor(a),
        detail: { field: 'trial', type: 'nominal' },
        tooltip: [
          { field: 'trial', type: 'nominal' },
          { field: 't_s', type: 'quantitative', format: '.2f', title: 't (s)' },
          { field: 'value', type: 'quantitative', format: '.4~g', title: SERIES_TITLE[s] },
        ],
      },
    })),
    resolve: { scale: { y: 'independent', x: 'shared', color: 'shared' } },
  } as TopLevelSpec;
}
