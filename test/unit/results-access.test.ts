// Who can read results, and whose run directories vfbench believes: files 0600 and folders 0700 unless
// --share; a manifest someone else could have written needs --trust before its commands run.
import { describe, expect, it } from 'vitest';
import { chmod, chown, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeRun } from '../helpers/runs.js';
import { vfbench } from '../helpers/cli.js';
import { checkProvenance } from '../../src/runner/run.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('results access', () => {
  it('writes analysis files 0600 in 0700 folders, and readable by others with --share', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-share-'));
    const points = [{ size: 64, p50: { pv: [20, 21, 22], vf: [10, 11, 12] } }];
    const [priv, shared] = [await writeRun(root, 'private', points), await writeRun(root, 'shared', points)];
    expect((await vfbench(['analyze', priv])).exitCode).toBe(0);
    expect((await vfbench(['--share', 'analyze', shared])).exitCode).toBe(0);
    expect([await mode(join(priv, 'analysis')), await mode(join(priv, 'analysis', 'summary.csv'))]).toEqual([0o700, 0o600]);
    // --share leaves the user's umask (022 here) to decide, as any other program would.
    const umask = process.umask();
    expect([await mode(join(shared, 'analysis')), await mode(join(shared, 'analysis', 'summary.csv'))]).toEqual([0o777 & ~umask, 0o666 & ~umask]);
  });

  it('believes a manifest only when this user made it here and nobody else could have written it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-prov-'));
    const manifest = join(dir, 'manifest.json');
    await writeFile(manifest, '{}', { mode: 0o600 });
    const here = { madeOn: { host: hostname(), user: userInfo().username } };
    expect(() => checkProvenance(dir, here, false)).not.toThrow();
    expect(() => checkProvenance(dir, { madeOn: { host: 'elsewhere', user: 'mallory' } }, false)).toThrow('was made by mallory on elsewhere');
    await chmod(manifest, 0o666);
    expect(() => checkProvenance(dir, here, false)).toThrow(/was made by anyone in its group or everyone \(its manifest is writable by them\).*pass --trust/);
    expect(() => checkProvenance(dir, here, true)).not.toThrow();
    await chmod(manifest, 0o600);
    if (process.getuid?.() === 0) {
      // Owned by another user, even with this user's name and host written inside.
      await chown(manifest, 4321, 4321);
      expect(() => checkProvenance(dir, here, false)).toThrow('was made by uid 4321');
    }
  });
});
