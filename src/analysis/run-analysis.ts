// The analyze stage on a run directory: every trial's derived values again from raw/ (analysis/records.jsonl),
// the statistics (analysis.json and the tables), the time series and the figures' sample data. It never
// touches the hosts; report reads only what it writes (and the manifest).
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RunDir } from '../results/run-dir.js';
import type { TrialRecord } from '../results/record.js';
import type { Manifest } from '../results/manifest.js';
import { analyze, type Analysis } from './analyze.js';
import { writeTimeseries } from './timeseries-data.js';
import { runColumnsOf, writeRunTables } from './run-tables.js';
import { rederiveAll } from './rederive.js';
import { figureData, readFigureData, FIGURE_DATA_FILE, type FigureData } from './figure-data.js';

/** The records analyze derived again, one JSON line each: what report's tables and figures read. */
const ANALYZED_RECORDS_FILE = 'records.jsonl';

/** The analysis of a run directory, computed from its records and raw files (nothing written). */
export async function computeAnalysis(path: string): Promise<{ analysis: Analysis; manifest: Manifest; records: TrialRecord[] }> {
  const dir = await RunDir.open(path);
  const manifest = await dir.readManifest();
  const sampling = manifest.scenario.sampling;
  const derived = await rederiveAll(dir, await dir.latestRecords(), sampling ? sampling.interval : undefined);
  const records = derived.records;
  const variants = [manifest.scenario.baseline, ...Object.keys(manifest.scenario.variants).filter((v) => v !== manifest.scenario.baseline)];
  const analysis = analyze(dir.id, manifest.scenario.baseline, variants, records, { paired: manifest.scenario.order === 'interleaved' });
  analysis.warnings.push(...derived.problems.map((p) => `derived again from raw/: ${p} (the record's values kept)`));
  return { analysis, manifest, records };
}

/** `vfbench analyze`: the analysis, written to the run's analysis/ folder. */
export async function analyzeRun(path: string): Promise<Analysis> {
  const dir = await RunDir.open(path);
  const { analysis: a, records, manifest } = await computeAnalysis(path);
  // analysis.json marks a complete folder: gone until everything else is written again.
  await rm(join(dir.analysisDir, 'analysis.json'), { force: true });
  await mkdir(dir.analysisDir, { recursive: true });
  await writeLines(join(dir.analysisDir, ANALYZED_RECORDS_FILE), (function* () {
    for (const r of records) yield JSON.stringify(r);
  })());
  // The tidy tables (docs/tables.md), each as CSV and JSON lines.
  const run = runColumnsOf(a.run, manifest);
  await writeRunTables(dir.analysisDir, run, a, records);
  await writeTimeseries(dir.analysisDir, dir, manifest, run, records);
  await writeFile(join(dir.analysisDir, FIGURE_DATA_FILE), JSON.stringify(await figureData(dir, manifest, a, records)) + '\n');
  // Written last: an analysis.json says the folder is complete.
  await writeFile(join(dir.analysisDir, 'analysis.json'), JSON.stringify(a, null, 2) + '\n');
  return a;
}

/** One line each, written as they come (a run's records are never one string). */
async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
  out.end();
  await finished(out);
}

/**
 * What analyze wrote, as report reads it; undefined when the folder lacks a part (analyzed by vfbench 0.1,
 * or never) or is older than the run's records (a resume with --no-analyze).
 */
/** analysis.json alone (what export needs: no records), or undefined when it is missing or older than the run's records. */
export async function readAnalysisSummary(dir: RunDir): Promise<Analysis | undefined> {
  const marker = join(dir.analysisDir, 'analysis.json');
  const [made, recorded] = await Promise.all([stat(marker).catch(() => undefined), stat(join(dir.path, 'records.jsonl')).catch(() => undefined)]);
  if (!made || (recorded && recorded.mtimeMs > made.mtimeMs)) return undefined;
  const text = await readFile(marker, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as Analysis);
}

export async function readAnalysis(dir: RunDir): Promise<{ a: Analysis; records: TrialRecord[]; figures: FigureData } | undefined> {
  const a = await readAnalysisSummary(dir);
  const figures = await readFigureData(dir.analysisDir);
  const path = join(dir.analysisDir, ANALYZED_RECORDS_FILE);
  if (a === undefined || figures === undefined || !existsSync(path)) return undefined;
  const records: TrialRecord[] = [];
  for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) if (line.trim()) records.push(JSON.parse(line) as TrialRecord);
  return { a, records, figures };
}
