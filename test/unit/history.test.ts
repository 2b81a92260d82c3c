// The history database on both backends: a real SQLite file and a real PostgreSQL server (the throwaway
// cluster of test/global-setup.ts). add, list and trend with labels, baselines per label selection,
// nightly's judge-and-record step, migrations (fresh, the sql.js file of vfbench ≤ 0.2, twice, at once),
// import SQLite → PostgreSQL, and concurrent writers (real `vfbench` processes) losing nothing.
import { describe, expect, inject, it } from 'vitest';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { History, isPostgresUrl } from '../../src/results/history/index.js';
import { DEFAULT_POLICY } from '../../src/analysis/compare.js';
import { addToHistory, judgeNightly } from '../../src/analysis/nightly.js';
import { importHistory } from '../../src/results/history/import.js';
import { vfbench } from '../helpers/cli.js';
import { writeRun, type SyntheticPoint } from '../helpers/runs.js';
import { freshDatabase } from '../helpers/postgres.js';
import { twoHostScenario } from '../helpers/scenario.js';
import { migrate } from '../../src/results/history/migrations.js';
import { openPostgres } from '../../src/results/history/postgres.js';
import { openSqlite } from '../../src/results/history/sqlite.js';

const BASE = [50, 51, 49, 50.5, 49.5];
const scale = (v: number[], f: number) => v.map((x) => x * f);
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'history');
const LAB_QUICK_RUN = '20261201T132635Z-f4cd04';

const postgres = inject('postgres');
const BACKENDS = [
  { backend: 'sqlite', fresh: async () => join(await mkdtemp(join(tmpdir(), 'vfb-hist-')), 'history.db') },
  {
    backend: 'postgres',
    fresh: async () => {
      // No silent skip: without the cluster these tests fail, saying why.
      expect(postgres.url, postgres.reason).toBeDefined();
      return freshDatabase(postgres.url!, 'vfb');
    },
  },
];

/** A synthetic run (test/helpers/runs.ts) with labels in its manifest, as `run --label` records them. */
async function labelledRun(root: string, id: string, points: SyntheticPoint[], opts: { scenario?: string; started: string; labels?: Record<string, string> }) {
  const dir = await writeRun(root, id, points, opts.scenario ?? 'night', opts.started);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, labels: opts.labels ?? {} }));
  return dir;
}

const onePoint = (vf: number[]): SyntheticPoint[] => [{ size: 64, p50: { pv: scale(BASE, 3), vf } }];

/** Rows of a query straight from the database (not through the code under test). */
async function query(loc: string, sql: string): Promise<Record<string, unknown>[]> {
  if (isPostgresUrl(loc)) {
    const c = new pg.Client({ connectionString: loc });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  }
  const d = new Database(loc, { readonly: true });
  try {
    return d.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    d.close();
  }
}
/** The history open for the length of `fn` (the API, where a process boundary is not what is tested). */
async function withHistory<T>(loc: string, fn: (h: History) => Promise<T>): Promise<T> {
  const h = await History.open(loc);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}
const count = async (loc: string, table: string, where = '') => Number((await query(loc, `SELECT COUNT(*) AS n FROM ${table} ${where}`))[0]!.n);

describe.each(BACKENDS)('the history on $backend', ({ fresh }) => {
  it('adds runs with their labels, lists them filtered by --where, one row per point, metric and repetition', async () => {
    const db = await fresh();
    const root = await mkdtemp(join(tmpdir(), 'vfb-hist-'));
    const a = await labelledRun(root, 'a1', onePoint(BASE), { started: '2026-11-21T02:00:00Z', labels: { vm_size: 'D8s_v5', region: 'westeurope' } });
    const b = await labelledRun(root, 'b1', onePoint(BASE), { started: '2026-11-22T02:00:00Z', labels: { vm_size: 'D4s_v5', region: 'westeurope' } });
    const added = await vfbench(['history', 'add', a, b, '--db', db]);
    expect(added.exitCode, added.all).toBe(0);
    expect(added.stdout).toContain('added run a1 of night (2 points)');
    const listed = await vfbench(['history', 'list', '--db', db, '--where', 'vm_size=D8s_v5', '--json']);
    expect(listed.exitCode, listed.all).toBe(0);
    expect(JSON.parse(listed.stdout).map((r: { id: string; labels: object }) => [r.id, r.labels])).toEqual([['a1', { region: 'westeurope', vm_size: 'D8s_v5' }]]);
    expect(await withHistory(db, async (h) => (await h.runs({ where: { region: 'westeurope' } })).map((r) => r.id))).toEqual(['b1', 'a1']);
    // 2 points (pv, vf) × 3 metrics (p50_us, p99_us, count) × 5 repetitions per run, repetitions 1-based.
    expect(await count(db, 'samples')).toBe(2 * 2 * 3 * 5);
    expect(await query(db, "SELECT MIN(repetition) AS lo, MAX(repetition) AS hi FROM samples")).toEqual([{ lo: 1, hi: 5 }]);
    const vf = await query(db, `SELECT test, tool, mode, protocol, size_bytes, streams, bg_rate_pkt_s, pair, "group", variant, latency_kind FROM points WHERE run_id = 'a1' AND variant = 'vf'`);
    expect(vf).toEqual([{ test: 'sockperf-ping-pong', tool: 'sockperf', mode: 'ping-pong', protocol: 'udp', size_bytes: 64, streams: 1, bg_rate_pkt_s: null, pair: 0, group: null, variant: 'vf', latency_kind: 'half-rtt' }]);
  });

  it('keeps a baseline per scenario and label selection, refusing a run whose labels do not match', async () => {
    const db = await fresh();
    const root = await mkdtemp(join(tmpdir(), 'vfb-hist-'));
    const big = await labelledRun(root, 'big', onePoint(BASE), { started: '2026-11-21T02:00:00Z', labels: { vm_size: 'D8s_v5' } });
    const small = await labelledRun(root, 'small', onePoint(scale(BASE, 2)), { started: '2026-11-21T03:00:00Z', labels: { vm_size: 'D4s_v5' } });
    await withHistory(db, async (h) => {
      for (const dir of [big, small]) await addToHistory(h, dir);
    });
    const refused = await vfbench(['history', 'baseline', 'small', '--where', 'vm_size=D8s_v5', '--db', db]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('run small has labels vm_size=D4s_v5: it does not match --where vm_size=D8s_v5');
    const set = await vfbench(['history', 'baseline', 'small', '--where', 'vm_size=D4s_v5', '--db', db]);
    expect(set.stdout, set.stderr).toContain('baseline of night where vm_size=D4s_v5 is now small');
    await withHistory(db, async (h) => {
      await h.setBaseline('night', { vm_size: 'D8s_v5' }, 'big');
      expect(await h.baseline('night', { vm_size: 'D8s_v5' })).toBe('big');
      expect(await h.baseline('night', { vm_size: 'D4s_v5' })).toBe('small');
      expect(await h.baseline('night')).toBeUndefined(); // the scenario's own baseline: not set
      // A D4s_v5 night is judged against the D4s_v5 baseline (twice the D8s_v5 latency: unchanged against it).
      const night = await labelledRun(root, 'night4', onePoint(scale(BASE, 2)), { started: '2026-11-22T02:00:00Z', labels: { vm_size: 'D4s_v5' } });
      const n = await judgeNightly(h, night, { where: { vm_size: 'D4s_v5' }, policy: DEFAULT_POLICY, out: join(root, 'cmp') });
      expect(n.baselineRuns).toEqual(['small']);
      expect(n.rows!.filter((r) => r.metric === 'p50_us').map((r) => [r.variant, r.verdict])).toEqual([['pv', 'unchanged'], ['vf', 'unchanged']]);
      // …and refused against a selection its labels do not match.
      await expect(judgeNightly(h, night, { where: { vm_size: 'D8s_v5' }, policy: DEFAULT_POLICY })).rejects.toThrow(/labels \(vm_size=D4s_v5\) do not match --where vm_size=D8s_v5: not judged/);
      // --last pools the last N runs matching the selection: the two D4s_v5 runs, not the D8s_v5 one.
      const later = await labelledRun(root, 'later4', onePoint(scale(BASE, 2)), { started: '2026-11-23T02:00:00Z', labels: { vm_size: 'D4s_v5' } });
      const pooled = await judgeNightly(h, later, { where: { vm_size: 'D4s_v5' }, last: 5, policy: DEFAULT_POLICY, out: join(root, 'cmp2') });
      expect(pooled.baselineRuns).toEqual(['night4', 'small']);
    });
  });

  it('draws a trend with a series per label value and each series\' baseline band', async () => {
    const db = await fresh();
    const root = await mkdtemp(join(tmpdir(), 'vfb-hist-'));
    const runs = [
      await labelledRun(root, 'd8a', onePoint(BASE), { started: '2026-11-21T02:00:00Z', labels: { vm_size: 'D8s_v5' } }),
      await labelledRun(root, 'd4a', onePoint(scale(BASE, 2)), { started: '2026-11-21T03:00:00Z', labels: { vm_size: 'D4s_v5' } }),
      await labelledRun(root, 'd8b', onePoint(scale(BASE, 1.1)), { started: '2026-11-22T02:00:00Z', labels: { vm_size: 'D8s_v5' } }),
      await labelledRun(root, 'd4b', onePoint(scale(BASE, 2.2)), { started: '2026-11-22T03:00:00Z', labels: { vm_size: 'D4s_v5' } }),
    ];
    await withHistory(db, async (h) => {
      for (const dir of runs) await addToHistory(h, dir);
      await h.setBaseline('night', { vm_size: 'D8s_v5' }, 'd8a');
      await h.setBaseline('night', {}, 'd4a');
    });
    const out = join(root, 'trends');
    const t = await vfbench(['history', 'trend', '--scenario', 'night', '--by', 'vm_size', '--metrics', 'p50_us', '--out', out, '--db', db]);
    expect(t.exitCode, t.all).toBe(0);
    const spec = JSON.parse(await readFile(join(out, 'trend-p50_us.vl.json'), 'utf8'));
    type D = { run: string; series: string; variant: string; point: string; median: number; baseline: boolean };
    const vf: D[] = spec.data.values.filter((d: D) => d.variant === 'vf');
    expect(vf.map((d) => [d.run, d.series, d.median])).toEqual([
      ['d8a', 'D8s_v5', 50],
      ['d4a', 'D4s_v5', 100],
      ['d8b', 'D8s_v5', expect.closeTo(55, 9)],
      ['d4b', 'D4s_v5', expect.closeTo(110, 9)],
    ]);
    // D8s_v5 has a baseline of its own; D4s_v5 falls back to the scenario's.
    expect(vf.filter((d) => d.baseline).map((d) => d.run)).toEqual(['d8a', 'd4a']);
    expect(new Set(vf.map((d) => d.point))).toEqual(new Set(['sockperf-ping-pong udp 64B · vf']));
    expect(spec.spec.layer[2].encoding.color.title).toBe('vm_size');
    expect(spec.spec.layer[2].encoding.color.scale.domain).toEqual(['D4s_v5', 'D8s_v5']);
    expect((await readFile(join(out, 'trend-p50_us.png'))).subarray(1, 4).toString()).toBe('PNG');
    const only4 = await withHistory(db, (h) => h.trendRows('night', { vm_size: 'D4s_v5' }, ['p50_us']));
    expect(only4.filter((r) => r.variant === 'vf').map((r) => [r.run, r.median])).toEqual([['d4a', 100], ['d4b', expect.closeTo(110, 9)]]);
  });

  it('nightly judges a finished run directory: first the baseline, then verdicts recorded with the run', async () => {
    const db = await fresh();
    const root = await mkdtemp(join(tmpdir(), 'vfb-hist-'));
    const first = await labelledRun(root, 'n1', onePoint(BASE), { started: '2026-11-21T02:00:00Z' });
    const second = await labelledRun(root, 'n2', onePoint(scale(BASE, 1.3)), { started: '2026-11-22T02:00:00Z' });
    const one = await withHistory(db, (h) => judgeNightly(h, first, { policy: { ...DEFAULT_POLICY, metrics: ['p50_us'] } }));
    expect(one.becameBaseline).toBe(true);
    const two = await vfbench(['nightly', second, '--db', db, '--metrics', 'p50_us', '--json']);
    expect(two.exitCode, two.all).toBe(3);
    expect(JSON.parse(two.stdout).baselineRuns).toEqual(['n1']);
    const verdicts = await query(db, "SELECT candidate_run, baseline_runs, variant, metric, verdict FROM verdicts ORDER BY variant, metric");
    expect(verdicts).toEqual([
      { candidate_run: 'n2', baseline_runs: 'n1', variant: 'pv', metric: 'p50_us', verdict: 'unchanged' },
      { candidate_run: 'n2', baseline_runs: 'n1', variant: 'vf', metric: 'p50_us', verdict: 'regressed' },
    ]);
    expect(await count(db, 'runs')).toBe(2);
    // history compare: the same judgement of a third run against the baseline, recording nothing.
    const third = await labelledRun(root, 'n3', onePoint(scale(BASE, 1.3)), { started: '2026-11-23T02:00:00Z', labels: { vm_size: 'D8s_v5' } });
    const judged = await vfbench(['history', 'compare', third, '--db', db, '--metrics', 'p50_us', '--json']);
    expect(judged.exitCode, judged.all).toBe(3);
    expect(JSON.parse(judged.stdout)).toMatchObject({ run: 'n3', baselineRuns: ['n1'], counts: { regressed: 1 } });
    expect(await count(db, 'runs')).toBe(2);
    expect(await count(db, 'verdicts', "WHERE candidate_run = 'n3'")).toBe(0);
    const none = await vfbench(['history', 'compare', third, '--db', db, '--where', 'vm_size=D8s_v5']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('has no baseline of night where vm_size=D8s_v5: nothing to compare with');
  });

  it('migrates a fresh database once: a second connect applies nothing, two connects at once migrate once', async () => {
    const db = await fresh();
    // Two processes connecting to a fresh database at the same moment (adding: reading a history that is
    // not there is refused).
    const root = await mkdtemp(join(tmpdir(), 'vfb-hist-'));
    const runs = await Promise.all(['m1', 'm2'].map((id, i) => labelledRun(root, id, onePoint(BASE), { started: `2026-11-2${i}T02:00:00Z` })));
    const both = await Promise.all(runs.map((dir) => vfbench(['history', 'add', dir, '--db', db])));
    for (const r of both) expect(r.exitCode, r.all).toBe(0);
    expect(await query(db, 'SELECT version FROM schema_migrations')).toEqual([{ version: 1 }]);
    // A second connect: nothing pending, nothing applied.
    const driver = isPostgresUrl(db) ? await openPostgres(db) : await openSqlite(db);
    try {
      expect(await migrate(driver)).toEqual([]);
    } finally {
      await driver.close();
    }
    expect(await query(db, 'SELECT version FROM schema_migrations')).toEqual([{ version: 1 }]);
  });

  it('replaces a run added again, in one transaction (no duplicate rows, baseline kept)', async () => {
    const db = await fresh();
    const root = await mkdtemp(join(tmpdir(), 'vfb-hist-'));
    const a = await labelledRun(root, 'again', onePoint(BASE), { started: '2026-11-21T02:00:00Z', labels: { runner: 'r1' } });
    await withHistory(db, async (h) => {
      await addToHistory(h, a);
      await h.setBaseline('night', {}, 'again');
      await writeFile(join(a, 'manifest.json'), JSON.stringify({ ...JSON.parse(await readFile(join(a, 'manifest.json'), 'utf8')), labels: { runner: 'r2' } }));
      await addToHistory(h, a);
    });
    expect([await count(db, 'runs'), await count(db, 'points'), await count(db, 'samples'), await count(db, 'baselines')]).toEqual([1, 2, 30, 1]);
    expect(await query(db, 'SELECT name, value FROM run_labels')).toEqual([{ name: 'runner', value: 'r2' }]);
  });

  it('two concurrent `history add` processes and two concurrent nightly judgements lose nothing', async () => {
    const db = await fresh();
    const root = await mkdtemp(join(tmpdir(), 'vfb-hist-'));
    const dirs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => labelledRun(root, `c${i}`, onePoint(scale(BASE, 1 + i / 100)), { started: `2026-11-2${i}T02:00:00Z`, labels: { runner: `r${i % 2}` } })),
    );
    const adds = await Promise.all([vfbench(['history', 'add', ...dirs.slice(0, 3), '--db', db]), vfbench(['history', 'add', ...dirs.slice(3), '--db', db])]);
    for (const r of adds) expect(r.exitCode, r.all).toBe(0);
    // 6 runs × 2 points (pv, vf) × 3 metrics × 5 repetitions.
    expect([await count(db, 'runs'), await count(db, 'run_labels'), await count(db, 'points'), await count(db, 'summaries'), await count(db, 'samples')]).toEqual([6, 6, 12, 36, 180]);
    // Two first nights of a new scenario judged at once: both recorded, exactly one the baseline.
    const nights = await Promise.all(['m1', 'm2'].map((id, i) => labelledRun(root, id, onePoint(BASE), { scenario: 'fresh', started: `2026-11-2${i}T05:00:00Z` })));
    const judged = await Promise.all(nights.map((n) => vfbench(['nightly', n, '--db', db, '--metrics', 'p50_us', '--json'])));
    for (const r of judged) expect(r.exitCode, r.all).toBe(0);
    expect(judged.map((r) => JSON.parse(r.stdout).becameBaseline).sort()).toEqual([false, true]);
    // Two later nights judged at once against that baseline: both runs and both sets of verdicts present.
    const later = await Promise.all(['m3', 'm4'].map((id, i) => labelledRun(root, id, onePoint(scale(BASE, 1.3)), { scenario: 'fresh', started: `2026-11-2${i}T09:00:00Z` })));
    const regressed = await Promise.all(later.map((n) => vfbench(['nightly', n, '--db', db, '--metrics', 'p50_us'])));
    for (const r of regressed) expect(r.exitCode, r.all).toBe(3);
    expect(await count(db, 'runs', "WHERE scenario = 'fresh'")).toBe(4);
    expect(await query(db, "SELECT candidate_run, COUNT(*) AS n FROM verdicts WHERE verdict = 'regressed' GROUP BY candidate_run ORDER BY candidate_run")).toEqual([
      { candidate_run: 'm3', n: expect.anything() },
      { candidate_run: 'm4', n: expect.anything() },
    ]);
    // pv and vf p50 of m3 and m4 (m1 or m2 may have been judged against the other: its verdicts are not counted).
    expect(await count(db, 'verdicts', "WHERE candidate_run IN ('m3', 'm4')")).toBe(4);
    expect(await count(db, 'baselines', "WHERE scenario = 'fresh'")).toBe(1);
  });
});

describe('the sql.js history of vfbench ≤ 0.2', () => {
  it('is converted in place: runs, points with their dimensions, samples by repetition, baselines', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'vfb-old-')), 'history.db');
    await copyFile(join(FIXTURES, 'history-v2.db'), path);
    const h = await History.open(path);
    try {
      expect((await h.runs()).map((r) => [r.id, r.scenario, r.labels])).toEqual([[LAB_QUICK_RUN, 'lab-quick', {}], ['fig5-old', 'fig5', {}]]);
      expect(await h.baseline('lab-quick')).toBe(LAB_QUICK_RUN);
      expect(await h.baseline('fig5')).toBe('fig5-old');
      const [pv] = await h.points('fig5-old');
      expect(pv).toMatchObject({ key: 'sockperf-under-load|sockperf|under-load|udp|64|1|pair0|bg20000|pv', test: 'sockperf-under-load', mode: 'under-load', sizeBytes: 64, streams: 1, bgRatePktS: 20000, pair: 0, variant: 'pv' });
      expect(pv!.metrics.p50_us).toEqual({ n: 5, median: 200, ciLow: 196, ciHigh: 204, values: scale(BASE, 4), repetitions: [1, 2, 3, 4, 5] });
    } finally {
      await h.close();
    }
    // Every value of the old file is a sample row now: 96 rows of values in the old file.
    const old = new Database(join(FIXTURES, 'history-v2.db'), { readonly: true });
    const values = (old.prepare('SELECT vals FROM samples').all() as { vals: string }[]).reduce((n, r) => n + (JSON.parse(r.vals) as number[]).length, 0);
    old.close();
    expect(await count(path, 'samples')).toBe(values);
    expect(await query(path, "SELECT name FROM sqlite_master WHERE name LIKE 'legacy%'")).toEqual([]);
    expect(await query(path, 'PRAGMA user_version')).toEqual([{ user_version: 3 }]); // vfbench ≤ 0.2 refuses it now
  });

  it('upgrades a version 1 file (keys without the background rate): its runs still match new ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-old-'));
    const path = join(root, 'history.db');
    await copyFile(join(FIXTURES, 'history-v1.db'), path);
    const h = await History.open(path);
    try {
      expect((await h.points('fig5-old')).map((p) => p.key)).toEqual(['sockperf-under-load|sockperf|under-load|udp|64|1|pair0|bg20000|pv', 'sockperf-under-load|sockperf|under-load|udp|64|1|pair0|bg20000|vf']);
      const run = await writeRun(root, 'new', [{ size: 64, rate: 20000, p50: { pv: scale(BASE, 4), vf: BASE } }], 'fig5', '2026-11-22T02:00:00Z');
      const n = await judgeNightly(h, run, { policy: DEFAULT_POLICY, out: join(root, 'cmp') });
      expect(n.rows!.map((x) => [x.variant, x.metric, x.verdict])).toEqual([
        ['pv', 'p50_us', 'unchanged'],
        ['pv', 'p99_us', 'unchanged'],
        ['vf', 'p50_us', 'unchanged'],
        ['vf', 'p99_us', 'unchanged'],
      ]);
    } finally {
      await h.close();
    }
  });
});

describe('history import into PostgreSQL', () => {
  it('copies every run, label, point, sample, verdict and baseline; again: every run skipped', async () => {
    expect(postgres.url, postgres.reason).toBeDefined();
    const root = await mkdtemp(join(tmpdir(), 'vfb-imp-'));
    const src = join(root, 'history.db');
    await copyFile(join(FIXTURES, 'history-v2.db'), src);
    await withHistory(src, async (h) => {
      for (const [id, f] of [['i1', 1], ['i2', 1.3]] as const) {
        const dir = await labelledRun(root, id, onePoint(scale(BASE, f)), { started: `2026-11-2${f === 1 ? 1 : 2}T02:00:00Z`, labels: { vm_size: 'D8s_v5' } });
        const n = await judgeNightly(h, dir, { where: { vm_size: 'D8s_v5' }, policy: { ...DEFAULT_POLICY, metrics: ['p50_us'] } });
        expect([id, n.becameBaseline, n.regressed]).toEqual(id === 'i1' ? ['i1', true, 0] : ['i2', false, 1]);
      }
    });
    const dest = await freshDatabase(postgres.url!, 'imp');
    const missing = await vfbench(['history', 'import', join(root, 'typo.db'), '--db', dest]);
    expect([missing.exitCode, missing.stderr.trim()]).toEqual([2, `vfbench: history import: ${join(root, 'typo.db')} does not exist`]);
    const r = await vfbench(['history', 'import', src, '--db', dest, '--json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ imported: 4, skipped: 0, baselines: 3 });
    for (const table of ['runs', 'run_labels', 'points', 'samples', 'summaries', 'baselines', 'verdicts']) {
      expect([table, await count(dest, table)]).toEqual([table, await count(src, table)]);
    }
    const sum = 'SELECT SUM(s.value) AS v FROM samples s JOIN points p ON p.id = s.point_id';
    expect(Number((await query(dest, sum))[0]!.v)).toBeCloseTo(Number((await query(src, sum))[0]!.v), 6);
    expect(await query(dest, "SELECT selection, run_id FROM baselines WHERE scenario = 'night'")).toEqual([{ selection: '{"vm_size":"D8s_v5"}', run_id: 'i1' }]);
    expect(await withHistory(src, (s) => withHistory(dest, (d) => importHistory(s, d)))).toEqual({ imported: 0, skipped: 4, baselines: 0 });
    expect(await count(dest, 'samples')).toBe(await count(src, 'samples'));
  });

  it('never prints the password of a postgres:// URL', async () => {
    expect(postgres.url, postgres.reason).toBeDefined();
    const withPassword = (await freshDatabase(postgres.url!, 'pw')).replace('vfbench@', 'vfbench:s3cr3tpw@');
    const root = await mkdtemp(join(tmpdir(), 'vfb-pw-'));
    const run = await labelledRun(root, 'pw1', onePoint(BASE), { started: '2026-11-21T02:00:00Z' });
    // Trust authentication: the password is accepted; from $VFBENCH_DB, in the JSON output.
    const ok = await vfbench(['history', 'add', run, '--json'], { env: { VFBENCH_DB: withPassword } });
    expect(ok.exitCode, ok.all).toBe(0);
    expect(JSON.parse(ok.stdout).db).toBe(`${withPassword.replace('s3cr3tpw', '***')}`);
    const port = new URL(postgres.url!).port;
    const refused = await vfbench(['history', 'list', '--db', withPassword.replace(`:${port}/`, ':1/')]);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('cannot connect to the history at postgres://vfbench:***@127.0.0.1:1/');
    for (const r of [ok, refused]) expect(r.all).not.toContain('s3cr3tpw');
  });

  it('nightly judging a run directory refuses --label (the run has its labels)', async () => {
    const run = await labelledRun(await mkdtemp(join(tmpdir(), 'vfb-lbl-')), 'l1', onePoint(BASE), { started: '2026-11-21T02:00:00Z' });
    const r = await vfbench(['nightly', run, '--label', 'x=y', '--db', join(tmpdir(), 'never-opened.db')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`--label applies when nightly runs a scenario: the run ${run} has its labels already`);
  });
});

describe('nightly checks what it can before a run of hours', () => {
  const SCENARIO = twoHostScenario('night', 'labels: { vm_size: Standard_D4s_v5 }\n');
  it('refuses a --where its own labels contradict, and a history it cannot open, before connecting to a host', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-pre-'));
    const file = join(root, 'night.yaml');
    await writeFile(file, SCENARIO);
    const results = join(root, 'results');
    const db = join(root, 'history.db');
    const contradicted = await vfbench(['nightly', file, '--results', results, '--db', db, '--where', 'vm_size=Standard_D8s_v5']);
    expect(contradicted.exitCode).toBe(2);
    expect(contradicted.stderr).toContain(`--where vm_size=Standard_D8s_v5: the run will be labelled vm_size=Standard_D4s_v5 (${file}'s labels:), so it could not be judged`);
    const overridden = await vfbench(['nightly', file, '--results', results, '--db', db, '--label', 'vm_size=Standard_D2s_v5', '--where', 'vm_size=Standard_D8s_v5']);
    expect(overridden.stderr).toContain('the run will be labelled vm_size=Standard_D2s_v5 (--label)');
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const unreachable = await vfbench(['nightly', file, '--results', results, '--db', 'postgres://ci:s3cretpw@127.0.0.1:1/vfbench']);
    expect(unreachable.exitCode).toBe(4);
    expect(unreachable.stderr).toContain('cannot connect to the history at postgres://ci:***@127.0.0.1:1/vfbench');
    expect(unreachable.all).not.toContain('s3cretpw');
    expect(existsSync(results)).toBe(false); // no run was started
  });
});
