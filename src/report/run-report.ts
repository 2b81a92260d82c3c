// The report stage on a run directory: its figures and report.html. It never touches the hosts.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunDir } from '../results/run-dir.js';
import { labelsText, type Manifest } from '../results/manifest.js';
import type { TrialRecord } from '../results/record.js';
import type { Analysis } from '../analysis/analyze.js';
import { analyzeRun, readAnalysis } from '../analysis/run-analysis.js';
import type { FigureData } from '../analysis/figure-data.js';
import { formatMetric, headlineMetrics, metricDirection, metricLabel, pointLabel } from '../analysis/metrics.js';
import { DEFAULT_STYLE, type FigureStyle, type RenderedFigure } from '../charts/render.js';
import { reportHtml, type ReportTable } from '../charts/report-html.js';
import { drawFigures, pageFigures, type CaptionedFigure } from './figures.js';
import { RUN_FIGURES } from './run-figures.js';

export interface ReportInputs {
  dir: RunDir;
  manifest: Manifest;
  a: Analysis;
  /** Every trial's latest record as analyze derived it. */
  all: TrialRecord[];
  /** The ok ones. */
  records: TrialRecord[];
  figures: FigureData;
}

/** What report draws from: the manifest and what analyze wrote (analyzed now when the run has no complete analysis/). */
export async function reportInputs(path: string): Promise<ReportInputs> {
  const dir = await RunDir.open(path);
  const manifest = await dir.readManifest();
  let got = await readAnalysis(dir);
  if (!got) {
    await analyzeRun(path);
    got = (await readAnalysis(dir))!;
  }
  return { dir, manifest, a: got.a, all: got.records, records: got.records.filter((r) => r.status === 'ok'), figures: got.figures };
}

/** `vfbench report`: figures (Vega-Lite + SVG + PNG + PDF) and report.html of a run directory. */
export async function reportRun(path: string, style: FigureStyle = DEFAULT_STYLE): Promise<RenderedFigure[]> {
  const { dir, manifest, a, all, records, figures: data } = await reportInputs(path);
  const figures = await drawFigures(RUN_FIGURES, { name: manifest.scenario.name, dir, a, records, data }, dir.figuresDir, style);
  await writeFile(join(dir.path, 'report.html'), reportPage(manifest, a, records, all, figures));
  return figures;
}

function runMeta(manifest: Manifest, a: Analysis, records: TrialRecord[]): [string, string][] {
  const hosts = Object.entries(manifest.hosts).map(([h, f]) => `${h}: ${f.kernel ?? '?'}`);
  const skews = records.flatMap((r) => (r.batch?.skewMs !== undefined ? [r.batch.skewMs] : []));
  const meta: [string, string][] = [
    ['scenario', `${manifest.scenario.name} (${manifest.scenarioFile})`],
    ['run', `${manifest.id}, ${manifest.status}, ${manifest.started} – ${manifest.ended ?? '…'}`],
    ['labels', labelsText(manifest.labels) || 'none'],
    ['vfbench', manifest.vfbench],
    ['trials', Object.entries(manifest.counts ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['baseline', a.baseline],
    ['order, repeat', `${manifest.scenario.order}, ${manifest.scenario.repeat}`],
    ['hosts', hosts.join('; ')],
    ['tools', [...new Set(records.map((r) => `${r.tool.name} ${r.tool.version ?? ''}`.trim()))].join(', ')],
  ];
  if (skews.length > 0) meta.push(['start skew of pairs run together', `max ${Math.max(...skews).toFixed(2)} ms over ${new Set(records.map((r) => r.batch?.id)).size} batches`]);
  return meta;
}

const headline = (metrics: Record<string, number>, n: number) => headlineMetrics(metrics, n).map((m) => `${metricLabel(m)} ${formatMetric(m, metrics[m])}`).join(', ');

function runTables(a: Analysis, all: TrialRecord[]): ReportTable[] {
  const rows = a.boost.filter((b) => metricDirection(b.metric) !== undefined && headlineMetrics({ [b.metric]: 1 }, 1).length > 0);
  return [
    {
      title: `Boost% against ${a.baseline} (${Math.round(a.level * 100)}% CI)`,
      columns: ['point', 'variant', 'metric', a.baseline, 'variant value', 'Boost%', 'CI low', 'CI high', 'p', 'n'],
      rows: rows.map((b) => [pointLabel(b), b.variant, metricLabel(b.metric), formatMetric(b.metric, b.baselineValue), formatMetric(b.metric, b.variantValue), b.boostPercent, b.ciLow, b.ciHigh, b.pValue, `${b.nBaseline}/${b.nVariant}`]),
    },
    {
      title: 'Summary (median over repetitions)',
      columns: ['point', 'variant', 'n', 'invalid', 'failed', 'headline'],
      rows: a.summary.map((s) => [pointLabel(s), s.variant, s.n, s.invalid, s.failed, headline(s.metrics, 4)]),
    },
    {
      title: 'Trials (with the path the counters saw)',
      columns: ['trial', 'variant', 'repetition', 'status', 'expected path', 'observed path', 'why', 'headline'],
      rows: all.map((r) => [
        r.trial,
        r.variant,
        r.repetition + 1,
        r.status,
        r.verification?.expected,
        r.verification?.observed,
        r.failure ? `${r.failure.kind}: ${r.failure.message}` : r.verification?.reason,
        headline(r.metrics, 3),
      ]),
    },
  ];
}

function reportPage(manifest: Manifest, a: Analysis, records: TrialRecord[], all: TrialRecord[], figures: CaptionedFigure[]): string {
  return reportHtml({ title: `vfbench report: ${manifest.scenario.name}`, meta: runMeta(manifest, a, records), warnings: a.warnings, figures: pageFigures(figures), tables: runTables(a, all) });
}
