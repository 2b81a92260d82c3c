// The analyze and report stages on a run directory; they never touch the hosts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunDir } from '../results/run-dir.js';
import { toCsv, trialRows, TRIAL_COLUMNS, writeTables } from '../results/export.js';
import { analyze, boostRows, summaryRows, BOOST_COLUMNS, SUMMARY_COLUMNS, type Analysis } from '../analysis/analyze.js';
import { latencyFigure } from '../charts/latency.js';
import { writeFigure, type RenderedFigure } from '../charts/render.js';
import type { Manifest } from '../runner/run.js';
import type { TrialRecord } from '../results/record.js';
import { formatMetric, headlineMetrics, metricLabel, pointLabel } from '../analysis/metrics.js';

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
  const { analysis: a, records } = await computeAnalysis(path);
  await writeTables(
    dir.analysisDir,
    {
      'trials.csv': toCsv(trialRows(records), TRIAL_COLUMNS),
      'summary.csv': toCsv(summaryRows(a), SUMMARY_COLUMNS),
      'boost.csv': toCsv(boostRows(a), BOOST_COLUMNS),
    },
    a,
  );
  return a;
}

export async function reportRun(path: string): Promise<RenderedFigure[]> {
  const dir = await RunDir.open(path);
  const manifest = await dir.readManifest<Manifest>();
  const text = await readFile(join(dir.analysisDir, 'analysis.json'), 'utf8').catch(() => undefined);
  const a = text ? (JSON.parse(text) as Analysis) : await analyzeRun(path);
  const figures: RenderedFigure[] = [];
  if (a.summary.some((s) => s.n > 0)) {
    figures.push(await writeFigure(dir.figuresDir, 'latency-percentiles', latencyFigure(a, `${manifest.scenario.name}: latency by variant`)));
  }
  return figures;
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
