// Facts about each host for the manifest: kernel, CPU, interfaces with drivers, tool versions.
import type { Host } from '../hosts/host.js';
import { raw } from '../util/shell.js';

export interface InterfaceFact {
  name: string;
  mtu: number;
  state: string;
  driver?: string;
  /** PCI address of the device, when it is one (a VF is). */
  bus?: string;
}

export interface HostFacts {
  ssh: string;
  kernel?: string;
  cpuModel?: string;
  cpus?: number;
  interfaces: InterfaceFact[];
  tools: Record<string, string | null>;
}

// One round trip: each fact on its own tagged line, so a missing tool just leaves its line out.
const SCRIPT = [
  'echo "kernel $(uname -r)"',
  'echo "cpus $(nproc)"',
  `echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"`,
  'for d in /sys/class/net/*; do n=${d##*/}; ' +
    'drv=$(ethtool -i "$n" 2>/dev/null | sed -n "s/^driver: //p"); ' +
    '[ -n "$drv" ] || drv=$(basename "$(readlink "$d/device/driver" 2>/dev/null)" 2>/dev/null); ' +
    'bus=$(ethtool -i "$n" 2>/dev/null | sed -n "s/^bus-info: //p"); ' +
    'echo "if $n $(cat $d/mtu) $(cat $d/operstate) ${drv:--} ${bus:--}"; done',
  'echo "tool sockperf $(sockperf --version 2>/dev/null | sed -n "s/^sockperf, version //p" | head -1)"',
].join('; ');

/** Pure: turn the script's output into facts. */
export function parseFacts(ssh: string, out: string): HostFacts {
  const facts: HostFacts = { ssh, interfaces: [], tools: {} };
  for (const line of out.split('\n')) {
    const [tag, ...rest] = line.trim().split(/\s+/);
    const value = rest.join(' ');
    if (tag === 'kernel') facts.kernel = value;
    else if (tag === 'cpus') facts.cpus = Number(value);
    else if (tag === 'cpu') facts.cpuModel = value || undefined;
    else if (tag === 'if' && rest.length >= 3) {
      const [name, mtu, state, driver, bus] = rest;
      facts.interfaces.push({
        name: name!,
        mtu: Number(mtu),
        state: state!,
        driver: driver && driver !== '-' ? driver : undefined,
        bus: bus && bus !== '-' && bus !== 'N/A' ? bus : undefined,
      });
    } else if (tag === 'tool' && rest[0]) facts.tools[rest[0]] = rest[1] ?? null;
  }
  return facts;
}

export async function hostFacts(host: Host): Promise<HostFacts> {
  const r = await host.exec([raw(SCRIPT)]);
  return parseFacts(host.describe(), r.stdout);
}
