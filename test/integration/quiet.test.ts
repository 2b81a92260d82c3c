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
    // vfbench acts on a host only through its agent (python3) or a new SSH session (sshd).
    const ours = forks.filter((f) => f.comm.startsWith('python3') || f.comm === 'sshd');
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
