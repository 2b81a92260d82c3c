// The scenario schema: the source of truth for what a scenario file may say.
import { z } from 'zod';
import { name, ifname, ip, duration } from './fields.js';
import { labelsSchema } from './labels.js';
import { TOOL_SCHEMAS } from '../tools/registry.js';
import type { TestBase } from '../tools/tool.js';
import { variantSchemas } from '../paths/registry.js';
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

/** A variant: one of the registered path controllers' variant schemas (src/paths/registry.ts). */
export const variantSchema = z.discriminatedUnion('controller', variantSchemas);

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
    /** What the run's rows are queried by (vm_size, region, runner…): a column of every table, a label of every export. */
    labels: labelsSchema.optional(),
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
export type { GuestLinkVariant } from '../paths/guest-link/schema.js';
export type { CommandVariant } from '../paths/command/schema.js';
export type { AzureNicVariant } from '../paths/azure-nic/schema.js';
export type { LibvirtHotplugVariant } from '../paths/libvirt-hotplug/schema.js';
export type { AwsEnaExpressVariant } from '../paths/aws-ena-express/schema.js';
/** A parsed test; every test may be read for a background load or a switchover (absent where its tool has none). */
export type TestSpec = z.output<typeof testSchema> & TestBase;
export type VerifySpec = z.output<typeof verifySchema>;
export type SshOptions = z.output<typeof sshOptionsSchema>;
export type SamplingSpec = z.output<typeof samplingSchema>;
