// sockperf (latency: ping-pong, under-load; throughput): its scenario schema, points, checks, runs, parsers.
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { backgroundSchema, duration, name, oneOrMany, switchoverSchema, testPort } from '../../scenario/fields.js';
import type { ToolDefinition, ToolRun, ToolPoint, ToolContext, Parsed, TestProblem } from '../tool.js';
import type { ParseResult } from '../failure.js';
import { fail } from '../failure.js';
import * as sockperf from './parse.js';
import { FullLogParser } from './fulllog.js';

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

export type SockperfTestSpec = z.output<typeof sockperfTestSchema>;

/** Seconds from the client's start to its first message: a fixed 2 s sleep after its warm-up messages, plus clock calibration (measured: 2.3 s). */
const STARTUP_S = 2.3;

function check(t: SockperfTestSpec, problem: TestProblem, scenario: { groups?: Record<string, { mps?: number }> }): void {
  if (!Number.isInteger(t.warmup)) problem(['warmup'], `sockperf runs whole seconds; got ${t.warmup}s`);
  if (t.mode === 'throughput' && t.full_rtt) problem(['full_rtt'], 'throughput mode measures no latency');
  if (t.mode !== 'under-load' && t.reply_every !== undefined) problem(['reply_every'], 'reply_every applies to mode: under-load only');
  if (t.switchover) {
    if (t.mode === 'throughput') problem(['mode'], 'a switchover measures latency: use mode ping-pong or under-load');
    if (t.mode === 'ping-pong' && t.protocol.includes('udp')) {
      problem(['mode'], 'a UDP switchover needs mode: under-load with reply_every: 1 (a ping-pong client stalls on the first message the switch loses)');
    }
  }
  checkLogSize(t, problem, scenario);
}

/**
 * A message rate bounds a full log: refuse a trial whose log could not be held, before it runs. Rows are
 * replies: the rate (the test's, or its groups') over reply_every under load. At `mps: max` the rate is the
 * path's, unknown here: a log growing past the limit fails its trial (too-many-samples).
 */
function checkLogSize(t: SockperfTestSpec, problem: TestProblem, s: { groups?: Record<string, { mps?: number }> }): void {
  if (t.mode === 'throughput') return;
  const perReply = t.mode === 'under-load' ? (t.reply_every ?? 100) : 1;
  const rates = [t.mps ?? (t.mode === 'under-load' ? 10_000 : 'max'), ...Object.values(s.groups ?? {}).map((g) => g.mps)].filter((r): r is number => typeof r === 'number');
  const seconds = t.duration + t.warmup;
  const rows = Math.ceil((Math.max(0, ...rates) / perReply) * seconds);
  if (rows > t.max_log_rows) {
    const replies = perReply > 1 ? ` with a reply every ${perReply}` : '';
    problem(['duration'], `${seconds} s at ${Math.max(...rates)} messages/s${replies} is up to ${rows} full-log rows, more than max_log_rows (${t.max_log_rows}): shorten it or raise max_log_rows (up to 8 bytes of vfbench's memory per row)`);
  }
  // A live switchover keeps each reply's arrival as 32-bit µs from the first send.
  if (t.switchover && seconds > 4200) problem(['duration'], `a live switchover test lasts at most 4200 s (70 minutes) with its warm-up; this one ${seconds} s`);
}

function run(test: SockperfTestSpec, point: ToolPoint, ctx: ToolContext): ToolRun {
  const mode = point.mode as sockperf.SockperfMode;
  const protocol = point.protocol as sockperf.Protocol;
  // Warm-up is part of the same run (same socket and flow); its samples are dropped from the full log.
  // A separate client run would cost sockperf's fixed ~2.3 s start-up a second time.
  const seconds = test.duration + test.warmup;
  const fullLog = mode === 'throughput' ? undefined : `${ctx.clientDir}/${ctx.trialId}.fulllog.csv`;
  const mps = ctx.mps ?? test.mps ?? (mode === 'under-load' ? 10_000 : 'max');
  const argv = sockperf.clientArgv({
    mode,
    address: ctx.serverAddress,
    port: test.port,
    protocol,
    size: point.size,
    seconds,
    mps,
    burst: test.burst,
    replyEvery: test.reply_every,
    fullRtt: test.full_rtt,
    fullLogPath: fullLog,
  });
  return {
    needs: { client: 'sockperf', server: 'sockperf' },
    server: { argv: sockperf.serverArgv({ address: ctx.serverAddress, port: test.port, protocol }), ready: { protocol, port: test.port } },
    client: { argv, seconds, files: fullLog ? { 'fulllog.csv': fullLog } : {}, fullLog: fullLog ? { suffix: 'fulllog.csv', warmupS: test.warmup, maxRows: test.max_log_rows, arrivals: !!test.switchover } : undefined },
    parse(out) {
      if (mode === 'throughput') return parseThroughputRun(out, point.size);
      const summary = sockperf.parseSummary(out.stdout, { stderr: out.stderr, exitCode: out.exitCode, seconds });
      if (!summary.ok) return summary;
      if (!out.fullLog) return fail('no-result', 'sockperf wrote no --full-log file');
      if (!out.fullLog.ok) return out.fullLog;
      const log = out.fullLog.value;
      const metrics: Record<string, number> = { ...sockperf.sortedLatencyMetrics(log.sorted, log.unitNs), warmup_dropped: log.warmupDropped };
      if (summary.value.dropped !== undefined) metrics.dropped_messages = summary.value.dropped;
      const span = log.lastRx - log.firstTx;
      if (span > 0) metrics.round_trips_per_s = log.sorted.length / span;
      // A ping-pong has one message in flight: a rate above 1/RTT cannot be reached; the analysis says so.
      if (mode === 'ping-pong' && mps !== 'max') metrics.target_mps = mps;
      const v = summary.value;
      const lost = v.totalSent !== undefined && v.totalReceived !== undefined ? v.totalSent - v.totalReceived : v.dropped;
      return {
        ok: true,
        value: { metrics, latencyKind: log.latencyKind, version: v.version, summary: { ...v }, measuredFrom: log.firstTx, firstTx: log.firstTx, store: log.store, lost },
      };
    },
  };
}

function parseThroughputRun(out: { stdout: string; stderr: string; exitCode: number | null }, size: number): ReturnType<ToolRun['parse']> {
  const tp = sockperf.parseThroughput(out.stdout, { stderr: out.stderr, exitCode: out.exitCode, size });
  if (!tp.ok) return tp;
  const m: Record<string, number> = { messages_per_s: tp.value.messagesPerSecond, sent_bps: tp.value.bitsPerSecond };
  if (tp.value.packetsPerSecond !== undefined) m.packets_per_s = tp.value.packetsPerSecond;
  return { ok: true, value: { metrics: m, version: tp.value.version, summary: { ...tp.value } } };
}

function parseSaved(text: string, opts: { size?: number }): ParseResult<Parsed> {
  const tool = 'sockperf';
  if (/Message Rate is/.test(text)) {
    if (!opts.size) return fail('bad-arguments', 'sockperf throughput output: give --size (the message size) to turn messages/s into bits/s');
    const tp = sockperf.parseThroughput(text, { size: opts.size });
    if (!tp.ok) return tp;
    return { ok: true, value: { tool, version: tp.value.version, source: 'throughput summary', metrics: { messages_per_s: tp.value.messagesPerSecond, sent_bps: tp.value.bitsPerSecond } } };
  }
  const summary = sockperf.parseSummary(text);
  const log = sockperf.parseFullLog(text);
  if (log.ok) {
    return { ok: true, value: { tool, version: summary.ok ? summary.value.version : undefined, latencyKind: log.value.latencyKind, source: 'full log (pooled per-message samples)', metrics: sockperf.latencyMetrics(log.value) } };
  }
  if (!summary.ok) return summary;
  return { ok: true, value: { tool, version: summary.value.version, latencyKind: summary.value.latencyKind, source: 'sockperf summary', metrics: sockperf.summaryMetrics(summary.value) } };
}

/** A saved full log of any size is streamed through the parser (memory for its latency column only). */
async function parseSavedFile(path: string, head: string, size: number): Promise<ParseResult<Parsed> | undefined> {
  if (!/^(packet, txTime\(sec\)|txTime, rxTime)/m.test(head)) return undefined;
  const parser = new FullLogParser();
  parser.sizeHint(size);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) parser.push(chunk as Buffer);
  const log = parser.end();
  if (!log.ok) return log;
  const summary = sockperf.parseSummary(head);
  const sorted = log.value.latency.sort();
  return {
    ok: true,
    value: { tool: 'sockperf', version: summary.ok ? summary.value.version : undefined, latencyKind: log.value.latencyKind, source: 'full log (pooled per-message samples)', metrics: sockperf.sortedLatencyMetrics(sorted, log.value.unitNs) },
  };
}

export const sockperfTool = {
  name: 'sockperf',
  schema: sockperfTestSchema,
  binaries: { client: 'sockperf', server: 'sockperf' },
  packages: { sockperf: { '*': 'sockperf' } },
  versionProbe: ['v=$(sockperf --version 2>/dev/null | sed -n "s/^sockperf, version //p" | head -1); command -v sockperf >/dev/null && echo "tool sockperf ${v:-present}"'],
  unsupportedVersion: () => undefined,
  startupS: STARTUP_S,
  keyDefaultMode: 'ping-pong',
  defaultName: (t) => `sockperf-${t.mode}`,
  points: (t) => t.protocol.flatMap((protocol) => t.sizes.map((size) => ({ mode: t.mode, protocol, size, streams: 1 }))),
  pointCount: (t) => t.protocol.length * t.sizes.length,
  warmupS: (t) => t.warmup,
  check,
  run,
  parseSaved,
  parseSavedFile,
  metrics: {
    p50_us: 'median latency, µs (RTT/2 unless full_rtt), pooled from the full log; also p90, p99, p99_9, p99_99',
    mean_us: 'mean latency, µs (also stddev_us, min_us, max_us)',
    count: 'replies measured',
    round_trips_per_s: 'replies per second over the measured window',
    dropped_messages: 'messages sockperf counted as dropped',
    messages_per_s: 'throughput mode: messages per second (sent_bps: bits/s)',
  },
} satisfies ToolDefinition<SockperfTestSpec>;
