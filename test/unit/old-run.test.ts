// A run directory made before this vfbench (lab-quick: its manifest without a schema, records without the
// evidence analyze derives from) is analyzed as it is; a run written by a newer vfbench is refused, saying
// which schema this one reads.
import { describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { RunDir } from '../../src/results/run-dir.js';
import { readAnalysis } from '../../src/analysis/run-analysis.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vfbench } from '../helpers/cli.js';

const copyOfLabQuick = async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'vfb-old-')), 'lab-quick');
  await cp('test/fixtures/runs/lab-quick', dir, { recursive: true });
  return dir;
};

describe('analyze on a stored run of an older vfbench', () => {
  it('analyzes lab-quick as it was recorded: every trial, its values kept', async () => {
    const dir = await copyOfLabQuick();
    const stored = (await readFile(join(dir, 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { trial: string; metrics: Record<string, number>; evidence?: unknown });
    expect(stored.some((r) => r.evidence !== undefined)).toBe(false);
    const r = await vfbench(['analyze', dir]);
    expect(r.exitCode, r.all).toBe(0);
    const analyzed = (await readFile(join(dir, 'analysis', 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as (typeof stored)[number]);
    expect(analyzed).toHaveLength(stored.length);
    for (const [i, a] of analyzed.entries()) expect(a.metrics).toEqual(stored[i]!.metrics);
    const summary = await readFile(join(dir, 'analysis', 'summary.csv'), 'utf8');
    expect(summary.split('\n').filter(Boolean).length).toBeGreaterThan(1);
    const fd = JSON.parse(await readFile(join(dir, 'analysis', 'figure-data.json'), 'utf8')) as { cdf: unknown[] };
    expect(fd.cdf).toEqual([]); // its sample store was not kept with the fixture
    // report reads this analysis, until records come after it (a resume with --no-analyze): then it analyzes again.
    const run = await RunDir.open(dir);
    expect((await readAnalysis(run))?.records).toHaveLength(stored.length);
    const later = new Date(Date.now() + 5000);
    await utimes(join(dir, 'records.jsonl'), later, later);
    expect(await readAnalysis(run)).toBeUndefined();
  });

  it('refuses a record of a newer schema, naming the line and the schema this vfbench reads', async () => {
    const dir = await copyOfLabQuick();
    const lines = (await readFile(join(dir, 'records.jsonl'), 'utf8')).trim().split('\n');
    lines[2] = JSON.stringify({ ...JSON.parse(lines[2]!), schema: 2 });
    await writeFile(join(dir, 'records.jsonl'), lines.join('\n') + '\n');
    const r = await vfbench(['analyze', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'records.jsonl')}:3: a record of schema 2; this vfbench`);
    expect(r.stderr).toMatch(/reads record schema 1: analyze it with the vfbench that made it, or a newer one/);
  });

  it('refuses a manifest of a newer schema, saying which it reads', async () => {
    const dir = await copyOfLabQuick();
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...m, schema: 9, vfbench: '9.0.0' }));
    const r = await vfbench(['analyze', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/manifest\.json: schema: manifest schema 9 \(written by vfbench 9\.0\.0\) is not one this vfbench \([\d.]+\) reads: it reads schema 1 to 2/);
  });
});
