// The scenario schema: the source of truth for what a scenario file may say.
import { z } from 'zod';
import { isIP } from 'node:net';
import { parseDuration } from '../util/duration.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const name = (what: string) =>
  z.string().regex(NAME, `${what} must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit`);

const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'interface name must be 1-15 characters [A-Za-z0-9_.:-]');

const ip = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

/** "10s", "500ms", "2m" or a number of seconds; parsed to seconds. */
const duration = (min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === undefined) {
        ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (write e.g. 10s, 500ms, 2m)` });
        return z.NEVER;
      }
      if (s < min || s > max) {
        ctx.addIssue({ code: 'custom', message: `duration must be between ${min}s and ${max}s, got ${s}s` });
        return z.NEVER;
      }
      return s;
    });

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

export const variantSchema = z
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

const size = z.number().int().min(14, 'sockperf messages are at least 14 bytes').max(65000);
const oneOrMany = <T extends z.ZodTypeAny>(t: T) =>
  z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

export const sockperfTestSchema = z
  .object({
    tool: z.literal('sockperf'),
    name: name('test name').optional(),
    mode: z.literal('ping-pong').default('ping-pong'),
    protocol: oneOrMany(z.enum(['udp', 'tcp'])).default(['udp']),
    sizes: z.array(size).min(1),
    duration: duration(1, 36000).default(10),
    warmup: duration(0, 3600).default(0),
    /** Messages per second; "max" sends as fast as replies come back. */
    mps: z.union([z.literal('max'), z.number().int().min(1).max(10_000_000)]).default('max'),
    /** Report full round trips (sockperf --full-rtt) instead of RTT/2. */
    full_rtt: z.boolean().default(false),
    port: z.number().int().min(1024).max(65535).default(11111),
  })
  .strict();

export const testSchema = sockperfTestSchema;

export const verifySchema = z
  .object({
    /** Interface whose counters move when the accelerated path carries the traffic. */
    accelerated: ifname,
    /** Interface whose counters move when the synthetic path carries it. */
    synthetic: ifname,
    /** Share of packets that must take the expected path. */
    share: z.number().gt(0.5).max(1).default(0.95),
    /** Fewer packets than this (both paths together, per host) cannot prove a path. */
    min_packets: z.number().int().min(1).default(100),
  })
  .strict();

export const sshOptionsSchema = z
  .object({
    known_hosts: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    accept_new_host_keys: z.boolean().default(false),
    connect_timeout: duration(1, 300).default(10),
    command_timeout: duration(1, 86400).default(600),
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
    ssh: sshOptionsSchema.default({ accept_new_host_keys: false, connect_timeout: 10, command_timeout: 600 }),
    tests: z.array(testSchema).min(1),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioParsed = z.output<typeof scenarioSchema>;
export type HostSpec = z.output<typeof hostSchema>;
export type PairSpec = z.output<typeof pairSchema>;
export type VariantSpec = z.output<typeof variantSchema>;
export type TestSpec = z.output<typeof testSchema>;
export type SockperfTestSpec = z.output<typeof sockperfTestSchema>;
export type VerifySpec = z.output<typeof verifySchema>;
export type SshOptions = z.output<typeof sshOptionsSchema>;
