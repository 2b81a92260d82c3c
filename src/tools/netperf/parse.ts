// netperf adapter (omni, 2.5+): command lines and a pure parser for keyval (-k) and CSV (-o) output.
// Traps (docs/tool-formats.md, netperf): unknown selectors in a list are dropped silently, an unknown single
// selector is read as a file name, `-f b` is really bytes/s, CPU figures are -1 unless -c/-C, latencies are
// integer µs full round trips, and some failures exit 0.
import { parse as parseCsv } from 'csv-parse/sync';
import type { Arg } from '../../util/shell.js';
import { ipAddress, port as checkPort, positiveInt } from '../../util/shell.js';
import { fail, type ParseResult } from '../failure.js';

export const NETPERF_TESTS = ['TCP_RR', 'UDP_RR', 'TCP_CRR', 'TCP_STREAM', 'TCP_MAERTS', 'UDP_STREAM'] as const;
export type NetperfTest = (typeof NETPERF_TESTS)[number];

export const isRequestResponse = (t: string) => /_C?RR$/.test(t);
export const protocolOf = (t: NetperfTest): 'tcp' | 'udp' => (t.startsWith('UDP') ? 'udp' : 'tcp');

const RR_SELECTORS = [
  'MIN_LATENCY', 'MAX_LATENCY', 'P50_LATENCY', 'P90_LATENCY', 'P99_LATENCY', 'MEAN_LATENCY', 'STDDEV_LATENCY',
  'TRANSACTION_RATE', 'THROUGHPUT', 'THROUGHPUT_UNITS', 'ELAPSED_TIME', 'PROTOCOL', 'DIRECTION',
  'REQUEST_SIZE', 'RESPONSE_SIZE', 'LOCAL_CPU_UTIL', 'REMOTE_CPU_UTIL', 'CONFIDENCE_ITERATION',
];
const STREAM_SELECTORS = [
  'THROUGHPUT', 'THROUGHPUT_UNITS', 'ELAPSED_TIME', 'PROTOCOL', 'DIRECTION', 'LOCAL_SEND_SIZE', 'LOCAL_BYTES_SENT',
  'REMOTE_BYTES_RECVD', 'LOCAL_SEND_THROUGHPUT', 'REMOTE_RECV_THROUGHPUT', 'LOCAL_CPU_UTIL', 'REMOTE_CPU_UTIL',
  'LOCAL_TRANSPORT_RETRANS',
];

/** The selectors vfbench asks for; every one must come back. */
export function selectorsFor(test: NetperfTest): string[] {
  return isRequestResponse(test) ? RR_SELECTORS : STREAM_SELECTORS;
}

export function serverArgv(o: { address: string; port: number }): Arg[] {
  // -D: stay in the foreground, so the PID vfbench holds is netserver's own.
  return ['netserver', '-D', '-L', ipAddress(o.address), '-p', checkPort(o.port)];
}

export interface NetperfClientOptions {
  address: string;
  port: number;
  test: NetperfTest;
  seconds: number;
  /** Request size (RR/CRR) or send size (streams); 0 = netperf's default. */
  size: number;
  /** Response size for RR/CRR; default = request size. */
  responseSize?: number;
  cpu: boolean;
  /** Pin the data connection's port on the server (-- -P ,PORT): cloud firewalls open known ports only. */
  dataPort?: number;
}

export function clientArgv(o: NetperfClientOptions): Arg[] {
  const argv: Arg[] = ['netperf', '-H', ipAddress(o.address), '-p', checkPort(o.port), '-t', o.test, '-l', positiveInt(o.seconds, 'duration'), '-P', 0];
  // -j keeps latency statistics (asked for anyway by the selectors); -f m never -f b (which is bytes/s).
  argv.push('-j', '-f', 'm');
  if (o.cpu) argv.push('-c', '-C');
  argv.push('--', '-k', selectorsFor(o.test).join(','));
  if (o.dataPort !== undefined) argv.push('-P', `,${checkPort(o.dataPort)}`);
  if (o.size > 0) {
    if (isRequestResponse(o.test)) argv.push('-r', `${positiveInt(o.size, 'size')},${positiveInt(o.responseSize ?? o.size, 'response size')}`);
    else if (o.test === 'TCP_MAERTS') argv.push('-M', positiveInt(o.size, 'size'));
    else argv.push('-m', positiveInt(o.size, 'size'));
  }
  return argv;
}

/** CSV (-o) column titles of the selectors, as netperf 2.7 prints them. */
const TITLES: Record<string, string> = {
  'Command Line': 'COMMAND_LINE',
  'Confidence Iterations Run': 'CONFIDENCE_ITERATION',
  'Confidence Level Percent': 'CONFIDENCE_LEVEL',
  Direction: 'DIRECTION',
  'Elapsed Time (sec)': 'ELAPSED_TIME',
  'Local Bytes Sent': 'LOCAL_BYTES_SENT',
  'Local CPU Util %': 'LOCAL_CPU_UTIL',
  'Local Service Demand': 'LOCAL_SD',
  'Local Send Calls': 'LOCAL_SEND_CALLS',
  'Local Send Size': 'LOCAL_SEND_SIZE',
  'Local Send Throughput': 'LOCAL_SEND_THROUGHPUT',
  'Local Transport Retransmissions': 'LOCAL_TRANSPORT_RETRANS',
  'Remote Transport Retransmissions': 'REMOTE_TRANSPORT_RETRANS',
  'Local Send Socket Size Final': 'LSS_SIZE_END',
  'Maximum Latency Microseconds': 'MAX_LATENCY',
  'Mean Latency Microseconds': 'MEAN_LATENCY',
  'Minimum Latency Microseconds': 'MIN_LATENCY',
  '50th Percentile Latency Microseconds': 'P50_LATENCY',
  '90th Percentile Latency Microseconds': 'P90_LATENCY',
  '99th Percentile Latency Microseconds': 'P99_LATENCY',
  Protocol: 'PROTOCOL',
  'Remote Bytes Received': 'REMOTE_BYTES_RECVD',
  'Remote CPU Util %': 'REMOTE_CPU_UTIL',
  'Remote Recv Calls': 'REMOTE_RECV_CALLS',
  'Remote Recv Size': 'REMOTE_RECV_SIZE',
  'Remote Recv Throughput': 'REMOTE_RECV_THROUGHPUT',
  'Remote Service Demand': 'REMOTE_SD',
  'Request Size Bytes': 'REQUEST_SIZE',
  'Response Size Bytes': 'RESPONSE_SIZE',
  'Remote Recv Socket Size Final': 'RSR_SIZE_END',
  'Round Trip Latency usec/tran': 'RT_LATENCY',
  'Service Demand Units': 'SD_UNITS',
  'Stddev Latency Microseconds': 'STDDEV_LATENCY',
  'Throughput Units': 'THROUGHPUT_UNITS',
  Throughput: 'THROUGHPUT',
  'Throughput Confidence Width (%)': 'THROUGHPUT_CONFID',
  'Transaction Rate Tran/s': 'TRANSACTION_RATE',
  'Transport MSS bytes': 'TRANSPORT_MSS',
};

/** Bits per second in one THROUGHPUT_UNITS unit. `10^0bits/s` is netperf's -f b bug: the value is bytes/s. */
const UNIT_BPS: Record<string, number> = {
  '10^0bits/s': 8,
  '10^3bits/s': 1e3,
  '10^6bits/s': 1e6,
  '10^9bits/s': 1e9,
  'Bytes/s': 8,
  'KBytes/s': 1024 * 8,
  'MBytes/s': 1024 * 1024 * 8,
  'GBytes/s': 1024 * 1024 * 1024 * 8,
};

export interface NetperfResult {
  /** Every selector netperf printed, as text. */
  keys: Record<string, string>;
  version?: string;
  latencyKind: 'rtt';
}

/** Keyval lines NAME=value (quoted strings unquoted); interim demo lines are dropped. */
function keyvals(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m || m[1]!.startsWith('NETPERF_')) continue;
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/**
 * CSV (-o): a value row (starts with a number) under a header of titles. Interim rows may come before
 * the header (-D), and a header wrapped across lines (a mailer, a log viewer at 80 columns) is joined back:
 * of the 1-6 lines above the values, the join whose cells are most often known titles is the header.
 */
function csvKeys(text: string): Record<string, string> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!/^-?\d[^,]*,/.test(lines[i]!.trim())) continue;
    const values = (parseCsv(lines[i]!, { relax_quotes: true, relax_column_count: true }) as string[][])[0] ?? [];
    let best: { cells: string[]; known: number } | undefined;
    for (let k = 1; k <= Math.min(6, i); k++) {
      const cells = lines.slice(i - k, i).join(' ').split(',').map((c) => c.trim());
      if (cells.length < 2 || cells.length > values.length) continue;
      const known = cells.filter((c) => c in TITLES).length / cells.length;
      if (known >= 0.5 && (!best || known > best.known)) best = { cells, known };
    }
    if (best) {
      return Object.fromEntries(best.cells.map((title, j) => [TITLES[title] ?? title.toUpperCase().replace(/[^A-Z0-9]+/g, '_'), values[j]!.trim()]));
    }
  }
  return {};
}

export interface NetperfParseOptions {
  stderr?: string;
  exitCode?: number | null;
  /** Selectors that were asked for: a missing one fails the run (netperf drops unknown names silently). */
  requested?: string[];
  /** The test, for classic output without a banner (-P 0). */
  test?: string;
}

/**
 * Classic (non-omni) tables, for importing runs made by hand: positional columns under a banner that
 * names the test. RR: rate in column 6; streams: throughput in column 5; UDP_STREAM: the receiver's
 * line (the second). CPU columns follow when -c/-C was given. -v 0 prints the one number alone.
 */
function classicKeys(text: string, testHint?: string): Record<string, string> {
  const lines = text.split(/\r?\n/);
  const banner = lines.find((l) => /(MIGRATED|OMNI) .*TEST/.test(l)) ?? '';
  const kind = /REQUEST\/RESPONSE|Connect\/Request\/Response/i.test(banner) || (testHint && isRequestResponse(testHint))
    ? 'rr'
    : /UDP STREAM/.test(banner) || testHint === 'UDP_STREAM'
      ? 'udp_stream'
      : /STREAM|MAERTS/.test(banner) || testHint
        ? 'stream'
        : undefined;
  const rows = lines.filter((l) => /^\s*\d[\d.]*(\s+[\d.]+)*(\s+\S+\/s)?\s*$/.test(l)).map((l) => l.trim().split(/\s+/));
  // `-t omni` without selectors: a human row that ends with "<throughput> <units>".
  const last = rows[0]?.at(-1);
  if (last && /\/s$/.test(last)) {
    const t = rows[0]!.at(-2)!;
    return last === 'Trans/s' ? { TRANSACTION_RATE: t, THROUGHPUT: t, THROUGHPUT_UNITS: last } : { THROUGHPUT: t, THROUGHPUT_UNITS: last };
  }
  if (!kind || rows.length === 0) return {};
  const header = lines.slice(0, lines.findIndex((l) => /^\s*\d/.test(l))).join(' ');
  const unit = /(10\^\d+bits|[KMG]?Bytes)\/s(?:ec)?/.exec(header);
  const units = unit ? `${unit[1]}/s` : '10^6bits/s';
  const cpu = /Utilization|CPU/.test(header);
  const out: Record<string, string> = {};
  const first = rows[0]!;
  if (first.length === 1) {
    // -v 0: just the rate or the throughput
    if (kind === 'rr') Object.assign(out, { TRANSACTION_RATE: first[0]!, THROUGHPUT: first[0]!, THROUGHPUT_UNITS: 'Trans/s' });
    else Object.assign(out, { THROUGHPUT: first[0]!, THROUGHPUT_UNITS: units });
    return out;
  }
  if (kind === 'rr' && first.length >= 6) {
    Object.assign(out, { ELAPSED_TIME: first[4]!, TRANSACTION_RATE: first[5]!, THROUGHPUT: first[5]!, THROUGHPUT_UNITS: 'Trans/s' });
    if (cpu && first.length >= 8) Object.assign(out, { LOCAL_CPU_UTIL: first[6]!, REMOTE_CPU_UTIL: first[7]! });
  } else if (kind === 'stream' && first.length >= 5) {
    Object.assign(out, { ELAPSED_TIME: first[3]!, THROUGHPUT: first[4]!, THROUGHPUT_UNITS: units });
    if (cpu && first.length >= 7) Object.assign(out, { LOCAL_CPU_UTIL: first[5]!, REMOTE_CPU_UTIL: first[6]! });
  } else if (kind === 'udp_stream' && first.length >= 6 && rows[1] && rows[1].length >= 4) {
    const second = rows[1];
    Object.assign(out, {
      ELAPSED_TIME: first[2]!,
      LOCAL_SEND_THROUGHPUT: first[5]!,
      REMOTE_RECV_THROUGHPUT: second[3]!,
      THROUGHPUT: second[3]!, // the receiver's rate, as omni's THROUGHPUT
      THROUGHPUT_UNITS: units,
    });
    if (cpu && first.length >= 7 && second.length >= 5) Object.assign(out, { LOCAL_CPU_UTIL: first[6]!, REMOTE_CPU_UTIL: second[4]! });
  }
  return out;
}

export function parseOutput(stdout: string, opts: NetperfParseOptions = {}): ParseResult<NetperfResult> {
  const all = `${stdout}\n${opts.stderr ?? ''}`;
  if (/establish control|establish_control/.test(all)) {
    const m = /are you sure there is a netserver listening on (\S+) at port (\d+)/.exec(all);
    return fail('server-unreachable', m ? `no netserver answered on ${m[1]} port ${m[2]}` : 'could not establish the control connection to netserver');
  }
  if (/recv_response|send_response|partial response received|Connection reset by peer/.test(all)) {
    return fail('server-died', `netserver went away mid-test: ${all.split('\n').find((l) => /response|reset/.test(l))?.trim()}`);
  }
  if (/is unknown to this netperf/.test(all)) return fail('bad-arguments', all.split('\n').find((l) => /unknown to this netperf/.test(l))!.trim());
  if (/Could not open output selection file/.test(all)) return fail('bad-arguments', all.split('\n').find((l) => /output selection file/.test(l))!.trim());
  const badOpt = /netperf: (invalid option|option requires an argument|unrecognized option).*/.exec(all);
  if (badOpt) return fail('bad-arguments', `${badOpt[0].trim()} (netperf may still have run the test, with other parameters than asked)`);
  if (opts.exitCode !== undefined && opts.exitCode !== null && opts.exitCode !== 0) {
    return fail('tool-error', `netperf exited with ${opts.exitCode}: ${all.trim().split('\n').slice(-1)[0] ?? ''}`);
  }
  let keys = keyvals(stdout);
  if (Object.keys(keys).length === 0) keys = csvKeys(stdout);
  if (Object.keys(keys).length === 0) keys = classicKeys(stdout, opts.test);
  if (Object.keys(keys).length === 0) return fail('no-result', 'no keyval (-k), CSV (-o) or classic table results in the output');
  const missing = (opts.requested ?? []).filter((k) => !(k in keys));
  if (missing.length > 0) return fail('no-result', `netperf did not return ${missing.join(', ')} (unknown to this netperf version?)`);
  return { ok: true, value: { keys, latencyKind: 'rtt' } };
}

const num = (keys: Record<string, string>, k: string): number | undefined => {
  const v = keys[k];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Metrics in vfbench's names and units (µs, bits/s, transactions/s, % of the whole system). */
export function metrics(r: NetperfResult, test?: string): Record<string, number> {
  const k = r.keys;
  const out: Record<string, number> = {};
  const units = k.THROUGHPUT_UNITS;
  const rr = test ? isRequestResponse(test) : units === 'Trans/s' || 'TRANSACTION_RATE' in k;
  if (rr) {
    const rate = num(k, 'TRANSACTION_RATE') ?? (units === 'Trans/s' ? num(k, 'THROUGHPUT') : undefined);
    if (rate !== undefined) out.transactions_per_s = rate;
    // Percentile selectors on stream tests time send() calls; they are latencies only for RR/CRR.
    for (const [sel, name] of [['P50_LATENCY', 'p50_us'], ['P90_LATENCY', 'p90_us'], ['P99_LATENCY', 'p99_us'], ['MIN_LATENCY', 'min_us'], ['MAX_LATENCY', 'max_us'], ['MEAN_LATENCY', 'mean_us'], ['STDDEV_LATENCY', 'stddev_us']] as const) {
      const v = num(k, sel);
      if (v !== undefined && v >= 0) out[name] = v;
    }
  } else if (units && units in UNIT_BPS) {
    const f = UNIT_BPS[units]!;
    const t = num(k, 'THROUGHPUT');
    if (t !== undefined) out.throughput_bps = t * f;
    const sent = num(k, 'LOCAL_SEND_THROUGHPUT');
    const recv = num(k, 'REMOTE_RECV_THROUGHPUT');
    if (sent !== undefined) out.sent_bps = sent * f;
    if (recv !== undefined) out.received_bps = recv * f;
  }
  for (const [sel, name] of [['LOCAL_CPU_UTIL', 'local_cpu_pct'], ['REMOTE_CPU_UTIL', 'remote_cpu_pct'], ['LOCAL_TRANSPORT_RETRANS', 'retransmits'], ['ELAPSED_TIME', 'elapsed_s']] as const) {
    const v = num(k, sel);
    if (v !== undefined && v >= 0) out[name] = v; // -1 means "not measured"
  }
  return out;
}

/** `netperf -V` → "2.7.0". */
export function parseVersion(text: string): string | undefined {
  return /Netperf version (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}
