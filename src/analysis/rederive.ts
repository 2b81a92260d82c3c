// analyze derives every trial's CPU cost, background rate and switchover segments again from raw/ and the
// record's evidence, with today's code: a fixed derivation applies to runs made before it. Records without
// evidence (vfbench 0.1) keep the values the runner derived then.
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RunDir } from '../results/run-dir.js';
import type { TrialRecord } from '../results/record.js';
import { readArrivals } from '../results/sample-store.js';
import { deriveTrial, isDerivedMetric, type DerivationInputs } from './trial-derived.js';

const text = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/**
 * One record with its derived values computed from its raw files. When a file the record's values came
 * from is gone (raw/ pruned, a partial copy), the record keeps them and `problem` says which.
 */
async function rederive(dir: RunDir, r: TrialRecord, samplingIntervalS: number | undefined): Promise<{ record: TrialRecord; problem?: string }> {
  const ev = r.evidence;
  if (!ev || r.status === 'failed') return { record: r };
  // Only the files the trial listed (a leftover of an earlier attempt with the same id is not its own).
  const listed = async (suffix: string) => {
    const path = dir.rawPath(r.trial, suffix);
    return r.raw.includes(relative(dir.path, path)) ? text(path) : undefined;
  };
  const samplers: DerivationInputs['samplers'] = [];
  for (const role of ['client', 'server'] as const) {
    const t = await listed(`${role}.samples`);
    if (t !== undefined) samplers.push({ name: ev.hosts[role], role, text: t });
  }
  const kept = (what: string) => ({ record: r, problem: `${r.trial}: ${what} is missing` });
  if (r.sampling && samplers.length < Object.keys(r.sampling.hosts).length) return kept('a sampler output the CPU cost came from');
  const bgStdout = await listed('bg-client.stdout');
  if (r.background && r.background.targetPps > 0 && bgStdout === undefined) return kept("the background load's output");
  let switchover: DerivationInputs['switchover'];
  if (r.switchover) {
    const arrivals = r.samples ? await readArrivals(join(dir.path, r.samples.series), ev.clientStart).catch(() => undefined) : undefined;
    if (!arrivals) return kept('the sample store of the switchover');
    switchover = { ...arrivals, lost: r.switchover.lost, start: r.variant };
  }
  const toolMetrics = Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !isDerivedMetric(k)));
  const background = r.background ? { spec: r.background, stdout: bgStdout } : undefined;
  const d = deriveTrial({ evidence: ev, toolMetrics, samplers, samplingIntervalS: samplingIntervalS ?? r.sampling?.intervalS, background, switchover });
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
