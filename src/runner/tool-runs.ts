// What one trial runs for each tool: the server and how to tell it is ready, the client and the files
// it leaves, and how its output becomes metrics. The runner does the rest the same way for all tools.
import type { Arg } from '../util/shell.js';
import type { TestSpec } from '../scenario/schema.js';
import type { Point } from '../scenario/plan.js';
import type { ParseResult } from '../tools/failure.js';
import { fail } from '../tools/failure.js';
import type { IngestedLog } from './full-log-ingest.js';
import * as sockperf from '../tools/sockperf.js';
import * as netperf from '../tools/netperf.js';
import * as iperf3 from '../tools/iperf3.js';

export interface TrialOutcome {
  metrics: Record<string, number>;
  latencyKind?: 'rtt' | 'half-rtt';
  version?: string;
  /** The tool's own summary, kept in the record for reference. */
  summary?: Record<string, unknown>;
  /** Seconds after the client process started when the measurement began (start-up, warm-up, omit). */
  measuredFrom?: number;
  /** sockperf: the stored per-message samples (arrival order with times; sorted), for the switchover. */
  store?: IngestedLog['store'];
  /** sockperf: the first kept message's send time on sockperf's clock (s after the process started). */
  firstTx?: number;
  /** Messages sent without an answer (sockperf). */
  lost?: number;
}

export interface ClientOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Extra files by suffix (small ones, as text). */
  files: Record<string, string | undefined>;
  /** The full log, parsed and stored as it arrived (sockperf latency modes). */
  fullLog?: ParseResult<IngestedLog>;
}

export interface ToolRun {
  /** Binaries that must exist on the client and on the server host. */
  needs: { client: string; server: string };
  server: { argv: Arg[]; ready: { protocol: 'tcp' | 'udp'; port: number } };
  client: {
    argv: Arg[];
    seconds: number;
    files: Record<string, string>;
    /** The file (by suffix) that is a sockperf full log: streamed into the parser and the sample store. */
    /** Parsed as it arrives; `arrivals`: keep each reply's arrival time too (a live switchover's timeline). */
    fullLog?: { suffix: string; warmupS: number; maxRows: number; arrivals: boolean };
  };
  parse(out: ClientOutput): ParseResult<TrialOutcome>;
}

export interface RunContext {
  serverAddress: string;
  clientDir: string;
  trialId: string;
  /** Messages/s for this pair's group, overriding the test's `mps`. */
  mps?: number;
}

export function toolRun(test: TestSpec, point: Point, ctx: RunContext): ToolRun {
  if (test.tool === 'sockperf') return sockperfRun(test, point, ctx);
  if (test.tool === 'netperf') return netperfRun(test, point, ctx);
  return iperf3Run(test, point, ctx);
}

function sockperfRun(test: Extract<TestSpec, { tool: 'sockperf' }>, point: Point, ctx: RunContext): ToolRun {
  const mode = point.mode as sockperf.SockperfMode;
  const protocol = point.protocol;
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
      if (mode === 'throughput') {
        const tp = sockperf.parseThroughput(out.stdout, { stderr: out.stderr, exitCode: out.exitCode, size: point.size });
        if (!tp.ok) return tp;
        const m: Record<string, number> = { messages_per_s: tp.value.messagesPerSecond, sent_bps: tp.value.bitsPerSecond };
        if (tp.value.packetsPerSecond !== undefined) m.packets_per_s = tp.value.packetsPerSecond;
        return { ok: true, value: { metrics: m, version: tp.value.version, summary: { ...tp.value } } };
      }
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

function netperfRun(test: Extract<TestSpec, { tool: 'netperf' }>, point: Point, ctx: RunContext): ToolRun {
  const which = point.mode as netperf.NetperfTest;
  const argv = netperf.clientArgv({
    address: ctx.serverAddress,
    port: test.port,
    test: which,
    seconds: test.duration,
    size: point.size,
    responseSize: test.response_size,
    cpu: test.cpu,
    dataPort: test.data_port,
  });
  return {
    needs: { client: 'netperf', server: 'netserver' },
    server: { argv: netperf.serverArgv({ address: ctx.serverAddress, port: test.port }), ready: { protocol: 'tcp', port: test.port } },
    client: { argv, seconds: test.duration, files: {} },
    parse(out) {
      const r = netperf.parseOutput(out.stdout, { stderr: out.stderr, exitCode: out.exitCode, requested: netperf.selectorsFor(which) });
      if (!r.ok) return r;
      const metrics = netperf.metrics(r.value, which);
      return {
        ok: true,
        value: { metrics, latencyKind: netperf.isRequestResponse(which) ? 'rtt' : undefined, summary: { ...r.value.keys }, measuredFrom: 0 },
      };
    },
  };
}

function iperf3Run(test: Extract<TestSpec, { tool: 'iperf3' }>, point: Point, ctx: RunContext): ToolRun {
  const direction = point.mode as iperf3.Iperf3Direction;
  const argv = iperf3.clientArgv({
    address: ctx.serverAddress,
    port: test.port,
    protocol: point.protocol,
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
