// Every tool and mode through the runner, on both paths of the lab; and each tool's server killed mid-trial.
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialRecord } from '../../src/results/record.js';
import { labAvailable, processesIn, testLab, until } from '../helpers/lab.js';
import { CLI, onlyRunDir, scenarioFile, vfbench, VF_PV_VARIANTS, records } from '../helpers/cli.js';
import { readTimeseries } from '../../src/analysis/timeseries-data.js';

describe.skipIf(!labAvailable())('every tool and mode on both paths', () => {
  let recs: TrialRecord[];
  let dir: string;
  let output: string;

  beforeAll(async () => {
    const s = await scenarioFile(`name: it-tools
inventory: ${testLab().inventoryPath}
${VF_PV_VARIANTS}repeat: 1
# Not about CPU or counters: no sampling, fewer round trips per trial.
sampling: false
tests:
  - tool: sockperf
    mode: under-load
    sizes: [64]
    duration: 1s
  - tool: sockperf
    mode: throughput
    sizes: [1472]
    duration: 1s
  - tool: netperf
    test: [TCP_RR, UDP_RR, TCP_CRR, TCP_STREAM, TCP_MAERTS, UDP_STREAM]
    duration: 1s
  - tool: iperf3
    name: iperf3-tcp
    direction: [forward, reverse, bidir]
    streams: 2
    duration: 1s
  - tool: iperf3
    name: iperf3-udp
    protocol: udp
    bitrate: 100M
    duration: 1s
  - tool: ping
    sizes: [1400]
    duration: 1s
    interval: 5ms
`);
    const r = await vfbench(['run', s.file, '--results', s.results]);
    output = r.all ?? '';
    dir = await onlyRunDir(s.results, 'it-tools');
    recs = await records(dir);
  }, 300_000); // 26 trials of every tool: about 100 s here, more on a loaded machine

  const pick = (mode: string, variant?: string) => recs.filter((r) => r.point.mode === mode && (!variant || r.variant === variant));

  it('ran every point on both variants, each on the path it claims', () => {
    expect(recs).toHaveLength(13 * 2);
    for (const r of recs) {
      expect(r.status, `${r.trial}: ${JSON.stringify(r.failure ?? r.verification?.reason)}`).toBe('ok');
      expect(r.verification!.observed).toBe(r.variant === 'vf' ? 'accelerated' : 'synthetic');
      // ping starts nothing on the server (the kernel answers ICMP echo).
      const server = r.point.tool === 'ping' ? [] : [`raw/${r.trial}.server.stdout`];
      expect(r.raw).toEqual(expect.arrayContaining([`raw/${r.trial}.client.stdout`, ...server]));
      if (r.point.tool === 'ping') expect(r.raw.filter((f) => f.includes('.server.'))).toEqual([]);
    }
    expect(output).toContain('netperf TCP_RR tcp');
  });

  it('sockperf under load: pooled percentiles in order; throughput: a send rate', () => {
    for (const r of pick('under-load')) {
      expect(r.metrics.count).toBeGreaterThan(10);
      expect(r.metrics.p50_us!).toBeLessThanOrEqual(r.metrics.p99_us!);
      expect(r.metrics.p99_us!).toBeLessThanOrEqual(r.metrics.max_us!);
      expect(r.tool.command).toContain('--mps=10000');
    }
    for (const r of pick('throughput')) {
      expect(r.metrics.messages_per_s).toBeGreaterThan(1000);
      expect(r.metrics.sent_bps).toBe(r.metrics.messages_per_s! * 1472 * 8);
    }
  });

  it('netperf: latency ordering, rates, CPU of both ends, throughput in bits/s', () => {
    for (const mode of ['TCP_RR', 'UDP_RR', 'TCP_CRR']) {
      for (const r of pick(mode)) {
        const m = r.metrics;
        expect(m.transactions_per_s).toBeGreaterThan(100);
        expect(m.min_us!).toBeLessThanOrEqual(m.p50_us!);
        expect(m.p50_us!).toBeLessThanOrEqual(m.p90_us!);
        expect(m.p90_us!).toBeLessThanOrEqual(m.p99_us!);
        expect(m.p99_us!).toBeLessThanOrEqual(m.max_us!);
        expect(r.latencyKind).toBe('rtt');
        for (const cpu of [m.local_cpu_pct, m.remote_cpu_pct]) expect(cpu).toBeGreaterThanOrEqual(0);
      }
    }
    for (const mode of ['TCP_STREAM', 'TCP_MAERTS', 'UDP_STREAM']) {
      for (const r of pick(mode)) {
        expect(r.metrics.throughput_bps).toBeGreaterThan(1e6);
        expect(r.metrics.local_cpu_pct).toBeGreaterThan(0);
        expect(r.metrics.p50_us).toBeUndefined();
      }
    }
    // The synthetic path's 2000-rule vswitch costs transactions.
    expect(pick('TCP_RR', 'vf')[0]!.metrics.transactions_per_s!).toBeGreaterThan(pick('TCP_RR', 'pv')[0]!.metrics.transactions_per_s!);
  });

  it('iperf3: throughput each way, bidir both directions, UDP loss and jitter', () => {
    for (const r of [...pick('forward'), ...pick('reverse'), ...pick('bidir')]) {
      expect(r.metrics.throughput_bps).toBeGreaterThan(1e6);
      expect(r.metrics.local_process_cpu_pct).toBeGreaterThan(0);
    }
    for (const r of pick('bidir')) expect(r.metrics.reverse_throughput_bps).toBeGreaterThan(1e6);
    for (const r of recs.filter((x) => x.point.protocol === 'udp' && x.point.tool === 'iperf3')) {
      expect(r.metrics.throughput_bps!).toBeLessThanOrEqual(100e6 * 1.05);
      expect(r.metrics.lost_pct!).toBeGreaterThanOrEqual(0);
      expect(r.metrics.lost_pct!).toBeLessThanOrEqual(100);
      expect(r.metrics.jitter_ms!).toBeGreaterThanOrEqual(0);
    }
    expect(pick('forward')[0]!.tool.command).toBe(`iperf3 -c ${testLab().inventory.hosts.vm2!.data} -p 5201 -J -t 1 -P 2`);
  });

  it('ping: every echo request answered, round-trip percentiles pooled from its replies', () => {
    const runs = recs.filter((r) => r.point.tool === 'ping');
    expect(runs.map((r) => r.variant).sort()).toEqual(['pv', 'vf']);
    for (const r of runs) {
      const m = r.metrics;
      // ping's timer may send fewer requests than -i asks in the second; none is lost on the lab. One
      // request may still be in flight when -w's deadline ends ping: sent, never answered, and not lost.
      expect(m.echo_requests! - m.count!).toBeGreaterThanOrEqual(0);
      expect(m.echo_requests! - m.count!).toBeLessThanOrEqual(1);
      expect(m.count).toBeGreaterThan(100);
      expect(m.lost_pct).toBe(0);
      expect(m.min_us!).toBeLessThanOrEqual(m.p50_us!);
      expect(m.p50_us!).toBeLessThanOrEqual(m.p99_us!);
      expect(m.p99_us!).toBeLessThanOrEqual(m.max_us!);
      expect(r.latencyKind).toBe('rtt');
      expect(r.tool.command).toBe(`env LC_ALL=C ping -n -i 0.005 -s 1400 -w 1 ${testLab().inventory.hosts.vm2!.data}`);
      expect(r.tool.version).toMatch(/^\d{8}$|^present$/); // iputils dates its versions
    }
  });

  it('analysis/timeseries.csv: each trial over time, from its own outputs (iperf3 intervals, sockperf messages)', async () => {
    const rows = await readTimeseries(join(dir, 'analysis'));
    for (const r of pick('forward')) {
      const tp = rows.filter((x) => x.trial === r.trial && x.series === 'throughput_gbps');
      expect(tp.length, r.trial).toBeGreaterThan(0);
      // The intervals' mean is the trial's throughput (iperf3's own sum over the same seconds), within 10 %.
      const mean = tp.reduce((s, x) => s + x.value, 0) / tp.length;
      expect(Math.abs(mean * 1e9 - r.metrics.throughput_bps!) / r.metrics.throughput_bps!, r.trial).toBeLessThan(0.1);
    }
    for (const r of recs.filter((x) => x.point.tool === 'sockperf' && x.status === 'ok' && x.point.mode === 'under-load')) {
      const p50 = rows.filter((x) => x.trial === r.trial && x.series === 'p50_us');
      expect(p50.length, r.trial).toBeGreaterThan(10);
      expect(p50.length, r.trial).toBeLessThanOrEqual(100);
    }
    expect(existsSync(join(dir, 'figures', 'timeseries-1.png'))).toBe(true);
  });

  it('left no tool running', async () => {
    const { ns } = testLab();
    expect(await processesIn(ns.vm1)).toEqual([]);
    expect(await processesIn(ns.vm2)).toEqual([]);
    expect((await stat(join(dir, 'figures', 'latency-percentiles.png'))).size).toBeGreaterThan(1000);
  });
});

/** Kill every process named `comm` in the namespace once the client has run for a moment. */
async function killServerMidTrial(serverNs: string, clientNs: string, comm: string, client: string): Promise<void> {
  await until(`${client} to run`, async () => (await processesIn(clientNs)).includes(client) && (await processesIn(serverNs)).includes(comm), 30_000);
  // Mid-trial means after the client reached the server (a slow start on a busy machine must not turn
  // the kill into a server that was never there): a TCP connection of the client is established.
  await until(`${client} to connect`, async () => (await execa('ip', ['netns', 'exec', clientNs, 'ss', '-Htn', 'state', 'established', '( not sport = :22 )'])).stdout.trim() !== '', 30_000);
  await new Promise((r) => setTimeout(r, 1000));
  const pids = (await execa('ip', ['netns', 'pids', serverNs])).stdout.split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

describe.skipIf(!labAvailable())('a server killed mid-trial', () => {
  it.each([
    ['sockperf', 'sockperf', 'sockperf', `  - tool: sockperf\n    protocol: tcp\n    sizes: [64]\n    duration: 4s\n`],
    ['netperf', 'netserver', 'netperf', `  - tool: netperf\n    test: TCP_STREAM\n    duration: 4s\n`],
    ['iperf3', 'iperf3', 'iperf3', `  - tool: iperf3\n    duration: 4s\n`],
  ])('%s: the trial fails as server-died with its output kept, the run goes on, nothing is left', async (tool, serverComm, clientComm, test) => {
    const { ns, inventoryPath } = testLab();
    const s = await scenarioFile(`name: it-kill-${tool}\ninventory: ${inventoryPath}\n${VF_PV_VARIANTS}repeat: 1\ntests:\n${test}`);
    const run = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results, '--no-analyze'], { reject: false, all: true });
    await killServerMidTrial(ns.vm2, ns.vm1, serverComm, clientComm);
    const r = await run;
    expect(r.exitCode, r.all).toBe(1);
    const dir = await onlyRunDir(s.results, `it-kill-${tool}`);
    const [first, second] = await records(dir);
    expect(first!.status).toBe('failed');
    expect(first!.failure!.kind, first!.failure!.message).toBe('server-died');
    // The raw output that shows it is kept.
    expect(first!.raw).toContain(`raw/${first!.trial}.client.stdout`);
    const kept = (await readFile(join(dir, first!.raw.find((f) => f.endsWith('client.stdout'))!), 'utf8')) + (await readFile(join(dir, `raw/${first!.trial}.client.stderr`), 'utf8'));
    expect(kept.length).toBeGreaterThan(0);
    // The next trial ran normally with a fresh server.
    expect(second!.status, JSON.stringify(second!.failure)).toBe('ok');
    expect(await processesIn(ns.vm1)).toEqual([]);
    expect(await processesIn(ns.vm2)).toEqual([]);
  });
});
