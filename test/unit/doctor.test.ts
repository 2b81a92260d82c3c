import { describe, expect, it } from 'vitest';
import { checkFacts, installCommands } from '../../src/runner/doctor.js';
import { parseFacts } from '../../src/runner/facts.js';
import { toolOf } from '../../src/tools/registry.js';

// What the facts script prints on an Azure guest with an accelerated NIC (hv_netvsc eth0 paired with a mlx5 VF).
const AZURE = `kernel 6.8.0-1015-azure
cpus 8
cpu  Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz
if eth0 1500 up hv_netvsc - enP30832s1,
off eth0 tcp-segmentation-offload: on
off eth0 large-receive-offload: off [fixed]
if enP30832s1 1500 up mlx5_core 7870:00:02.0 -
if lo 65536 unknown - - -
tool sockperf 3.10
tool iperf3 3.16
`;

describe('host facts and doctor checks', () => {
  it('reads drivers, PCI addresses, offloads, VF pairing and tools', () => {
    const f = parseFacts('azureuser@vm1', AZURE);
    expect(f).toMatchObject({ kernel: '6.8.0-1015-azure', cpus: 8, cpuModel: 'Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz', tools: { sockperf: '3.10', iperf3: '3.16' } });
    expect(f.interfaces.find((i) => i.name === 'eth0')).toMatchObject({ driver: 'hv_netvsc', lower: ['enP30832s1'], offloads: { tso: true, lro: false } });
    expect(f.vfs.map((v) => [v.name, v.driver, v.bus])).toEqual([['enP30832s1', 'mlx5_core', '7870:00:02.0']]);
  });

  it('names what a scenario needs and the host lacks', () => {
    const c = checkFacts('vm1', parseFacts('azureuser@vm1', AZURE), ['sockperf', 'netperf'], ['enP30832s1', 'eth9']);
    expect(c.missing).toEqual(['netperf', 'netserver']);
    expect(c.problems).toEqual(['netperf is not installed', 'netserver is not installed', expect.stringMatching(/^interface eth9 does not exist/)]);
    expect(c.notes).toEqual(expect.arrayContaining(['sockperf 3.10', 'VF enP30832s1: driver mlx5_core, PCI 7870:00:02.0, up', 'eth0 is paired with enP30832s1 (lower_* in sysfs)']));
  });

  it('asks of a host only what its part in the pairs needs: netserver of a server, netperf of a client, ping of no server', () => {
    const facts = parseFacts('vm2', AZURE);
    expect(checkFacts('vm2', facts, ['netperf', 'ping'], [], new Set(['server'])).missing).toEqual(['netserver']);
    expect(checkFacts('vm1', facts, ['netperf', 'ping'], [], new Set(['client'])).missing).toEqual(['netperf', 'ping']);
  });

  it('refuses tool versions whose output vfbench cannot read', () => {
    const [netperf, iperf3] = [toolOf('netperf'), toolOf('iperf3')];
    expect(netperf.unsupportedVersion('netperf', '2.4.5')).toMatch(/2\.5\.0 or newer/);
    expect(netperf.unsupportedVersion('netserver', '2.4.5')).toMatch(/2\.5\.0 or newer/);
    expect(netperf.unsupportedVersion('netperf', '2.7.0')).toBeUndefined();
    expect(iperf3.unsupportedVersion('iperf3', '2.1.9')).toBeDefined();
    expect(iperf3.unsupportedVersion('iperf3', '3.16')).toBeUndefined();
    // A binary that runs but tells no version is not refused.
    expect(netperf.unsupportedVersion('netperf', 'present')).toBeUndefined();
  });

  it('plans installs per package manager, enabling the repository netperf lives in', () => {
    const debian = installCommands('apt', ['netperf', 'netserver', 'iperf3']);
    expect(debian[0]).toBe('apt-get update -q');
    expect(debian[1]).toContain('comp=non-free');
    expect(debian[1]).toContain('comp=multiverse'); // chosen on the host from /etc/os-release
    expect(debian.at(-1)).toBe('DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iperf3 netperf');
    expect(installCommands('apt', ['iperf3'])).toHaveLength(2); // no repository change without netperf
    expect(installCommands('dnf', ['sockperf'])).toEqual(['dnf install -y epel-release', 'dnf install -y sockperf']);
    expect(installCommands('dnf', ['sockperf'], { fedora: true })).toEqual(['dnf install -y sockperf']);
    expect(installCommands('zypper', ['iperf3', 'sockperf'])).toEqual(['zypper --non-interactive install iperf3 sockperf']);
    expect(installCommands('apt', [])).toEqual([]);
  });
});
