// A run survives what real fleets do to it: connections dropped mid-trial, a host whose sshd is gone for
// good, vfbench itself killed with SIGKILL at each phase of a trial and resumed (VFBENCH_FAULT picks the
// point), a resume whose first restore fails, an uncaught error. Nothing is lost, doubled, left running or
// left switched.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, readdir } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/results/manifest.js';
import { RunDir } from '../../src/results/run-dir.js';
import { labDown, labLayout, labUp } from '../../src/lab/lab.js';
import { expectLabAsFound, killSessions, labAvailable, linkUp, processesIn, restoreLabLinks, testLab, until } from '../helpers/lab.js';
import { CLI, onlyRunDir, records, scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

/** Lines of records.jsonl so far (0 before the first trial ends). */
async function recordCount(results: string, name: string): Promise<number> {
  const dir = await onlyRunDir(results, name).catch(() => undefined);
  if (!dir) return 0;
  return (await readFile(join(dir, 'records.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
}

/** Two netperf trials of 1 s on the test lab, pv then vf: each phase of a trial is reached once per trial. */
async function crashScenario(name: string) {
  return scenarioFile(`name: ${name}
inventory: ${testLab().inventoryPath}
${VF_PV_VARIANTS}repeat: 1
tests:
  - tool: netperf
    test: [TCP_RR]
    duration: 1s
`);
}

const manifest = async (dir: string) => JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;

/** The run is whole: complete, one record per planned trial (none twice), all ok, no folder left in /tmp. */
async function expectWholeRun(dir: string): Promise<void> {
  const m = await manifest(dir);
  expect(m.status).toBe('complete');
  const recs = await records(dir);
  expect(recs.map((x) => x.trial).sort()).toEqual(m.plan.trials.map((t) => t.id).sort());
  expect(recs.every((x) => x.status === 'ok'), JSON.stringify(recs.map((x) => x.failure))).toBe(true);
  expect((await readdir('/tmp')).filter((f) => f.startsWith(`vfbench.${m.id}`))).toEqual([]);
}

/**
 * After a failed assertion, what a killed run left (its agents keep the hosts locked for their grace) is
 * ended, so that the next test finds the lab free: `vfbench restore` does that for a run directory.
 */
async function endDeadRun(results: string): Promise<void> {
  const dirs = await readdir(results).then((names) => names.map((n) => join(results, n)), () => []);
  for (const scenario of dirs) for (const run of await readdir(scenario).catch(() => [])) await vfbench(['restore', join(scenario, run)]);
}

/** Four netperf trials of 2 s on the test lab, run in the background as a user runs vfbench. */
async function startRun(name: string) {
  const s = await scenarioFile(`name: ${name}
inventory: ${testLab().inventoryPath}
${VF_PV_VARIANTS}repeat: 2
tests:
  - tool: netperf
    test: [TCP_RR]
    duration: 2s
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
        await until(`trial ${done + 1} to measure`, async () => (await recordCount(s.results, 'it-drop')) === done && (await processesIn(ns.vm1)).includes('netperf'), 60_000);
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
  - tool: netperf
    test: TCP_RR
    duration: 1s
`);
      const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results, '--no-analyze'], { reject: false, all: true });
      await until('a trial of pair 2 to measure', async () => (await recordCount(s.results, 'it-gone')) >= 1 && (await processesIn(l.namespaces.vm3!)).includes('netperf'), 60_000);
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

  // Kill -9 at each phase of a trial (VFBENCH_FAULT picks the point): the second trial dies there, after
  // the first was recorded. Resume must end what the dead session left (its agents, tools, folders, a torn
  // record) and finish: every planned trial recorded once, the lab as found.
  it.each([
    ['server-start', 2],
    ['measuring', 2],
    ['fetching', 3], // the 3rd file transfer: the second trial's client files (each trial fetches from both VMs)
    ['appending', 2],
  ] as const)('kill -9 while %s: run --resume finishes, nothing lost or doubled, nothing left', async (phase, nth) => {
    const { ns } = testLab();
    const s = await crashScenario(`it-kill-${phase}`);
    try {
      const killed = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { VFBENCH_FAULT: `kill:${phase}:${nth}` } });
      expect(killed.signal, killed.all).toBe('SIGKILL');
      const dir = await onlyRunDir(s.results, `it-kill-${phase}`);
      const text = await readFile(join(dir, 'records.jsonl'), 'utf8');
      // One whole record of the first trial; a torn half of the second when the kill came mid-append.
      expect(text.split('\n').filter(Boolean)).toHaveLength(phase === 'appending' ? 2 : 1);
      expect(text.endsWith('\n')).toBe(phase !== 'appending');
      if (phase === 'server-start' || phase === 'measuring') expect(await processesIn(ns.vm2)).toEqual(expect.arrayContaining(['netserver']));
      if (phase === 'measuring') {
        // A resume killed in its turn: the hosts stay locked for this run by the resumed session's agents
        // (the dead session's agents, ended by the resume, gave their locks up).
        const again = await vfbench(['run', '--resume', dir, '--no-analyze'], { env: { VFBENCH_FAULT: 'kill:measuring:1' } });
        expect(again.signal, again.all).toBe('SIGKILL');
        for (const vm of [ns.vm1, ns.vm2]) {
          const lock = JSON.parse(await readFile(`/tmp/vfbench-host.${statSync(`/run/netns/${vm}`).ino}.lock`, 'utf8')) as { run: string; pid: number };
          expect(lock.run).toBe((await manifest(dir)).id);
          expect(existsSync(`/proc/${lock.pid}`), `${vm}: lock held by pid ${lock.pid}`).toBe(true);
        }
      }
      const r = await vfbench(['run', '--resume', dir, '--no-analyze']);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toContain('1 trials to run (1 already recorded)');
      if (phase === 'appending') {
        expect(r.all).toMatch(/records\.jsonl: its last line was torn .* that trial runs again/);
        expect(await readFile(join(dir, 'records.jsonl.torn'), 'utf8')).toBe(`${text.split('\n').at(-1)}\n`);
      } else {
        expect(r.all).toMatch(/vm1: removed \/tmp\/vfbench\.[^ ]+ of an earlier session of this run \(stopped its agent/);
      }
      await expectWholeRun(dir);
      await expectLabAsFound(ns);
    } finally {
      await endDeadRun(s.results);
      await restoreLabLinks([ns.vm1, ns.vm2]);
    }
  });

  it('kill -9 right after switching leaves the hosts switched; a resume whose first restore fails keeps the originals; restore and resume finish', async () => {
    const { ns } = testLab();
    const s = await crashScenario('it-kill-switching');
    try {
      // The baseline (pv: vf0 down) goes first: the dead run leaves both VMs on it.
      const killed = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { VFBENCH_FAULT: 'kill:switching:1' } });
      expect(killed.signal, killed.all).toBe('SIGKILL');
      const dir = await onlyRunDir(s.results, 'it-kill-switching');
      expect([await linkUp(ns.vm1, 'vf0'), await linkUp(ns.vm2, 'vf0')]).toEqual([false, false]);
      const originals = (await manifest(dir)).originalPathState;
      expect(originals.map((o) => [o.host, o.controller, o.state.up]).sort()).toEqual([['vm1', 'guest-link', true], ['vm2', 'guest-link', true]]);
      // The resume cannot put them back (its first restore fails): it stops, and the originals stay on record.
      const failed = await vfbench(['run', '--resume', dir, '--no-analyze'], { env: { VFBENCH_FAULT: 'fail:resume-restore' } });
      expect(failed.exitCode, failed.all).not.toBe(0);
      expect(failed.all).toContain('fault injected by VFBENCH_FAULT=fail:resume-restore');
      expect((await manifest(dir)).originalPathState).toEqual(originals);
      expect((await manifest(dir)).status).toBe('failed');
      const restored = await vfbench(['restore', dir]);
      expect(restored.exitCode, restored.all).toBe(0);
      expect([await linkUp(ns.vm1, 'vf0'), await linkUp(ns.vm2, 'vf0')]).toEqual([true, true]);
      const r = await vfbench(['run', '--resume', dir, '--no-analyze']);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toMatch(/^2 trials to run, /m);
      await expectWholeRun(dir);
      await expectLabAsFound(ns);
    } finally {
      await endDeadRun(s.results);
      await restoreLabLinks([ns.vm1, ns.vm2]);
    }
  });

  it('an uncaught error in the live switchover: the run stops, restores, writes its manifest, exits 70; resume finishes', async () => {
    const { ns } = testLab();
    const s = await scenarioFile(`name: it-throw
inventory: ${testLab().inventoryPath}
${VF_PV_VARIANTS}repeat: 1
tests:
  - tool: sockperf
    mode: under-load
    reply_every: 1
    mps: 2000
    sizes: [64]
    duration: 3s
    switchover: { start: vf, steps: [{ at: 1s, variant: pv }] }
`);
    try {
      const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { VFBENCH_FAULT: 'throw:switchover' } });
      expect(r.exitCode, r.all).toBe(70);
      expect(r.all).toMatch(/unexpected error: fault injected by VFBENCH_FAULT=throw:switchover; stopping and restoring the path state/);
      const dir = await onlyRunDir(s.results, 'it-throw');
      expect((await manifest(dir)).status).toBe('interrupted');
      await expectLabAsFound(ns);
      const resumed = await vfbench(['run', '--resume', dir, '--no-analyze']);
      expect(resumed.exitCode, resumed.all).toBe(0);
      const latest = await (await RunDir.open(dir)).latestRecords();
      expect(latest.map((x) => x.status)).toEqual(['ok']);
      expect(latest[0]!.switchover!.switches.map((x) => x.variant)).toEqual(['pv']);
      await expectLabAsFound(ns);
    } finally {
      await restoreLabLinks([ns.vm1, ns.vm2]);
    }
  });
});
