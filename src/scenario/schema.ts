// The scenario schema: the source of truth for what a scenario file may say.
import { z } from 'zod';
import { isIP } from 'node:net';
import { duration, ifname, name } from './fields.js';
import { variantSchemas } from '../paths/registry.js';

export { ifname };

const ip = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

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

const oneOrMany = <T extends z.ZodTypeAny>(t: T) =>
  z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

/** Bytes, e.g. 262144, "256K", "4M" (1024-based, as iperf3's -w and -l). */
const bytes = z.union([z.number().int().min(1), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `not a size in bytes: ${JSON.stringify(v)} (write e.g. 262144, 256K, 4M)` });
    return z.NEVER;
  }
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
});

/** Bits per second, e.g. 2000000000, "2G", "100M" (decimal, as iperf3's -b). */
const bitrate = z.union([z.number().min(1), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)\s*$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `not a bitrate: ${JSON.stringify(v)} (write e.g. 100M, 2.5G, 1000000)` });
    return z.NEVER;
  }
  return Number(m[1]) * { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
});

const testPort = z.number().int().min(1024).max(65535);

/**
 * Background load (FlexVF Fig. 5): traffic from the pair's client to its server at set packet rates,
 * started before the measured test, confirmed running, and stopped after it. Rate 0 = no load.
 */
export const backgroundSchema = z
  .object({
    /** iperf3 UDP (paced, per-interval packet counts) or sockperf throughput (--mps). */
    tool: z.enum(['iperf3', 'sockperf']).default('iperf3'),
    /** Packets per second, all streams together; one point each. */
    rates: z.array(z.number().int().min(0).max(10_000_000)).min(1),
    /** Datagram payload in bytes; default: the measured point's size. */
    size: z.number().int().min(16, 'background datagrams are at least 16 bytes').max(65000).optional(),
    /** Parallel streams sharing the rate (iperf3 -P). */
    streams: z.number().int().min(1).max(128).default(1),
    /** Seconds the load runs before the measured test starts (and is checked to be running). */
    lead: duration(0.5, 600).default(1),
    port: testPort.default(5202),
  })
  .strict();

const switchStepSchema = z
  .object({
    /** Seconds after the measurement starts (the tool's start-up and warm-up not counted). */
    at: duration(0, 86400),
    variant: name('variant'),
  })
  .strict();

/** Live switchover (FlexVF Fig. 6): one long trial that starts in `start` and switches path during it. */
export const switchoverSchema = z
  .object({
    start: name('variant'),
    steps: z.array(switchStepSchema).min(1),
  })
  .strict();

export const sockperfTestSchema = z
  .object({
    tool: z.literal('sockperf'),
    name: name('test name').optional(),
    mode: z.enum(['ping-pong', 'under-load', 'throughput']).default('ping-pong'),
    protocol: oneOrMany(z.enum(['udp', 'tcp'])).default(['udp']),
    sizes: z.array(z.number().int().min(14, 'sockperf messages are at least 14 bytes').max(65000)).min(1),
    duration: duration(1, 36000).default(10),
    warmup: duration(0, 3600).default(0),
    /** Messages per second; "max" sends as fast as possible. Default: 10000 under load, max otherwise. */
    mps: z.union([z.literal('max'), z.number().int().min(1).max(10_000_000)]).optional(),
    /** Messages per burst (sockperf -b). */
    burst: z.number().int().min(1).max(100_000).default(1),
    /** under-load: the server answers every N-th message (sockperf's default 100). */
    reply_every: z.number().int().min(1).max(1_000_000).optional(),
    /** Report full round trips (sockperf --full-rtt) instead of RTT/2. */
    full_rtt: z.boolean().default(false),
    /** Rows (replies) a trial's full log may have (4 bytes of vfbench's memory each, 8 with arrival times). */
    max_log_rows: z.number().int().min(1000).max(1_000_000_000).default(50_000_000),
    port: testPort.default(11111),
    background: backgroundSchema.optional(),
    switchover: switchoverSchema.optional(),
  })
  .strict();

export const netperfTestSchema = z
  .object({
    tool: z.literal('netperf'),
    name: name('test name').optional(),
    test: oneOrMany(z.enum(['TCP_RR', 'UDP_RR', 'TCP_CRR', 'TCP_STREAM', 'TCP_MAERTS', 'UDP_STREAM'])),
    /** Request sizes (RR, CRR) or send sizes (streams); omitted = netperf's defaults. */
    sizes: z.array(z.number().int().min(1).max(65507)).min(1).optional(),
    /** Response size for RR/CRR; default: the request size. */
    response_size: z.number().int().min(1).max(65507).optional(),
    duration: duration(1, 36000).default(10),
    /** Local and remote CPU utilisation (-c -C). */
    cpu: z.boolean().default(true),
    /** netserver's control port. */
    port: testPort.default(12865),
    /** The data connection's port on the server (netperf -- -P ,PORT), for a firewall that opens only known ports. */
    data_port: testPort.optional(),
    background: backgroundSchema.optional(),
  })
  .strict();

export const iperf3TestSchema = z
  .object({
    tool: z.literal('iperf3'),
    name: name('test name').optional(),
    protocol: oneOrMany(z.enum(['tcp', 'udp'])).default(['tcp']),
    streams: oneOrMany(z.number().int().min(1).max(128)).default([1]),
    direction: oneOrMany(z.enum(['forward', 'reverse', 'bidir'])).default(['forward']),
    /** Target bitrate (-b); required for UDP, whose iperf3 default is only 1 Mbit/s. */
    bitrate: bitrate.optional(),
    /** Buffer lengths (-l), one point each; omitted = iperf3's default. */
    sizes: z.array(z.number().int().min(1).max(1024 * 1024)).min(1).optional(),
    /** Socket buffer size (-w). */
    window: bytes.optional(),
    duration: duration(1, 86400).default(10),
    /** Seconds at the start left out of the results (-O). */
    omit: duration(0, 600).default(0),
    port: testPort.default(5201),
  })
  .strict();

export const testSchema = z.discriminatedUnion('tool', [sockperfTestSchema, netperfTestSchema, iperf3TestSchema]);

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
export type { GuestLinkVariant } from '../paths/guest-link/schema.js';
export type { CommandVariant } from '../paths/command/schema.js';
export type { AzureNicVariant } from '../paths/azure-nic/schema.js';
export type { LibvirtHotplugVariant } from '../paths/libvirt-hotplug/schema.js';
export type { AwsEnaExpressVariant } from '../paths/aws-ena-express/schema.js';
export type TestSpec = z.output<typeof testSchema>;
export type SockperfTestSpec = z.output<typeof sockperfTestSchema>;
export type NetperfTestSpec = z.output<typeof netperfTestSchema>;
export type Iperf3TestSpec = z.output<typeof iperf3TestSchema>;
export type VerifySpec = z.output<typeof verifySchema>;
export type SshOptions = z.output<typeof sshOptionsSchema>;
export type BackgroundSpec = z.output<typeof backgroundSchema>;
export type SwitchoverSpec = z.output<typeof switchoverSchema>;
export type SamplingSpec = z.output<typeof samplingSchema>;
