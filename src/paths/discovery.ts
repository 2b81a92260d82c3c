// VF discovery in a guest, from the outputs of standard commands (so it can be checked on captures from
// real clouds): pair each synthetic NIC with its VF (sysfs lower_* links, else the same MAC address), name
// the VF's driver and PCI ids, and read the counters that prove which path carried traffic.
import type { Host } from '../hosts/host.js';
import { ifname, raw } from '../util/shell.js';

/** PCI vendor:device ids of the VFs clouds hand to guests (LISA's list, plus Intel and Amazon). */
export const KNOWN_VFS: Record<string, string> = {
  '15b3:1004': 'Mellanox ConnectX-3 VF',
  '15b3:1016': 'Mellanox ConnectX-4 Lx VF',
  '15b3:1018': 'Mellanox ConnectX-5 VF',
  '15b3:101a': 'Mellanox ConnectX-5 Ex VF',
  '15b3:101e': 'Mellanox ConnectX family VF',
  '1414:00ba': 'Microsoft Azure Network Adapter (MANA) VF',
  '8086:10ed': 'Intel 82599 VF (ixgbevf)',
  '8086:154c': 'Intel X710/XL710 VF (iavf)',
  '8086:1889': 'Intel Ethernet Adaptive VF (iavf)',
  '1d0f:ec20': 'Amazon ENA',
  '1d0f:ec21': 'Amazon ENA',
};

export interface LinkInfo {
  name: string;
  flags: string[];
  master?: string;
  mac?: string;
  state?: string;
}

/** `ip addr` / `ip link` (not -o): one block per interface, the MAC on its link/ether line. */
export function parseIpLink(text: string): LinkInfo[] {
  const out: LinkInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const head = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>(.*)$/.exec(line.trim());
    if (head) {
      out.push({
        name: head[1]!,
        flags: head[2]!.split(',').filter(Boolean),
        master: /\bmaster (\S+)/.exec(head[3]!)?.[1],
        state: /\bstate (\S+)/.exec(head[3]!)?.[1],
      });
      continue;
    }
    const ether = /^link\/ether ([0-9a-f:]{17})/i.exec(line.trim());
    if (ether && out.length > 0) out[out.length - 1]!.mac = ether[1]!.toLowerCase();
  }
  return out;
}

/** `ls -la /sys/class/net/*\/lower*\/device`: synthetic NIC → VF → PCI address. */
export function parseLowerLinks(text: string): { synthetic: string; vf: string; pci: string }[] {
  const out: { synthetic: string; vf: string; pci: string }[] = [];
  for (const m of text.matchAll(/\/sys\/class\/net\/([^/\s]+)\/lower_([^/\s]+)\/device -> (?:\.\.\/)*([0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])/gi)) {
    out.push({ synthetic: m[1]!, vf: m[2]!, pci: m[3]! });
  }
  return out;
}

/** `lspci -nD` (or -nk): PCI address → vendor:device, and `Kernel driver in use` per device. */
export function parseLspci(text: string): Record<string, { id: string; driver?: string }> {
  const out: Record<string, { id: string; driver?: string }> = {};
  let current: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const dev = /^([0-9a-f]{4,}:)?([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])\s+[0-9a-f]{4}:\s+([0-9a-f]{4}:[0-9a-f]{4})/i.exec(line.trim());
    if (dev) {
      current = `${dev[1] ?? '0000:'}${dev[2]}`.toLowerCase();
      out[current] = { id: dev[3]!.toLowerCase() };
      continue;
    }
    const drv = /Kernel driver in use:\s*(\S+)/.exec(line);
    if (drv && current) out[current]!.driver = drv[1];
  }
  return out;
}

/** `ethtool -S IF`: counter name → value. */
export function parseEthtoolStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^\s*([A-Za-z0-9_.[\]-]+):\s*(-?\d+)\s*$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * hv_netvsc: which path packets took. vf_* count what went through the VF; the per-queue counters count
 * only the synthetic (VMBus) path. (/sys statistics of the synthetic NIC add both: not usable.)
 */
export function netvscPathPackets(stats: Record<string, number>): { vf: number; synthetic: number } | undefined {
  if (!('vf_rx_packets' in stats) && !('vf_tx_packets' in stats)) return undefined;
  const vf = (stats.vf_rx_packets ?? 0) + (stats.vf_tx_packets ?? 0);
  let synthetic = 0;
  for (const [k, v] of Object.entries(stats)) if (/^(rx|tx)_queue_\d+_packets$/.test(k)) synthetic += v;
  return { vf, synthetic };
}

export interface VfPair {
  synthetic: string;
  vf: string;
  /** How the pairing was found: sysfs lower_* link, or the same MAC address. */
  by: 'lower' | 'mac';
  pci?: string;
  pciId?: string;
  model?: string;
  driver?: string;
}

/**
 * Pure: pair synthetic NICs with VFs from the captured outputs. `drivers` (interface → driver of its
 * device, from sysfs) keeps the MAC fallback to real devices: a bridge port shares its bridge's MAC too.
 */
export function pairVfs(input: { lower?: string; ip: string; lspci?: string; drivers?: Record<string, string> }): VfPair[] {
  const links = parseIpLink(input.ip);
  const pci = parseLspci(input.lspci ?? '');
  const pairs: VfPair[] = [];
  for (const l of parseLowerLinks(input.lower ?? '')) pairs.push({ synthetic: l.synthetic, vf: l.vf, by: 'lower', pci: l.pci.toLowerCase() });
  // Fallback as in LISA: an enslaved interface that shares its master's MAC, or two interfaces with one MAC.
  for (const l of links) {
    if (pairs.some((p) => p.vf === l.name) || !l.mac || l.mac === '00:00:00:00:00:00') continue;
    if (input.drivers && !input.drivers[l.name]) continue; // no device behind it: a bridge port, a veth, a bond member
    const partner = links.find((o) => o.name !== l.name && o.mac === l.mac && (l.master ? o.name === l.master : !o.master && l.flags.includes('SLAVE')));
    if (partner) pairs.push({ synthetic: partner.name, vf: l.name, by: 'mac' });
  }
  // lspci -D prints domain:bus:slot.fn; sysfs links may omit the 0000 domain.
  const pciKey = (addr: string) => (addr.split(':').length === 3 ? addr : `0000:${addr}`);
  for (const p of pairs) {
    const dev = p.pci ? pci[pciKey(p.pci)] : undefined;
    if (dev) {
      p.pciId = dev.id;
      p.model = KNOWN_VFS[dev.id];
      p.driver = dev.driver;
    }
  }
  return pairs;
}

const DISCOVERY_SCRIPT = [
  'echo "==lower"; ls -la /sys/class/net/*/lower*/device 2>/dev/null',
  'echo "==ip"; ip addr 2>/dev/null',
  'echo "==lspci"; lspci -nkD 2>/dev/null',
  'echo "==drivers"; for d in /sys/class/net/*; do v=$(readlink "$d/device/driver" 2>/dev/null) && echo "${d##*/} ${v##*/}"; done',
  'true',
].join('; ');

/** Run the standard commands on a host and pair its NICs. */
export async function discoverVfs(host: Host): Promise<VfPair[]> {
  const out = (await host.exec([raw(DISCOVERY_SCRIPT)])).stdout;
  const section = (name: string) => (new RegExp(`^==${name}\\n([\\s\\S]*?)(?=^==|$(?![\\s\\S]))`, 'm').exec(out)?.[1] ?? '');
  const drivers = Object.fromEntries(
    section('drivers')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length === 2) as [string, string][],
  );
  return pairVfs({ lower: section('lower'), ip: section('ip'), lspci: section('lspci'), drivers });
}

/** Does the guest see its VF? By the named interface, or by any VF paired with a synthetic NIC. */
export async function vfPresent(host: Host, vfInterface?: string): Promise<boolean> {
  if (vfInterface) return (await host.exec([raw(`[ -e /sys/class/net/${ifname(vfInterface)} ]`)])).code === 0;
  return (await discoverVfs(host)).length > 0;
}

/** Poll (every `pollMs`, at most `waitS`) until the guest sees its VF (present) or no longer does. */
export async function waitForVf(host: Host, present: boolean, waitS: number, vfInterface: string | undefined, after: string, pollMs = 500): Promise<void> {
  const deadline = Date.now() + waitS * 1000;
  for (;;) {
    let seen: boolean | undefined;
    try {
      seen = await vfPresent(host, vfInterface);
    } catch {
      seen = undefined; // the guest may be busy with the hot-plug: ask again
    }
    if (seen === present) return;
    if (Date.now() > deadline) {
      throw new Error(`${host.name}: the VF${vfInterface ? ` ${vfInterface}` : ''} did not ${present ? 'appear' : 'vanish'} in the guest within ${waitS}s ${after}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
