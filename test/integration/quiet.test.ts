// The harness is a quiet guest: between the client's start and its end, vfbench spawns nothing on either
// measured host (no command, no login, no sampler process), and a trial costs two round trips per host.
// Proven with the kernel's own process events (the proc connector), not with vfbench's word.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labAvailable, loginsTo, testLab } from '../helpers/lab.js';
import { onlyRunDir, records, scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

interface Fork {
  t: number;
  parent: number;
  comm: string;
  ns: string;
  child: number;
}

/**
 * Is `pid` vfbench's (the agent, sshd, or a process they started that is not a tool's own)? Walks up the
 * fork events: a `timeout` (each job's bound) on the way means the tool's tree; python3 or sshd, vfbench's.
 */
function fromVfbench(forks: Fork[], pid: number): boolean {
  const parentOf = new Map(forks.map((f) => [f.child, f.parent]));
  const comm = new Map(forks.map((f) => [f.parent, f.comm]));
  for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 50; p = parentOf.get(p), hops++) {
    const c = comm.get(p);
    if (c === 'timeout') return false;
    if (c?.startsWith('python3') || c === 'sshd') return true;
  }
  return false;
}

describe('the fork-event analysis', () => {
  it('counts a helper started before the window that forks during it as vfbench\'s, a tool\'s own forks not', () => {
    const ev = (t: number, parent: number, comm: string, child: number): Fork => ({ t, parent, comm, ns: 'x', child });
    const forks = [ev(1, 100, 'python3', 200), ev(2, 200, 'sh', 300), ev(3, 100, 'python3', 400), ev(4, 400, 'timeout', 500), ev(5, 500, 'sockperf', 600)];
    expect(fromVfbench(forks, 200)).toBe(true); // a shell loop of the agent's (the old sampler)
    expect(fromVfbench(forks, 400)).toBe(false); // timeout, the job's bound, forking the tool
    expect(fromVfbench(forks, 500)).toBe(false); // the tool itself
    expect(fromVfbench(forks, 100)).toBe(true);
  });
});

describe.skipIf(!labAvailable())('a quiet guest', () => {
  it('spawns nothing on the measured hosts while the client runs, and costs two round trips per host per trial', async () => {
    const { inventoryPath, ns, inventory } = testLab();
    const watcher = execa('python3', ['test/helpers/forkwatch.py', ns.vm1, ns.vm2], { reject: false, buffer: { stdout: true } });
    await new Promise<void>((resolve) => watcher.stdout!.once('data', () => resolve()));
    const mgmt = (vm: string) => inventory.hosts[vm]!.ssh.split('@')[1]!;
    const logins0 = [await loginsTo(mgmt('vm1')), await loginsTo(mgmt('vm2'))];
    let forks: Fork[] = [];
    let dir: string;
    try {
      const s = await scenarioFile(`name: it-quiet
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 1
sampling: { interval: 0.1s }
tests:
  - tool: sockperf
    sizes: [64]
    duration: 2s
  - tool: netperf
    test: [TCP_RR]
    duration: 2s
`);
      const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze']);
      expect(r.exitCode, r.all).toBe(0);
      dir = await onlyRunDir(s.results, 'it-quiet');
    } finally {
      watcher.kill('SIGTERM');
      const out = await watcher;
      forks = String(out.stdout)
        .split('\n')
        .filter((l) => l.startsWith('{"t"'))
        .map((l) => JSON.parse(l) as Fork);
    }
    // vfbench acts on a host only through its agent (python3), a process the agent started, or a new SSH
    // session (sshd). The tools' own process trees (under the `timeout` that bounds each job) are theirs.
    const ours = forks.filter((f) => fromVfbench(forks, f.parent));
    // The watcher sees them: every job the agents started (servers, clients) is such a fork.
    const recs = await records(dir);
    expect(recs).toHaveLength(4);
    expect(ours.length).toBeGreaterThanOrEqual(2 * recs.length);
    for (const rec of recs) {
      expect(rec.status, JSON.stringify(rec.failure)).toBe('ok');
      const [start, end] = (await readFile(join(dir, 'raw', `${rec.trial}.client.times`), 'utf8')).trim().split('\n').map(Number);
      expect(end! - start!).toBeGreaterThan(1.5);
      const during = ours.filter((f) => f.t > start! + 0.001 && f.t < end! - 0.001);
      expect(during, `${rec.trial}: spawned while the client ran`).toEqual([]);
      // Sampled every 0.1 s all the same, by the agent itself.
      expect(rec.sampling!.hosts.vm1!.samples).toBeGreaterThan(10);
      expect(rec.roundTrips).toEqual({ vm1: 2, vm2: 2 });
    }
    // One login per host for the whole run.
    expect([(await loginsTo(mgmt('vm1'))) - logins0[0]!, (await loginsTo(mgmt('vm2'))) - logins0[1]!]).toEqual([1, 1]);
  });
});
