// iperf3 (TCP/UDP throughput, streams, directions): its scenario schema, points, checks, runs, parsers.
import { z } from 'zod';
import { bitrate, bytes, duration, name, oneOrMany, testPort } from '../../scenario/fields.js';
import type { ToolDefinition, ToolRun, ToolPoint, ToolContext, Parsed, TestProblem } from '../tool.js';
import { fail, type ParseResult } from '../failure.js';
import * as iperf3 from './parse.js';

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

export type Iperf3TestSpec = z.output<typeof iperf3TestSchema>;

function check(t: Iperf3TestSpec, problem: TestProblem): void {
  if (!Number.isInteger(t.omit)) problem(['omit'], `iperf3 omits whole seconds; got ${t.omit}s`);
  if (t.protocol.includes('udp') && t.bitrate === undefined) problem(['protocol'], 'UDP needs a `bitrate:` (iperf3 would send only 1 Mbit/s)');
}

function run(test: Iperf3TestSpec, point: ToolPoint, ctx: ToolContext): ToolRun {
  const direction = point.mode as iperf3.Iperf3Direction;
  const argv = iperf3.clientArgv({
    address: ctx.serverAddress,
    port: test.port,
    protocol: point.protocol as 'tcp' | 'udp',
    seconds: test.duration,
    streams: point.streams,
    direction,
    bitrate: test.bitrate ?? 0,
    omit: test.omit,
    length: point.size,
    window: test.window ?? 0,
  });
  return {
    needs: { client: 'iperf3', server: 'iperf3' },
    server: { argv: iperf3.serverArgv({ address: ctx.serverAddress, port: test.port }), ready: { protocol: 'tcp', port: test.port } },
    client: { argv, seconds: test.duration + test.omit, files: {} },
    parse(out) {
      const r = iperf3.parseOutput(out.stdout, { stderr: out.stderr, exitCode: out.exitCode });
      if (!r.ok) return r;
      if (direction === 'bidir' && iperf3.bidirAmbiguous(r.value.version)) {
        return fail('tool-unsupported', `iperf3 ${r.value.version} prints duplicate keys with --bidir (fixed in 3.11): run forward and reverse tests instead`);
      }
      const end = r.value.doc.end as Record<string, unknown>;
      return {
        ok: true,
        value: { metrics: iperf3.metrics(r.value), version: r.value.version, summary: { sum_sent: end.sum_sent, sum_received: end.sum_received }, measuredFrom: test.omit },
      };
    },
  };
}

function parseSaved(text: string): ParseResult<Parsed> {
  const r = iperf3.parseOutput(text);
  if (!r.ok) return r;
  return { ok: true, value: { tool: 'iperf3', version: r.value.version, source: r.value.format === 'json' ? 'iperf3 JSON' : 'iperf3 text report', metrics: iperf3.metrics(r.value) } };
}

export const iperf3Tool = {
  name: 'iperf3',
  schema: iperf3TestSchema,
  binaries: { client: 'iperf3', server: 'iperf3' },
  packages: { iperf3: { '*': 'iperf3' } },
  versionProbe: ['v=$(iperf3 --version 2>/dev/null | sed -n "s/^iperf \\([0-9.]*\\).*/\\1/p" | head -1); command -v iperf3 >/dev/null && echo "tool iperf3 ${v:-present}"'],
  unsupportedVersion: (_binary, version) => (Number(version.split(/[.-]/)[0]) < 3 ? `iperf ${version} is not iperf3` : undefined),
  startupS: 0.5,
  defaultName: () => 'iperf3',
  points: (t) => t.protocol.flatMap((protocol) => t.direction.flatMap((mode) => t.streams.flatMap((streams) => (t.sizes ?? [0]).map((size) => ({ mode, protocol, size, streams }))))),
  pointCount: (t) => t.protocol.length * t.direction.length * t.streams.length * (t.sizes?.length ?? 1),
  warmupS: (t) => t.omit,
  check,
  run,
  parseSaved,
  intervals(stdout) {
    const r = iperf3.parseOutput(stdout);
    return r.ok ? r.value.intervals : undefined;
  },
  metrics: {
    throughput_bps: 'bits/s received (forward, reverse) or of the forward half (bidir: reverse_throughput_bps the other)',
    sent_bps: 'bits/s sent',
    retransmits: 'TCP retransmissions',
    jitter_ms: 'UDP: jitter, ms (lost_pct: datagrams lost, %)',
  },
} satisfies ToolDefinition<Iperf3TestSpec>;
