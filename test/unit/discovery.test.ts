// VF discovery on real outputs from two Azure VMs (LISA's verify_sriov_single_vf_connection run log,
// mlx5 VFs on a Standard_* size with two NICs each) and on the lab.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { netvscPathPackets, pairVfs, parseEthtoolStats, parseIpLink, parseLowerLinks, parseLspci } from '../../src/paths/discovery.js';

const LOG = readFileSync('test/fixtures/lisa/verify_sriov_single_vf_connection.log', 'utf8').split('\n');

/** The stdout of LISA's command number `cmd` on node `node`, without the log prefixes. */
function stdoutOf(node: number, cmd: number): string {
  const tag = `.node[${node}].cmd[${cmd}].stdout `;
  return LOG.filter((l) => l.includes(tag)).map((l) => l.slice(l.indexOf(tag) + tag.length)).join('\n');
}

describe('VF discovery on a real Azure guest (LISA log)', () => {
  const lower = stdoutOf(0, 5110);
  const ip = stdoutOf(0, 3854);
  const lspci = stdoutOf(0, 1084) + '\n' + stdoutOf(0, 2887);

  it('reads the sysfs lower_* links', () => {
    expect(parseLowerLinks(lower)).toEqual([
      { synthetic: 'eth0', vf: 'enP31819s1', pci: '7c4b:00:02.0' },
      { synthetic: 'eth1', vf: 'enP41968s2', pci: 'a3f0:00:02.0' },
    ]);
  });

  it('reads ip addr: the VF is a SLAVE of its synthetic NIC and shares its MAC', () => {
    const links = parseIpLink(ip);
    const vf = links.find((l) => l.name === 'enP31819s1')!;
    expect(vf).toMatchObject({ master: 'eth0', mac: '7c:1e:52:3e:f0:ce', state: 'UP' });
    expect(vf.flags).toContain('SLAVE');
    expect(links.find((l) => l.name === 'eth0')!.mac).toBe('7c:1e:52:3e:f0:ce');
  });

  it('reads lspci ids and the driver in use', () => {
    const p = parseLspci(lspci);
    expect(p['7c4b:00:02.0']).toEqual({ id: '15b3:1016', driver: 'mlx5_core' });
    expect(p['0000:00:08.0']).toEqual({ id: '1414:5353' });
  });

  it('pairs both NICs with their ConnectX-4 Lx VFs, by sysfs', () => {
    expect(pairVfs({ lower, ip, lspci })).toEqual([
      { synthetic: 'eth0', vf: 'enP31819s1', by: 'lower', pci: '7c4b:00:02.0', pciId: '15b3:1016', model: 'Mellanox ConnectX-4 Lx VF', driver: 'mlx5_core' },
      { synthetic: 'eth1', vf: 'enP41968s2', by: 'lower', pci: 'a3f0:00:02.0', pciId: '15b3:1016', model: 'Mellanox ConnectX-4 Lx VF' },
    ]);
  });

  it('falls back to the MAC address when sysfs has no lower_* links', () => {
    expect(pairVfs({ ip }).map((p) => [p.synthetic, p.vf, p.by])).toEqual([
      ['eth0', 'enP31819s1', 'mac'],
      ['eth1', 'enP41968s2', 'mac'],
    ]);
  });

  it('tells the VF path from the synthetic one in hv_netvsc counters (ethtool -S)', () => {
    // LISA's parsed `ethtool -S eth0` sample, back in ethtool's own format.
    const sample = readFileSync('test/fixtures/lisa/ethtool_S_hv_netvsc_parsed.txt', 'utf8');
    const text = [...sample.matchAll(/'name': '([^']+)', 'value': '(\d+)'/g)].map((m) => `     ${m[1]}: ${m[2]}`).join('\n');
    const stats = parseEthtoolStats(`NIC statistics:\n${text}`);
    expect(stats).toMatchObject({ vf_rx_packets: 228, vf_tx_packets: 966, rx_queue_0_packets: 91, rx_queue_1_packets: 1108 });
    const p = netvscPathPackets(stats)!;
    expect(p.vf).toBe(228 + 966);
    const queues = Object.entries(stats).filter(([k]) => /^(rx|tx)_queue_\d+_packets$/.test(k)).reduce((a, [, v]) => a + v, 0);
    expect(p.synthetic).toBe(queues);
    expect(netvscPathPackets({ rx_packets: 5 })).toBeUndefined(); // not a netvsc NIC
  });

  it('does not take a bridge port for a VF when the drivers are known', () => {
    const bridge = `3: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n    link/ether 1a:eb:21:a8:12:a2 brd ff:ff:ff:ff:ff:ff\n4: port1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state UP\n    link/ether 1a:eb:21:a8:12:a2 brd ff:ff:ff:ff:ff:ff`;
    expect(pairVfs({ ip: bridge }).map((p) => p.vf)).toEqual(['port1']); // what LISA's MAC rule alone would say
    expect(pairVfs({ ip: bridge, drivers: {} })).toEqual([]);
    expect(pairVfs({ ip, drivers: { enP31819s1: 'mlx5_core', enP41968s2: 'mlx5_core', eth0: 'hv_netvsc', eth1: 'hv_netvsc' } })).toHaveLength(2);
  });

  it('reads the second VM too', () => {
    const pairs = pairVfs({ lower: stdoutOf(1, 7656), ip: stdoutOf(1, 9878) });
    expect(pairs.map((p) => [p.synthetic, p.vf, p.pci])).toEqual([
      ['eth0', 'enP13864s1', '3628:00:02.0'],
      ['eth1', 'enP44273s2', 'acf1:00:02.0'],
    ]);
  });
});
