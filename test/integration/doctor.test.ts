// vfbench doctor against the lab's hosts over SSH.
import { describe, expect, it } from 'vitest';
import { labAvailable, testLab } from '../helpers/lab.js';
import { scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

describe.skipIf(!labAvailable())('vfbench doctor', () => {
  it('reports tools, versions and interfaces of every host, and a missing interface', async () => {
    const { inventoryPath } = testLab();
    const s = await scenarioFile(`name: it-doctor
inventory: ${inventoryPath}
${VF_PV_VARIANTS.replace('pv: { controller: guest-link, interface: vf0', 'pv: { controller: guest-link, interface: eth9')}repeat: 1
tests:
  - tool: netperf
    test: TCP_RR
  - tool: iperf3
`);
    const r = await vfbench(['doctor', s.file, '--json']);
    expect(r.exitCode, r.stderr).toBe(4); // a problem of the hosts: the environment
    const hosts = JSON.parse(r.stdout) as { host: string; problems: string[]; notes: string[]; facts: { tools: Record<string, string> } }[];
    expect(hosts.map((h) => h.host)).toEqual(['vm1', 'vm2']);
    for (const h of hosts) {
      expect(h.facts.tools).toMatchObject({ netperf: '2.7.0', netserver: '2.7.0', iperf3: '3.12' });
      expect(h.problems).toEqual([expect.stringMatching(/^interface eth9 does not exist \(interfaces: .*vf0.*\)$/)]);
      // Each host is checked for its part: vm1 the client's binaries, vm2 the server's.
      const netperf = h.host === 'vm1' ? 'netperf 2.7.0' : 'netserver 2.7.0';
      expect(h.notes).toEqual(expect.arrayContaining([netperf, 'iperf3 3.12', 'interface vf0: up, mtu 1500, driver veth']));
      expect(h.notes).not.toContain(h.host === 'vm1' ? 'netserver 2.7.0' : 'netperf 2.7.0');
      // The lab's "VF" is a veth: discovery must not pair anything there (no device, no lower_* link).
      expect(h.notes).toContain('no VF device found (no interface with a known VF driver)');
      expect(h.notes.some((n) => n.includes('paired with'))).toBe(false);
    }
  });

  it('with --install finds nothing to install on hosts that have every tool', async () => {
    const { inventory } = testLab();
    const vm1 = inventory.hosts.vm1!;
    const r = await vfbench(['doctor', '--host', vm1.ssh, '--key', vm1.key, '--known-hosts', vm1.known_hosts, '--install', '--dry-run']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`host1 (${vm1.ssh}): ok`);
    expect(r.stdout).toContain('nothing to install');
  });
});
