// `vfbench history trend`: a scenario's runs from the history database, a figure per metric.
import { HEADLINE } from '../analysis/metrics.js';
import type { HistoryDb } from '../results/history.js';
import { UserError } from '../util/errors.js';
import { COLUMN_WIDTH_IN, DEFAULT_STYLE, writeFigure, type RenderedFigure } from '../charts/render.js';
import { trendFigure, type TrendDatum } from '../charts/trend.js';

/** A trend figure per metric over the scenario's runs, with the baseline run's CI as a band. */
export async function trendFigures(db: HistoryDb, scenario: string, outDir: string, metrics?: string[]): Promise<RenderedFigure[]> {
  const runs = db.runs(scenario).reverse();
  if (runs.length === 0) throw new UserError(`no runs of ${scenario} in ${db.path}`);
  const base = db.baseline(scenario);
  const data: TrendDatum[] = [];
  for (const run of runs) {
    for (const s of db.samples(run.id)) {
      data.push({ run: run.id, time: run.started ?? run.added, point: s.label, variant: s.variant, metric: s.metric, median: s.median, ciLow: s.ciLow, ciHigh: s.ciHigh, n: s.values.length, baseline: run.id === base });
    }
  }
  const available = [...new Set(data.map((d) => d.metric))];
  const chosen = metrics ?? HEADLINE.filter((m) => available.includes(m));
  const figures: RenderedFigure[] = [];
  for (const m of chosen) {
    const rows = data.filter((d) => d.metric === m);
    if (rows.length === 0) continue;
    figures.push(await writeFigure(outDir, `trend-${m}`, (w) => trendFigure(scenario, m, rows, w), { ...DEFAULT_STYLE, widthIn: COLUMN_WIDTH_IN.double }));
  }
  return figures;
}
