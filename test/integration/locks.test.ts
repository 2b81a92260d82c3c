// Two vfbench on the same hosts or the same run directory: the second stops before touching anything,
// naming the first; the first goes on and restores as usual.
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expectLabAsFound, labAvailable, linkUp, processesIn, restoreLabLinks, testLab, until } from '../helpers/lab.js';
import { CLI, scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

describe.skipIf(!labAvailable())('one vfbench at a time per host and per run directory', () => {
  afterEach(() => restoreLabLinks([testLab().ns.vm1, testLab().ns.vm2]));

  it('refuses a second run on busy hosts, and a resume or restore of a run that still goes on', async () => {
    const { inventoryPath, ns } = testLab();
    // netperf: it measures within 0.3 s of its start (sockperf sleeps 2 s first).
    const scenario = (name: string, seconds = 30) => scenarioFile(`name: ${name}\ninventory: ${inventoryPath}\n${VF_PV_VARIANTS}repeat: 1\ntests:\n  - tool: netperf\n    test: TCP_RR\n    duration: ${seconds}s\n`);
    const a = await scenario('it-lock-a');
    const first = execa(process.execPath, [...CLI, 'run', a.file, '--results', a.results, '--no-analyze'], { reject: false, all: true });
    try {
      await until('run A to measure', async () => !(await linkUp(ns.vm1, 'vf0')) && (await processesIn(ns.vm1)).includes('netperf'), 30_000);
      const runA = (await readdir(join(a.results, 'it-lock-a')))[0]!;
      const b = await scenario('it-lock-b');
      const second = await vfbench(['run', b.file, '--results', b.results, '--no-analyze']);
      expect(second.exitCode, second.all).toBe(4);
      expect(second.stderr).toContain('the hosts are busy: vm1: in use by vfbench run');
      expect(second.stderr).toContain(`vm2: in use by vfbench run ${runA}`);
      await expect(readdir(join(b.results, 'it-lock-b'))).rejects.toThrow(/ENOENT/); // nothing started
      const resume = await vfbench(['run', '--resume', join(a.results, 'it-lock-a', runA)]);
      expect(resume.exitCode, resume.all).toBe(4);
      expect(resume.stderr).toMatch(/is in use: vfbench run \(pid \d+/);
      const restore = await vfbench(['restore', join(a.results, 'it-lock-a', runA)]);
      expect(restore.exitCode, restore.all).toBe(4);
      expect(await linkUp(ns.vm1, 'vf0')).toBe(false); // run A's switch is untouched
      first.kill('SIGINT');
      expect((await first).exitCode).toBe(130);
    } finally {
      first.kill('SIGKILL');
    }
    await expectLabAsFound(ns);
    // Once A is over, B runs (its locks are gone with its agents).
    const b2 = await scenario('it-lock-b2', 1);
    const after = await vfbench(['run', b2.file, '--results', b2.results, '--no-analyze']);
    expect(after.exitCode, after.all).toBe(0);
  }, 180_000);
});
