// manifest.json is checked on read: today's round-trips, one written before the check (lab-quick, schema 1)
// still loads, a damaged field is named, a newer format is refused saying what this vfbench reads.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_SCHEMA, parseManifest, readManifest, type Manifest } from '../../src/results/manifest.js';
import { RunDir } from '../../src/results/run-dir.js';
import { UserError } from '../../src/util/errors.js';
import { VFBENCH_VERSION } from '../../src/util/version.js';

const LAB_QUICK = join(import.meta.dirname, '..', 'fixtures', 'runs', 'lab-quick', 'manifest.json');

async function writeManifestFile(data: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vfb-manifest-'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(data));
  return join(dir, 'manifest.json');
}

const labQuick = async () => JSON.parse(await readFile(LAB_QUICK, 'utf8')) as Record<string, unknown> & { scenario: { variants: Record<string, Record<string, unknown>> } };

async function refusal(data: unknown): Promise<{ file: string; message: string }> {
  const file = await writeManifestFile(data);
  const err = await readManifest(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return { file, message: (err as Error).message };
}

describe('manifest.json', () => {
  it('reads a stored run made before manifests were checked (lab-quick, schema 1)', async () => {
    const m = await readManifest(LAB_QUICK);
    expect(m.schema).toBe(1);
    expect(m.scenario.name).toBe('lab-quick');
    expect(Object.keys(m.scenario.variants)).toEqual(['vf', 'pv']);
    expect(m.scenario.variants.vf).toMatchObject({ controller: 'guest-link', interface: 'vf0', state: 'up' });
    expect(m.originalPathState).toHaveLength(2);
    expect(m.plan.trials.length).toBeGreaterThan(0);
    expect(m.status).toBe('complete');
    // Through the run directory too (what analyze, resume and restore use).
    expect(await new RunDir(join(LAB_QUICK, '..')).readManifest()).toEqual(m);
  });

  it('reads one with no schema at all as schema 1', async () => {
    const { schema, ...old } = await labQuick();
    expect(schema).toBe(1);
    expect((await readManifest(await writeManifestFile(old))).schema).toBe(1);
  });

  it('round-trips today\'s manifest, fields it does not know kept', async () => {
    const today = { ...(await labQuick()), schema: MANIFEST_SCHEMA, vfbench: VFBENCH_VERSION, madeOn: { host: 'h', user: 'u' }, restored: '2026-12-01T13:30:00Z', restoreProblems: ['vm1: x'] };
    const m: Manifest = await readManifest(await writeManifestFile(today));
    expect(m.schema).toBe(MANIFEST_SCHEMA);
    expect(JSON.parse(JSON.stringify(m))).toEqual(today);
    expect(parseManifest(JSON.parse(JSON.stringify(m)), 'again')).toEqual(m);
  });

  it('names the file and the first field that is wrong', async () => {
    const bad = await labQuick();
    bad.scenario.variants.vf!.controller = 'teleport';
    const r = await refusal(bad);
    expect(r.message).toMatch(new RegExp(`^${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: scenario\\.variants\\.vf\\.controller: `));
    expect(r.message).toContain("'guest-link'");
    const noStatus = { ...(await labQuick()), status: 'half-done' };
    expect((await refusal(noStatus)).message).toMatch(/manifest\.json: status: /);
    const { plan, ...noPlan } = await labQuick();
    void plan;
    expect((await refusal(noPlan)).message).toMatch(/manifest\.json: plan: /);
    const file = await writeManifestFile({});
    await writeFile(file, '{"schema": 2, "vfbench"');
    await expect(readManifest(file)).rejects.toThrow(/manifest\.json: not JSON/);
  });

  it('refuses a newer or unknown schema, saying which this vfbench reads', async () => {
    const newer = await refusal({ ...(await labQuick()), schema: MANIFEST_SCHEMA + 1, vfbench: '9.0.0' });
    expect(newer.message).toBe(`${newer.file}: schema: manifest schema ${MANIFEST_SCHEMA + 1} (written by vfbench 9.0.0) is not one this vfbench (${VFBENCH_VERSION}) reads: it reads schema 1 to ${MANIFEST_SCHEMA}`);
    expect((await refusal({ ...(await labQuick()), schema: 'two' })).message).toContain(`manifest schema "two"`);
  });
});

describe('vfbench version', () => {
  it('is package.json\'s', async () => {
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(VFBENCH_VERSION).toBe(pkg.version);
  });
});
