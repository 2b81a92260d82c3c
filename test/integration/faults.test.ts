// A run survives what real fleets do to it: connections dropped mid-trial, a host whose sshd is gone for
// good, vfbench itself killed with SIGKILL and resumed. Nothing is lost, doubled, left running or left
// switched.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../src/runner/run.js';
import { labDown, labLayout, labUp } from '../../src/lab/lab.js';
import { expectLabAsFound, killSessions, labAvailable, linkUp, processesIn, restoreLabLinks, testLab, until } from '../helpers/lab.js';
import { CLI, onlyRunDir, records, scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

/** Lines of records.jsonl so far (0 before the first trial ends). */
async function recordCount(results: string, name: string): Promise<number> {
  const dir = await onlyRunDir(results, name).catch(() => undefined);
  if (!dir) return 0;
  return (await readFile(join(dir, 'records.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
}

/** Four sockperf trials of 3 s on the test lab, run in the background as a user runs vfbench. */
async function startRun(name: string) {
  const s = await scenarioFile(`name: ${name}
inventory: ${testLab().inventoryPath}
${VF_PV_VARIANTS}repeat: 2
tests:
  - tool: sockperf
    sizes: [64]
    duration: 3s
`);
  return { s, child: execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results, '--no-analyze'], { reject: false, all: true }) };
}

describe.skipIf(!labAvailable())('faults', () => {
  it('survives connections killed mid-trial: reconnects, adopts the trial, later trials ok, path restored', async () => {
    const { ns } = testLab();
    const { s, child } = await startRun('it-drop');
    try {
      // During trial 2 the server VM's connection goes; during trial 3 the client VM's.
      for (const [done, vm] of [[1, ns.vm2], [2, ns.vm1]] as const) {
        await until(`trial ${done + 1} to measure`, async () => (await recordCount(s.results, 'it-drop')) === done && (await processesIn(ns.vm1)).includes('sockperf'), 60_000);
        await killSessions(vm);
      }
      const r = await child;
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toMatch(/vm2: connection lost .*reconnecting/);
      expect(r.all).toMatch(/vm2: reconnected after [\d.]+ s; its agent kept running/);
      expect(r.all).toMatch(/vm1: reconnected after [\d.]+ s; its agent kept running/);
      const recs = await records(await onlyRunDir(s.results, 'it-drop'));
      expect(recs.map((x) => [x.variant, x.status, x.verification?.observed])).toEqual([
        ['pv', 'ok', 'synthetic'],
        ['vf', 'ok', 'accelerated'],
        ['vf', 'ok', 'accelerated'],
        ['pv', 'ok', 'synthetic'],
      ]);
    } finally {
      child.kill('SIGKILL');
    }
    await expectLabAsFound(ns);
  });

  it('fails the trials of a host whose sshd is gone for good, with the cause, while the other pair goes on', async () => {
    // A lab of its own (two pairs): this test takes a VM's sshd away.
    const { options } = testLab();
    const o = { ...options, prefix: `${options.prefix}f`, block: options.block + 1, pairs: 2, rules: 200 };
    const l = labLayout(o);
    await labUp(o);
    try {
      const s = await scenarioFile(`name: it-gone
inventory: ${l.inventoryPath}
pairs:
  - { client: vm1, server: vm2 }
  - { client: vm3, server: vm4 }
${VF_PV_VARIANTS}repeat: 2
ssh: { reconnect_timeout: 2s, connect_timeout: 2s }
tests:
  - tool: sockperf
    sizes: [64]
    duration: 1s
`);
      const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results, '--no-analyze'], { reject: false, all: true });
      await until('a trial of pair 2 to measure', async () => (await recordCount(s.results, 'it-gone')) >= 1 && (await processesIn(l.namespaces.vm3!)).includes('sockperf'), 60_000);
      // vm4's sshd and its sessions go, and do not come back.
      process.kill(Number(await readFile(join(l.dir, 'vm4', 'sshd.pid'), 'utf8')), 'SIGKILL');
      await killSessions(l.namespaces.vm4!);
      const r = await child;
      expect(r.exitCode, r.all).toBe(1);
      const dir = await onlyRunDir(s.results, 'it-gone');
      const recs = await records(dir);
      expect(recs).toHaveLength(8);
      const pair = (p: number) => recs.filter((x) => x.point.pair === p);
      expect(pair(0).map((x) => x.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
      // The trial in flight and the later ones of pair 2 failed, each saying why.
      const failed = pair(1).filter((x) => x.status === 'failed');
      expect(failed.length).toBeGreaterThanOrEqual(3);
      for (const f of failed) expect(f.failure!.message).toMatch(/vm4(: connection lost| is unreachable)/);
      expect(r.all).toMatch(/vm4: unreachable: lost .*reconnecting failed/);
      // The other VMs were put back; vm4's restore could not be, and the run says so.
      const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(m.restoreProblems!.join('\n')).toMatch(/vm4/);
      expect(m.restoreProblems!.join('\n')).not.toMatch(/vm[123]:/);
      for (const vm of ['vm1', 'vm2', 'vm3']) expect(await linkUp(l.namespaces[vm]!, 'vf0'), vm).toBe(true);
      expect(await processesIn(l.namespaces.vm1!)).toEqual([]);
    } finally {
      await labDown(o);
    }
  });

  it('after kill -9 of vfbench, run --resume ends what the dead run left and finishes: nothing lost or doubled', async () => {
    const { ns } = testLab();
    const { s, child } = await startRun('it-kill9');
    try {
      await until('trial 2 to measure', async () => (await recordCount(s.results, 'it-kill9')) === 1 && (await processesIn(ns.vm1)).includes('sockperf'), 60_000);
      child.kill('SIGKILL');
      await child;
      // The dead run's agents keep its tools to their bound, waiting to be attached again.
      expect(await processesIn(ns.vm2)).toEqual(expect.arrayContaining(['sockperf']));
      const dir = await onlyRunDir(s.results, 'it-kill9');
      const r = await vfbench(['run', '--resume', dir, '--no-analyze']);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toContain('3 trials to run (1 already recorded)');
      expect(r.all).toMatch(/vm1: removed \/tmp\/vfbench\.[^ ]+ of an earlier session of this run \(stopped its agent/);
      const recs = await records(dir);
      expect(recs.map((x) => x.trial).sort()).toEqual(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).plan.trials.map((t: { id: string }) => t.id).sort());
      expect(recs.every((x) => x.status === 'ok')).toBe(true);
      await expectLabAsFound(ns);
      expect((await readdir('/tmp')).filter((f) => f.startsWith(`vfbench.${dir.split('/').pop()}`))).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await restoreLabLinks([ns.vm1, ns.vm2]);
    }
  });
});
