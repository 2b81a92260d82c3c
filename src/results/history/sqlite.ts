// The embedded history: a SQLite file through better-sqlite3, in WAL mode (readers never wait for the
// writer), each write a BEGIN IMMEDIATE transaction that waits up to a minute for another process's.
// Nothing rewrites the file whole: two processes adding runs at once both land.
import Database from 'better-sqlite3';
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError, errorMessage } from '../../util/errors.js';
import type { Conn, Driver, Param, Row } from './driver.js';

/** How long a write waits for another process's write transaction before giving up (ms). */
const BUSY_TIMEOUT_MS = 60_000;

const bind = (params: Param[]) => params.map((p) => (p === undefined ? null : p));

export async function openSqlite(path: string, mustExist = false): Promise<Driver> {
  if (mustExist && !existsSync(path)) throw new UserError(`${path}: no history there (vfbench history add RUN_DIR makes it; --db or VFBENCH_DB names another)`);
  await mkdir(dirname(path), { recursive: true });
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db?.close();
    throw new UserError(`${path}: not a history database SQLite can open (${errorMessage(err)})`);
  }
  return new SqliteDriver(path, db);
}

class SqliteDriver implements Driver {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();
  private inWrite = false;

  constructor(
    readonly location: string,
    private readonly db: Database.Database,
  ) {}

  private prepare(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    return this.prepare(sql).all(...bind(params)) as Row[];
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    return this.prepare(sql).run(...bind(params)).changes;
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async write<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    // One connection per process: a second write of this process would nest, which SQLite refuses.
    if (this.inWrite) throw new Error('nested history write');
    this.inWrite = true;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(this);
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.inWrite = false;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
