import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as np from '../../src/tools/netperf/parse.js';
import { command } from '../../src/util/shell.js';

const CAP = 'test/fixtures/netperf/captured';
const read = (f: string) => readFileSync(join(CAP, f), 'utf8');
const capture = (name: string, extra: Partial<np.NetperfParseOptions> = {}) =>
  np.parseOutput(read(`${name}.stdout`), { stderr: read(`${name}.stderr`), exitCode: Number(read(`${name}.rc`).trim()), ...extra });
const metricsOf = (name: string, test?: string, extra: Partial<np.NetperfParseOptions> = {}) => {
  const r = capture(name, extra);
  if (!r.ok) throw new Error(`${name}: ${r.failure.message}`);
  return np.metrics(r.value, test);
};

/** What every client capture must give: a failure kind, or "ok" (checked for a positive rate below). */
const EXPECTED: Record<string, string> = {
  bad_args_option: 'bad-arguments',
  bad_args_unknown_test: 'server-unreachable', // no server: the control error comes first
  bad_args_unknown_test_with_server: 'bad-arguments',
  bad_test_option: 'bad-arguments', // "invalid option" although the test ran and rc is 0
  omni_list_selectors: 'tool-error', // `-k ?` lists the names and exits 1
  omni_single_unknown_selector_as_file: 'bad-arguments',
  tcp_rr_no_server: 'server-unreachable',
  tcp_rr_server_dies_midway: 'server-died',
  tcp_stream_server_dies_midway: 'server-died',
  udp_rr_server_dies_midway: 'server-died',
  // -O human columns with selectors are not read (vfbench asks for -k); their parse says so. The
  // default -O row ("… 15396.35 Trans/s") is, like `-t omni`'s own human row.
  tcp_rr_omni_human_O: 'no-result',
  tcp_rr_interim_D_human_O: 'no-result',
  // Without a banner (-P 0) a classic table needs the test named.
  tcp_rr_classic_P0: 'no-result',
  tcp_stream_classic_P0: 'no-result',
  version: 'no-result',
};

describe('netperf parser on every captured output (2.7.0)', () => {
  const names = readdirSync(CAP).filter((f) => f.endsWith('.rc')).map((f) => f.replace(/\.rc$/, ''));
  it('has the captures', () => expect(names.length).toBeGreaterThan(60));
  it.each(names)('%s', (name) => {
    const r = capture(name);
    const want = EXPECTED[name] ?? 'ok';
    if (want !== 'ok') {
      expect(r.ok ? 'ok' : r.failure.kind).toBe(want);
      return;
    }
    expect(r.ok, r.ok ? '' : r.failure.message).toBe(true);
    if (!r.ok) return;
    // Selector-only captures (e.g. a lone P99_LATENCY) have no rate; the rest must have one.
    const m = np.metrics(r.value);
    const keys = r.value.keys;
    if ('THROUGHPUT_UNITS' in keys || 'TRANSACTION_RATE' in keys || !('THROUGHPUT' in keys)) {
      const rate = m.transactions_per_s ?? m.throughput_bps;
      if ('THROUGHPUT_UNITS' in keys || 'TRANSACTION_RATE' in keys) expect(rate).toBeGreaterThan(0);
    }
  });
});

describe('netperf values', () => {
  it('reads RR latencies (integer µs, full round trips), rate and CPU', () => {
    expect(metricsOf('tcp_rr_omni_keyval_k_cpu', 'TCP_RR')).toEqual({
      transactions_per_s: 17038.802,
      p50_us: 59, p90_us: 70, p99_us: 90, min_us: 12, max_us: 3874, mean_us: 58.64, stddev_us: 39.95,
      local_cpu_pct: 32.6, remote_cpu_pct: 32.6, elapsed_s: 2,
    });
  });

  it('leaves out CPU figures that were not measured (-1)', () => {
    const m = metricsOf('udp_rr_omni_keyval_k', 'UDP_RR');
    expect(m.local_cpu_pct).toBeUndefined();
    expect(m.transactions_per_s).toBe(17673.029);
  });

  it('uses TRANSACTION_RATE for RR even when -f m turns THROUGHPUT into bits', () => {
    expect(metricsOf('tcp_rr_fm_units', 'TCP_RR').transactions_per_s).toBe(15718.777);
  });

  it('converts every throughput unit to bits/s, including the -f b bytes bug', () => {
    expect(metricsOf('tcp_stream_omni_keyval_k_cpu', 'TCP_STREAM')).toMatchObject({ throughput_bps: 41036.28e6, retransmits: 6, local_cpu_pct: 77.11 });
    expect(metricsOf('tcp_stream_omni_keyval_k_fg').throughput_bps).toBeCloseTo(36.23e9, 0);
    expect(metricsOf('tcp_stream_fM_mbytes').throughput_bps).toBeCloseTo(4737.23 * 1024 * 1024 * 8, 0);
    // "10^0bits/s" is really bytes/s: 3269111893.57 B/s ≈ LOCAL_BYTES_SENT 3270180864 B in 1.00 s.
    const fb = metricsOf('tcp_stream_fb_bits');
    expect(fb.throughput_bps).toBeCloseTo(3269111893.57 * 8, 0);
    expect(Math.abs(fb.throughput_bps! - 3270180864 * 8) / fb.throughput_bps!).toBeLessThan(0.001);
  });

  it('takes the receiver\'s rate for UDP_STREAM and keeps the send rate apart', () => {
    expect(metricsOf('udp_stream_omni_keyval_k', 'UDP_STREAM')).toMatchObject({ throughput_bps: 3049.96e6, sent_bps: 3080.59e6, received_bps: 3049.96e6 });
    expect(metricsOf('udp_stream_default', 'UDP_STREAM')).toMatchObject({ throughput_bps: 3063.57e6, sent_bps: 3117.07e6 });
  });

  it('reads CSV (-o) with interim rows before the header', () => {
    expect(metricsOf('tcp_rr_omni_csv_o', 'TCP_RR')).toMatchObject({ transactions_per_s: 17638.851, p99_us: 77, max_us: 2211 });
    const interim = capture('tcp_rr_interim_D_csv');
    expect(interim.ok && np.metrics(interim.value, 'TCP_RR').p99_us).toBe(98);
  });

  it('reads classic tables, with and without CPU columns, and -v 0', () => {
    expect(metricsOf('tcp_rr_default')).toMatchObject({ transactions_per_s: 18517.28, elapsed_s: 2 });
    expect(metricsOf('tcp_rr_classic_cpu')).toMatchObject({ transactions_per_s: 16913.04, local_cpu_pct: 31.51, remote_cpu_pct: 31.51 });
    expect(metricsOf('tcp_stream_classic_cpu')).toMatchObject({ throughput_bps: 40656.95e6, local_cpu_pct: 73.11 });
    expect(metricsOf('tcp_crr_default').transactions_per_s).toBe(11421.47);
    expect(metricsOf('tcp_rr_v0').transactions_per_s).toBe(16299.76);
    expect(metricsOf('tcp_stream_v0').throughput_bps).toBeCloseTo(39611.52e6, 0);
    // -P 0 drops the banner: name the test.
    expect(metricsOf('tcp_rr_classic_P0', 'TCP_RR', { test: 'TCP_RR' }).transactions_per_s).toBe(15744.69);
  });

  it('fails a run when a requested selector did not come back (netperf drops unknown names silently)', () => {
    const r = capture('omni_bad_selector', { requested: ['THROUGHPUT', 'NOT_A_SELECTOR', 'P99_LATENCY'] });
    expect(!r.ok && r.failure).toMatchObject({ kind: 'no-result', message: expect.stringContaining('NOT_A_SELECTOR') });
    expect(capture('tcp_rr_omni_keyval_k_cpu', { requested: np.selectorsFor('TCP_RR').filter((k) => k !== 'CONFIDENCE_ITERATION' && k !== 'LOCAL_CPU_UTIL' && k !== 'REMOTE_CPU_UTIL') }).ok).toBe(true);
  });

  it('reads the human row of -O without selectors and of -t omni', () => {
    expect(metricsOf('tcp_rr_omni_human_O_default')).toEqual({ transactions_per_s: 15396.35 });
    expect(metricsOf('omni_default')).toEqual({ throughput_bps: 25895.63e6 });
  });

  it('reads the version', () => {
    expect(np.parseVersion(read('version.stdout'))).toBe('2.7.0');
  });
});

describe('netperf: PerfKitBenchmarker cloud runs (CSV with confidence intervals)', () => {
  const runs = JSON.parse(readFileSync('test/fixtures/netperf/third-party/netperf_results.json', 'utf8')) as string[][];
  it.each(runs.map((r, i) => [i, r] as const))('run %i', (_i, run) => {
    const r = np.parseOutput(run.join('\n'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const test = /MIGRATED (UDP|TCP) (REQUEST\/RESPONSE|Connect\/Request\/Response|STREAM)/.exec(run[0]!)!;
    const name = test[2] === 'STREAM' ? `${test[1]}_STREAM` : test[2] === 'REQUEST/RESPONSE' ? `${test[1]}_RR` : 'TCP_CRR';
    const m = np.metrics(r.value, name);
    const first = Number(run[2]!.split(',')[0]);
    if (name.endsWith('RR')) {
      expect(m.transactions_per_s).toBe(first);
      expect(m.p50_us).toBe(Number(run[2]!.split(',')[5]));
    } else {
      expect(m.throughput_bps).toBeCloseTo(first * 1e6, 0);
      expect(m.p50_us).toBeUndefined(); // stream "latencies" time send() calls: not reported
    }
  });

  it('reads the GCE TCP_RR row exactly', () => {
    const r = np.parseOutput(runs[0]!.join('\n'));
    expect(r.ok && np.metrics(r.value, 'TCP_RR')).toMatchObject({ transactions_per_s: 1405.5, p50_us: 683, p90_us: 735, p99_us: 841, min_us: 600, max_us: 900, stddev_us: 783.8, retransmits: 0 });
    expect(r.ok && r.value.keys.THROUGHPUT_CONFID).toBe('2.522');
  });
});

describe('netperf: other PerfKitBenchmarker data', () => {
  it('reads the concurrent streams of a bidirectional run (one CSV output per netperf process)', () => {
    // Per group: [stdouts of the concurrent netperf processes, …, timings].
    const groups = JSON.parse(readFileSync('test/fixtures/netperf/third-party/netperf_bidirectional_results.json', 'utf8')) as unknown[][];
    const outputs = groups.flatMap((g) => g[0] as string[]);
    expect(outputs.length).toBeGreaterThan(4);
    for (const text of outputs) {
      const r = np.parseOutput(text);
      expect(r.ok).toBe(true);
      const values = text.split('\n').find((l) => /^\d[\d.]*,10\^6bits\/s,/.test(l))!;
      expect(r.ok && np.metrics(r.value, 'TCP_STREAM').throughput_bps).toBeCloseTo(Number(values.split(',')[0]) * 1e6, 0);
    }
  });

  it('reads the multi-stream sample rows', () => {
    const runs = JSON.parse(readFileSync('test/fixtures/netperf/third-party/netperf_results_multistreams.json', 'utf8')) as string[][];
    const rates = runs.map((run) => {
      const r = np.parseOutput(run.join('\n'));
      return r.ok ? np.metrics(r.value, 'TCP_STREAM').throughput_bps : undefined;
    });
    expect(rates).toEqual(runs.map((run) => Number(run[2]!.split(',')[0]) * 1e6));
  });

  it('reads the -v 2 histogram run whose CSV header was wrapped at 80 columns', () => {
    const r = np.parseOutput(readFileSync('test/fixtures/netperf/third-party/netperf_results.txt', 'utf8'));
    expect(r.ok && np.metrics(r.value, 'UDP_RR')).toMatchObject({ transactions_per_s: 2217.06, p50_us: 442, p90_us: 487, p99_us: 589, stddev_us: 81.26, min_us: 361, max_us: 9688 });
    expect(r.ok && r.value.keys.THROUGHPUT_CONFID).toBe('-1.000');
  });
});

describe('netperf command lines', () => {
  it('asks for keyval selectors, megabits, CPU, and sizes per test', () => {
    expect(command(np.clientArgv({ address: '198.18.1.2', port: 12865, test: 'TCP_RR', seconds: 5, size: 64, cpu: true }))).toBe(
      `netperf -H 198.18.1.2 -p 12865 -t TCP_RR -l 5 -P 0 -j -f m -c -C -- -k ${np.selectorsFor('TCP_RR').join(',')} -r 64,64`,
    );
    expect(command(np.clientArgv({ address: '198.18.1.2', port: 12865, test: 'UDP_STREAM', seconds: 5, size: 1472, cpu: false }))).toMatch(/ -m 1472$/);
    // A pinned data port (the server side of the data connection), for firewalls that open known ports only.
    expect(command(np.clientArgv({ address: '198.18.1.2', port: 12865, test: 'TCP_RR', seconds: 5, size: 64, cpu: false, dataPort: 12866 }))).toMatch(/ -k [A-Z_,0-9]+ -P ,12866 -r 64,64$/);
    expect(command(np.clientArgv({ address: '198.18.1.2', port: 12865, test: 'TCP_MAERTS', seconds: 5, size: 65536, cpu: false }))).toMatch(/ -M 65536$/);
    expect(command(np.serverArgv({ address: '198.18.1.2', port: 12866 }))).toBe('netserver -D -L 198.18.1.2 -p 12866');
  });
});
