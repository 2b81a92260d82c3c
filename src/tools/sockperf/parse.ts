// sockperf adapter: command lines, and pure parsers for the client summary and the --full-log file.
// Formats across versions (1.x-3.10) are described in docs/tool-formats.md (sockperf); sockperf exits 0 on
// most failures, so success is decided from the output.
import type { Arg } from '../../util/shell.js';
import { ipAddress, port as checkPort, positiveInt, absPath } from '../../util/shell.js';
import { latencyStats, latencyStatsOf, percentileName, statsMetrics } from '../../util/samples.js';
import { fail, type ParseResult } from '../failure.js';
import { latencyUs, parseFullLogBytes } from './fulllog.js';

export type Protocol = 'udp' | 'tcp';

export function serverArgv(o: { address: string; port: number; protocol: Protocol }): Arg[] {
  const argv: Arg[] = ['sockperf', 'server', '-i', ipAddress(o.address), '-p', checkPort(o.port)];
  if (o.protocol === 'tcp') argv.push('--tcp');
  return argv;
}

export type SockperfMode = 'ping-pong' | 'under-load' | 'throughput';

export interface ClientOptions {
  mode?: SockperfMode;
  address: string;
  port: number;
  protocol: Protocol;
  size: number;
  /** Whole seconds: sockperf's -t takes an integer. */
  seconds: number;
  mps: number | 'max';
  fullRtt: boolean;
  fullLogPath?: string;
  /** Messages per burst (-b); 1 = no bursts. */
  burst?: number;
  /** under-load: the server replies to every N-th message (--reply-every). */
  replyEvery?: number;
}

export function clientArgv(o: ClientOptions): Arg[] {
  const mode = o.mode ?? 'ping-pong';
  const argv: Arg[] = ['sockperf', mode, '-i', ipAddress(o.address), '-p', checkPort(o.port)];
  if (o.protocol === 'tcp') argv.push('--tcp');
  argv.push('-m', positiveInt(o.size, 'message size'), '-t', positiveInt(o.seconds, 'duration'));
  argv.push(`--mps=${o.mps === 'max' ? 'max' : positiveInt(o.mps, 'mps')}`);
  if (o.burst && o.burst > 1) argv.push('-b', positiveInt(o.burst, 'burst'));
  if (mode === 'under-load' && o.replyEvery) argv.push(`--reply-every=${positiveInt(o.replyEvery, 'reply_every')}`);
  if (mode !== 'throughput') {
    if (o.fullRtt) argv.push('--full-rtt');
    if (o.fullLogPath) argv.push('--full-log', absPath(o.fullLogPath));
  }
  return argv;
}

/** Compatibility name for ping-pong command lines. */
export const pingPongArgv = (o: Omit<ClientOptions, 'mode'>): Arg[] => clientArgv({ ...o, mode: 'ping-pong' });

// ---- parsing -------------------------------------------------------------------------------------

const ANSI = /\x1b\[[0-9;]*m/g;
const num = '([-+]?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)';
const AVG = new RegExp(`====>\\s*avg-(lat|latency|rtt)=\\s*${num}\\s*\\(std-dev=\\s*${num}`);
const PCT = new RegExp(`--->\\s*percentile\\s+${num}\\s*=\\s*${num}`, 'g');
const MAX = new RegExp(`--->\\s*<MAX>\\s*observation\\s*=\\s*${num}`);
const MIN = new RegExp(`--->\\s*<MIN>\\s*observation\\s*=\\s*${num}`);
const VALID = new RegExp(`\\[Valid Duration\\]\\s*RunTime=${num} sec; SentMessages=(\\d+); ReceivedMessages=(\\d+)`);
const TOTAL = new RegExp(
  `\\[(?:Total Run|including warmup)\\]\\s*RunTime=${num} sec;(?: Warm up (?:time=(\\d+) msec|packets=(\\d+));)? SentMessages=(\\d+); ReceivedMessages=(\\d+)`,
);
const DROPS = /# dropped (?:messages|packets) = (\d+); # duplicated (?:messages|packets) = (\d+); # out-of-order (?:messages|packets) = (\d+)/;
const OBS = /Total (\d+) observations/;
const VERSION = /== version #([\w.-]+)/;
const BURST = /Summary: (?:Latency|Round trip) of burst of (\d+) messages/;
const SUMM = new RegExp(`Summary:\\s*(Latency|Round trip)(?: of burst of (\\d+) messages)? is ${num} usec`);

/** sockperf's own client summary of one ping-pong / under-load run. Latencies in µs. */
export interface SockperfSummary {
  version?: string;
  /** 'rtt' with --full-rtt (avg-rtt), 'half-rtt' otherwise: sockperf reports RTT/2 by default. */
  latencyKind: 'rtt' | 'half-rtt';
  avg: number;
  stddev?: number;
  min?: number;
  max?: number;
  /** Keyed by metric name (p50, p99_9, …); only the rows sockperf printed. */
  percentiles: Record<string, number>;
  observations?: number;
  validRunTime?: number;
  validSent?: number;
  validReceived?: number;
  totalRunTime?: number;
  totalSent?: number;
  totalReceived?: number;
  warmupMs?: number;
  dropped?: number;
  duplicated?: number;
  outOfOrder?: number;
  burst?: number;
}

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/^\uFEFF/, '');
}

/** The window sockperf keeps for statistics: -t minus 400 ms warm-up and 50 ms cool-down. */
export function expectedValidSeconds(seconds: number): number {
  return seconds - 0.45;
}

/**
 * Parse a sockperf client's stdout (and stderr). `seconds` is the -t asked for; when given, a valid
 * window much shorter than asked (the server died and replies stopped) fails the run.
 */
export function parseSummary(stdout: string, opts: { stderr?: string; exitCode?: number | null; seconds?: number } = {}): ParseResult<SockperfSummary> {
  const text = stripAnsi(stdout);
  const all = `${text}\n${stripAnsi(opts.stderr ?? '')}`;
  const errorLine = /ERROR:\s*(.*)/.exec(all);
  if (/ERROR:\s*Can.t connect socket/.test(all) || /No messages were received from the server/.test(all)) {
    return fail('server-unreachable', errorLine?.[1]?.trim() || 'no messages were received from the server (is it down or blocked?)');
  }
  if (/connection was forcibly closed by a peer|Connection reset by peer/i.test(all)) {
    return fail('server-died', `the server closed the connection mid-run: ${errorLine?.[1]?.trim() ?? ''}`.trim());
  }
  if (/No valid observations found/.test(all)) {
    return fail('too-few-samples', 'no valid observations: the run was too short or the message rate too low for sockperf\'s 0.45 s warm-up window');
  }
  if (/Invalid|invalid option|unrecognized option|Usage: sockperf|usage:/i.test(all) && !AVG.test(text)) {
    const first = all.split('\n').find((l) => /Invalid|invalid|unrecognized/.test(l));
    return fail('bad-arguments', `sockperf rejected its arguments: ${first?.replace(/^sockperf:\s*/, '').trim() ?? 'usage printed'}`);
  }
  if (errorLine) return fail('tool-error', errorLine[1]!.trim());
  if (opts.exitCode !== undefined && opts.exitCode !== null && opts.exitCode !== 0) {
    return fail('tool-error', `sockperf exited with ${opts.exitCode}`);
  }
  const avg = AVG.exec(text);
  // Excerpts (and runs whose avg line was lost) may keep only "Summary: Latency|Round trip is X usec".
  const summ = SUMM.exec(text);
  if (!avg && !summ) return fail('no-result', 'no latency summary (====> avg-… or Summary: …) in the output');

  const percentiles: Record<string, number> = {};
  for (const m of text.matchAll(PCT)) percentiles[percentileName(Number(m[1]))] = Number(m[2]);
  const valid = VALID.exec(text);
  const total = TOTAL.exec(text);
  const drops = DROPS.exec(text);
  const summary: SockperfSummary = {
    version: VERSION.exec(text)?.[1],
    latencyKind: (avg ? avg[1] === 'rtt' : summ![1] === 'Round trip') ? 'rtt' : 'half-rtt',
    avg: avg ? Number(avg[2]) : Number(summ![3]),
    stddev: avg ? Number(avg[3]) : undefined,
    min: optNum(MIN.exec(text)?.[1]),
    max: optNum(MAX.exec(text)?.[1]),
    percentiles,
    observations: optNum(OBS.exec(text)?.[1]),
    validRunTime: optNum(valid?.[1]),
    validSent: optNum(valid?.[2]),
    validReceived: optNum(valid?.[3]),
    totalRunTime: optNum(total?.[1]),
    warmupMs: optNum(total?.[2]),
    totalSent: optNum(total?.[4]),
    totalReceived: optNum(total?.[5]),
    dropped: optNum(drops?.[1]),
    duplicated: optNum(drops?.[2]),
    outOfOrder: optNum(drops?.[3]),
    burst: optNum(BURST.exec(text)?.[1]),
  };
  if (opts.seconds !== undefined && summary.validRunTime !== undefined) {
    const expected = expectedValidSeconds(opts.seconds);
    if (summary.validRunTime < 0.8 * expected) {
      return fail(
        'server-died',
        `replies stopped early: valid window ${summary.validRunTime.toFixed(3)} s of the expected ${expected.toFixed(2)} s (the server died or the path broke mid-run)`,
      );
    }
  }
  return { ok: true, value: summary };
}

function optNum(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

/** sockperf throughput mode: what the client SENT (payload only); it does not measure what arrived. */
export interface SockperfThroughput {
  version?: string;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Payload bits/s, from the message rate × size (sockperf's own MBps is 2^20-based). */
  bitsPerSecond: number;
  /** Packets per second when a message spans several IP fragments. */
  packetsPerSecond?: number;
}

const TP_TOTAL = new RegExp(`Total of (\\d+) messages sent in ${num} sec`);
const TP_RATE = /Message Rate is (\d+) \[msg\/sec\](?:, Packet Rate is about (\d+) \[pkt\/sec\])?/;

export function parseThroughput(stdout: string, opts: { stderr?: string; exitCode?: number | null; size: number }): ParseResult<SockperfThroughput> {
  const text = stripAnsi(stdout);
  const all = `${text}\n${stripAnsi(opts.stderr ?? '')}`;
  const errorLine = /ERROR:\s*(.*)/.exec(all);
  if (/Can.t connect socket|Connection refused/.test(all)) return fail('server-unreachable', errorLine?.[1]?.trim() ?? 'connection refused');
  if (/forcibly closed by a peer|Connection reset by peer|Broken pipe/i.test(all)) return fail('server-died', `the server closed the connection mid-run: ${errorLine?.[1]?.trim() ?? ''}`.trim());
  if (/Invalid|invalid option|Usage: sockperf/i.test(all) && !TP_RATE.test(text)) return fail('bad-arguments', 'sockperf rejected its arguments');
  if (errorLine) return fail('tool-error', errorLine[1]!.trim());
  if (opts.exitCode !== undefined && opts.exitCode !== null && opts.exitCode !== 0) return fail('tool-error', `sockperf exited with ${opts.exitCode}`);
  const rate = TP_RATE.exec(text);
  const total = TP_TOTAL.exec(text);
  if (!rate || !total) return fail('no-result', 'no throughput summary (Summary: Message Rate is …) in the output');
  const messagesPerSecond = Number(rate[1]);
  return {
    ok: true,
    value: {
      version: VERSION.exec(text)?.[1],
      messages: Number(total[1]),
      seconds: Number(total[2]),
      messagesPerSecond,
      bitsPerSecond: messagesPerSecond * opts.size * 8,
      packetsPerSecond: rate[2] ? Number(rate[2]) : undefined,
    },
  };
}

/** Per-message samples of a --full-log file. */
export interface FullLog {
  latencyKind: 'rtt' | 'half-rtt';
  /** Latency (or RTT) of each message in µs, in the order received. */
  samples: Float64Array;
  /** Send time of each message, seconds on sockperf's own clock (not wall time; see docs/tool-formats.md, sockperf). */
  txTimes: Float64Array;
  /** Arrival time of each reply, same clock. */
  rxTimes: Float64Array;
  /** The parameters line sockperf wrote, e.g. "--mps=1000 --burst=1 …". */
  parameters?: string;
}

/**
 * A whole log held in memory, every time kept (saved files, small logs, tests). Runs stream theirs through
 * `FullLogParser` (sockperf-fulllog.ts), which this is built on.
 */
export function parseFullLog(text: string | Buffer): ParseResult<FullLog> {
  const r = parseFullLogBytes(text, { times: 'all' });
  if (!r.ok) return r;
  const v = r.value;
  return {
    ok: true,
    value: { latencyKind: v.latencyKind, samples: Float64Array.from(v.latency, (u) => latencyUs(u, v.unitNs)), txTimes: v.txTimes!, rxTimes: v.rxTimes!, parameters: v.parameters },
  };
}

/** Drop the samples sent during the first `seconds` of the log (the scenario's warm-up). */
export function dropWarmup(log: FullLog, seconds: number): FullLog {
  if (seconds <= 0 || log.txTimes.length === 0) return log;
  const cutoff = log.txTimes[0]! + seconds;
  const keep: number[] = [];
  log.txTimes.forEach((t, i) => {
    if (t >= cutoff) keep.push(i);
  });
  return {
    ...log,
    samples: Float64Array.from(keep, (i) => log.samples[i]!),
    txTimes: Float64Array.from(keep, (i) => log.txTimes[i]!),
    rxTimes: Float64Array.from(keep, (i) => log.rxTimes[i]!),
  };
}

/** Metrics of a ping-pong trial, pooled from the full log's per-message samples. */
export function latencyMetrics(log: FullLog): Record<string, number> {
  return statsMetrics(latencyStats(log.samples));
}

/**
 * The same metrics from a sorted column of a streamed log (`units` of `unitNs` ns): the same values as
 * latencyMetrics on the text, without a copy of the column as doubles.
 */
export function sortedLatencyMetrics(sorted: Uint32Array, unitNs: number): Record<string, number> {
  return statsMetrics(latencyStatsOf(sorted, (u) => latencyUs(u, unitNs)));
}


/** Metrics from sockperf's printed summary, for outputs saved without a full log. */
export function summaryMetrics(s: SockperfSummary): Record<string, number> {
  const out: Record<string, number> = { mean_us: s.avg };
  if (s.stddev !== undefined) out.stddev_us = s.stddev;
  if (s.min !== undefined) out.min_us = s.min;
  if (s.max !== undefined) out.max_us = s.max;
  if (s.observations !== undefined) out.count = s.observations;
  for (const [name, v] of Object.entries(s.percentiles)) out[`${name}_us`] = v;
  return out;
}
