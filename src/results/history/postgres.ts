// The shared history: PostgreSQL through node-postgres (a small pool; a write transaction on a client of
// its own). The URL's password is never printed: `location` and every message carry the redacted URL.
import pg from 'pg';
import { EnvironmentError, errorMessage } from '../../util/errors.js';
import type { Conn, Driver, Param, Row } from './driver.js';

export const isPostgresUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s);

/** The URL without its password (`postgres://user:***@host/db`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|token/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** `?` placeholders as PostgreSQL's `$1, $2…` (the history's SQL has no `?` inside literals). */
const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

const bind = (params: Param[]) => params.map((p) => (p === undefined ? null : p));

type Queryable = Pick<pg.Pool, 'query'>;

function conn(q: Queryable): Conn {
  return {
    all: async (sql, params = []) => (await q.query(numbered(sql), bind(params))).rows as Row[],
    run: async (sql, params = []) => (await q.query(numbered(sql), bind(params))).rowCount ?? 0,
    exec: async (sql) => void (await q.query(sql)),
  };
}

export async function openPostgres(url: string): Promise<Driver> {
  const location = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'vfbench' });
  // An idle client's connection dropped by the server: the next query reports it; do not crash on it.
  pool.on('error', () => {});
  try {
    (await pool.connect()).release();
  } catch (err) {
    await pool.end().catch(() => {});
    const password = safePassword(url);
    const message = password ? errorMessage(err).split(password).join('***') : errorMessage(err);
    throw new EnvironmentError(`cannot connect to the history at ${location}: ${message}`);
  }
  return new PostgresDriver(location, pool);
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

class PostgresDriver implements Driver {
  readonly dialect = 'postgres';
  private readonly c: Conn;

  constructor(
    readonly location: string,
    private readonly pool: pg.Pool,
  ) {
    this.c = conn(pool);
  }

  all(sql: string, params?: Param[]) {
    return this.c.all(sql, params);
  }

  run(sql: string, params?: Param[]) {
    return this.c.run(sql, params);
  }

  exec(sql: string) {
    return this.c.exec(sql);
  }

  async write<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(conn(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection whose ROLLBACK fails is broken: released with the error, the pool drops it.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
