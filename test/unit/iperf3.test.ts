import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ip from '../../src/tools/iperf3/parse.js';
import { command } from '../../src/util/shell.js';

const CAP = 'test/fixtures/iperf3/captured';
const THIRD = 'test/fixtures/iperf3/third-party';
const read = (f: string) => readFileSync(join(CAP, f), 'utf8');
const capture = (name: string) => ip.parseOutput(read(`${name}.stdout`), { stderr: read(`${name}.stderr`), exitCode: Number(read(`${name}.rc`).trim()) });
const metricsOf = (name: string) => {
  const r = capture(name);
  if (!r.ok) throw new Error(`${name}: ${r.failure.message}`);
  return ip.metrics(r.value);
};
const json = (name: string) => JSON.parse(read(`${name}.stdout`).slice(read(`${name}.stdout`).indexOf('{')));

const EXPECTED: Record<string, string> = {
  err_bad_bitrate_json: 'server-unreachable', // the bad -b was accepted; no server was listening
  err_bad_option_json: 'bad-arguments',
  err_bad_parallel_json: 'bad-arguments',
  err_client_and_server_json: 'bad-arguments',
  err_no_server_json: 'server-unreachable', // rc 0 with -J on 3.11-3.13
  err_no_server_text: 'server-unreachable',
  err_no_server_udp_json: 'server-unreachable',
  err_server_busy_json: 'server-busy',
  err_server_busy_text: 'server-busy',
  err_server_dies_midway_tcp_json: 'server-died',
  err_server_dies_midway_tcp_text: 'server-died',
  err_server_dies_midway_udp_json: 'server-died',
  version: 'no-result',
};

describe('iperf3 parser on every captured client output (3.12)', () => {
  const names = readdirSync(CAP).filter((f) => f.endsWith('.rc') && !f.includes('.server.')).map((f) => f.replace(/\.rc$/, ''));
  it('has the captures', () => expect(names.length).toBeGreaterThan(35));
  it.each(names)('%s', (name) => {
    const r = capture(name);
    const want = EXPECTED[name] ?? 'ok';
    expect(r.ok ? 'ok' : r.failure.kind, r.ok ? '' : r.failure.message).toBe(want);
    if (r.ok) expect(ip.metrics(r.value).throughput_bps).toBeGreaterThan(0);
  });
});

describe('iperf3 values', () => {
  it('takes goodput from sum_received and retransmits from sum_sent', () => {
    const d = json('tcp_json');
    expect(metricsOf('tcp_json')).toMatchObject({
      throughput_bps: d.end.sum_received.bits_per_second,
      sent_bps: d.end.sum_sent.bits_per_second,
      retransmits: 24,
      local_process_cpu_pct: d.end.cpu_utilization_percent.host_total,
    });
  });

  it('chooses objects by key name, not by the sender flag, with -R', () => {
    const d = json('tcp_json_reverse');
    expect(d.end.sum_sent.sender).toBe(false);
    expect(metricsOf('tcp_json_reverse')).toMatchObject({ throughput_bps: d.end.sum_received.bits_per_second, retransmits: 45 });
  });

  it('reads both directions of --bidir (3.11+ key names)', () => {
    expect(metricsOf('tcp_json_bidir')).toMatchObject({ throughput_bps: 23882459829.546307, reverse_throughput_bps: 9575914611.386547 });
  });

  it('reports UDP goodput, loss and jitter from the receiver, not the mixed end.sum', () => {
    const m = metricsOf('udp_json_b10G_lossy');
    expect(m.throughput_bps).toBeCloseTo(7.662549788765842e9, 0);
    expect(m.sent_bps).toBeCloseTo(9.99726e9, -5);
    expect(m).toMatchObject({ lost_pct: 23.35072630971734, lost_packets: 17811, packets: 76276, jitter_ms: 0.0011214134961836715 });
    expect(json('udp_json_b10G_lossy').end.sum.bits_per_second).toBeGreaterThan(m.throughput_bps! * 1.2); // the trap
  });

  it('drops the duplicated last interval of a dying test and names the error', () => {
    const r = capture('err_server_dies_midway_tcp_json');
    expect(!r.ok && r.failure.message).toBe('unable to write to stream socket: Connection reset by peer');
    expect(json('err_server_dies_midway_tcp_json').intervals).toHaveLength(2);
  });

  it('keeps omitted intervals apart and de-duplicates intervals', () => {
    const r = capture('tcp_json_omit1');
    expect(r.ok && r.value.intervals.map((i) => i.omitted)).toEqual([true, false, false]);
    const doc = json('tcp_json');
    doc.intervals.push(doc.intervals.at(-1));
    const dup = ip.parseOutput(JSON.stringify(doc));
    expect(dup.ok && dup.value.intervals).toHaveLength(2);
  });

  it('parses JSON after a non-JSON prelude (-V) and before trailing text (LISA wrapper)', () => {
    expect(metricsOf('tcp_json_verbose_V').throughput_bps).toBeGreaterThan(1e9);
    const wrapped = `warning: Report format (-f) flag ignored with JSON output (-J)\r\n${read('tcp_json.stdout')}\r\niperf3: error - no error`;
    const r = ip.parseOutput(wrapped);
    expect(r.ok && ip.metrics(r.value).throughput_bps).toBe(json('tcp_json').end.sum_received.bits_per_second);
    expect(readFileSync('test/fixtures/lisa/iperf3_json_with_warning_wrapper.txt', 'utf8')).toContain('iperf3: error - no error');
  });

  it('reads --json-stream events (3.17+) and their error event', () => {
    const doc = json('tcp_json');
    const stream = [
      JSON.stringify({ event: 'start', data: doc.start }),
      ...doc.intervals.map((i: unknown) => JSON.stringify({ event: 'interval', data: i })),
      JSON.stringify({ event: 'end', data: doc.end }),
    ].join('\n');
    const r = ip.parseOutput(stream);
    expect(r.ok && ip.metrics(r.value).throughput_bps).toBe(doc.end.sum_received.bits_per_second);
    const err = ip.parseOutput('{"event":"error","data":"unable to connect to server: Connection refused"}\n{"event":"end","data":{}}');
    expect(!err.ok && err.failure.kind).toBe('server-unreachable');
  });

  it('treats an empty end without an error key as a failure (3.9), using stderr', () => {
    const doc = json('tcp_json');
    doc.end = {};
    const r = ip.parseOutput(JSON.stringify(doc), { stderr: 'iperf3: error - control socket has closed unexpectedly' });
    expect(!r.ok && r.failure).toEqual({ kind: 'server-died', message: 'control socket has closed unexpectedly' });
    const withPrefix = ip.parseOutput(JSON.stringify({ ...json('tcp_json'), error: 'error - the server is busy running a test. try again later' }));
    expect(!withPrefix.ok && withPrefix.failure.message).toBe('the server is busy running a test. try again later');
  });

  it('reads the text report: [SUM] lines, UDP loss, --bidir, and 1024-based byte rates', () => {
    expect(metricsOf('tcp_text')).toMatchObject({ throughput_bps: 32.2e9, retransmits: 35 });
    expect(metricsOf('tcp_text_parallel2').throughput_bps).toBeCloseTo(27.6e9, 0);
    expect(metricsOf('udp_text_b100M')).toMatchObject({ throughput_bps: 100e6, jitter_ms: 0.008, lost_packets: 0, packets: 763 });
    expect(metricsOf('tcp_text_bidir')).toMatchObject({ reverse_throughput_bps: 28.5e9 });
    expect(metricsOf('tcp_text_format_M').throughput_bps).toBe(4233 * 1024 * 1024 * 8);
  });

  it('flags --bidir output of 3.7-3.10 as ambiguous', () => {
    expect(ip.bidirAmbiguous('3.9')).toBe(true);
    expect(ip.bidirAmbiguous('3.11')).toBe(false);
    expect(ip.bidirAmbiguous('3.12')).toBe(false);
  });
});

describe('iperf3 from other projects', () => {
  it('reads a real iperf 3.9 cloud run (CloudPilot): omitted intervals, sums, CPU', () => {
    const text = readFileSync(join(THIRD, 'iperf3_tcp_10s_omit3_bw_proxy_target_direct.json'), 'utf8');
    const r = ip.parseOutput(text);
    expect(r.ok && r.value.version).toBe('3.9');
    expect(r.ok && ip.metrics(r.value)).toMatchObject({ throughput_bps: 464786288.6001836, retransmits: 0, local_process_cpu_pct: 3.31256041080206 });
    expect(r.ok && r.value.intervals.filter((i) => i.omitted)).toHaveLength(3);
  });

  it('reads iperf 3.1.3 (pScheduler): exponent floats, UDP with only end.sum', () => {
    const tcp = ip.parseOutput(readFileSync(join(THIRD, 'perfsonar_pscheduler_iperf3_3.1.3_tcp_end_excerpt.json'), 'utf8'));
    expect(tcp.ok && ip.metrics(tcp.value)).toMatchObject({ throughput_bps: 388736097.120548, sent_bps: 389274697.967401, retransmits: 159 });
    const udp = ip.parseOutput(readFileSync(join(THIRD, 'perfsonar_pscheduler_iperf3_3.1.3_udp_end_excerpt.json'), 'utf8'));
    expect(udp.ok && udp.value.protocol).toBe('udp');
    // Before 3.11 only the mixed end.sum exists: used, including its (implausible) 2735 ms jitter.
    expect(udp.ok && ip.metrics(udp.value)).toMatchObject({ throughput_bps: 1048481.633493, jitter_ms: 2735.461, lost_pct: 0, packets: 159 });
  });
});

describe('iperf3 command lines and units', () => {
  it('builds client and server argv', () => {
    expect(command(ip.clientArgv({ address: '198.18.1.2', port: 5201, protocol: 'udp', seconds: 10, streams: 4, direction: 'reverse', bitrate: 2.5e9, omit: 2, length: 1400, window: 262144 }))).toBe(
      'iperf3 -c 198.18.1.2 -p 5201 -J -t 10 -u -b 2500000000 -P 4 -R -O 2 -l 1400 -w 262144',
    );
    expect(command(ip.clientArgv({ address: '198.18.1.2', port: 5201, protocol: 'tcp', seconds: 5, streams: 1, direction: 'bidir', bitrate: 0, omit: 0, length: 0, window: 0 }))).toBe(
      'iperf3 -c 198.18.1.2 -p 5201 -J -t 5 --bidir',
    );
    expect(command(ip.serverArgv({ address: '198.18.1.2', port: 5202 }))).toBe('iperf3 -s -B 198.18.1.2 -p 5202');
  });
  it('parses bitrates as iperf3 does (decimal) and the version', () => {
    expect(ip.parseBitrate('100M')).toBe(100e6);
    expect(ip.parseBitrate('2.5G')).toBe(2.5e9);
    expect(ip.parseBitrate('notanumber')).toBeUndefined();
    expect(ip.parseVersion(read('version.stdout'))).toBe('3.12');
  });
});
