// Run the built CLI as a child process, as a user would.
import { execa, type ResultPromise } from 'execa';
import { mkdtemp, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../src/results/run-dir.js';
import type { TrialRecord } from '../../src/results/record.js';

export const CLI = ['dist/cli/main.js'];

export function vfbench(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, [...CLI, ...args], { reject: false, all: true, timeout: opts.timeoutMs ?? 300_000, env: opts.env }) as never;
}

/** A scratch folder with a scenario file in it; returns the scenario path and a results root. */
export async function scenarioFile(yaml: string): Promise<{ file: string; results: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vfb-scn-'));
  const file = join(dir, 'scenario.yaml');
  await writeFile(file, yaml);
  return { file, results: join(dir, 'results'), dir };
}

/** The single run directory under results/<scenario>/. */
export async function onlyRunDir(results: string, scenario: string): Promise<string> {
  const runs = await readdir(join(results, scenario));
  if (runs.length !== 1) throw new Error(`expected one run under ${results}/${scenario}, found ${runs.length}`);
  return join(results, scenario, runs[0]!);
}

/** The usual two variants: the VF (vf0) up, or down so that traffic falls back to the synthetic path. */
export const VF_PV_VARIANTS = `variants:
  vf: { controller: guest-link, interface: vf0, state: up }
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
`;

/** Every record of a run directory, in the order they were appended (RunDir reads them as analyze does). */
export async function records(dir: string): Promise<TrialRecord[]> {
  return (await RunDir.open(dir)).readRecords();
}

/** A lab host as a scenario `hosts:` entry, for scenarios that add other hosts next to the lab's. */
export function labHostYaml(h: { ssh: string; data: string; key: string; known_hosts: string }): string {
  return `{ ssh: ${h.ssh}, data: ${h.data}, key: ${h.key}, known_hosts: ${h.known_hosts} }`;
}
