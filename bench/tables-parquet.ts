// Benchmark: should the tidy tables (docs/tables.md) also be written as Parquet? A synthetic run of TRIALS
// trials (lab-quick's 23 metrics per trial, 2 variants, 10 repetitions a point, three labels) through the
// real table writer gives trials.csv/jsonl; DuckDB's COPY makes trials.parquet (snappy, its default, and
// zstd) and csv.gz from it. Reported: each file's size, and the median of REPEAT loads into a fresh DuckDB
// (CREATE TABLE AS SELECT *) and of one group-by-label query straight on the file; with pandas when
// python3 has it (read_csv / read_parquet, pyarrow or fastparquet permitting).
//   npm run bench:build && node dist-bench/bench/tables-parquet.js [TRIALS [REPEAT]]   (default 100 000, 3)
import { execa } from 'execa';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { RECORD_SCHEMA, type TrialRecord } from '../src/results/record.js';
import { writeTable } from '../src/results/tables.js';
import { leadingColumns, trialRows, TRIAL_COLUMNS } from '../src/analysis/run-tables.js';
import { main, median, table } from './lib.js';

const TRIALS = Number(process.argv[2] ?? 100_000);
const REPEAT = Number(process.argv[3] ?? 3);
const RUN = { runId: '20261201T000000Z-bench', scenario: 'bench', labels: { kernel: '6.8.0-45-generic', region: 'westeurope', vm_size: 'D8s_v5' } };

/** TRIALS records like lab-quick's, each metric jittered (a seeded LCG: the same files every time). */
function* records(template: TrialRecord): Generator<TrialRecord> {
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < TRIALS; i++) {
    const [point, variant, repetition] = [Math.floor(i / 20), i % 2 ? 'vf' : 'pv', Math.floor(i / 2) % 10];
    const metrics = Object.fromEntries(Object.entries(template.metrics).map(([m, v]) => [m, v * (0.8 + 0.4 * rnd())]));
    yield { ...template, schema: RECORD_SCHEMA, trial: `t0-udp-m${point}-p0-${variant}-r${repetition + 1}`, seq: i, point: { ...template.point, size: point }, variant, repetition, metrics };
  }
}

async function timed<T>(f: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/** Median seconds of REPEAT runs of `sql` in a fresh in-memory DuckDB each (no cache shared between runs). */
async function duckSeconds(sql: string): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    runs.push(await timed(() => conn.run(sql)));
    conn.closeSync();
    db.closeSync();
  }
  return median(runs);
}

async function pandasSeconds(read: string): Promise<number | string> {
  const code = `import time, statistics, pandas as pd\nts=[]\nfor _ in range(${REPEAT}):\n  t=time.perf_counter(); ${read}; ts.append(time.perf_counter()-t)\nprint(statistics.median(ts))`;
  const r = await execa('python3', ['-c', code], { reject: false });
  return r.exitCode === 0 ? Number(r.stdout) : r.stderr.trim().split('\n').pop()!;
}

async function measure(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vfb-parquet-'));
  const template = JSON.parse((await readFile('test/fixtures/runs/lab-quick/records.jsonl', 'utf8')).split('\n')[0]!) as TrialRecord;
  let rows = 0;
  const writeS = await timed(async () => (rows = await writeTable(dir, 'trials', [...leadingColumns(RUN), ...TRIAL_COLUMNS], trialRows(RUN, records(template)))));
  const f = (ext: string) => join(dir, `trials.${ext}`);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const copyS = await timed(() => conn.run(`COPY (SELECT * FROM read_csv('${f('csv')}')) TO '${f('parquet')}' (FORMAT parquet)`));
  await conn.run(`COPY (SELECT * FROM read_csv('${f('csv')}')) TO '${f('zstd.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
  await conn.run(`COPY (SELECT * FROM read_csv('${f('csv')}')) TO '${f('csv.gz')}' (FORMAT csv, HEADER, COMPRESSION gzip)`);
  conn.closeSync();
  db.closeSync();
  const readers: [string, string, string][] = [
    ['csv', `read_csv('${f('csv')}')`, `pd.read_csv('${f('csv')}')`],
    ['csv.gz', `read_csv('${f('csv.gz')}')`, `pd.read_csv('${f('csv.gz')}')`],
    ['jsonl', `read_json('${f('jsonl')}', format = 'newline_delimited')`, `pd.read_json('${f('jsonl')}', lines=True)`],
    ['parquet', `read_parquet('${f('parquet')}')`, `pd.read_parquet('${f('parquet')}')`],
    ['zstd.parquet', `read_parquet('${f('zstd.parquet')}')`, `pd.read_parquet('${f('zstd.parquet')}')`],
  ];
  const out: string[][] = [['file', 'MB', 'DuckDB load s', 'DuckDB group-by s', 'pandas load s']];
  for (const [ext, duck, pandas] of readers) {
    const mb = (await stat(f(ext))).size / 1e6;
    const load = await duckSeconds(`CREATE TABLE t AS SELECT * FROM ${duck}`);
    const query = await duckSeconds(`CREATE TABLE q AS SELECT vm_size, variant, metric, avg(value) AS v FROM ${duck} GROUP BY ALL`);
    const pd = await pandasSeconds(pandas);
    out.push([`trials.${ext}`, mb.toFixed(1), load.toFixed(2), query.toFixed(2), typeof pd === 'number' ? pd.toFixed(2) : `- (${pd})`]);
  }
  console.log(`${TRIALS} trials, ${rows} rows of trials (${writeS.toFixed(1)} s to write CSV + JSON lines, ${copyS.toFixed(1)} s for DuckDB to make the Parquet); median of ${REPEAT}; files in ${dir}`);
  console.log(table(out));
}

main(measure);
