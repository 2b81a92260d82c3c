import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as sp from '../../src/tools/sockperf/parse.js';
import { command } from '../../src/util/shell.js';

const CAP = 'test/fixtures/sockperf/captured';
const THIRD = 'test/fixtures/sockperf/third-party';
const read = (name: string) => readFileSync(join(CAP, name), 'utf8');
const capture = (name: string) => ({
  stdout: read(`${name}.stdout`),
  stderr: read(`${name}.stderr`),
  exitCode: Number(read(`${name}.rc`).trim()),
  seconds: Number(/-t (\d+)/.exec(read(`${name}.cmd`))?.[1]),
});
const summaryOf = (name: string) => {
  const c = capture(name);
  const r = sp.parseSummary(c.stdout, c);
  if (!r.ok) throw new Error(`${name}: ${r.failure.message}`);
  return r.value;
};
/** The "===== block" of an upstream doc extract that contains `marker`. */
const block = (file: string, marker: string) =>
  readFileSync(join(THIRD, file), 'utf8').split(/^===== block \d+ .*$/m).find((b) => b.includes(marker))!;
/** The n-th example of the ≥3.8 extract (examples are separated by lines of three dashes). */
const example38 = (n: number) => readFileSync(join(THIRD, 'third_party_sockperf_3.8plus_lines.txt'), 'utf8').split(/^---$/m)[n]!;

describe('sockperf summary (3.7 captures)', () => {
  it('reads every field of a UDP ping-pong, colour codes and glued lines notwithstanding', () => {
    const s = summaryOf('pp_udp_m64_t2');
    expect(s.version).toBe('3.7-no.git');
    expect(s.latencyKind).toBe('half-rtt');
    expect(s.avg).toBe(30.764);
    expect(s.stddev).toBe(9.907);
    expect(s.max).toBe(970.265);
    expect(s.min).toBe(5.382);
    expect(s.percentiles).toEqual({ p99_999: 970.265, p99_99: 594.848, p99_9: 66.028, p99: 44.415, p90: 34.901, p75: 32.823, p50: 30.905, p25: 27.646 });
    expect(s.observations).toBe(25186);
    expect(s).toMatchObject({ validRunTime: 1.55, validSent: 25186, validReceived: 25186, totalRunTime: 2, warmupMs: 400, totalSent: 35544, totalReceived: 35543 });
    expect(s).toMatchObject({ dropped: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('tells full round trips (--full-rtt) from RTT/2', () => {
    expect(summaryOf('pp_udp_m64_t2_fullrtt').latencyKind).toBe('rtt');
    expect(summaryOf('pp_udp_m64_t2').latencyKind).toBe('half-rtt');
  });

  it('reads the burst summary', () => {
    expect(summaryOf('pp_udp_m64_t2_burst10').burst).toBe(10);
  });

  it('counts dropped messages (red line) in under-load output', () => {
    const s = summaryOf('ul_udp_server_dies_midway');
    expect(s.dropped).toBe(405);
  });

  it.each([
    ['pp_udp_no_server', 'server-unreachable'],
    ['pp_tcp_no_server', 'server-unreachable'],
    ['pp_tcp_server_dies_midway', 'server-died'],
    ['pp_udp_server_dies_midway', 'server-unreachable'],
    ['pp_udp_server_dies_midway_t6', 'server-died'],
    ['pp_udp_m64_t1_fulllog_nordtsc', 'too-few-samples'],
    ['bad_args_msgsize', 'bad-arguments'],
    ['bad_args_unknown_option', 'bad-arguments'],
    ['bad_subcommand', 'bad-arguments'],
  ])('classifies the failure capture %s as %s, whatever the exit code', (name, kind) => {
    const c = capture(name);
    const r = sp.parseSummary(c.stdout, { ...c, seconds: Number.isFinite(c.seconds) ? c.seconds : undefined });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.kind).toBe(kind);
  });

  it('names the short valid window when the UDP server died mid-run', () => {
    const c = capture('pp_udp_server_dies_midway_t6');
    const r = sp.parseSummary(c.stdout, c);
    expect(!r.ok && r.failure.message).toContain('1.417 s');
    // Without knowing the asked duration, the numbers look normal: the check needs -t.
    expect(sp.parseSummary(c.stdout).ok).toBe(true);
  });

  it('keeps the message of a TCP connect error (backtick and all)', () => {
    const c = capture('pp_tcp_no_server');
    const r = sp.parseSummary(c.stdout, c);
    expect(!r.ok && r.failure.message).toContain('Connection refused');
  });
});

describe('sockperf summary (other versions)', () => {
  it('reads 3.5 output (padded avg-lat)', () => {
    const r = sp.parseSummary(block('doc_main.dox@HEAD.code_blocks.txt', 'avg-lat= 20.771'));
    expect(r.ok && r.value).toMatchObject({ version: '3.5-no.git', latencyKind: 'half-rtt', avg: 20.771, stddev: 5.266, max: 120.108, min: 16.748 });
    expect(r.ok && r.value.percentiles).toMatchObject({ p99_999: 106.349, p50: 19.279 });
    expect(r.ok && r.value.validRunTime).toBe(9.55);
  });

  it('reads 2.x output ([including warmup], 99.50 and 95.00 rows, "packets")', () => {
    const r = sp.parseSummary(block('doc_main.dox@2.7.code_blocks.txt', 'avg-lat= 39.273'));
    expect(r.ok && r.value).toMatchObject({ avg: 39.273, stddev: 2.468, totalRunTime: 10.101, totalSent: 128328, dropped: 0, observations: 127245 });
    expect(r.ok && r.value.percentiles).toEqual({ p99_99: 76.736, p99_9: 58.677, p99_5: 56.926, p99: 55.974, p95: 40.823, p90: 40.517, p75: 39.736, p50: 38.919, p25: 38.303 });
  });

  it('reads the ≥3.8 avg line with its extra statistics', () => {
    const r = sp.parseSummary(example38(0));
    expect(r.ok && r.value).toMatchObject({ avg: 24.571, stddev: 93.297, max: 103294.331, validRunTime: 119.549, observations: 2429473 });
    expect(r.ok && r.value.percentiles).toEqual({ p99_999: 45.633 });
    const rtt = sp.parseSummary(example38(1));
    expect(rtt.ok && rtt.value).toMatchObject({ latencyKind: 'rtt', avg: 11.198, stddev: 0.54 });
  });
});

describe('sockperf full log', () => {
  // The one capture that ended with "No valid observations" has a log without rows.
  const EMPTY = 'pp_udp_m64_t1_fulllog_nordtsc';
  const logs = readdirSync(CAP).filter((f) => f.endsWith('.csv')).map((f) => f.replace(/\.csv$/, '')).filter((n) => n !== EMPTY);

  it('has captures to check', () => expect(logs.length).toBeGreaterThanOrEqual(5));

  it('finds no samples in the log of a run without valid observations', () => {
    const log = sp.parseFullLog(read(`${EMPTY}.csv`));
    expect(!log.ok && log.failure.kind).toBe('too-few-samples');
  });

  it.each(logs)('%s: pooled percentiles equal sockperf\'s own summary', (name) => {
    const log = sp.parseFullLog(read(`${name}.csv`));
    expect(log.ok).toBe(true);
    if (!log.ok) return;
    // No -t here: with --no-rdtsc sockperf's valid window is short although nothing failed.
    const parsed = sp.parseSummary(read(`${name}.stdout`));
    if (!parsed.ok) throw new Error(parsed.failure.message);
    const summary = parsed.value;
    // Same samples, same nearest-rank rule: equal up to the log's 3-decimal rounding.
    expect(log.value.samples.length).toBe(summary.observations);
    expect(log.value.latencyKind).toBe(summary.latencyKind);
    const m = sp.latencyMetrics(log.value);
    for (const p of ['p50', 'p90', 'p99', 'p99_9', 'p99_99'] as const) {
      expect(Math.abs(m[`${p}_us`]! - summary.percentiles[p]!)).toBeLessThanOrEqual(0.0015);
    }
    expect(Math.abs(m.max_us! - summary.max!)).toBeLessThanOrEqual(0.0015);
    expect(Math.abs(m.mean_us! - summary.avg)).toBeLessThanOrEqual(0.001);
    expect(Math.abs(m.stddev_us! - summary.stddev!)).toBeLessThan(0.05);
  });

  it('reads the VirtualClient cloud full log (BOM, --full-rtt, 15k rows)', () => {
    const text = readFileSync(join(THIRD, 'SockPerfClientExample2.txt'), 'utf8');
    const log = sp.parseFullLog(text);
    const summary = sp.parseSummary(text);
    expect(log.ok && summary.ok).toBe(true);
    if (!log.ok || !summary.ok) return;
    expect(log.value.latencyKind).toBe('rtt');
    expect(log.value.samples.length).toBe(14975);
    expect(log.value.parameters).toContain('--full-rtt');
    const m = sp.latencyMetrics(log.value);
    expect(m.p50_us).toBeCloseTo(104.528, 2);
    expect(m.p99_us).toBeCloseTo(180.199, 2);
    expect(m.p99_9_us).toBeCloseTo(192.845, 2);
    expect(m.max_us).toBeCloseTo(531.956, 3);
  });

  it('reads the ≤3.3 two-column log as RTT/2', () => {
    const log = sp.parseFullLog('txTime, rxTime\n1.000000000, 1.000100000\n2.000000000, 2.000050000\n------------------------------\n');
    expect(log.ok && Array.from(log.value.samples).map((v) => Math.round(v * 1000) / 1000)).toEqual([50, 25]);
    expect(log.ok && log.value.latencyKind).toBe('half-rtt');
  });

  it('refuses a log without the per-packet table or with a broken row', () => {
    expect(sp.parseFullLog('sockperf: nothing here').ok).toBe(false);
    const broken = sp.parseFullLog('packet, txTime(sec), rxTime(sec), latency(usec)\n0, 1.0, 1.1, abc\n');
    expect(!broken.ok && broken.failure.message).toContain('line 2');
  });

  it('drops the warm-up seconds by send time', () => {
    const log = sp.parseFullLog(read('pp_udp_m64_t2_fulllog.csv'));
    if (!log.ok) throw new Error('fixture');
    const tx = log.value.txTimes;
    const trimmed = sp.dropWarmup(log.value, 0.5);
    // --mps=1000: one message per millisecond, so half a second is about 500 messages.
    expect(log.value.samples.length - trimmed.samples.length).toBeGreaterThan(480);
    expect(log.value.samples.length - trimmed.samples.length).toBeLessThan(520);
    expect(trimmed.txTimes[0]!).toBeGreaterThanOrEqual(tx[0]! + 0.5);
    expect(sp.dropWarmup(log.value, 0).samples.length).toBe(log.value.samples.length);
  });
});

describe('sockperf command lines', () => {
  it('builds server and client argv from validated values', () => {
    expect(command(sp.serverArgv({ address: '198.18.1.2', port: 11111, protocol: 'tcp' }))).toBe('sockperf server -i 198.18.1.2 -p 11111 --tcp');
    expect(
      command(sp.pingPongArgv({ address: '198.18.1.2', port: 11111, protocol: 'udp', size: 64, seconds: 4, mps: 'max', fullRtt: true, fullLogPath: '/tmp/x y/l.csv' })),
    ).toBe("sockperf ping-pong -i 198.18.1.2 -p 11111 -m 64 -t 4 --mps=max --full-rtt --full-log '/tmp/x y/l.csv'");
    expect(() => sp.pingPongArgv({ address: '198.18.1.2;id', port: 1, protocol: 'udp', size: 64, seconds: 1, mps: 'max', fullRtt: false })).toThrow();
    expect(() => sp.pingPongArgv({ address: '198.18.1.2', port: 11111, protocol: 'udp', size: 64, seconds: 1.5, mps: 'max', fullRtt: false })).toThrow();
  });
});

describe('sockperf: other modes and excerpts', () => {
  it('reads throughput mode as the client\'s send rate', () => {
    const r = sp.parseThroughput(read('tp_udp_m64_t2.stdout'), { size: 64 });
    expect(r.ok && r.value).toMatchObject({ messages: 595466, seconds: 2, messagesPerSecond: 297661, bitsPerSecond: 297661 * 64 * 8 });
    // sockperf's own "18.168 MBps" is 2^20-based: the same rate.
    expect(r.ok && r.value.bitsPerSecond / 8 / 1048576).toBeCloseTo(18.168, 3);
    const frags = sp.parseThroughput(read('tp_udp_m4000_t1_ipfrags.stdout'), { size: 4000 });
    expect(frags.ok && frags.value.packetsPerSecond).toBe(799518);
    // The 3.7 --increase_output_precision label bug ("GBps" that are MBps) does not matter: the rate is read.
    const prec = sp.parseThroughput(read('tp_udp_m1472_t1_increase_precision.stdout'), { size: 1472 });
    expect(prec.ok && prec.value.messagesPerSecond).toBe(278494);
    expect(sp.parseThroughput(read('pp_tcp_no_server.stdout'), { size: 64 }).ok).toBe(false);
  });

  it('reads under-load output, whose stray "Test end" line lands among the percentiles', () => {
    const s = summaryOf('ul_udp_m64_t2_mps10000');
    expect(s).toMatchObject({ avg: 32.194, observations: 153, validReceived: 153, validSent: 15201 });
    expect(s.percentiles).toMatchObject({ p99: 37.71, p50: 31.266, p25: 28.221 });
  });

  it('reads the LISA excerpt that keeps only the Summary line', () => {
    const text = readFileSync('test/fixtures/lisa/sockperf_summary_lines.txt', 'utf8');
    const r = sp.parseSummary(text, { seconds: 1 });
    expect(r.ok && r.value).toMatchObject({ latencyKind: 'rtt', avg: 297.328, observations: 1283, validRunTime: 0.546 });
    expect(r.ok && r.value.stddev).toBeUndefined();
  });

  it('builds under-load and throughput command lines', () => {
    expect(command(sp.clientArgv({ mode: 'under-load', address: '198.18.1.2', port: 11111, protocol: 'udp', size: 64, seconds: 3, mps: 10000, replyEvery: 50, burst: 1, fullRtt: false, fullLogPath: '/tmp/l.csv' }))).toBe(
      'sockperf under-load -i 198.18.1.2 -p 11111 -m 64 -t 3 --mps=10000 --reply-every=50 --full-log /tmp/l.csv',
    );
    // Throughput mode has no replies: no full log, no --full-rtt.
    expect(command(sp.clientArgv({ mode: 'throughput', address: '198.18.1.2', port: 11111, protocol: 'tcp', size: 1472, seconds: 2, mps: 'max', burst: 8, fullRtt: true, fullLogPath: '/tmp/l.csv' }))).toBe(
      'sockperf throughput -i 198.18.1.2 -p 11111 --tcp -m 1472 -t 2 --mps=max -b 8',
    );
  });
});

describe('sockperf parser on every captured client output (3.7)', () => {
  // Failure captures and their kinds; every other client capture must parse.
  const FAILS: Record<string, string> = {
    pp_udp_no_server: 'server-unreachable',
    pp_tcp_no_server: 'server-unreachable',
    pp_tcp_server_dies_midway: 'server-died',
    pp_udp_server_dies_midway: 'server-unreachable',
    pp_udp_server_dies_midway_t6: 'server-died',
    pp_udp_m64_t1_fulllog_nordtsc: 'too-few-samples',
    bad_args_msgsize: 'bad-arguments',
    bad_args_unknown_option: 'bad-arguments',
    bad_subcommand: 'bad-arguments',
  };
  const clients = readdirSync(CAP).filter((f) => f.endsWith('.rc')).map((f) => f.replace(/\.rc$/, '')).filter((n) => n !== 'version');
  it.each(clients)('%s', (name) => {
    const c = capture(name);
    const seconds = Number.isFinite(c.seconds) ? c.seconds : undefined;
    const throughput = name.startsWith('tp_');
    // --no-rdtsc shortens the valid window without any failure: no duration check for those.
    const r = throughput
      ? sp.parseThroughput(c.stdout, { ...c, size: Number(/-m (\d+)/.exec(read(`${name}.cmd`))![1]) })
      : sp.parseSummary(c.stdout, { ...c, seconds: name.includes('nordtsc') && !FAILS[name] ? undefined : seconds });
    expect(r.ok ? 'ok' : r.failure.kind).toBe(FAILS[name] ?? 'ok');
  });
});
