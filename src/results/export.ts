// CSV and JSON tables of a run's analysis (analysis/trials.csv, summary.csv, boost.csv, analysis.json).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TrialRecord } from './record.js';

type Row = Record<string, string | number | boolean | undefined>;

/** Columns: the fixed ones first, then every metric seen, sorted, so files of one scenario line up. */
export function toCsv(rows: Row[], fixed: string[]): string {
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !fixed.includes(k)).sort();
  const columns = [...fixed, ...extra];
  return stringify(rows, { header: true, columns, cast: { number: (n) => (Number.isFinite(n) ? String(n) : '') } });
}

export function trialRows(records: TrialRecord[]): Row[] {
  return records.map((r) => ({
    trial: r.trial,
    seq: r.seq,
    point: r.pointKey,
    test: r.point.testName,
    tool: r.point.tool,
    mode: r.point.mode,
    protocol: r.point.protocol,
    size: r.point.size,
    rate: r.point.rate,
    pair: r.point.pair,
    group: r.point.group,
    variant: r.variant,
    repetition: r.repetition + 1,
    status: r.status,
    latency_kind: r.latencyKind,
    path_expected: r.verification?.expected,
    path_observed: r.verification?.observed,
    failure: r.failure ? `${r.failure.kind}: ${r.failure.message}` : undefined,
    started: r.started,
    start_skew_ms: r.batch?.skewMs,
    ...r.metrics,
  }));
}

export const TRIAL_COLUMNS = [
  'trial', 'seq', 'point', 'test', 'tool', 'mode', 'protocol', 'size', 'rate', 'pair', 'group', 'variant', 'repetition',
  'status', 'latency_kind', 'path_expected', 'path_observed', 'failure', 'started', 'start_skew_ms',
];

export async function writeTables(dir: string, tables: Record<string, string>, json: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(tables)) await writeFile(join(dir, name), text);
  await writeFile(join(dir, 'analysis.json'), JSON.stringify(json, null, 2) + '\n');
}
