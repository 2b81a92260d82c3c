// The tidy tables (docs/tables.md) as a user reads them: two copies of the stored lab-quick run, given
// different labels (and the second one twice the latency), analyzed by the CLI, then loaded together into a
// real DuckDB (in memory) and grouped by a label without renaming a column; and compare's outputs named by
// the candidate's scenario and labels. Cost: two `vfbench analyze`, one `compare`, one `baseline` (~4 s).
import { beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DuckDBInstance } from '@duckdb/node-api';
import { vfbench } from '../helpers/cli.js';
import { RESERVED_LABELS } from '../../src/scenario/labels.js';
import { pointCells, pointOfKey, tablePoint } from '../../src/results/tables.js';
import { pointVariantKey, type MeasuredPoint } from '../../src/results/point.js';
import { metricUnit } from '../../src/analysis/metrics.js';
import { compareColumns } from '../../src/analysis/compare-report.js';
import { loadSide } from '../../src/analysis/baseline.js';
import type { Analysis } from '../../src/analysis/analyze.js';
import { readTimeseries } from '../../src/analysis/timeseries-data.js';

const TABLES = ['trials', 'summary', 'boost', 'timeseries'];
const LABELS = {
  small: { vm_size: 'D4s_v5', region: 'westeurope' },
  large: { vm_size: 'D8s_v5', region: 'westeurope', kernel: '6.8.0-45-generic' }, // a label the other run lacks
};

/** A copy of lab-quick with these labels in its manifest and its latencies (…_us) times `factor`. */
async function labelledRun(root: string, name: string, labels: Record<string, string>, factor: number): Promise<string> {
  const dir = join(root, name);
  await cp('test/fixtures/runs/lab-quick', dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, labels }));
  const lines = (await readFile(join(dir, 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  for (const r of lines) for (const m of Object.keys(r.metrics)) if (m.endsWith('_us')) r.metrics[m] *= factor;
  await writeFile(join(dir, 'records.jsonl'), lines.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const a = await vfbench(['analyze', dir]);
  expect(a.exitCode, a.all).toBe(0);
  return dir;
}

const table = (dir: string, name: string) => join(dir, 'analysis', `${name}.csv`);
const sqlList = (paths: string[]) => `[${paths.map((p) => `'${p}'`).join(', ')}]`;

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

let small: string;
let large: string;
beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'vfb-tables-'));
  [small, large] = await Promise.all([labelledRun(root, 'run-small', LABELS.small, 1), labelledRun(root, 'run-large', LABELS.large, 2)]);
});

describe('the tidy tables of two runs in DuckDB', () => {
  it('groups summary.csv of both runs by vm_size without renaming: each group is that run\'s summary', async () => {
    const rows = await query(`
      SELECT vm_size, run_id, variant, count(*) AS points, sum(n) AS n, sum(median) AS medians
      FROM read_csv(${sqlList([table(small, 'summary'), table(large, 'summary')])}, union_by_name = true)
      WHERE metric = 'p50_us' GROUP BY ALL ORDER BY vm_size, variant`);
    const expected = [];
    for (const [dir, labels] of [[small, LABELS.small], [large, LABELS.large]] as const) {
      const a = JSON.parse(await readFile(join(dir, 'analysis', 'analysis.json'), 'utf8')) as Analysis;
      for (const variant of ['pv', 'vf']) {
        const mine = a.summary.filter((s) => s.variant === variant && s.stats.p50_us);
        expected.push({ vm_size: labels.vm_size, run_id: a.run, variant, points: mine.length, n: mine.reduce((t, s) => t + s.stats.p50_us!.n, 0), medians: mine.reduce((t, s) => t + s.stats.p50_us!.median, 0) });
      }
    }
    expect(rows.map((r) => ({ ...r, points: Number(r.points), n: Number(r.n) }))).toEqual(expected.map((e) => ({ ...e, medians: expect.closeTo(e.medians, 9) })));
    // The second run's latencies are twice the first's: no row of one run landed in the other's group.
    expect(rows[2]!.medians as number).toBeCloseTo(2 * (rows[0]!.medians as number), 9);
  });

  it('groups trials.csv by two labels, one of them missing in a run (NULL), repetitions 1-based', async () => {
    const rows = await query(`
      SELECT vm_size, kernel, count(DISTINCT trial) AS trials, min(repetition) AS first, max(repetition) AS last, avg(value) AS mean_p50
      FROM read_csv(${sqlList([table(small, 'trials'), table(large, 'trials')])}, union_by_name = true)
      WHERE metric = 'p50_us' GROUP BY ALL ORDER BY vm_size`);
    const records = (await readFile(join(small, 'analysis', 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { metrics: Record<string, number> });
    const mean = records.reduce((t, r) => t + r.metrics.p50_us!, 0) / records.length;
    expect(rows).toEqual([
      { vm_size: 'D4s_v5', kernel: null, trials: 12n, first: 1n, last: 3n, mean_p50: expect.closeTo(mean, 9) },
      { vm_size: 'D8s_v5', kernel: '6.8.0-45-generic', trials: 12n, first: 1n, last: 3n, mean_p50: expect.closeTo(2 * mean, 9) },
    ]);
  });

  it('writes every table also as JSON lines with the same keys and values, and names a point alike in all', async () => {
    const points: Set<string>[] = [];
    for (const name of TABLES) {
      const csvText = await readFile(table(large, name), 'utf8');
      const header = csvText.slice(0, csvText.indexOf('\n')).split(',');
      const csv = parse(csvText, { columns: true }) as Record<string, string>[];
      const json = (await readFile(join(large, 'analysis', `${name}.jsonl`), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(json, name).toHaveLength(csv.length);
      for (const [i, o] of json.entries()) {
        expect(Object.keys(o), name).toEqual(header);
        expect(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? '' : String(v)])), `${name} row ${i}`).toEqual(csv[i]);
      }
      expect(header.slice(0, 5), name).toEqual(['run_id', 'scenario', 'kernel', 'region', 'vm_size']);
      // Every column but the labels is a reserved label name: a label can never collide with one.
      for (const c of header.filter((c) => !(c in LABELS.large))) expect(RESERVED_LABELS.has(c), `${name}.${c}`).toBe(true);
      if (csv.length) points.push(new Set(csv.map((r) => r.point!)));
    }
    expect(points.length).toBe(3); // the fixture kept no raw files: its timeseries table is empty
    const first = [...points[0]!].sort();
    for (const p of points) expect([...p].sort()).toEqual(first);
    expect(first).toEqual(['sockperf-ping-pong|sockperf|ping-pong|udp|1024|1|pair0', 'sockperf-ping-pong|sockperf|ping-pong|udp|64|1|pair0']);
  });
});

describe('compare names its suite and cases by the candidate\'s scenario and labels', () => {
  it('JUnit, Markdown and compare.csv carry them; compare.csv joins summary.csv by point without renaming', async () => {
    const out = join(large, 'cmp');
    const r = await vfbench(['compare', small, large, '--out', out]);
    expect(r.exitCode, r.all).toBe(0); // 3 against 3 repetitions: p ≥ 0.1, inconclusive
    // Not the kernel: an upgrade would rename every case, and a CI tool would lose their history.
    const name = 'lab-quick [region=westeurope, vm_size=D8s_v5]';
    const junit = await readFile(join(out, 'compare.junit.xml'), 'utf8');
    expect(junit).toContain(`<testsuite name="vfbench compare ${name}" tests=`);
    const cases = [...junit.matchAll(/<testcase classname="vfbench.compare" name="([^"]+)"/g)].map((m) => m[1]!);
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) expect(c.startsWith(`${name} sockperf-ping-pong udp `), c).toBe(true);
    expect(await readFile(join(out, 'compare.md'), 'utf8')).toMatch(new RegExp(`^### vfbench compare ${name.replace(/[[\]]/g, '\\$&')}: `));
    const header = (await readFile(join(out, 'compare.csv'), 'utf8')).split('\n')[0]!.split(',');
    expect(header.slice(0, 7)).toEqual(['candidate_run_id', 'candidate_scenario', 'kernel', 'region', 'vm_size', 'baseline_run_ids', 'baseline_scenario']);
    for (const c of header.filter((c) => !(c in LABELS.large))) expect(RESERVED_LABELS.has(c), c).toBe(true);
    const joined = await query(`
      SELECT c.variant, c.metric, c.candidate_median, s.median, c.vm_size
      FROM read_csv('${join(out, 'compare.csv')}') c JOIN read_csv('${table(large, 'summary')}') s
        ON c.candidate_run_id = s.run_id AND c.point = s.point AND c.variant = s.variant AND c.metric = s.metric`);
    expect(joined.length).toBe(cases.length);
    for (const j of joined) expect(j.candidate_median as number).toBeCloseTo(j.median as number, 9);
    // --name-labels chooses the labels that name it.
    const named = await vfbench(['compare', small, large, '--out', join(large, 'cmp2'), '--name-labels', 'kernel,vm_size']);
    expect(named.exitCode, named.all).toBe(0);
    expect(await readFile(join(large, 'cmp2', 'compare.junit.xml'), 'utf8')).toContain('<testsuite name="vfbench compare lab-quick [kernel=6.8.0-45-generic, vm_size=D8s_v5]" tests=');
  });

  it('a baseline file keeps the labels its runs share, and its side reads them back', async () => {
    const file = join(large, '..', 'baseline.json');
    const r = await vfbench(['baseline', small, large, '-o', file]);
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8')).labels).toEqual({ region: 'westeurope' });
    expect((await loadSide(file)).labels).toEqual({ region: 'westeurope' });
    expect(compareColumns(await loadSide(file)).slice(0, 4)).toEqual(['candidate_run_id', 'candidate_scenario', 'region', 'baseline_run_ids']);
  });
});

describe('timeseries.csv as report reads it', () => {
  it('reads the tidy table, and one written before it (series column, the plan\'s point key)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-ts-'));
    const old = 'trial,point,variant,repetition,series,t_s,value\nt0-udp-m64-p0-vf-r1,t0-udp-m64-p0,vf,1,p50_us,0.5,25.5\n';
    await writeFile(join(dir, 'timeseries.csv'), old);
    const expected = { trial: 't0-udp-m64-p0-vf-r1', variant: 'vf', repetition: 1, series: 'p50_us', t_s: 0.5, value: 25.5 };
    expect(await readTimeseries(dir)).toEqual([{ ...expected, point: 't0-udp-m64-p0' }]);
    const tidy = 'run_id,scenario,point,variant,repetition,trial,metric,unit,t_s,value\nr,s,pp|sockperf|ping-pong|udp|64|1|pair0,vf,1,t0-udp-m64-p0-vf-r1,p50_us,us,0.5,25.5\n';
    await writeFile(join(dir, 'timeseries.csv'), tidy);
    expect(await readTimeseries(dir)).toEqual([{ ...expected, point: 'pp|sockperf|ping-pong|udp|64|1|pair0' }]);
  });
});

describe('a point\'s identity in the tables', () => {
  const points: MeasuredPoint[] = [
    { test: 'pp', tool: 'sockperf', mode: 'ping-pong', protocol: 'udp', size: 64, pair: 0 },
    { test: 'ul', tool: 'sockperf', mode: 'under-load', protocol: 'tcp', size: 1024, streams: 1, rate: 20000, pair: 1, group: 'heavy' },
    { test: 'ip', tool: 'iperf3', mode: 'throughput', protocol: 'tcp', size: 0, streams: 4, rate: 0, pair: 2 },
  ];
  it('is the key of results/point.ts without its variant, and splits back into the same columns', () => {
    for (const p of points) {
      const key = pointVariantKey(p, 'vf');
      expect(tablePoint(p)).toBe(key.slice(0, -'|vf'.length));
      expect(pointOfKey(key, 'vf')).toEqual(pointCells(p));
    }
  });

  it('reads a key of vfbench 0.1 that named a grouped point by its group alone', () => {
    expect(pointOfKey('ul|sockperf|under-load|udp|64|1|heavy|vf', 'vf')).toMatchObject({ group: 'heavy', pair: undefined, bg_rate_pkt_s: undefined });
  });

  it('gives each metric its unit from its name', () => {
    expect(['p99_9_us', 'jitter_ms', 'throughput_bps', 'throughput_gbps', 'transactions_per_s', 'lost_pct', 'cpu_cores', 'client_cpu_cores', 'cpu_cores_per_gbps', 'background_pps', 'target_mps', 'elapsed_s', 'lost_messages'].map(metricUnit)).toEqual(
      ['us', 'ms', 'bit/s', 'Gbit/s', '1/s', '%', 'cores', 'cores', 'cores/(Gbit/s)', 'packets/s', 'messages/s', 's', 'count'],
    );
  });
});
