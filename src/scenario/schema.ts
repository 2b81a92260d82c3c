// The scenario schema: the source of truth for what a scenario file may say.
import { z } from 'zod';
import { inlineSecret } from '../util/secrets.js';
import { name, ifname, ip, duration } from './fields.js';
import { TOOL_SCHEMAS } from '../tools/registry.js';
import type { SockperfTestSpec } from '../tools/sockperf/index.js';
import type { NetperfTestSpec } from '../tools/netperf/index.js';
import type { Iperf3TestSpec } from '../tools/iperf3/index.js';

export { ifname } from './fields.js';
export { backgroundSchema, switchoverSchema, type BackgroundSpec, type SwitchoverSpec } from './fields.js';
export type { SockperfTestSpec, NetperfTestSpec, Iperf3TestSpec };

/** `user@host`, `user@host:port`, `host` or `local` (run on this machine without SSH). */
const sshTarget = z
  .string()
  .regex(
    /^(local|(?:[A-Za-z0-9_][A-Za-z0-9_.-]*@)?(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?)$/,
    'ssh must be "user@host", "user@host:port", "host" or "local"',
  );

export const hostSchema = z
  .object({
    ssh: sshTarget,
    data: ip.describe('data-plane address the tools use'),
    key: z.string().min(1).optional(),
    known_hosts: z.string().min(1).optional(),
  })
  .strict();

export const pairSchema = z
  .object({
    client: name('host name'),
    server: name('host name'),
    group: name('group').optional(),
  })
  .strict();

/** An inventory file (JSON, as `lab up` writes): its values reach shells and lookups as a scenario's do. */
export const inventorySchema = z.object({
  hosts: z.record(name('host name').refine((n) => n !== 'local', 'a host cannot be named "local" (`on: local` means this machine)'), hostSchema),
  pairs: z.array(pairSchema).min(1),
  interfaces: z.object({ accelerated: ifname, synthetic: ifname }).strict().optional(),
  ssh_config: z.string().min(1).optional(),
});

export const guestLinkVariantSchema = z
  .object({
    controller: z.literal('guest-link'),
    interface: ifname,
    state: z.enum(['up', 'down']),
    /** Which path this variant is expected to use; guest-link: up -> accelerated, down -> synthetic. */
    path: z.enum(['accelerated', 'synthetic']).optional(),
    /** Seconds to wait after switching before traffic starts (routes, neighbour entries). */
    settle: duration(0, 600).default(0.5),
  })
  .strict();

/** Where a `command` variant's commands run: both hosts of the pair, this machine, or one named host. */
const commandTarget = z.union([z.literal('both'), z.literal('local'), name('host name')]);

/** A shell command of a variant: stored with the run, so a secret in it is refused (refer to it instead). */
const userCommand = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const found = inlineSecret(text);
    if (found) ctx.addIssue({ code: 'custom', message: `looks like ${found} written into the command, which would be stored with every result: put it in vfbench's environment and write \${env:NAME}` });
  });

export const commandVariantSchema = z
  .object({
    controller: z.literal('command'),
    /** Shell command that puts the data path into this variant (run with sh -c). */
    apply: userCommand,
    /** Shell command that exits 0 when the variant is in effect; run after apply. */
    verify: userCommand.optional(),
    /** Shell command that puts things back as they were before vfbench; run on every exit. */
    restore: userCommand,
    on: commandTarget.default('both'),
    timeout: duration(1, 3600).default(60),
    /** The path this variant is expected to use (a command says nothing vfbench can infer). */
    path: z.enum(['accelerated', 'synthetic']),
    settle: duration(0, 600).default(0.5),
  })
  .strict();

const azureName = (what: string) => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.()-]{0,89}$/, `${what} must be an Azure resource name (letters, digits, _ . ( ) -)`);

export const azureNicVariantSchema = z
  .object({
    controller: z.literal('azure-nic'),
    /** The Accelerated Networking setting this variant wants on every NIC listed. */
    accelerated: z.boolean(),
    resource_group: azureName('resource_group'),
    /** Per scenario host, the NIC(s) to switch. */
    nics: z.record(name('host name'), z.union([azureName('NIC name'), z.array(azureName('NIC name')).min(1)])),
    /** Per scenario host, the VM name (needed with deallocate). */
    vms: z.record(name('host name'), azureName('VM name')).optional(),
    /** Deallocate, update, start (the documented route) instead of updating the running VM. */
    deallocate: z.boolean().default(false),
    /** The guest's VF interface; default: any VF paired with a synthetic NIC (sysfs, MAC). */
    vf_interface: ifname.optional(),
    /** Bound on waiting for the guests to see the VF appear or vanish (LISA allows 10 min). */
    wait: duration(1, 3600).default(300),
    /** The Azure CLI to run. */
    az: z.string().regex(/^[A-Za-z0-9_./-]+$/, 'az must be a command name or path').default('az'),
    path: z.enum(['accelerated', 'synthetic']).optional(),
    settle: duration(0, 600).default(2),
  })
  .strict();

const pciAddress = z.string().regex(/^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/, 'PCI address must look like 0000:3b:02.1');

export const libvirtHotplugVariantSchema = z
  .object({
    controller: z.literal('libvirt-hotplug'),
    /** The VF attached (accelerated) or detached (virtio / synthetic path). */
    attached: z.boolean(),
    /** The scenario host that runs libvirt (virsh runs there over SSH). */
    hypervisor: name('host name'),
    /** Per guest (scenario host name): its libvirt domain, the hostdev XML file on the hypervisor, the VF's PCI address. */
    domains: z.record(
      name('host name'),
      z.object({ domain: azureName('domain'), xml: z.string().regex(/^\/[A-Za-z0-9_./-]+$/, 'xml must be an absolute path'), pci: pciAddress }).strict(),
    ),
    /** The guest's VF interface; default: any VF paired with a synthetic NIC. */
    vf_interface: ifname.optional(),
    wait: duration(1, 3600).default(60),
    virsh: z.string().regex(/^[A-Za-z0-9_./-]+$/).default('virsh'),
    path: z.enum(['accelerated', 'synthetic']).optional(),
    settle: duration(0, 600).default(1),
  })
  .strict();

export const awsEnaExpressVariantSchema = z
  .object({
    controller: z.literal('aws-ena-express'),
    /** ENA Express (SRD) on or off on every ENI listed. */
    enabled: z.boolean(),
    /** SRD for UDP too (EnaSrdUdpEnabled); default: as `enabled`. */
    udp: z.boolean().optional(),
    /** Per scenario host, its ENI id. */
    enis: z.record(name('host name'), z.string().regex(/^eni-[0-9a-f]{8,17}$/, 'ENI ids look like eni-0123456789abcdef0')),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region looks like us-east-1').optional(),
    /** Bound on waiting until the setting is in effect. */
    wait: duration(1, 3600).default(60),
    aws: z.string().regex(/^[A-Za-z0-9_./-]+$/).default('aws'),
    /** ENA Express keeps the same device: by default both variants count as the accelerated path. */
    path: z.enum(['accelerated', 'synthetic']).default('accelerated'),
    settle: duration(0, 600).default(5),
  })
  .strict();

export const variantSchema = z.discriminatedUnion('controller', [
  guestLinkVariantSchema,
  commandVariantSchema,
  azureNicVariantSchema,
  libvirtHotplugVariantSchema,
  awsEnaExpressVariantSchema,
]);

export const testSchema = z.discriminatedUnion('tool', TOOL_SCHEMAS);

export const verifySchema = z
  .object({
    /**
     * Where the counters come from. sysfs: /sys/class/net/IF/statistics of the two interfaces.
     * netvsc: `ethtool -S` of the hv_netvsc NIC named by `synthetic` — vf_* count the VF path, the
     * per-queue counters the synthetic path (on Azure the NIC's sysfs counters include the VF's traffic).
     */
    source: z.enum(['sysfs', 'netvsc']).default('sysfs'),
    /** Interface whose counters move when the accelerated path carries the traffic (sysfs). */
    accelerated: ifname.optional(),
    /** Interface whose counters move when the synthetic path carries it (netvsc: the hv_netvsc NIC). */
    synthetic: ifname,
    /** Share of packets that must take the expected path. */
    share: z.number().gt(0.5).max(1).default(0.95),
    /** Fewer packets than this (both paths together, per host) cannot prove a path. */
    min_packets: z.number().int().min(1).default(100),
  })
  .strict();

/** Per-trial sampling of CPU, interrupts, context switches and NIC counters on both hosts. */
export const samplingSchema = z
  .object({
    interval: duration(0.05, 60).default(1),
  })
  .strict();

/** Settings of one group of pairs (FlexVF Fig. 7: each group at its own rate). */
export const groupSchema = z
  .object({
    /** sockperf messages per second for the pairs of this group (overrides the test's mps). */
    mps: z.number().int().min(1).max(10_000_000).optional(),
  })
  .strict();

export const sshOptionsSchema = z
  .object({
    known_hosts: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** Not honoured here (a scenario file must not turn host-key checking down): refused with a pointer to the flag. */
    accept_new_host_keys: z.boolean().optional(),
    /** Per connection (each bastion too); unset: ssh_config's ConnectTimeout, else 10 s. */
    connect_timeout: duration(1, 300).optional(),
    command_timeout: duration(1, 86400).default(600),
    /** How long a lost connection is retried (bounded backoff) before its host's trials fail. */
    reconnect_timeout: duration(0, 3600).default(60),
    /** An ssh_config file read instead of ~/.ssh/config (Host aliases, ProxyJump bastions, keys, known_hosts). */
    config: z.string().min(1).optional(),
    /** gzip large files on the host before the transfer: auto = when the host is not this machine's neighbour (round trip > 2 ms). */
    compress: z.enum(['auto', 'always', 'never']).default('auto'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: name('scenario name'),
    description: z.string().optional(),
    inventory: z.string().min(1).optional(),
    hosts: z.record(name('host name'), hostSchema).optional(),
    pairs: z.array(pairSchema).min(1).optional(),
    variants: z.record(name('variant name'), variantSchema),
    baseline: name('baseline'),
    repeat: z.number().int().min(1).max(1000).default(3),
    order: z.enum(['interleaved', 'sequential', 'random']).default('interleaved'),
    seed: z.number().int().default(1),
    verify: verifySchema.optional(),
    /** false: no sampling; default every 1 s (each sample wakes the host while the tool measures). */
    sampling: z.union([z.literal(false), samplingSchema]).default({ interval: 1 }),
    /** together: all pairs run each trial at once, started through a barrier (FlexVF Fig. 7). */
    pairs_run: z.enum(['one-by-one', 'together']).default('one-by-one'),
    groups: z.record(name('group'), groupSchema).optional(),
    ssh: sshOptionsSchema.default({ command_timeout: 600, reconnect_timeout: 60, compress: 'auto' }),
    tests: z.array(testSchema).min(1),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioParsed = z.output<typeof scenarioSchema>;
export type HostSpec = z.output<typeof hostSchema>;
export type PairSpec = z.output<typeof pairSchema>;
export type VariantSpec = z.output<typeof variantSchema>;
export type GuestLinkVariant = z.output<typeof guestLinkVariantSchema>;
export type CommandVariant = z.output<typeof commandVariantSchema>;
export type AzureNicVariant = z.output<typeof azureNicVariantSchema>;
export type LibvirtHotplugVariant = z.output<typeof libvirtHotplugVariantSchema>;
export type AwsEnaExpressVariant = z.output<typeof awsEnaExpressVariantSchema>;
export type TestSpec = z.output<typeof testSchema>;
export type VerifySpec = z.output<typeof verifySchema>;
export type SshOptions = z.output<typeof sshOptionsSchema>;
export type SamplingSpec = z.output<typeof samplingSchema>;
