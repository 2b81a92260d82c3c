// A throwaway PostgreSQL cluster for the tests (Debian's `postgresql` package: scripts/setup.sh --test
// installs it): initdb into a temporary directory, trust authentication on a Unix socket in that directory
// and on 127.0.0.1 at a free port, started with pg_ctl; stopped and removed by the global teardown. As
// root the server runs as the `postgres` user (it refuses root). No system cluster is used or needed.
import { execa } from 'execa';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresContext {
  /** postgres://… of the cluster's `postgres` database (its superuser `vfbench`, no password). */
  url?: string;
  /** Why there is no cluster. */
  reason?: string;
}

/** The highest installed major version's bin/ (/usr/lib/postgresql/<major>/bin). */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return majors[0] && join(root, majors[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  context: PostgresContext;
  stop(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const bin = postgresBin();
  if (!bin) return { context: { reason: "Debian's postgresql package is not installed (bash scripts/setup.sh --test installs it)" }, stop: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'vfbench-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  const uid = root ? Number((await execa('id', ['-u', 'postgres'])).stdout) : undefined;
  if (uid !== undefined) await chown(dir, uid, Number((await execa('id', ['-g', 'postgres'])).stdout));
  const as = (cmd: string, args: string[]) => (root ? execa('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : execa(join(bin, cmd), args));
  const stop = async () => {
    await as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await as('initdb', ['-D', data, '-A', 'trust', '-U', 'vfbench', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    // fsync off: a throwaway cluster; what the tests check (transactions, locks) does not depend on it.
    await as('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', `-k ${dir} -p ${port} -h 127.0.0.1 -c fsync=off`, 'start']);
    return { context: { url: `postgres://vfbench@127.0.0.1:${port}/postgres` }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A new empty database of the cluster, for one test: its URL. */
export async function freshDatabase(url: string, name: string): Promise<string> {
  const db = `${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${db}`);
  } finally {
    await c.end();
  }
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}
