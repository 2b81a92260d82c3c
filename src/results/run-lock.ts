// One vfbench at a time per run directory: a run, a resume or a restore holds <dir>/.lock (pid, machine,
// start); a lock whose process is gone is stale and taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../util/errors.js';

interface LockEntry {
  pid: number;
  host: string;
  started: string;
  what: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of a run directory's lock, if any (a lock from another machine counts as live). */
export async function lockHolder(dir: string): Promise<LockEntry | undefined> {
  const held = await readFile(join(dir, '.lock'), 'utf8').then((t) => JSON.parse(t) as LockEntry, () => undefined);
  if (!held) return undefined;
  return held.host !== hostname() || alive(held.pid) ? held : undefined;
}

/** Take the run directory's lock for `what` (run, resume, restore); returns its release. */
export async function lockRunDir(dir: string, what: string): Promise<() => Promise<void>> {
  const path = join(dir, '.lock');
  const entry: LockEntry = { pid: process.pid, host: hostname(), started: new Date().toISOString(), what };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.write(JSON.stringify(entry) + '\n');
      await fh.close();
      return async () => {
        const now = await readFile(path, 'utf8').then((t) => JSON.parse(t) as LockEntry, () => undefined);
        if (now?.pid === process.pid && now.host === entry.host) await unlink(path).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await lockHolder(dir);
    if (holder) throw new EnvironmentError(`${dir} is in use: vfbench ${holder.what} (pid ${holder.pid} on ${holder.host}, since ${holder.started}); wait for it or stop it first`);
    await unlink(path).catch(() => {}); // stale: its process is gone
  }
  throw new EnvironmentError(`cannot take the lock ${path}`);
}
