// Facts about each host for the manifest and `doctor`: kernel, CPU, interfaces with drivers, MTU,
// offloads and VF pairing, and the versions of the tools.
import { TOOL_LIST } from '../tools/registry.js';
import type { Host } from '../hosts/host.js';
import { raw } from '../util/shell.js';
import { EnvironmentError } from '../util/errors.js';

export interface InterfaceFact {
  name: string;
  mtu: number;
  state: string;
  driver?: string;
  /** PCI address of the device, when it is one (a VF is). */
  bus?: string;
  /** Offloads that matter for benchmarks: tso, gso, gro, lro, rx-csum, tx-csum, sg → on/off. */
  offloads?: Record<string, boolean>;
  /** The lower (VF) interfaces enslaved to this one, as sysfs `lower_*` links show (hv_netvsc, failover). */
  lower?: string[];
}

export interface HostFacts {
  ssh: string;
  kernel?: string;
  cpuModel?: string;
  cpus?: number;
  interfaces: InterfaceFact[];
  /** Tool → version (or "present" when it runs but tells no version); absent tools are missing. */
  tools: Record<string, string>;
  /** Interfaces driven by a known VF driver. */
  vfs: InterfaceFact[];
  /** The Python that runs vfbench's agent on the host. */
  python?: string;
  /** Kernel boot id: two hosts with the same one are one machine (the lab's namespaces, containers). */
  bootId?: string;
  /** From the cloud's metadata service, asked only where DMI names the cloud: azure, aws or gcp. */
  cloud?: string;
  /** The VM size the metadata service tells (Standard_D8s_v5, c5n.9xlarge, n2-standard-8). */
  vmSize?: string;
  region?: string;
}

/** Drivers of SR-IOV virtual functions in cloud and KVM guests. */
export const VF_DRIVERS = ['mlx4_en', 'mlx4_core', 'mlx5_core', 'mana', 'ixgbevf', 'iavf', 'i40evf', 'ena', 'bnxt_en', 'igbvf'];

const OFFLOADS: Record<string, string> = {
  'tcp-segmentation-offload': 'tso',
  'generic-segmentation-offload': 'gso',
  'generic-receive-offload': 'gro',
  'large-receive-offload': 'lro',
  'rx-checksumming': 'rx-csum',
  'tx-checksumming': 'tx-csum',
  'scatter-gather': 'sg',
};

// The cloud's metadata service (a link-local address) is asked only where DMI says which cloud this is,
// so a lab or a bare-metal host sends nothing; each answer is bounded to 2 s, never through a proxy (the
// clouds' advice), and an HTTP error (-f) gives nothing rather than its page.
const AZURE = "curl -sf --noproxy '*' -m 2 -H Metadata:true 'http://169.254.169.254/metadata/instance/compute/{}?api-version=2021-02-01&format=text'";
const AWS = 'curl -sf --noproxy "*" -m 2 -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/{}';
const GCP = "curl -sf --noproxy '*' -m 2 -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/instance/{}";
export const CLOUD_SCRIPT = [
  'dmi() { cat /sys/class/dmi/id/$1 2>/dev/null; };',
  'if command -v curl >/dev/null; then',
  `if [ "$(dmi chassis_asset_tag)" = 7783-7084-3265-9085-8269-3286-77 ]; then echo "cloud azure"; echo "vmsize $(${AZURE.replace('{}', 'vmSize')})"; echo "region $(${AZURE.replace('{}', 'location')})";`,
  `elif [ "$(dmi sys_vendor)" = "Amazon EC2" ] || dmi product_version | grep -qi amazon; then echo "cloud aws"; t=$(curl -sf --noproxy "*" -m 2 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token); echo "vmsize $(${AWS.replace('{}', 'instance-type')})"; echo "region $(${AWS.replace('{}', 'placement/region')})";`,
  `elif [ "$(dmi product_name)" = "Google Compute Engine" ]; then echo "cloud gcp"; echo "vmsize $(${GCP.replace('{}', 'machine-type')})"; echo "zone $(${GCP.replace('{}', 'zone')})";`,
  'fi; fi',
].join(' ');

// One round trip: each fact on its own tagged line, so a missing tool just leaves its line out.
export const FACTS_SCRIPT = [
  'echo "kernel $(uname -r)"',
  'echo "cpus $(nproc)"',
  'echo "boot $(cat /proc/sys/kernel/random/boot_id)"',
  `echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"`,
  'for d in /sys/class/net/*; do n=${d##*/}; ' +
    'drv=$(ethtool -i "$n" 2>/dev/null | sed -n "s/^driver: //p"); ' +
    '[ -n "$drv" ] || drv=$(basename "$(readlink "$d/device/driver" 2>/dev/null)" 2>/dev/null); ' +
    'bus=$(ethtool -i "$n" 2>/dev/null | sed -n "s/^bus-info: //p"); ' +
    'low=$(cd "$d" && ls -d lower_* 2>/dev/null | sed "s/^lower_//" | tr "\\n" ","); ' +
    'echo "if $n $(cat $d/mtu) $(cat $d/operstate) ${drv:--} ${bus:--} ${low:--}"; ' +
    `ethtool -k "$n" 2>/dev/null | grep -E '^(${Object.keys(OFFLOADS).join('|')}):' | sed "s/^/off $n /"; done`,
  // Every registered tool says how to read its binaries' versions.
  ...TOOL_LIST.flatMap((t) => t.versionProbe),
  CLOUD_SCRIPT,
  'true',
].join('; ');

/** A metadata answer is kept only when it is one plain word (not an error page); GCP's are paths. */
function setCloudFact(facts: HostFacts, tag: 'cloud' | 'vmsize' | 'region', value: string): void {
  const word = value.split('/').pop()!.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/.test(word)) return;
  if (tag === 'cloud') facts.cloud = word;
  else if (tag === 'vmsize') facts.vmSize = word;
  else facts.region = word;
}

/** Pure: turn the script's output into facts. */
export function parseFacts(ssh: string, out: string): HostFacts {
  const facts: HostFacts = { ssh, interfaces: [], tools: {}, vfs: [] };
  for (const line of out.split('\n')) {
    const [tag, ...rest] = line.trim().split(/\s+/);
    const value = rest.join(' ');
    if (tag === 'kernel') facts.kernel = value;
    else if (tag === 'cpus') facts.cpus = Number(value);
    else if (tag === 'boot') facts.bootId = value || undefined;
    else if (tag === 'cpu') facts.cpuModel = value || undefined;
    else if (tag === 'cloud' || tag === 'vmsize' || tag === 'region') setCloudFact(facts, tag, value);
    // GCP tells the zone (us-central1-a); its region is the zone without the last part, as Azure and AWS name one.
    else if (tag === 'zone') setCloudFact(facts, 'region', value.replace(/-[a-z]$/, ''));
    else if (tag === 'if' && rest.length >= 3) {
      const [name, mtu, state, driver, bus, lower] = rest;
      facts.interfaces.push({
        name: name!,
        mtu: Number(mtu),
        state: state!,
        driver: driver && driver !== '-' ? driver : undefined,
        bus: bus && bus !== '-' && bus !== 'N/A' ? bus : undefined,
        lower: lower && lower !== '-' ? lower.split(',').filter(Boolean) : undefined,
      });
    } else if (tag === 'off' && rest.length >= 3) {
      const [name, feature, state] = rest;
      const iface = facts.interfaces.find((i) => i.name === name);
      const key = OFFLOADS[feature!.replace(/:$/, '')];
      if (iface && key) (iface.offloads ??= {})[key] = state === 'on';
    } else if (tag === 'tool' && rest[0]) facts.tools[rest[0]] = rest[1] ?? 'present';
  }
  facts.vfs = facts.interfaces.filter((i) => i.driver !== undefined && VF_DRIVERS.includes(i.driver));
  return facts;
}

export async function hostFacts(host: Host): Promise<HostFacts> {
  const r = await host.exec([raw(FACTS_SCRIPT)]);
  // Its first line comes from uname on any Linux: without it the script itself failed (a shell that
  // cannot read it), and empty facts would read as "no tools installed".
  if (!/^kernel \S/m.test(r.stdout)) throw new EnvironmentError(`${host.describe()}: the host facts script failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300) || 'no output'}`);
  return { ...parseFacts(host.describe(), r.stdout), python: host.agent?.python };
}

/**
 * Labels from the facts of the measured hosts: kernel, VF driver, cloud, vm_size, region. Hosts that differ
 * give their values joined by "+" (sorted), so a query still tells a mixed run apart.
 */
export function factLabels(facts: Record<string, HostFacts>, hosts: readonly string[]): Record<string, string> {
  const pick: Record<string, (f: HostFacts) => (string | undefined)[]> = {
    kernel: (f) => [f.kernel],
    driver: (f) => f.vfs.map((v) => v.driver),
    cloud: (f) => [f.cloud],
    vm_size: (f) => [f.vmSize],
    region: (f) => [f.region],
  };
  const labels: Record<string, string> = {};
  for (const [name, of] of Object.entries(pick)) {
    const values = [...new Set(hosts.flatMap((h) => (facts[h] ? of(facts[h]) : [])).filter((v): v is string => !!v))].sort();
    if (values.length) labels[name] = values.join('+');
  }
  return labels;
}
