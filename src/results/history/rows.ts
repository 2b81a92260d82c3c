// A run's rows written and read back: runs + run_labels, points (one per point and variant, every
// dimension a column), samples (one per metric and repetition), summaries, verdicts.
import { insertMany, type Conn, type Param, type Row } from './driver.js';
import type { HistoryPoint, HistoryRun, HistoryVerdict, RunBundle } from './types.js';
import { pointOfKey } from '../tables.js';

const RUN_COLUMNS = ['id', 'scenario', 'started', 'ended', 'status', 'dir', 'added', 'vfbench'] as const;
const POINT_COLUMNS = ['run_id', 'point_key', 'point', 'point_label', 'test', 'tool', 'mode', 'protocol', 'size_bytes', 'streams', 'bg_rate_pkt_s', 'pair', '"group"', 'variant', 'latency_kind'];
const VERDICT_COLUMNS = [
  'candidate_run', 'baseline_runs', 'judged', 'point_key', 'point', 'point_label', 'variant', 'metric', 'verdict', 'baseline_median', 'candidate_median',
  'change_pct', 'improvement_pct', 'ci_low', 'ci_high', 'p_value', 'n_baseline', 'n_candidate', 'reason',
];

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const finiteOrNull = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Insert the run, or with `skipExisting` leave a run already there alone (returns false). Otherwise an
 * existing run is replaced: its row updated (baselines and verdicts that name it stay), its labels and
 * points (and with them samples and summaries) deleted and written again.
 */
export async function writeRunRow(c: Conn, run: HistoryRun, skipExisting: boolean): Promise<boolean> {
  const values = RUN_COLUMNS.map((k) => run[k]);
  const placeholders = RUN_COLUMNS.map(() => '?').join(', ');
  const onConflict = skipExisting ? 'DO NOTHING' : `DO UPDATE SET ${RUN_COLUMNS.slice(1).map((k) => `${k} = excluded.${k}`).join(', ')}`;
  const inserted = await c.all(`INSERT INTO runs (${RUN_COLUMNS.join(', ')}) VALUES (${placeholders}) ON CONFLICT (id) ${onConflict} RETURNING id`, values);
  if (inserted.length === 0) return false;
  await c.run('DELETE FROM run_labels WHERE run_id = ?', [run.id]);
  await c.run('DELETE FROM points WHERE run_id = ?', [run.id]);
  await insertMany(c, 'run_labels', ['run_id', 'name', 'value'], Object.entries(run.labels).map(([k, v]) => [run.id, k, v]));
  return true;
}

export async function writePoints(c: Conn, runId: string, points: HistoryPoint[]): Promise<void> {
  const rows: Param[][] = points.map((p) => [
    runId, p.key, String(pointOfKey(p.key, p.variant).point), p.label, p.test, p.tool, p.mode, p.protocol, p.sizeBytes, p.streams, p.bgRatePktS, p.pair, p.group, p.variant, p.latencyKind,
  ]);
  const ids = new Map((await insertMany(c, 'points', POINT_COLUMNS, rows, 'RETURNING id, point_key')).map((r) => [r.point_key as string, Number(r.id)]));
  const samples: Param[][] = [];
  const summaries: Param[][] = [];
  for (const p of points) {
    const id = ids.get(p.key)!;
    for (const [metric, m] of Object.entries(p.metrics)) {
      // NaN as NULL on both backends (PostgreSQL would keep 'NaN', SQLite a NULL): the same answers from either.
      summaries.push([id, metric, m.n, finiteOrNull(m.median), finiteOrNull(m.ciLow), finiteOrNull(m.ciHigh)]);
      m.values.forEach((v, i) => samples.push([id, metric, m.repetitions[i] ?? i + 1, finiteOrNull(v)]));
    }
  }
  await insertMany(c, 'summaries', ['point_id', 'metric', 'n', 'median', 'ci_low', 'ci_high'], summaries);
  await insertMany(c, 'samples', ['point_id', 'metric', 'repetition', 'value'], samples);
}

/** A candidate's verdicts replace those of an earlier judgement of the same run. */
export async function writeVerdicts(c: Conn, runId: string, v: NonNullable<RunBundle['verdicts']>): Promise<void> {
  await c.run('DELETE FROM verdicts WHERE candidate_run = ?', [runId]);
  const rows = v.rows.map((r) => [
    runId, v.baselineRuns.join(' '), v.judged, r.pointKey, String(pointOfKey(r.pointKey, r.variant).point), r.point, r.variant, r.metric, r.verdict, r.baselineMedian, r.candidateMedian,
    r.changePct, r.improvementPct, r.ciLow, r.ciHigh, r.pValue, r.nBaseline, r.nCandidate, r.reason,
  ]);
  await insertMany(c, 'verdicts', VERDICT_COLUMNS, rows);
}

export function runFromRow(r: Row, labels: Record<string, string> = {}): HistoryRun {
  return {
    id: r.id as string,
    scenario: r.scenario as string,
    started: opt(r.started),
    ended: opt(r.ended),
    status: opt(r.status),
    dir: opt(r.dir),
    added: r.added as string,
    vfbench: opt(r.vfbench),
    labels,
  };
}

/** A run's points with their metrics: three queries (points, summaries, samples), each row only its own columns. */
export async function readPoints(c: Conn, runId: string): Promise<HistoryPoint[]> {
  const pointRows = await c.all(
    `SELECT id, point_key, point_label AS label, test, tool, mode, protocol, size_bytes, streams, bg_rate_pkt_s, pair, "group" AS grp, variant, latency_kind
       FROM points WHERE run_id = ? ORDER BY point_key`,
    [runId],
  );
  const byId = new Map(pointRows.map((r) => [Number(r.id), pointFromRow(r)]));
  const summaries = await c.all(
    'SELECT su.point_id, su.metric, su.n, su.median, su.ci_low, su.ci_high FROM summaries su JOIN points p ON p.id = su.point_id WHERE p.run_id = ? ORDER BY su.point_id, su.metric',
    [runId],
  );
  for (const r of summaries) {
    byId.get(Number(r.point_id))!.metrics[r.metric as string] = { n: Number(r.n), median: optNum(r.median) ?? null, ciLow: optNum(r.ci_low), ciHigh: optNum(r.ci_high), values: [], repetitions: [] };
  }
  const samples = await c.all(
    'SELECT s.point_id, s.metric, s.repetition, s.value FROM samples s JOIN points p ON p.id = s.point_id WHERE p.run_id = ? ORDER BY s.point_id, s.metric, s.repetition',
    [runId],
  );
  for (const r of samples) {
    const m = byId.get(Number(r.point_id))!.metrics[r.metric as string];
    if (!m) continue; // a sample without a summary: not written by vfbench
    m.values.push(r.value === null ? NaN : Number(r.value));
    m.repetitions.push(Number(r.repetition));
  }
  return [...byId.values()];
}

function pointFromRow(r: Row): HistoryPoint {
  return {
    key: r.point_key as string,
    label: r.label as string,
    variant: r.variant as string,
    latencyKind: opt(r.latency_kind),
    test: opt(r.test),
    tool: opt(r.tool),
    mode: opt(r.mode),
    protocol: opt(r.protocol),
    sizeBytes: optNum(r.size_bytes),
    streams: optNum(r.streams),
    bgRatePktS: optNum(r.bg_rate_pkt_s),
    pair: optNum(r.pair),
    group: opt(r.grp),
    metrics: {},
  };
}

export async function readVerdicts(c: Conn, runId: string): Promise<RunBundle['verdicts']> {
  const rows = await c.all(`SELECT * FROM verdicts WHERE candidate_run = ? ORDER BY point_key, metric`, [runId]);
  if (rows.length === 0) return undefined;
  const verdict = (r: Row): HistoryVerdict => ({
    pointKey: r.point_key as string,
    point: r.point_label as string,
    variant: r.variant as string,
    metric: r.metric as string,
    verdict: r.verdict as string,
    baselineMedian: optNum(r.baseline_median),
    candidateMedian: optNum(r.candidate_median),
    changePct: optNum(r.change_pct),
    improvementPct: optNum(r.improvement_pct),
    ciLow: optNum(r.ci_low),
    ciHigh: optNum(r.ci_high),
    pValue: optNum(r.p_value),
    nBaseline: Number(r.n_baseline),
    nCandidate: Number(r.n_candidate),
    reason: (r.reason as string | null) ?? '',
  });
  const first = rows[0]!;
  return { baselineRuns: String(first.baseline_runs).split(' ').filter(Boolean), judged: first.judged as string, rows: rows.map(verdict) };
}
