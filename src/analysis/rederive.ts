// analyze derives every trial's CPU cost, background rate and switchover segments again from raw/ and the
// record's evidence, with today's code: a fixed derivation applies to runs made before it. Records without
// evidence (vfbench 0.1) keep the values the runner derived then.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunDir } from '../results/run-dir.js';
import type { TrialRecord } from '../results/record.js';
import { readArrivals } from '../results/sample-store.js';
import { deriveTrial, isDerivedMetric, type DerivationInputs } from './trial-derived.js';

const text = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/** One record with its derived values computed from its raw files; `problem` when they no longer derive. */
export async function rederive(dir: RunDir, r: TrialRecord, samplingIntervalS: number | undefined): Promise<{ record: TrialRecord; problem?: string }> {
  const ev = r.evidence;
  if (!ev || r.status === 'failed') return { record: r };
  const samplers: DerivationInputs['samplers'] = [];
  for (const role of ['client', 'server'] as const) {
    const t = await text(dir.rawPath(r.trial, `${role}.samples`));
    if (t !== undefined) samplers.push({ name: ev.hosts[role], role, text: t });
  }
  const toolMetrics = Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !isDerivedMetric(k)));
  const bg = r.background ? { spec: r.background, stdout: await text(dir.rawPath(r.trial, 'bg-client.stdout')) } : undefined;
  const switchover = r.switchover && r.samples ? { ...(await readArrivals(join(dir.path, r.samples.series), ev.clientStart)), lost: r.switchover.lost, start: r.variant } : undefined;
  const d = deriveTrial({ evidence: ev, toolMetrics, samplers, samplingIntervalS: samplingIntervalS ?? r.sampling?.intervalS, background: bg, switchover });
  if (d.problem) return { record: r, problem: `${r.trial}: ${d.problem}` };
  const record: TrialRecord = { ...r, metrics: { ...toolMetrics, ...d.metrics } };
  for (const k of ['sampling', 'background', 'switchover'] as const) {
    if (d[k] !== undefined) (record as unknown as Record<string, unknown>)[k] = d[k];
    else delete record[k];
  }
  return { record };
}

/** Every record of a run, derived again (in order, one trial's raw files in memory at a time). */
export async function rederiveAll(dir: RunDir, records: TrialRecord[], samplingIntervalS: number | undefined): Promise<{ records: TrialRecord[]; problems: string[] }> {
  const out: TrialRecord[] = [];
  const problems: string[] = [];
  for (const r of records) {
    const x = await rederive(dir, r, samplingIntervalS);
    out.push(x.record);
    if (x.problem) problems.push(x.problem);
  }
  return { records: out, problems };
}
