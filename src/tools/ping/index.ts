// ping (ICMP echo round trips; the kernel answers, nothing to start on the server): its scenario schema,
// points, run and parser. Latency without a server process: a floor for what sockperf and netperf add.
import { z } from 'zod';
import { backgroundSchema, duration, name } from '../../scenario/fields.js';
import type { ToolDefinition, ToolRun, ToolPoint, ToolContext, Parsed, TestProblem } from '../tool.js';
import type { ParseResult } from '../failure.js';
import * as ping from './parse.js';

export const pingTestSchema = z
  .object({
    tool: z.literal('ping'),
    name: name('test name').optional(),
    /** ICMP payload sizes in bytes (ping -s), one point each. */
    sizes: z.array(z.number().int().min(16, 'ping payloads of at least 16 bytes carry the send time').max(65507)).min(1).default([56]),
    /** Seconds between echo requests (ping -i; ping's timer may send slower); below 2 ms ping needs root. */
    interval: duration(0.0001, 60).default(0.01),
    duration: duration(1, 36000).default(10),
    background: backgroundSchema.optional(),
  })
  .strict();

export type PingTestSpec = z.output<typeof pingTestSchema>;

function check(t: PingTestSpec, problem: TestProblem): void {
  if (t.interval >= t.duration) problem(['interval'], `one echo request every ${t.interval}s does not fit a ${t.duration}s test several times`);
}

function run(test: PingTestSpec, point: ToolPoint, ctx: ToolContext): ToolRun {
  return {
    needs: { client: 'ping' },
    client: { argv: ping.clientArgv({ address: ctx.serverAddress, size: point.size, interval: test.interval, seconds: test.duration }), seconds: test.duration, files: {} },
    parse(out) {
      const r = ping.parseOutput(out.stdout, { stderr: out.stderr, exitCode: out.exitCode });
      if (!r.ok) return r;
      const { rttUs: _samples, ...summary } = r.value;
      return { ok: true, value: { metrics: ping.metrics(r.value), latencyKind: 'rtt', summary, measuredFrom: 0, lost: r.value.asked - r.value.received } };
    },
  };
}

function parseSaved(text: string): ParseResult<Parsed> {
  const r = ping.parseOutput(text);
  if (!r.ok) return r;
  return { ok: true, value: { tool: 'ping', latencyKind: 'rtt', source: 'ping reply lines (pooled per-reply round trips)', metrics: ping.metrics(r.value) } };
}

export const pingTool = {
  name: 'ping',
  schema: pingTestSchema,
  binaries: { client: 'ping' },
  packages: { ping: { apt: 'iputils-ping', '*': 'iputils' } },
  // iputils: "ping from iputils 20221126" (older: "ping utility, iputils-s20180629"); others: present.
  versionProbe: ['v=$(ping -V 2>/dev/null | sed -n "s/.*iputils[- ]s\\{0,1\\}\\([0-9][0-9.]*\\).*/\\1/p" | head -1); command -v ping >/dev/null && echo "tool ping ${v:-present}"'],
  unsupportedVersion: () => undefined,
  startupS: 0.05,
  keyDefaultMode: 'echo',
  defaultName: () => 'ping',
  points: (t) => t.sizes.map((size) => ({ mode: 'echo', protocol: 'icmp' as const, size, streams: 1 })),
  pointCount: (t) => t.sizes.length,
  warmupS: () => 0,
  check,
  run,
  parseSaved,
  metrics: {
    p50_us: 'median ICMP round trip, µs, pooled from every reply (nearest rank; also p90, p99, p99_9, p99_99)',
    mean_us: 'mean round trip, µs (also stddev_us, min_us, max_us)',
    count: 'replies',
    lost_pct: 'echo requests without a reply, %',
    echo_requests: 'echo requests sent',
  },
} satisfies ToolDefinition<PingTestSpec>;
