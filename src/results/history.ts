// The history database: every run's point summaries (with their repetition values) in an embedded
// SQLite file (sql.js, SQLite compiled to WebAssembly: no native build), and a baseline per scenario.
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { vfbenchHome } from '../util/home.js';
import { upgradeLegacyKey } from './point.js';

/** Where the history is kept unless --db says otherwise. */
export const defaultHistoryDb = () => join(vfbenchHome(), 'history.db');

export interface HistoryRun {
  id: string;
  scenario: string;
  started?: string;
  ended?: string;
  status?: string;
  dir?: string;
  added: string;
  vfbench?: string;
}

/** One point, variant and metric of a run: the same shape compare's samples have, per metric. */
export interface HistorySample {
  key: string;
  label: string;
  variant: string;
  latencyKind?: string;
  metric: string;
  values: number[];
  median: number;
  ciLow?: number;
  ciHigh?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, scenario TEXT NOT NULL, started TEXT, ended TEXT, status TEXT, dir TEXT, added TEXT NOT NULL, vfbench TEXT
);
CREATE TABLE IF NOT EXISTS samples (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key TEXT NOT NULL, label TEXT NOT NULL, variant TEXT NOT NULL, latency_kind TEXT, metric TEXT NOT NULL,
  n INTEGER NOT NULL, median REAL, ci_low REAL, ci_high REAL, vals TEXT NOT NULL,
  PRIMARY KEY (run_id, key, metric)
);
CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs(scenario, started);
CREATE TABLE IF NOT EXISTS baselines (scenario TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id), set_at TEXT NOT NULL);
PRAGMA user_version = 2;
`;

/** Version 2: a point's key has its background rate (results/point.ts); version 1 (vfbench 0.1) is upgraded. */
const SCHEMA_VERSION = 2;

let sql: Promise<SqlJsStatic> | undefined;
function sqlJs(): Promise<SqlJsStatic> {
  const require = createRequire(import.meta.url);
  sql ??= initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  return sql;
}

/**
 * Version 1 left a point's background rate out of its key (a run with two rates of a point could not be
 * added; one with a single rate was): the rate is put back from the label, which has it.
 */
function upgradeRateKeys(db: Database): void {
  const rows = db.exec("SELECT rowid, key, label FROM samples WHERE label LIKE '%bg % pkt/s%'")[0]?.values ?? [];
  const stmt = db.prepare('UPDATE samples SET key = ? WHERE rowid = ?');
  for (const [rowid, key, label] of rows) {
    const upgraded = upgradeLegacyKey(String(key), String(label));
    if (upgraded !== key) stmt.run([upgraded, rowid as number]);
  }
  stmt.free();
}

export class HistoryDb {
  private constructor(
    readonly path: string,
    private readonly db: Database,
  ) {}

  static async open(path: string): Promise<HistoryDb> {
    const SQL = await sqlJs();
    const db = existsSync(path) ? new SQL.Database(await readFile(path)) : new SQL.Database();
    const version = db.exec('PRAGMA user_version')[0]?.values[0]?.[0];
    if (version !== undefined && version !== 0 && version !== 1 && version !== SCHEMA_VERSION) {
      db.close();
      throw new Error(`${path}: history schema version ${version}, this vfbench reads 1 and ${SCHEMA_VERSION}`);
    }
    db.exec('PRAGMA foreign_keys = ON');
    db.exec(SCHEMA);
    if (version === 1) upgradeRateKeys(db);
    return new HistoryDb(path, db);
  }

  /** Add (or replace) a run and its samples. */
  addRun(run: HistoryRun, samples: HistorySample[]): void {
    this.db.exec('BEGIN');
    try {
      this.db.run('DELETE FROM samples WHERE run_id = ?', [run.id]);
      this.db.run('INSERT OR REPLACE INTO runs (id, scenario, started, ended, status, dir, added, vfbench) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        run.id, run.scenario, run.started ?? null, run.ended ?? null, run.status ?? null, run.dir ?? null, run.added, run.vfbench ?? null,
      ]);
      const stmt = this.db.prepare('INSERT INTO samples (run_id, key, label, variant, latency_kind, metric, n, median, ci_low, ci_high, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const s of samples) {
        stmt.run([run.id, s.key, s.label, s.variant, s.latencyKind ?? null, s.metric, s.values.length, s.median, s.ciLow ?? null, s.ciHigh ?? null, JSON.stringify(s.values)]);
      }
      stmt.free();
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Runs, newest first. */
  runs(scenario?: string, limit = 1000): HistoryRun[] {
    const rows = this.query(
      `SELECT id, scenario, started, ended, status, dir, added, vfbench FROM runs ${scenario ? 'WHERE scenario = ?' : ''} ORDER BY COALESCE(started, added) DESC LIMIT ?`,
      scenario ? [scenario, limit] : [limit],
    );
    return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as HistoryRun);
  }

  samples(runId: string): HistorySample[] {
    return this.query('SELECT key, label, variant, latency_kind, metric, median, ci_low, ci_high, vals FROM samples WHERE run_id = ? ORDER BY key, metric', [runId]).map((r) => ({
      key: r.key as string,
      label: r.label as string,
      variant: r.variant as string,
      latencyKind: (r.latency_kind as string | null) ?? undefined,
      metric: r.metric as string,
      median: r.median as number,
      ciLow: (r.ci_low as number | null) ?? undefined,
      ciHigh: (r.ci_high as number | null) ?? undefined,
      values: JSON.parse(r.vals as string) as number[],
    }));
  }

  setBaseline(scenario: string, runId: string): void {
    if (!this.query('SELECT id FROM runs WHERE id = ? AND scenario = ?', [runId, scenario]).length) {
      throw new Error(`run ${runId} of ${scenario} is not in the history`);
    }
    this.db.run('INSERT OR REPLACE INTO baselines (scenario, run_id, set_at) VALUES (?, ?, ?)', [scenario, runId, new Date().toISOString()]);
  }

  baseline(scenario: string): string | undefined {
    return this.query('SELECT run_id FROM baselines WHERE scenario = ?', [scenario])[0]?.run_id as string | undefined;
  }

  private query(q: string, params: (string | number | null)[] = []): Record<string, unknown>[] {
    const stmt = this.db.prepare(q);
    stmt.bind(params);
    const out: Record<string, unknown>[] = [];
    while (stmt.step()) out.push(stmt.getAsObject());
    stmt.free();
    return out;
  }

  /** Write the database file (via a temporary file and rename: never half a database). */
  async save(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    await writeFile(tmp, this.db.export());
    await rename(tmp, this.path);
  }

  close(): void {
    this.db.close();
  }
}
