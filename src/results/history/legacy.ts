// The history file of vfbench ≤ 0.2 (sql.js): runs, samples (one row per point key and metric, the point's
// dimensions in one pipe-joined key, the repetition values as JSON text), one baseline per scenario.
// Migration 1 converts it in place: the old tables set aside, the new ones filled from them, the old dropped.
import { pointOfKey } from '../tables.js';
import { upgradeLegacyKey } from '../point.js';
import type { Conn, Row } from './driver.js';
import { writePoints } from './rows.js';
import type { HistoryPoint } from './types.js';

/** The old file's user_version (1: vfbench 0.1, keys without the background rate; 2), or undefined. */
export async function isLegacyHistory(c: Conn): Promise<number | undefined> {
  const vals = await c.all("SELECT name FROM pragma_table_info('samples') WHERE name = 'vals'");
  if (vals.length === 0) return undefined;
  return Number((await c.all('PRAGMA user_version'))[0]?.user_version ?? 0);
}

export async function setAsideLegacy(c: Conn): Promise<void> {
  await c.exec(`DROP INDEX IF EXISTS runs_by_scenario;
ALTER TABLE samples RENAME TO legacy_samples;
ALTER TABLE baselines RENAME TO legacy_baselines;
ALTER TABLE runs RENAME TO legacy_runs;`);
}

/** A key's dimensions, as the tables split it (0.1's grouped keys, <group> without its pair, included). */
function dimensions(key: string, variant: string): Omit<HistoryPoint, 'key' | 'label' | 'variant' | 'latencyKind' | 'metrics'> {
  const p = pointOfKey(key, variant);
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    test: str(p.test),
    tool: str(p.tool),
    mode: str(p.mode),
    protocol: str(p.protocol),
    sizeBytes: num(p.size_bytes),
    streams: num(p.streams),
    bgRatePktS: num(p.bg_rate_pkt_s),
    pair: num(p.pair),
    group: str(p.group),
  };
}

function legacyPoints(rows: Row[], version: number): HistoryPoint[] {
  const byKey = new Map<string, HistoryPoint>();
  for (const r of rows) {
    // Version 1 left the background rate out of the key: put back from the label, which has it.
    const key = version === 1 ? upgradeLegacyKey(r.key as string, r.label as string) : (r.key as string);
    let p = byKey.get(key);
    if (!p) byKey.set(key, (p = { key, label: r.label as string, variant: r.variant as string, latencyKind: (r.latency_kind as string | null) ?? undefined, ...dimensions(key, r.variant as string), metrics: {} }));
    const values = JSON.parse(r.vals as string) as number[];
    // The old file kept the values in repetition order without their indices: numbered 1, 2, … here.
    p.metrics[r.metric as string] = {
      n: Number(r.n),
      median: (r.median as number | null) ?? null,
      ciLow: (r.ci_low as number | null) ?? undefined,
      ciHigh: (r.ci_high as number | null) ?? undefined,
      values,
      repetitions: values.map((_, i) => i + 1),
    };
  }
  return [...byKey.values()];
}

/** Fill the new tables from the set-aside old ones, one run at a time, then drop the old ones. */
export async function convertLegacy(c: Conn, version: number): Promise<void> {
  await c.run('INSERT INTO runs (id, scenario, started, ended, status, dir, added, vfbench) SELECT id, scenario, started, ended, status, dir, added, vfbench FROM legacy_runs');
  for (const { id } of await c.all('SELECT id FROM legacy_runs ORDER BY id')) {
    const rows = await c.all('SELECT key, label, variant, latency_kind, metric, n, median, ci_low, ci_high, vals FROM legacy_samples WHERE run_id = ? ORDER BY key, metric', [id as string]);
    await writePoints(c, id as string, legacyPoints(rows, version));
  }
  await c.run("INSERT INTO baselines (scenario, selection, run_id, set_at) SELECT scenario, '{}', run_id, set_at FROM legacy_baselines");
  await c.exec('DROP TABLE legacy_samples; DROP TABLE legacy_baselines; DROP TABLE legacy_runs;');
}
