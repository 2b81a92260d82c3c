// The analyze and report stages on a run directory; they never touch the hosts.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RunDir } from '../results/run-dir.js';
import { toCsv, trialRows, TRIAL_COLUMNS, writeTables } from '../results/export.js';
import { analyze, boostRows, summaryRows, BOOST_COLUMNS, SUMMARY_COLUMNS, type Analysis } from '../analysis/analyze.js';
import { latencyFigure } from '../charts/latency.js';
import { DEFAULT_STYLE, writeFigure, type FigureBuild, type FigureStyle, type RenderedFigure } from '../charts/render.js';
import type { Manifest } from '../runner/run.js';
import type { TrialRecord } from '../results/record.js';
import { comparePoints, formatMetric, headlineMetrics, metricDirection, metricLabel, pointLabel } from '../analysis/metrics.js';
import { clientSamples, readTimeseries, timeseriesCsv } from './timeseries-data.js';
import { writeFile } from 'node:fs/promises';
import type { TopLevelSpec } from 'vega-lite';
import { cdfData, groupBoxData, switchoverData, trialStore } from './sample-figures.js';
import { timeseriesFigure, cdfFigure, barsWithCi, barFigure, boostData, boostFigure, boostVsRateData, boostVsRateFigure, groupBoxFigure, switchoverFigure } from '../charts/figures.js';
import { reportHtml } from '../charts/report-html.js';

/** The analysis of a run directory, computed from its records (nothing written). */
export async function computeAnalysis(path: string): Promise<{ analysis: Analysis; manifest: Manifest; records: TrialRecord[] }> {
  const dir = await RunDir.open(path);
  const manifest = await dir.readManifest<Manifest>();
  const records = await dir.latestRecords();
  const variants = [manifest.scenario.baseline, ...Object.keys(manifest.scenario.variants).filter((v) => v !== manifest.scenario.baseline)];
  const analysis = analyze(dir.id, manifest.scenario.baseline, variants, records, { paired: manifest.scenario.order === 'interleaved' });
  return { analysis, manifest, records };
}

export async function analyzeRun(path: string): Promise<Analysis> {
  const dir = await RunDir.open(path);
  const { analysis: a, records, manifest } = await computeAnalysis(path);
  await writeTables(
    dir.analysisDir,
    {
      'trials.csv': toCsv(trialRows(records), TRIAL_COLUMNS),
      'summary.csv': toCsv(summaryRows(a), SUMMARY_COLUMNS),
      'boost.csv': toCsv(boostRows(a), BOOST_COLUMNS),
      'timeseries.csv': await timeseriesCsv(dir, manifest, records),
    },
    a,
  );
  return a;
}

export const THROUGHPUT: Record<string, { factor: number; unit: string }> = {
  throughput_bps: { factor: 1e-9, unit: 'Gbit/s' },
  sent_bps: { factor: 1e-9, unit: 'Gbit/s' },
  transactions_per_s: { factor: 1, unit: '1/s' },
  round_trips_per_s: { factor: 1, unit: '1/s' },
  messages_per_s: { factor: 1, unit: '1/s' },
};
const CPU: Record<string, { factor: number; unit: string }> = {
  cpu_cores: { factor: 1, unit: 'CPUs' },
  cpu_cores_per_gbps: { factor: 1, unit: 'CPUs per Gbit/s' },
  cpu_ms_per_1k_trans: { factor: 1, unit: 'ms' },
};

/** What report draws from: the analysis (made now if the run has none yet), the ok records, their sample stores. */
export async function reportInputs(path: string): Promise<{ dir: RunDir; manifest: Manifest; a: Analysis; records: TrialRecord[]; stores: Map<string, { series: string; sorted: string }> }> {
  const dir = await RunDir.open(path);
  const manifest = await dir.readManifest<Manifest>();
  const text = await readFile(join(dir.analysisDir, 'analysis.json'), 'utf8').catch(() => undefined);
  const a = text ? (JSON.parse(text) as Analysis) : await analyzeRun(path);
  const records = (await dir.latestRecords()).filter((r) => r.status === 'ok');
  const stores = new Map<string, { series: string; sorted: string }>();
  for (const r of records) {
    const store = await trialStore(dir, r, manifest);
    if (store) stores.set(r.trial, store);
  }
  return { dir, manifest, a, records, stores };
}

/** Figures (Vega-Lite + SVG + PNG + PDF) and report.html of a run directory. */
export async function reportRun(path: string, style: FigureStyle = DEFAULT_STYLE): Promise<RenderedFigure[]> {
  const { dir, manifest, a, records, stores } = await reportInputs(path);
  const name = manifest.scenario.name;
  const figures: (RenderedFigure & { caption: string })[] = [];
  const add = async (file: string, build: FigureBuild, caption: string) => figures.push({ ...(await writeFigure(dir.figuresDir, file, build, style)), caption });

  const boost = boostData(a);
  if (boost.data.length > 0) {
    await add('boost', (w) => boostFigure(a, boost.data, boost.common, `${name}: Boost% over ${a.baseline}`, w), `Boost% of each variant over the baseline ${a.baseline} per point, with its confidence interval: the run's headline.`);
  }
  if (a.summary.some((s) => s.n > 0 && s.metrics.p50_us !== undefined)) {
    await add('latency-percentiles', (w) => latencyFigure(a, `${name}: latency by variant`, w), 'Latency percentiles per variant (log axis): median over repetitions of the pooled per-message percentiles.');
  }
  const cdf = await cdfData(a, records, stores);
  if (cdf.data.length > 0) await add('latency-cdf', (w, page) => cdfFigure(a, cdf.data, cdf.common, `${name}: latency CDF`, w, page), 'Empirical CDF of per-message latency per variant, pooled over the repetitions.');

  const tp = barsWithCi(a, Object.keys(THROUGHPUT), THROUGHPUT);
  if (tp.data.length > 0) {
    await add('throughput', (w) => barFigure(a, tp.data, `${name}: throughput`, `${tp.common ? `${tp.common}: ` : ''}median over repetitions; whiskers: ${Math.round(a.level * 100)}% bootstrap CI of the median (n ≥ 3)`, w), 'Throughput and transaction rates per variant with confidence intervals.');
  }
  const cpu = barsWithCi(a, Object.keys(CPU), CPU);
  if (cpu.data.length > 0) {
    const shared = records.some((r) => r.sampling?.sharedKernel);
    await add(
      'cpu-cost',
      (w) => barFigure(a, cpu.data, `${name}: CPU cost`, `${cpu.common ? `${cpu.common}: ` : ''}busy CPUs of both hosts over the measured window${shared ? ' (hosts share one kernel: counted once)' : ''}; whiskers: ${Math.round(a.level * 100)}% CI`, w),
      'CPU cost per variant from /proc/stat sampled during each trial; per Gbit/s and per 1000 transactions where the tool measured them.',
    );
  }
  const boostRate = boostVsRateData(a);
  if (boostRate.length > 0) {
    await add('boost-vs-background', (w) => boostVsRateFigure(a, boostRate, `${name}: Boost% vs background load`, w), 'FlexVF Fig. 5: Boost% of p50 and p99 latency against the background packet rate, one line per message size.');
  }
  const box = await groupBoxData(a, records, stores);
  if (box.length > 0) await add('latency-by-group', (w) => groupBoxFigure(a, box, `${name}: latency per group of pairs`, w), 'FlexVF Fig. 7: latency per group and variant, pooled over the pairs of each group.');
  let k = 0;
  for (const r of records.filter((x) => x.switchover && stores.has(x.trial))) {
    const data = await switchoverData(r, stores.get(r.trial)!, await clientSamples(dir, r));
    await add(`switchover-timeline${k++ ? `-${k}` : ''}`, (w) => switchoverFigure(data, `${name}: live switchover (${r.trial})`, w), 'FlexVF Fig. 6: latency over time (50 ms bins) with the switch instants, and the client\'s packets/s per interface from its counters.');
  }
  // How each point's trials evolved, one small-multiple figure per point (from analysis/ only).
  const series = await readTimeseries(dir.analysisDir);
  for (const [k, s] of [...a.summary].sort(comparePoints).filter((x, i, all) => all.findIndex((y) => y.pointKey === x.pointKey) === i).entries()) {
    const mine = series.filter((x) => x.point === s.pointKey);
    if (mine.length > 0) await add(`timeseries-${k + 1}`, (w) => timeseriesFigure(a, mine, `${name}: ${pointLabel(s)} over time`, w), `How the trials of ${pointLabel(s)} evolved while they measured (one line per trial).`);
  }
  await writeFile(join(dir.path, 'report.html'), reportPage(manifest, a, records, await dir.latestRecords(), figures));
  return figures;
}

/** The figure's own files, as the report links them (relative to it). */
export function figureLinks(files: string[]): { label: string; href: string }[] {
  const label: Record<string, string> = { 'vl.json': 'Vega-Lite spec', csv: 'data (CSV)', svg: 'SVG', png: 'PNG', pdf: 'PDF' };
  return files.flatMap((f) => {
    const ext = /\.(vl\.json|csv|svg|png|pdf)$/.exec(f)?.[1];
    return ext ? [{ label: label[ext]!, href: `figures/${basename(f)}` }] : [];
  });
}

function reportPage(manifest: Manifest, a: Analysis, records: TrialRecord[], all: TrialRecord[], figures: (RenderedFigure & { caption: string })[]): string {
  const hosts = Object.entries(manifest.hosts).map(([h, f]) => `${h}: ${f.kernel ?? '?'}`);
  const skews = records.flatMap((r) => (r.batch?.skewMs !== undefined ? [r.batch.skewMs] : []));
  const meta: [string, string][] = [
    ['scenario', `${manifest.scenario.name} (${manifest.scenarioFile})`],
    ['run', `${manifest.id}, ${manifest.status}, ${manifest.started} – ${manifest.ended ?? '…'}`],
    ['vfbench', manifest.vfbench],
    ['trials', Object.entries(manifest.counts ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['baseline', a.baseline],
    ['order, repeat', `${manifest.scenario.order}, ${manifest.scenario.repeat}`],
    ['hosts', hosts.join('; ')],
    ['tools', [...new Set(records.map((r) => `${r.tool.name} ${r.tool.version ?? ''}`.trim()))].join(', ')],
  ];
  if (skews.length > 0) meta.push(['start skew of pairs run together', `max ${Math.max(...skews).toFixed(2)} ms over ${new Set(records.map((r) => r.batch?.id)).size} batches`]);
  const rows = a.boost.filter((b) => metricDirection(b.metric) !== undefined && headlineMetrics({ [b.metric]: 1 }, 1).length > 0);
  return reportHtml({
    title: `vfbench report: ${manifest.scenario.name}`,
    meta,
    warnings: a.warnings,
    figures: figures.map((f) => ({ name: f.name, caption: f.caption, svg: f.svg, vega: f.live, links: figureLinks(f.files) })),
    tables: [
      {
        title: `Boost% against ${a.baseline} (${Math.round(a.level * 100)}% CI)`,
        columns: ['point', 'variant', 'metric', a.baseline, 'variant value', 'Boost%', 'CI low', 'CI high', 'p', 'n'],
        rows: rows.map((b) => [pointLabel(b), b.variant, metricLabel(b.metric), formatMetric(b.metric, b.baselineValue), formatMetric(b.metric, b.variantValue), b.boostPercent, b.ciLow, b.ciHigh, b.pValue, `${b.nBaseline}/${b.nVariant}`]),
      },
      {
        title: 'Summary (median over repetitions)',
        columns: ['point', 'variant', 'n', 'invalid', 'failed', 'headline'],
        rows: a.summary.map((s) => [pointLabel(s), s.variant, s.n, s.invalid, s.failed, headlineMetrics(s.metrics, 4).map((m) => `${metricLabel(m)} ${formatMetric(m, s.metrics[m])}`).join(', ')]),
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
          headlineMetrics(r.metrics, 3).map((m) => `${metricLabel(m)} ${formatMetric(m, r.metrics[m])}`).join(', '),
        ]),
      },
    ],
  });
}

/**
 * The Boost% table printed after a run: per point and variant, its headline metrics (latency
 * percentiles, transaction rate or throughput, whichever the tool measured), baseline → variant.
 */
export function boostTable(a: Analysis): string {
  const rows: string[][] = [['point', 'variant', 'metric', `${a.baseline} → variant`, 'Boost%', `${Math.round(a.level * 100)}% CI`, 'p', 'n']];
  const seen = new Set<string>();
  for (const b of a.boost) {
    const key = `${b.pointKey}\0${b.variant}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const mine = a.boost.filter((x) => x.pointKey === b.pointKey && x.variant === b.variant);
    const values = Object.fromEntries(mine.map((x) => [x.metric, x.variantValue]));
    headlineMetrics(values).forEach((m, i) => {
      const r = mine.find((x) => x.metric === m)!;
      const sign = r.boostPercent >= 0 ? '+' : '';
      rows.push([
        i === 0 ? pointLabel(b) : '',
        i === 0 ? b.variant : '',
        metricLabel(m),
        `${formatMetric(m, r.baselineValue)} → ${formatMetric(m, r.variantValue)}`,
        `${sign}${r.boostPercent.toFixed(1)}%`,
        r.ciLow === undefined ? '-' : `[${r.ciLow.toFixed(1)}, ${r.ciHigh!.toFixed(1)}]`,
        r.pValue === undefined ? '-' : r.pValue < 0.001 ? '<0.001' : r.pValue.toFixed(3),
        `${r.nBaseline}/${r.nVariant}${r.note ? ` (${r.note})` : ''}`,
      ]);
    });
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
