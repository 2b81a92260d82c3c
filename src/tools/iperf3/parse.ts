// iperf3 adapter: command lines and a pure parser for -J (and --json-stream) output across 3.0-3.21.
// Traps (docs/tool-formats.md, iperf3): 3.11-3.13 exit 0 on errors, the error may carry an "error - "
// prefix or be missing (3.9, then only stderr says it), text may precede the JSON, a dead server leaves
// `end: {}` and a duplicated last interval, UDP's `end.sum` mixes sender bytes with receiver loss, and
// 3.7-3.10 --bidir output has duplicate keys.
import type { Arg } from '../../util/shell.js';
import { ipAddress, port as checkPort, positiveInt } from '../../util/shell.js';
import { fail, type FailureKind, type ParseResult } from '../failure.js';

export type Iperf3Direction = 'forward' | 'reverse' | 'bidir';

export interface Iperf3ClientOptions {
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  seconds: number;
  streams: number;
  direction: Iperf3Direction;
  /** Target bitrate in bits/s (UDP needs one; 0 = unlimited for TCP). */
  bitrate: number;
  omit: number;
  /** Buffer length (-l) in bytes; 0 = iperf3's default. */
  length: number;
  /** Socket buffer (-w) in bytes; 0 = the kernel's default. */
  window: number;
}

export function serverArgv(o: { address: string; port: number }): Arg[] {
  return ['iperf3', '-s', '-B', ipAddress(o.address), '-p', checkPort(o.port)];
}

export function clientArgv(o: Iperf3ClientOptions): Arg[] {
  const argv: Arg[] = ['iperf3', '-c', ipAddress(o.address), '-p', checkPort(o.port), '-J', '-t', positiveInt(o.seconds, 'duration')];
  if (o.protocol === 'udp') argv.push('-u');
  if (o.bitrate > 0) argv.push('-b', String(Math.round(o.bitrate)));
  if (o.streams > 1) argv.push('-P', positiveInt(o.streams, 'streams'));
  if (o.direction === 'reverse') argv.push('-R');
  if (o.direction === 'bidir') argv.push('--bidir');
  if (o.omit > 0) argv.push('-O', positiveInt(o.omit, 'omit'));
  if (o.length > 0) argv.push('-l', positiveInt(o.length, 'length'));
  if (o.window > 0) argv.push('-w', positiveInt(o.window, 'window'));
  return argv;
}

type Json = Record<string, unknown>;

export interface Iperf3Result {
  /** json: -J or --json-stream; text: the human report (fallback for runs saved by hand). */
  format: 'json' | 'text';
  version?: string;
  protocol: 'tcp' | 'udp';
  doc: Json;
  /** Per-interval sums, repeated (start, end) pairs removed (a dying test repeats its last one). */
  intervals: { start: number; end: number; bitsPerSecond: number; omitted: boolean }[];
}

/** The JSON document: a single object (text may come before or after it) or --json-stream events. */
export function extractJson(stdout: string): Json | undefined {
  const lines = stdout.split(/\r?\n/);
  if (lines.some((l) => /^\{"event":/.test(l.trim()))) {
    const doc: Json = { intervals: [] as unknown[] };
    for (const l of lines) {
      if (!/^\{"event":/.test(l.trim())) continue;
      try {
        const e = JSON.parse(l) as { event: string; data: unknown };
        if (e.event === 'interval') (doc.intervals as unknown[]).push(e.data);
        else if (e.event === 'error') doc.error = e.data;
        else doc[e.event] = e.data;
      } catch {
        /* a torn line: the rest still counts */
      }
    }
    return doc;
  }
  const start = stdout.search(/^\{/m);
  const end = stdout.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(stdout.slice(start, end + 1)) as Json;
  } catch {
    return undefined;
  }
}

const TEXT_LINE =
  /^\[\s*(\d+|SUM)\](?:\[(TX|RX)-C\])?\s+([\d.]+)-([\d.]+)\s+sec\s+[\d.]+\s+\w?Bytes\s+([\d.]+)\s+([KMGT]?)(bits|Bytes)\/sec(.*?)\s+(sender|receiver)\s*$/;

/**
 * iperf3's text report (no -J), for importing runs made by hand: the final sender/receiver lines,
 * [SUM] lines when there are several streams, [TX-C]/[RX-C] with --bidir. Bitrates are 1000-based.
 * Returns a document shaped like the JSON one, or undefined when there are no such lines.
 */
function textSummary(stdout: string): Json | undefined {
  const sums: Record<string, Json> = {};
  let udp = false;
  for (const line of stdout.split(/\r?\n/)) {
    const m = TEXT_LINE.exec(line.trim());
    if (!m) continue;
    const [, id, dir, start, end, value, prefix, kind, rest, role] = m;
    const key = `${dir === 'RX' ? 'reverse' : 'forward'}-${role}`;
    if (sums[key] && id !== 'SUM') continue; // a [SUM] line wins over single streams
    // Bits are 1000-based; bytes (-f K/M/G) are 1024-based, as iperf3's units.c prints them.
    const power = ['', 'K', 'M', 'G', 'T'].indexOf(prefix!);
    const bps = kind === 'bits' ? Number(value) * 1000 ** power : Number(value) * 1024 ** power * 8;
    const o: Json = { start: Number(start), end: Number(end), bits_per_second: Math.round(bps) };
    const u = /([\d.]+) ms\s+(\d+)\/(\d+)\s+\(([\d.e+-]+)%\)/.exec(rest!);
    if (u) {
      udp = true;
      Object.assign(o, { jitter_ms: Number(u[1]), lost_packets: Number(u[2]), packets: Number(u[3]), lost_percent: Number(u[4]) });
    } else if (/^\s*\d+\s*$/.test(rest!)) o.retransmits = Number(rest);
    sums[key] = o;
  }
  if (Object.keys(sums).length === 0) return undefined;
  return {
    start: { test_start: { protocol: udp ? 'UDP' : 'TCP' } },
    intervals: [],
    end: {
      sum_sent: sums['forward-sender'],
      sum_received: sums['forward-receiver'],
      ...(sums['reverse-receiver'] ? { sum_sent_bidir_reverse: sums['reverse-sender'], sum_received_bidir_reverse: sums['reverse-receiver'] } : {}),
    },
  };
}

function classify(message: string): FailureKind {
  if (/unable to connect to server|Connection refused|No route to host|unable to send control message/i.test(message)) return 'server-unreachable';
  if (/server is busy/i.test(message)) return 'server-busy';
  if (/control socket has closed|Connection reset|unable to (write|read|receive|send)|Broken pipe|unexpectedly|timed out/i.test(message)) return 'server-died';
  if (/parameter error|unrecognized option|invalid option|usage/i.test(message)) return 'bad-arguments';
  return 'tool-error';
}

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const numAt = (o: Json | undefined, k: string): number | undefined => (typeof o?.[k] === 'number' ? (o[k] as number) : undefined);

export function parseOutput(stdout: string, opts: { stderr?: string; exitCode?: number | null } = {}): ParseResult<Iperf3Result> {
  const stderr = opts.stderr ?? '';
  const json = extractJson(stdout);
  const doc = json ?? textSummary(stdout);
  if (!doc) {
    const line = `${stderr}\n${stdout}`.split('\n').find((l) => /iperf3: (error|parameter error)|unrecognized option|invalid option/.test(l));
    if (line) return fail(classify(line), line.replace(/^iperf3:\s*(error - )?/, '').trim());
    return fail('no-result', 'no JSON document in the output (was -J given?)');
  }
  const version = /iperf (\d+\.\d+(?:\.\d+)?)/.exec(String(obj(doc.start)?.version ?? ''))?.[1];
  if (typeof doc.error === 'string' && doc.error) {
    const message = doc.error.replace(/^error - /, '');
    return fail(classify(message), message);
  }
  const end = obj(doc.end);
  if (!end || Object.keys(end).length === 0) {
    // 3.9 prints the JSON without its error and says it on stderr.
    const line = stderr.split('\n').find((l) => /iperf3: error/.test(l));
    const message = line ? line.replace(/^iperf3:\s*error - /, '').trim() : 'the test ended without results (end is empty): the server or the path went away';
    return fail(line ? classify(message) : 'server-died', message);
  }
  if (!end.sum_sent && !end.sum_received && !end.sum) return fail('no-result', 'no sum_sent, sum_received or sum in end');
  if (opts.exitCode !== undefined && opts.exitCode !== null && opts.exitCode !== 0) return fail('tool-error', `iperf3 exited with ${opts.exitCode}`);
  const testStart = obj(obj(doc.start)?.test_start);
  const protocol = String(testStart?.protocol ?? '').toUpperCase() === 'UDP' ? 'udp' : 'tcp';
  const seen = new Set<string>();
  const intervals: Iperf3Result['intervals'] = [];
  for (const it of (Array.isArray(doc.intervals) ? doc.intervals : []) as Json[]) {
    const sum = obj(it.sum);
    if (!sum) continue;
    const key = `${sum.start}-${sum.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    intervals.push({ start: Number(sum.start), end: Number(sum.end), bitsPerSecond: Number(sum.bits_per_second), omitted: sum.omitted === true });
  }
  return { ok: true, value: { format: json ? 'json' : 'text', version, protocol, doc, intervals } };
}

/** Metrics in vfbench's names: bits/s (decimal), retransmits, UDP jitter (ms) and loss (%), per-process CPU (%). */
export function metrics(r: Iperf3Result): Record<string, number> {
  const end = obj(r.doc.end)!;
  const out: Record<string, number> = {};
  // Choose by key name: `sender: false` on sum_sent only means "this host did not send" (-R).
  const sent = obj(end.sum_sent);
  const received = obj(end.sum_received);
  const legacy = obj(end.sum); // UDP before 3.11: sender's bytes with the receiver's loss and jitter
  const goodput = numAt(received, 'bits_per_second') ?? numAt(legacy, 'bits_per_second');
  if (goodput !== undefined) out.throughput_bps = goodput;
  const sentBps = numAt(sent, 'bits_per_second') ?? (r.protocol === 'udp' ? numAt(legacy, 'bits_per_second') : undefined);
  if (sentBps !== undefined) out.sent_bps = sentBps;
  const retr = numAt(sent, 'retransmits');
  if (retr !== undefined) out.retransmits = retr;
  if (r.protocol === 'udp') {
    const loss = received && 'lost_percent' in received ? received : legacy;
    for (const [k, name] of [['jitter_ms', 'jitter_ms'], ['lost_percent', 'lost_pct'], ['lost_packets', 'lost_packets'], ['packets', 'packets']] as const) {
      const v = numAt(loss, k);
      if (v !== undefined && Number.isFinite(v)) out[name] = v;
    }
  }
  const rev = obj(end.sum_received_bidir_reverse);
  const revBps = numAt(rev, 'bits_per_second');
  if (revBps !== undefined) out.reverse_throughput_bps = revBps;
  const cpu = obj(end.cpu_utilization_percent);
  const host = numAt(cpu, 'host_total');
  const remote = numAt(cpu, 'remote_total');
  // Of the iperf3 process alone, in % of one CPU: not comparable with netperf's system-wide figure.
  if (host !== undefined) out.local_process_cpu_pct = host;
  if (remote !== undefined) out.remote_process_cpu_pct = remote;
  return out;
}

/** 3.7-3.10 print duplicate keys with --bidir; JSON.parse keeps one direction only. */
export function bidirAmbiguous(version: string | undefined): boolean {
  if (!version) return false;
  const [maj, min] = version.split('.').map(Number);
  return maj === 3 && min! >= 7 && min! <= 10;
}

/** `iperf3 --version` → "3.12". */
export function parseVersion(text: string): string | undefined {
  return /iperf (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

/** "10G", "100M", "1.5g", 2e9 → bits/s (decimal, as iperf3's -b). */
export function parseBitrate(v: string | number): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)\s*$/.exec(v);
  if (!m) return undefined;
  const f = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * f;
}
