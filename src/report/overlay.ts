// `vfbench report RUN_A RUN_B … --out DIR`: several runs in one picture (flent's overlay of data files):
// Boost% with CIs, latency CDFs and throughput, each series labelled by its run. Read from each run
// directory as `report` reads one; written to DIR (figures/, report.html).
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Analysis } from '../analysis/analyze.js';
import { labelsText, type Manifest } from '../results/manifest.js';
import type { TrialRecord } from '../results/record.js';
import type { CdfRow } from '../analysis/figure-data.js';
import { formatMetric, metricLabel, pointLabel } from '../analysis/metrics.js';
import { UserError } from '../util/errors.js';
import { DEFAULT_STYLE, type FigureStyle, type RenderedFigure } from '../charts/render.js';
import { barFigure, barsWithCi, boostData, boostFigure, cdfDatums, cdfFigure } from '../charts/figures.js';
import { reportHtml, type ReportTable } from '../charts/report-html.js';
import { reportInputs } from './run-report.js';
import { drawFigures, figure, ifAny, pageFigures, type AnyFigure } from './figures.js';
import { THROUGHPUT } from './units.js';

interface LoadedRun {
  label: string;
  manifest: Manifest;
  analysis: Analysis;
  records: TrialRecord[];
  cdf: CdfRow[];
}

async function loadRun(path: string): Promise<Omit<LoadedRun, 'label'>> {
  const { manifest, a, records, figures } = await reportInputs(path);
  return { manifest, analysis: a, records, cdf: figures.cdf };
}

/**
 * The runs as one analysis whose variants are "<run> <variant>": the figures of one run then draw every
 * run's series side by side, point by point (the same point key; a point of one run only is drawn too).
 */
function overlay(runs: LoadedRun[]): OverlayContext {
  const series = (run: LoadedRun, v: string) => `${run.label} ${v}`;
  const a: Analysis = {
    ...runs[0]!.analysis,
    run: runs.map((r) => r.label).join(' + '),
    variants: runs.flatMap((r) => r.analysis.variants.map((v) => series(r, v))),
    summary: runs.flatMap((r) => r.analysis.summary.map((s) => ({ ...s, variant: series(r, s.variant) }))),
    boost: runs.flatMap((r) => r.analysis.boost.map((b) => ({ ...b, variant: series(r, b.variant) }))),
    warnings: runs.flatMap((r) => r.analysis.warnings.map((w) => `${r.label}: ${w}`)),
  };
  const records = runs.flatMap((r) => r.records.map((x) => ({ ...x, trial: `${r.label}/${x.trial}`, variant: series(r, x.variant) })));
  const cdf = runs.flatMap((r) => r.cdf.map((x) => ({ ...x, variant: series(r, x.variant) })));
  return { title: [...new Set(runs.map((r) => r.manifest.scenario.name))].join(', '), a, records, cdf };
}

/** Runs overlaid as one: what their figures draw from; `title` names their scenarios. */
interface OverlayContext {
  title: string;
  a: Analysis;
  records: TrialRecord[];
  /** Every run's CDF rows, their variants named "<run> <variant>". */
  cdf: CdfRow[];
}

type C = OverlayContext;

const OVERLAY_FIGURES: AnyFigure<C>[] = [
  figure({
    name: 'boost',
    caption: 'Boost% of each run\'s variants over its own baseline, per point, with confidence intervals.',
    data: (c: C) => ifAny(boostData(c.a)),
    spec: (c, d, w) => boostFigure(c.a, d.data, d.common, `${c.title}: Boost% over ${c.a.baseline}, by run`, w),
  }),
  figure({
    name: 'latency-cdf',
    caption: 'Empirical CDF of per-message latency of each run and variant, pooled over the repetitions.',
    data: (c: C) => ifAny(cdfDatums(c.a, c.cdf)),
    spec: (c, d, w, page) => cdfFigure(c.a, d.data, d.common, `${c.title}: latency CDF, by run`, w, page),
  }),
  figure({
    name: 'throughput',
    caption: 'Throughput and transaction rates of each run and variant.',
    data: (c: C) => ifAny(barsWithCi(c.a, Object.keys(THROUGHPUT), THROUGHPUT)),
    spec: (c, d, w) => barFigure(c.a, d.data, `${c.title}: throughput, by run`, `${d.common ? `${d.common}: ` : ''}median over repetitions with CIs`, w),
  }),
];

function overlayTables(a: Analysis): ReportTable[] {
  return [
    {
      title: `Boost% against ${a.baseline}, by run`,
      columns: ['point', 'run and variant', 'metric', 'Boost%', 'CI low', 'CI high', 'n'],
      rows: a.boost.map((b) => [pointLabel(b), b.variant, metricLabel(b.metric), b.boostPercent, b.ciLow, b.ciHigh, `${b.nBaseline}/${b.nVariant}`]),
    },
    {
      title: 'Points, by run (median over repetitions)',
      columns: ['point', 'run and variant', 'n', 'p50', 'p99'],
      rows: a.summary.map((s) => [pointLabel(s), s.variant, s.n, formatMetric('p50_us', s.metrics.p50_us), formatMetric('p99_us', s.metrics.p99_us)]),
    },
  ];
}

/** The runs, each labelled by its id; the same run given twice gets a number. */
async function loadRuns(paths: string[]): Promise<LoadedRun[]> {
  if (paths.length < 2) throw new UserError('report --out overlays several runs: name two run directories or more');
  const loaded = await Promise.all(paths.map(loadRun));
  const baselines = new Set(loaded.map((r) => r.analysis.baseline));
  if (baselines.size > 1) throw new UserError(`the runs have different baselines (${[...baselines].join(', ')}): their Boost% cannot be drawn together`);
  return loaded.map((r, i) => ({ ...r, label: loaded.findIndex((x) => x.manifest.id === r.manifest.id) === i ? r.manifest.id : `${r.manifest.id}#${i + 1}` }));
}

const labelText = (labels: Record<string, string> | undefined) => (labelsText(labels) ? ` [${labelsText(labels)}]` : '');

/** `vfbench report RUN_A RUN_B … --out DIR`. */
export async function reportRuns(paths: string[], out: string, style: FigureStyle = DEFAULT_STYLE): Promise<RenderedFigure[]> {
  const runs = await loadRuns(paths);
  const c = overlay(runs);
  const figuresDir = join(out, 'figures');
  await mkdir(figuresDir, { recursive: true });
  const figures = await drawFigures(OVERLAY_FIGURES, c, figuresDir, style);
  if (figures.length === 0) throw new UserError('nothing to draw: the runs have no Boost%, latency samples or throughput in common');
  const meta = runs.map((r, i) => [r.label, `${r.manifest.scenario.name}${labelText(r.manifest.labels)}, ${r.manifest.status}, ${r.manifest.started} – ${r.manifest.ended ?? '…'} (${basename(paths[i]!)})`] as [string, string]);
  await writeFile(join(out, 'report.html'), reportHtml({ title: `vfbench report: ${runs.length} runs of ${c.title}`, meta, warnings: c.a.warnings, figures: pageFigures(figures), tables: overlayTables(c.a) }));
  return figures;
}
