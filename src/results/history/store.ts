// The history behind one interface on either backend: open it (migrating the schema), add runs (each in
// one transaction), list and filter runs by label, read a run back, keep a baseline per scenario and
// label selection, and the rows a trend figure needs.
import { join } from 'node:path';
import type { Labels } from '../../scenario/labels.js';
import { UserError } from '../../util/errors.js';
import { vfbenchHome } from '../../util/home.js';
import type { Conn, Driver, Param } from './driver.js';
import { migrate } from './migrations.js';
import { isPostgresUrl, openPostgres } from './postgres.js';
import { readPoints, readVerdicts, runFromRow, writePoints, writeRunRow, writeVerdicts } from './rows.js';
import { openSqlite } from './sqlite.js';
import { describeSelection, matchesSelection, selectionKey, type HistoryPoint, type HistoryRun, type RunBundle } from './types.js';

/** Where the history is kept unless --db or $VFBENCH_DB says otherwise. */
export const defaultHistoryDb = () => join(vfbenchHome(), 'history.db');

/** --db, else $VFBENCH_DB, else the default file. */
export const historyLocation = (db?: string) => db || process.env.VFBENCH_DB || defaultHistoryDb();

export interface RunQuery {
  scenario?: string;
  where?: Labels;
  /** Only complete runs. */
  complete?: boolean;
  limit?: number;
}

export interface AddOptions {
  /** Leave a run already in the history alone instead of replacing it (import). */
  skipExisting?: boolean;
  /** Make the run the baseline of (its scenario, this selection) when that has none yet (nightly's first run). */
  baselineIfNone?: Labels;
}

export interface StoredBaseline {
  scenario: string;
  selection: Labels;
  runId: string;
  setAt: string;
}

export interface TrendRow {
  run: string;
  time: string;
  label: string;
  variant: string;
  metric: string;
  n: number;
  median: number | null;
  ciLow?: number;
  ciHigh?: number;
}

/** Runs with a label: one EXISTS per label of the selection. */
function whereLabels(where: Labels = {}): { sql: string; params: Param[] } {
  const entries = Object.entries(where);
  return {
    sql: entries.map(() => ' AND EXISTS (SELECT 1 FROM run_labels l WHERE l.run_id = r.id AND l.name = ? AND l.value = ?)').join(''),
    params: entries.flat(),
  };
}

export class History {
  private constructor(private readonly d: Driver) {}

  /** A postgres:// or postgresql:// URL: PostgreSQL; anything else: a SQLite file. Pending migrations are applied. */
  /** mustExist: a SQLite file that is not there is an error (a mistyped --db), not a new empty history. */
  static async open(location: string, opts: { mustExist?: boolean } = {}): Promise<History> {
    const d = isPostgresUrl(location) ? await openPostgres(location) : await openSqlite(location, opts.mustExist);
    try {
      await migrate(d);
    } catch (err) {
      await d.close();
      throw err;
    }
    return new History(d);
  }

  get location(): string {
    return this.d.location;
  }

  get backend(): Driver['dialect'] {
    return this.d.dialect;
  }

  /** Add (or replace) a run with its points, and its verdicts, in one transaction. */
  async addRun(b: RunBundle, opts: AddOptions = {}): Promise<{ added: boolean; becameBaseline: boolean }> {
    return this.d.write(async (c) => {
      if (!(await writeRunRow(c, b.run, !!opts.skipExisting))) return { added: false, becameBaseline: false };
      await writePoints(c, b.run.id, b.points);
      if (b.verdicts) await writeVerdicts(c, b.run.id, b.verdicts);
      let becameBaseline = false;
      if (opts.baselineIfNone) {
        // First writer wins: of two first runs judged at once, one becomes the baseline.
        const sql = 'INSERT INTO baselines (scenario, selection, run_id, set_at) VALUES (?, ?, ?, ?) ON CONFLICT (scenario, selection) DO NOTHING';
        becameBaseline = (await c.run(sql, [b.run.scenario, selectionKey(opts.baselineIfNone), b.run.id, new Date().toISOString()])) > 0;
      }
      return { added: true, becameBaseline };
    });
  }

  /** Runs, newest first. */
  async runs(q: RunQuery = {}): Promise<HistoryRun[]> {
    const w = whereLabels(q.where);
    const rows = await this.d.all(
      `SELECT r.* FROM runs r WHERE 1 = 1${q.scenario ? ' AND r.scenario = ?' : ''}${q.complete ? " AND r.status = 'complete'" : ''}${w.sql}
        ORDER BY COALESCE(r.started, r.added) DESC, r.id DESC LIMIT ?`,
      [...(q.scenario ? [q.scenario] : []), ...w.params, q.limit ?? 1000],
    );
    const labels = await this.labelsOf(rows.map((r) => r.id as string));
    return rows.map((r) => runFromRow(r, labels.get(r.id as string)));
  }

  async run(id: string): Promise<HistoryRun | undefined> {
    const row = (await this.d.all('SELECT * FROM runs WHERE id = ?', [id]))[0];
    return row ? runFromRow(row, (await this.labelsOf([id])).get(id)) : undefined;
  }

  private async labelsOf(ids: string[]): Promise<Map<string, Labels>> {
    const out = new Map<string, Labels>(ids.map((id) => [id, {}]));
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.d.all(`SELECT run_id, name, value FROM run_labels WHERE run_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY name`, chunk);
      for (const r of rows) out.get(r.run_id as string)![r.name as string] = r.value as string;
    }
    return out;
  }

  /** A run's points with their metrics (values by repetition). */
  points(runId: string): Promise<HistoryPoint[]> {
    return readPoints(this.d, runId);
  }

  /** Everything of one run, as `addRun` takes it (import copies runs this way). */
  async bundle(runId: string): Promise<RunBundle | undefined> {
    const run = await this.run(runId);
    return run && { run, points: await this.points(runId), verdicts: await readVerdicts(this.d, runId) };
  }

  /** Run ids in id order after `after`, a page at a time (import walks a whole history this way). */
  async runIdsAfter(after: string, limit: number): Promise<string[]> {
    return (await this.d.all('SELECT id FROM runs WHERE id > ? ORDER BY id LIMIT ?', [after, limit])).map((r) => r.id as string);
  }

  verdicts(runId: string): Promise<RunBundle['verdicts']> {
    return readVerdicts(this.d, runId);
  }

  /** Choose the baseline of (scenario, selection): a run of that scenario whose labels match the selection. */
  async setBaseline(scenario: string, selection: Labels, runId: string): Promise<void> {
    await this.d.write(async (c: Conn) => {
      const run = (await c.all('SELECT scenario FROM runs WHERE id = ?', [runId]))[0];
      if (!run || run.scenario !== scenario) throw new UserError(`run ${runId} of ${scenario} is not in the history ${this.location}`);
      const labels = Object.fromEntries((await c.all('SELECT name, value FROM run_labels WHERE run_id = ?', [runId])).map((r) => [r.name, r.value]));
      if (!matchesSelection(labels, selection)) {
        throw new UserError(`run ${runId} has labels ${describeSelection(labels)}: it does not match --where ${describeSelection(selection)}`);
      }
      const sql = 'INSERT INTO baselines (scenario, selection, run_id, set_at) VALUES (?, ?, ?, ?) ON CONFLICT (scenario, selection) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at';
      await c.run(sql, [scenario, selectionKey(selection), runId, new Date().toISOString()]);
    });
  }

  /** Set the baseline of (scenario, selection) unless it has one, in one statement; true when it was set. */
  async baselineIfNone(b: StoredBaseline): Promise<boolean> {
    const sql = 'INSERT INTO baselines (scenario, selection, run_id, set_at) VALUES (?, ?, ?, ?) ON CONFLICT (scenario, selection) DO NOTHING';
    return (await this.d.write((c: Conn) => c.run(sql, [b.scenario, selectionKey(b.selection), b.runId, b.setAt]))) > 0;
  }

  async baseline(scenario: string, selection: Labels = {}): Promise<string | undefined> {
    return (await this.d.all('SELECT run_id FROM baselines WHERE scenario = ? AND selection = ?', [scenario, selectionKey(selection)]))[0]?.run_id as string | undefined;
  }

  async baselines(): Promise<StoredBaseline[]> {
    const rows = await this.d.all('SELECT scenario, selection, run_id, set_at FROM baselines ORDER BY scenario, selection');
    return rows.map((r) => ({ scenario: r.scenario as string, selection: JSON.parse(r.selection as string) as Labels, runId: r.run_id as string, setAt: r.set_at as string }));
  }

  /** Each run's summary of each point and metric, oldest run first (the trend figures' data). */
  async trendRows(scenario: string, where: Labels, metrics?: string[]): Promise<TrendRow[]> {
    const w = whereLabels(where);
    const only = metrics?.length ? ` AND su.metric IN (${metrics.map(() => '?').join(', ')})` : '';
    const rows = await this.d.all(
      `SELECT r.id AS run, COALESCE(r.started, r.added) AS time, p.point_label AS label, p.variant, su.metric, su.n, su.median, su.ci_low, su.ci_high
         FROM runs r JOIN points p ON p.run_id = r.id JOIN summaries su ON su.point_id = p.id
        WHERE r.scenario = ?${w.sql}${only} ORDER BY time, r.id, p.point_key, su.metric`,
      [scenario, ...w.params, ...(metrics ?? [])],
    );
    const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
    return rows.map((r) => ({ run: r.run as string, time: r.time as string, label: r.label as string, variant: r.variant as string, metric: r.metric as string, n: Number(r.n), median: num(r.median) ?? null, ciLow: num(r.ci_low), ciHigh: num(r.ci_high) }));
  }

  close(): Promise<void> {
    return this.d.close();
  }
}
