// `vfbench history trend`: a scenario's runs from the history database, a figure per metric; with --where
// only the runs of a label selection, with --by one series per value of a label, each with its baseline band.
import { HEADLINE } from '../analysis/metrics.js';
import type { History, TrendRow } from '../results/history/index.js';
import type { Labels } from '../scenario/labels.js';
import { UserError } from '../util/errors.js';
import { COLUMN_WIDTH_IN, DEFAULT_STYLE, writeFigure, type RenderedFigure } from '../charts/render.js';
import { trendFigure, type TrendDatum } from '../charts/trend.js';

export interface TrendOptions {
  scenario: string;
  where: Labels;
  /** One series per value of this label (runs without it: "(none)"). */
  by?: string;
  outDir: string;
  metrics?: string[];
}

/**
 * The baseline run of each series: with --by, the baseline of (scenario, where + by=value) when one is set
 * for that value, else the baseline of (scenario, where).
 */
async function seriesBaselines(db: History, o: TrendOptions, values: string[]): Promise<Map<string, string | undefined>> {
  const common = await db.baseline(o.scenario, o.where);
  const out = new Map<string, string | undefined>();
  for (const v of values) out.set(v, (o.by ? await db.baseline(o.scenario, { ...o.where, [o.by]: v }) : undefined) ?? common);
  return out;
}

function datums(rows: TrendRow[], o: TrendOptions, seriesOf: (r: TrendRow) => string, bases: Map<string, string | undefined>): TrendDatum[] {
  return rows.map((r) => {
    const series = seriesOf(r);
    return {
      run: r.run,
      time: r.time,
      point: o.by ? `${r.label} · ${r.variant}` : r.label,
      variant: r.variant,
      series,
      metric: r.metric,
      median: r.median ?? NaN,
      ciLow: r.ciLow,
      ciHigh: r.ciHigh,
      n: r.n,
      baseline: bases.get(series) === r.run,
    };
  });
}

/** A trend figure per metric over the scenario's runs, with the baseline run's CI as a band. */
export async function trendFigures(db: History, o: TrendOptions): Promise<RenderedFigure[]> {
  const runs = await db.runs({ scenario: o.scenario, where: o.where, limit: 100_000 });
  if (runs.length === 0) throw new UserError(`no runs of ${o.scenario}${Object.keys(o.where).length ? ' with those labels' : ''} in ${db.location}`);
  const labelOf = new Map(runs.map((r) => [r.id, o.by ? (r.labels[o.by] ?? '(none)') : undefined]));
  const rows = await db.trendRows(o.scenario, o.where, o.metrics);
  const seriesOf = (r: TrendRow) => labelOf.get(r.run) ?? r.variant;
  const bases = await seriesBaselines(db, o, [...new Set(rows.map(seriesOf))]);
  const data = datums(rows, o, seriesOf, bases);
  const available = [...new Set(data.map((d) => d.metric))];
  const chosen = o.metrics ?? HEADLINE.filter((m) => available.includes(m));
  const figures: RenderedFigure[] = [];
  for (const m of chosen) {
    const these = data.filter((d) => d.metric === m);
    if (these.length === 0) continue;
    figures.push(await writeFigure(o.outDir, `trend-${m}`, (w) => trendFigure(o.scenario, m, these, w, o.by), { ...DEFAULT_STYLE, widthIn: COLUMN_WIDTH_IN.double }));
  }
  return figures;
}
