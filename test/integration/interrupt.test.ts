// Ctrl-C (or SIGTERM, or a closed terminal's SIGHUP) in the middle of a trial: the trial in flight stops, the interfaces come back up, nothing is left running.
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../src/results/manifest.js';
import { expectLabAsFound, labAvailable, linkUp, processesIn, testLab, until, restoreLabLinks } from '../helpers/lab.js';
import { CLI, onlyRunDir, scenarioFile, VF_PV_VARIANTS } from '../helpers/cli.js';

describe.skipIf(!labAvailable())('interrupting a run', () => {
  // A test that fails half-way must not leave the shared lab changed for the next ones.
  afterEach(() => restoreLabLinks([testLab().ns.vm1, testLab().ns.vm2]));
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s mid-trial restores vf0 on both VMs and leaves no tool running', async (signal) => {
    const { inventoryPath, ns } = testLab();
    const s = await scenarioFile(`name: it-interrupt
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 1
tests:
  - tool: sockperf
    sizes: [64]
    duration: 30s
`);
    const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results], { reject: false, all: true });
    try {
      // The first trial is the baseline: vf0 is down in both guests while its client runs.
      await until(
        'the pv trial to be running',
        async () => !(await linkUp(ns.vm1, 'vf0')) && !(await linkUp(ns.vm2, 'vf0')) && (await processesIn(ns.vm1)).includes('sockperf'),
        30_000,
      );
      const t0 = Date.now();
      child.kill(signal);
      const r = await child;
      expect(Date.now() - t0).toBeLessThan(15_000); // well before the 30 s trial would have ended
      expect(r.exitCode, r.all).toBe(130);
      expect(r.all).toContain('resume with: vfbench run --resume');
    } finally {
      child.kill('SIGKILL');
    }
    await expectLabAsFound(ns);
    const dir = await onlyRunDir(s.results, 'it-interrupt');
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.status).toBe('interrupted');
    expect(m.restoreProblems).toBeUndefined();
    // The trial in flight is not a result.
    const recs = await readFile(join(dir, 'records.jsonl'), 'utf8').catch(() => '');
    expect(recs.trim()).toBe('');
    // Ids of interrupted runs still resume from the same plan.
    const plan = await execa(process.execPath, [...CLI, 'plan', s.file, '--json']);
    expect(JSON.parse(plan.stdout).trials.map((t: { id: string }) => t.id)).toEqual(m.plan.trials.map((t) => t.id));
  });

  it('SIGINT while the background load runs its lead: the load and the waiting client end at once', async () => {
    const { inventoryPath, ns } = testLab();
    const s = await scenarioFile(`name: it-interrupt-lead
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 1
tests:
  - tool: sockperf
    sizes: [64]
    duration: 5s
    background: { tool: iperf3, rates: [1000], size: 256, lead: 60s }
`);
    const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results], { reject: false, all: true });
    try {
      // The load runs (iperf3 client in vm1), the measured client is not started yet: the start request waits.
      await until('the lead', async () => (await processesIn(ns.vm1)).includes('iperf3'), 30_000);
      const t0 = Date.now();
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode, r.all).toBe(130);
      expect(Date.now() - t0).toBeLessThan(30_000); // it did not sit out the 60 s lead
    } finally {
      child.kill('SIGKILL');
    }
    await expectLabAsFound(ns);
    const m = JSON.parse(await readFile(join(await onlyRunDir(s.results, 'it-interrupt-lead'), 'manifest.json'), 'utf8')) as Manifest;
    expect(m.status).toBe('interrupted');
  });
});
