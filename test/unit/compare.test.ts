// compare on synthetic runs built from records: improved, regressed, unchanged and noisy cases, their
// verdicts, exit codes and outputs; and the history's point identity (test/unit/history.test.ts: the rest).
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareSamples, DEFAULT_POLICY, type Sample } from '../../src/analysis/compare.js';
import { History } from '../../src/results/history/index.js';
import { judgeNightly } from '../../src/analysis/nightly.js';
import { vfbench } from '../helpers/cli.js';
import { writeRun } from '../helpers/runs.js';

const BASE = [50, 51, 49, 50.5, 49.5];
const scale = (v: number[], f: number) => v.map((x) => x * f);

async function pair(candidate: number[], baseline = BASE) {
  const root = await mkdtemp(join(tmpdir(), 'vfb-cmp-'));
  const b = await writeRun(root, 'base', [{ size: 64, p50: { pv: scale(baseline, 3), vf: baseline } }]);
  const c = await writeRun(root, 'cand', [{ size: 64, p50: { pv: scale(baseline, 3), vf: candidate } }]);
  return { root, b, c };
}

describe('vfbench compare on synthetic runs', () => {
  it('calls a 20% lower latency improved, exit 0', async () => {
    const { b, c } = await pair(scale(BASE, 0.8));
    const r = await vfbench(['compare', b, c, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const vf = out.rows.filter((x: { variant: string }) => x.variant === 'vf');
    expect(vf.map((x: { metric: string; verdict: string }) => [x.metric, x.verdict])).toEqual([
      ['p50_us', 'improved'],
      ['p99_us', 'improved'],
    ]);
    expect(vf[0].improvementPct).toBeCloseTo(20, 6);
    expect(vf[0].changePct).toBeCloseTo(-20, 6);
    expect(vf[0].pValue).toBeCloseTo(2 / 252, 10); // 5 vs 5, complete separation
    // The untouched variant is unchanged.
    expect(out.rows.filter((x: { variant: string }) => x.variant === 'pv').every((x: { verdict: string }) => x.verdict === 'unchanged')).toBe(true);
  });

  it('calls a 20% higher latency regressed, exit 3, and says so in every output', async () => {
    const { c, b } = await pair(scale(BASE, 1.2));
    const r = await vfbench(['compare', b, c]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/vf\s+p50\s+50\.0 µs → 60\.0 µs\s+-20\.0%.*REGRESSED/);
    const md = await readFile(join(c, 'compare', 'compare.md'), 'utf8');
    expect(md).toContain('❌ 2 regressed');
    const junit = await readFile(join(c, 'compare', 'compare.junit.xml'), 'utf8');
    expect(junit).toContain('failures="2"');
    expect(junit).toMatch(/<failure message="-20\.0% \(p=0\.0079 &lt; 0\.05\)">/);
    const csv = await readFile(join(c, 'compare', 'compare.csv'), 'utf8');
    expect(csv.split('\n')[0]).toContain('verdict');
    expect(csv).toMatch(/,vf,p50_us,us,lower,50,60,5,5,20,-20,/);
  });

  it('calls a 2% difference unchanged; with a 1% threshold it matters but is not significant: inconclusive', async () => {
    const { b, c } = await pair(scale(BASE, 1.02));
    const vfP50 = (stdout: string) => JSON.parse(stdout).rows.find((x: { variant: string; metric: string }) => x.variant === 'vf' && x.metric === 'p50_us');
    const r = await vfbench(['compare', b, c, '--json']);
    expect(r.exitCode).toBe(0);
    expect(vfP50(r.stdout).verdict).toBe('unchanged');
    const strict = await vfbench(['compare', b, c, '--min-effect', '1', '--json']);
    expect(strict.exitCode).toBe(0);
    expect(vfP50(strict.stdout)).toMatchObject({ verdict: 'inconclusive', reason: expect.stringContaining('p=0.17') });
  });

  it('calls a noisy point inconclusive rather than guessing', async () => {
    const noisy = [30, 80, 45, 95, 60];
    const { b, c } = await pair(noisy, [40, 70, 50, 90, 55]);
    const r = await vfbench(['compare', b, c, '--json']);
    const row = JSON.parse(r.stdout).rows.find((x: { variant: string; metric: string }) => x.variant === 'vf' && x.metric === 'p50_us');
    expect(row.verdict).toBe('inconclusive');
    expect(row.reason).toMatch(/too noisy|p=/);
    expect(r.exitCode).toBe(0);
  });

  it('takes thresholds from a YAML policy and reports its mistakes with a position', async () => {
    const { root, b, c } = await pair(scale(BASE, 1.2));
    await writeFile(join(root, 'policy.yaml'), 'min_effect_pct: 30\nalpha: 0.01\n');
    const lenient = await vfbench(['compare', b, c, '--policy', join(root, 'policy.yaml')]);
    expect(lenient.exitCode).toBe(0); // 20% < 30%
    await writeFile(join(root, 'bad.yaml'), 'min_effect_pct: 30\nalpha: 2\n');
    const bad = await vfbench(['compare', b, c, '--policy', join(root, 'bad.yaml')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`${join(root, 'bad.yaml')}:2:8: alpha:`);
  });

  it('compares against a saved, pooled baseline file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-cmp-'));
    const r1 = await writeRun(root, 'n1', [{ size: 64, p50: { pv: scale(BASE, 3), vf: BASE } }]);
    const r2 = await writeRun(root, 'n2', [{ size: 64, p50: { pv: scale(BASE, 3), vf: scale(BASE, 1.01) } }]);
    const cand = await writeRun(root, 'n3', [{ size: 64, p50: { pv: scale(BASE, 3), vf: scale(BASE, 1.3) } }]);
    const save = await vfbench(['baseline', r1, r2, '-o', join(root, 'baseline.json')]);
    expect(save.stdout).toContain('from 2 run(s)');
    const file = JSON.parse(await readFile(join(root, 'baseline.json'), 'utf8'));
    expect(file.samples.find((s: Sample) => s.variant === 'vf').values.p50_us).toHaveLength(10);
    const r = await vfbench(['compare', join(root, 'baseline.json'), cand, '--json']);
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout).rows.find((x: { variant: string; metric: string }) => x.variant === 'vf' && x.metric === 'p50_us').nBaseline).toBe(10);
  });

  it('exits 2 when nothing matches', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-cmp-'));
    const a = await writeRun(root, 'a', [{ size: 64, p50: { pv: BASE, vf: BASE } }]);
    const b = await writeRun(root, 'b', [{ size: 1024, p50: { pv: BASE, vf: BASE } }]);
    const r = await vfbench(['compare', a, b]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no point in common');
  });
});

describe('compare verdict rules', () => {
  const sample = (values: number[], metric = 'throughput_bps'): Sample => ({ key: 'k', label: 'k', variant: 'vf', values: { [metric]: values }, runs: ['r'] });
  it('respects direction: more throughput is better', () => {
    const [row] = compareSamples([sample([10, 10.1, 9.9, 10.05, 9.95])], [sample([12, 12.1, 11.9, 12.05, 11.95])], DEFAULT_POLICY);
    expect(row).toMatchObject({ verdict: 'improved', direction: 'higher' });
    expect(row!.improvementPct).toBeCloseTo(20, 6);
  });
  it('will not judge fewer than 3 repetitions', () => {
    const [row] = compareSamples([sample([10, 10.1])], [sample([20, 20.1])], DEFAULT_POLICY);
    expect(row!.verdict).toBe('inconclusive');
    expect(row!.reason).toContain('at least 3 repetitions');
  });
});

describe('a point\'s background rate is part of its identity (FlexVF Fig. 5)', () => {
  // Two background rates of one point; in the candidate only the rate-20000 point's VF latency regressed.
  const fig5 = (vfAt20k: number[]) => [
    { size: 64, rate: 0, p50: { pv: scale(BASE, 3), vf: BASE } },
    { size: 64, rate: 20000, p50: { pv: scale(BASE, 4), vf: vfAt20k } },
  ];
  type Row = { point: string; variant: string; metric: string; verdict: string; key: string };

  it('compare keeps the two rates apart and names only the point that regressed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-bg-'));
    const a = await writeRun(root, 'bgA', fig5(scale(BASE, 1.5)), 'fig5');
    const b = await writeRun(root, 'bgB', fig5(scale(BASE, 1.5 * 1.3)), 'fig5');
    const r = await vfbench(['compare', a, b, '--json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const rows: Row[] = JSON.parse(r.stdout).rows;
    const vfP50 = rows.filter((x) => x.variant === 'vf' && x.metric === 'p50_us');
    expect(vfP50.map((x) => [x.point, x.verdict])).toEqual([
      ['sockperf-under-load udp 64B bg 0 pkt/s', 'unchanged'],
      ['sockperf-under-load udp 64B bg 20000 pkt/s', 'regressed'],
    ]);
    const regressed = rows.filter((x) => x.verdict === 'regressed');
    expect(regressed.map((x) => `${x.variant} ${x.metric}`)).toEqual(['vf p50_us', 'vf p99_us']);
    expect(regressed.every((x) => x.point.includes('bg 20000 pkt/s'))).toBe(true);
    expect(new Set(rows.map((x) => `${x.key} ${x.metric}`)).size).toBe(rows.length);
    const md = await readFile(join(b, 'compare', 'compare.md'), 'utf8');
    expect(md).toContain('| sockperf-under-load udp 64B bg 20000 pkt/s | vf | p50 |');
  });

  it('history add stores both rates as rows of their own, and nightly\'s comparison from the history tells them apart', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-bg-'));
    const db = join(root, 'h.db');
    const a = await writeRun(root, 'bgA', fig5(scale(BASE, 1.5)), 'fig5', '2026-11-21T02:00:00Z');
    const b = await writeRun(root, 'bgB', fig5(scale(BASE, 1.5 * 1.3)), 'fig5', '2026-11-22T02:00:00Z');
    for (const run of [a, b]) {
      const added = await vfbench(['history', 'add', run, '--db', db]);
      expect(added.exitCode, added.stderr).toBe(0);
    }
    const h = await History.open(db);
    for (const [run, at20k] of [['bgA', 75], ['bgB', 97.5]] as const) {
      const vf = (await h.points(run)).filter((p) => p.variant === 'vf');
      expect(vf.map((p) => [p.label, p.metrics.p50_us!.median])).toEqual([
        ['sockperf-under-load udp 64B bg 0 pkt/s', 50],
        ['sockperf-under-load udp 64B bg 20000 pkt/s', expect.closeTo(at20k, 9)],
      ]);
    }
    // nightly judges run B against the stored baseline run A, both read back from the history.
    await h.setBaseline('fig5', {}, 'bgA');
    const n = await judgeNightly(h, b, { policy: DEFAULT_POLICY });
    await h.close();
    expect(n.baselineRuns).toEqual(['bgA']);
    expect(n.rows!.filter((x) => x.variant === 'vf' && x.metric === 'p50_us').map((x) => [x.point, x.verdict])).toEqual([
      ['sockperf-under-load udp 64B bg 0 pkt/s', 'unchanged'],
      ['sockperf-under-load udp 64B bg 20000 pkt/s', 'regressed'],
    ]);
    expect(n.regressed).toBe(2); // p50 and p99 of the rate-20000 point
  });

  it('two pairs of one group are two points (FlexVF Fig. 7): compare and the history keep them apart', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-grp-'));
    const fig7 = (vfPair1: number[]) => [
      { size: 64, pair: 0, group: 'g1', p50: { pv: scale(BASE, 3), vf: BASE } },
      { size: 64, pair: 1, group: 'g1', p50: { pv: scale(BASE, 3), vf: vfPair1 } },
    ];
    const a = await writeRun(root, 'gA', fig7(BASE), 'fig7', '2026-11-21T02:00:00Z');
    const b = await writeRun(root, 'gB', fig7(scale(BASE, 1.3)), 'fig7', '2026-11-22T02:00:00Z');
    const r = await vfbench(['compare', a, b, '--json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const rows: Row[] = JSON.parse(r.stdout).rows;
    expect(rows.filter((x) => x.verdict === 'regressed').map((x) => x.key)).toEqual([
      'sockperf-ping-pong|sockperf|ping-pong|udp|64|1|g1.pair1|vf',
      'sockperf-ping-pong|sockperf|ping-pong|udp|64|1|g1.pair1|vf',
    ]);
    const db = join(root, 'h.db');
    for (const run of [a, b]) expect((await vfbench(['history', 'add', run, '--db', db])).exitCode).toBe(0);
    const h = await History.open(db);
    expect((await h.points('gB')).filter((p) => p.variant === 'vf').map((p) => p.key)).toEqual([
      'sockperf-ping-pong|sockperf|ping-pong|udp|64|1|g1.pair0|vf',
      'sockperf-ping-pong|sockperf|ping-pong|udp|64|1|g1.pair1|vf',
    ]);
    await h.close();
  });

  it('reads a baseline file of vfbench 0.1 (keys without a rate): points without a background still match', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-bg-'));
    const cand = await writeRun(root, 'c', [{ size: 64, p50: { pv: scale(BASE, 3), vf: scale(BASE, 1.3) } }]);
    const sample = (variant: string, p50: number[]) => ({
      key: `sockperf-ping-pong|sockperf|ping-pong|udp|64|1|pair0|${variant}`,
      label: 'sockperf-ping-pong udp 64B',
      variant,
      latencyKind: 'half-rtt',
      values: { p50_us: p50, p99_us: scale(p50, 2), count: p50.map(() => 1000) },
      runs: ['old'],
    });
    const file = join(root, 'old.baseline.json');
    await writeFile(file, JSON.stringify({ format: 'vfbench-baseline', version: 1, scenario: 'synthetic', runs: ['old'], created: '2026-11-01T00:00:00Z', samples: [sample('pv', scale(BASE, 3)), sample('vf', BASE)] }));
    const r = await vfbench(['compare', file, cand, '--json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const rows: Row[] = JSON.parse(r.stdout).rows;
    expect(rows.filter((x) => x.metric === '*')).toEqual([]); // every point matched
    expect(rows.find((x) => x.variant === 'vf' && x.metric === 'p50_us')!.verdict).toBe('regressed');
  });

  it('refuses a vfbench 0.1 baseline file that pooled the rates of a point, saying how to remake it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-bg-'));
    const cand = await writeRun(root, 'c', fig5(BASE), 'fig5');
    const file = join(root, 'old.baseline.json');
    const sample = { key: 'sockperf-under-load|sockperf|under-load|udp|64|1|pair0|vf', label: 'sockperf-under-load udp 64B bg 0 pkt/s', variant: 'vf', values: { p50_us: [...BASE, ...BASE] }, runs: ['old'] };
    await writeFile(file, JSON.stringify({ format: 'vfbench-baseline', version: 1, scenario: 'fig5', runs: ['old'], created: '2026-11-01T00:00:00Z', samples: [sample] }));
    const r = await vfbench(['compare', file, cand]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('pooled the background rates of a point (sockperf-under-load udp 64B bg 0 pkt/s): make it again with vfbench baseline');
  });

  it('refuses to judge against a vfbench 0.1 history run whose grouped points are keyed by group alone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-grp-'));
    const db = await History.open(join(root, 'h.db'));
    const legacy = (variant: string) => ({
      key: `sockperf-ping-pong|sockperf|ping-pong|udp|64|1|g1|${variant}`, label: 'sockperf-ping-pong udp 64B g1', variant, latencyKind: 'half-rtt',
      metrics: { p50_us: { n: 5, values: BASE, repetitions: [1, 2, 3, 4, 5], median: 50 } },
    });
    await db.addRun({ run: { id: 'old', scenario: 'fig7', started: '2026-11-01T00:00:00Z', status: 'complete', added: 'then', labels: {} }, points: [legacy('pv'), legacy('vf')] });
    await db.setBaseline('fig7', {}, 'old');
    const run = await writeRun(root, 'new', [{ size: 64, pair: 0, group: 'g1', p50: { pv: scale(BASE, 3), vf: BASE } }], 'fig7', '2026-11-22T02:00:00Z');
    await expect(judgeNightly(db, run, { policy: DEFAULT_POLICY, out: join(root, 'cmp') })).rejects.toThrow(/run old was added by vfbench 0\.1, which keyed the points of a group by the group alone: add it again/);
    await db.close();
  });
});
