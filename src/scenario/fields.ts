// Field schemas the scenario's parts share (tests, variants, the scenario itself): names, durations,
// sizes, rates, ports. Kept apart from schema.ts so that the tools' (src/tools/<tool>/) and controllers'
// (src/paths/<controller>/) own schemas can use them: schema.ts imports those through their registries.
import { z } from 'zod';
import { isIP } from 'node:net';
import { parseDuration } from '../util/duration.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const name = (what: string) =>
  z
    .string()
    .regex(NAME, `${what} must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit`)
    // Names become keys of lookups: one that every object already has (constructor, toString …) would match anything.
    .refine((n) => !(n in Object.prototype), `${what} must not be a name every JavaScript object has (constructor, toString, …)`);

export const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'interface name must be 1-15 characters [A-Za-z0-9_.:-]');

export const ip = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

/** "10s", "500ms", "2m" or a number of seconds; parsed to seconds. */
export const duration = (min: number, max: number) =>
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

/** The data path a variant is expected to use. */
export const pathKind = z.enum(['accelerated', 'synthetic']);

/** A cloud or hypervisor resource name (Azure's rules; libvirt domains use them too). */
export const azureName = (what: string) => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.()-]{0,89}$/, `${what} must be an Azure resource name (letters, digits, _ . ( ) -)`);

export const oneOrMany = <T extends z.ZodTypeAny>(t: T) =>
  z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

/** Bytes, e.g. 262144, "256K", "4M" (1024-based, as iperf3's -w and -l). */
export const bytes = z.union([z.number().int().min(1), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `not a size in bytes: ${JSON.stringify(v)} (write e.g. 262144, 256K, 4M)` });
    return z.NEVER;
  }
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
});

/** Bits per second, e.g. 2000000000, "2G", "100M" (decimal, as iperf3's -b). */
export const bitrate = z.union([z.number().min(1), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)\s*$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `not a bitrate: ${JSON.stringify(v)} (write e.g. 100M, 2.5G, 1000000)` });
    return z.NEVER;
  }
  return Number(m[1]) * { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
});

export const testPort = z.number().int().min(1024).max(65535);

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

export type BackgroundSpec = z.output<typeof backgroundSchema>;
export type SwitchoverSpec = z.output<typeof switchoverSchema>;
