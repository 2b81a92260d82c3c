// A real scenario on the lab, end to end: SSH, sockperf, guest-link, counters, records, analysis, figure.
import { beforeAll, describe, expect, it } from 'vitest';
import { cp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { gunzipSync } from 'node:zlib';
import { readColumns } from '../../src/results/sample-store.js';
import type { TrialRecord } from '../../src/results/record.js';
import type { Manifest } from '../../src/results/manifest.js';
import { labAvailable, linkUp, processesIn, testLab } from '../helpers/lab.js';
import { onlyRunDir, scenarioFile, vfbench, VF_PV_VARIANTS, records } from '../helpers/cli.js';

const csv = async (path: string) => parseCsv(await readFile(path, 'utf8'), { columns: true }) as Record<string, string>[];

describe.skipIf(!labAvailable())('vfbench run on the lab', () => {
  let dir: string;
  let output: string;
  let exitCode: number | undefined;
  let scratch: { file: string; results: string; dir: string };

  beforeAll(async () => {
    const { inventoryPath } = testLab();
    scratch = await scenarioFile(`name: it-run
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 2
tests:
  - tool: sockperf
    sizes: [64]
    duration: 2s
    warmup: 1s
`);
    const r = await vfbench(['run', scratch.file, '--results', scratch.results]);
    output = r.all ?? '';
    exitCode = r.exitCode;
    dir = await onlyRunDir(scratch.results, 'it-run');
  });

  it('completes and prints a positive latency Boost%', async () => {
    expect(exitCode, output).toBe(0);
    expect(output).toContain('Boost% (pv is the baseline');
    const boost = await csv(join(dir, 'analysis', 'boost.csv'));
    const p50 = boost.find((b) => b.metric === 'p50_us' && b.variant === 'vf')!;
    expect(Number(p50.boost_pct)).toBeGreaterThan(0);
    expect(Number(p50.baseline_median)).toBeGreaterThan(Number(p50.variant_median));
    expect(p50.n_baseline).toBe('2');
  });

  it('proves from counters that vf trials crossed vf0 and pv trials pv0, on both VMs', async () => {
    const recs = await records(dir);
    expect(recs).toHaveLength(4);
    for (const r of recs) {
      expect(r.status, JSON.stringify(r.failure ?? r.verification)).toBe('ok');
      const v = r.verification!;
      const expected = r.variant === 'vf' ? 'accelerated' : 'synthetic';
      expect(v).toMatchObject({ expected, observed: expected, ok: true });
      for (const vm of ['vm1', 'vm2']) {
        const h = v.hosts[vm] as { accelerated: { tx_packets: number; rx_packets: number }; synthetic: { tx_packets: number; rx_packets: number } };
        const [on, off] = r.variant === 'vf' ? [h.accelerated, h.synthetic] : [h.synthetic, h.accelerated];
        // A 2 s + 1 s ping-pong exchanges thousands of messages; the other path sees (almost) none.
        expect(on.tx_packets).toBeGreaterThan(1000);
        expect(on.rx_packets).toBeGreaterThan(1000);
        expect(off.tx_packets + off.rx_packets).toBeLessThan(0.01 * (on.tx_packets + on.rx_packets));
      }
    }
  });

  it('records pooled percentiles in order, from the warm-up-trimmed full log', async () => {
    for (const r of await records(dir)) {
      const m = r.metrics;
      expect(m.p50_us!).toBeLessThanOrEqual(m.p90_us!);
      expect(m.p90_us!).toBeLessThanOrEqual(m.p99_us!);
      expect(m.p99_us!).toBeLessThanOrEqual(m.max_us!);
      expect(m.min_us!).toBeLessThanOrEqual(m.p50_us!);
      expect(m.warmup_dropped!).toBeGreaterThan(0);
      expect(r.latencyKind).toBe('half-rtt');
      // The log is kept gzipped for audit; its rows after the warm-up are the stored samples, exactly.
      const log = gunzipSync(await readFile(join(dir, 'raw', `${r.trial}.fulllog.csv.gz`))).toString('utf8');
      const rows = log.split('\n').filter((l) => /^\d+, /.test(l));
      expect(m.count! + m.warmup_dropped!).toBe(rows.length);
      const kept = rows.slice(m.warmup_dropped!).map((l) => Number(l.split(', ')[3]));
      const { meta, columns } = await readColumns(join(dir, r.samples!.series), ['latency']);
      expect(meta.count).toBe(m.count);
      await expect(readColumns(join(dir, r.samples!.series), ['rx_us'])).rejects.toThrow(/no column rx_us/); // arrivals: switchovers only
      expect(Array.from(columns.latency!, (u) => u / 1000)).toEqual(kept);
      const sorted = (await readColumns(join(dir, r.samples!.sorted), ['latency'])).columns.latency!;
      expect(Array.from(sorted, (u) => u / 1000)).toEqual([...kept].sort((a, b) => a - b));
      expect(sorted[Math.floor(0.5 + 0.5 * sorted.length) - 1]! / 1000).toBe(m.p50_us);
      expect(await readFile(join(dir, 'raw', `${r.trial}.client.stdout`), 'utf8')).toContain('avg-latency');
      expect(r.tool.command.startsWith(`sockperf ping-pong -i ${testLab().inventory.hosts.vm2!.data} -p 11111 -m 64 -t 3 --mps=max --full-log /`)).toBe(true);
    }
  });

  it('writes a manifest with host facts, tool versions and the original path state', async () => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.status).toBe('complete');
    expect(m.counts).toMatchObject({ planned: 4, ok: 4 });
    expect(m.hosts.vm1!.tools.sockperf).toBe('3.7-no.git');
    expect(m.hosts.vm1!.kernel).toMatch(/^\d+\.\d+/);
    expect(m.hosts.vm2!.interfaces.find((i) => i.name === 'vf0')).toMatchObject({ driver: 'veth', mtu: 1500 });
    expect(m.originalPathState).toEqual(
      expect.arrayContaining([
        { controller: 'guest-link', host: 'vm1', state: { interface: 'vf0', up: true } },
        { controller: 'guest-link', host: 'vm2', state: { interface: 'vf0', up: true } },
      ]),
    );
    expect(m.plan.trials.map((t) => t.variant)).toEqual(['pv', 'vf', 'vf', 'pv']);
    // No key material in what the run wrote.
    const all = await readFile(join(dir, 'manifest.json'), 'utf8');
    expect(all).not.toContain('PRIVATE KEY');
  });

  it('writes the tables and the figure', async () => {
    // Long form: a row per trial and metric, repetitions 1-based.
    const trials = await csv(join(dir, 'analysis', 'trials.csv'));
    expect(new Set(trials.map((t) => t.trial)).size).toBe(4);
    expect([...new Set(trials.map((t) => t.repetition))].sort()).toEqual(['1', '2']);
    const summary = (await csv(join(dir, 'analysis', 'summary.csv'))).filter((s) => s.metric === 'p50_us');
    expect(summary.map((s) => s.variant).sort()).toEqual(['pv', 'vf']);
    const png = await readFile(join(dir, 'figures', 'latency-percentiles.png'));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect((await stat(join(dir, 'figures', 'latency-percentiles.svg'))).size).toBeGreaterThan(1000);
    const spec = JSON.parse(await readFile(join(dir, 'figures', 'latency-percentiles.vl.json'), 'utf8'));
    const vals = spec.data.values as { variant: string; percentile: string; latency_us: number }[];
    const p50 = (v: string) => vals.find((d) => d.variant === v && d.percentile === 'p50')!.latency_us;
    expect(p50('pv')).toBe(Number(summary.find((s) => s.variant === 'pv')!.median));
    expect(p50('vf')).toBeLessThan(p50('pv'));
  });

  it('draws the CDF of a run made before the sample store from its raw full logs, with the same samples', async () => {
    // A copy of the run as vfbench 0.1 left it: full logs as text in raw/, no samples/, no `samples` in records.
    const old = `${dir}-old`;
    await cp(dir, old, { recursive: true });
    await rm(join(old, 'samples'), { recursive: true });
    await rm(join(old, 'figures'), { recursive: true });
    // Its analysis/ as vfbench 0.1 wrote it: no derived records, no figure data (report analyzes it again).
    for (const f of ['records.jsonl', 'figure-data.json']) await rm(join(old, 'analysis', f));
    const recs = await records(dir);
    await writeFile(join(old, 'records.jsonl'), recs.map((r) => JSON.stringify({ ...r, samples: undefined })).join('\n') + '\n');
    for (const r of recs) await writeFile(join(old, 'raw', `${r.trial}.fulllog.csv`), gunzipSync(await readFile(join(dir, 'raw', `${r.trial}.fulllog.csv.gz`))));
    const rep = await vfbench(['report', old]);
    expect(rep.exitCode, rep.all).toBe(0);
    const cdf = (await readdir(join(old, 'figures'))).filter((f) => f.startsWith('latency-cdf'));
    expect(cdf).toContain('latency-cdf.svg');
    for (const r of recs) {
      const now = (await readColumns(join(old, 'samples', `${r.trial}.sorted.arrow`), ['latency'])).columns.latency!;
      const then = (await readColumns(join(dir, r.samples!.sorted), ['latency'])).columns.latency!;
      expect(now.length).toBe(r.metrics.count);
      expect(Buffer.from(now.buffer, now.byteOffset, now.byteLength).equals(Buffer.from(then.buffer, then.byteOffset, then.byteLength))).toBe(true);
    }
    expect(await readFile(join(old, 'figures', 'latency-cdf.vl.json'), 'utf8')).toBe(await readFile(join(dir, 'figures', 'latency-cdf.vl.json'), 'utf8'));
  });

  it('leaves the hosts as it found them: links up, no tool process, no scratch files', async () => {
    const { ns } = testLab();
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
    expect(await linkUp(ns.vm2, 'vf0')).toBe(true);
    expect(await processesIn(ns.vm1)).toEqual([]);
    expect(await processesIn(ns.vm2)).toEqual([]);
    expect((await readdir('/tmp')).filter((f) => f.startsWith(`vfbench.${dir.split('/').pop()}`))).toEqual([]);
  });

  it('resumes: only trials without a record run again', async () => {
    const lines = (await readFile(join(dir, 'records.jsonl'), 'utf8')).trim().split('\n');
    const dropped = JSON.parse(lines.pop()!) as TrialRecord;
    await writeFile(join(dir, 'records.jsonl'), lines.join('\n') + '\n');
    const r = await vfbench(['run', '--resume', dir, '--no-analyze']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('1 trials to run (3 already recorded)');
    const recs = await records(dir);
    expect(recs.map((x) => x.trial).sort()).toEqual([...lines.map((l) => (JSON.parse(l) as TrialRecord).trial), dropped.trial].sort());
    expect(recs.at(-1)!.trial).toBe(dropped.trial);
    expect(recs.at(-1)!.status).toBe('ok');
  });
});

describe.skipIf(!labAvailable())('verification catches a variant on the wrong path', () => {
  it('marks trials invalid when the counters contradict the variant', async () => {
    const { inventoryPath, ns } = testLab();
    const s = await scenarioFile(`name: it-liar
inventory: ${inventoryPath}
variants:
  pv: { controller: guest-link, interface: vf0, state: down }
  claims-vf: { controller: guest-link, interface: vf0, state: down, path: accelerated }
baseline: pv
repeat: 1
tests:
  - tool: sockperf
    sizes: [64]
    duration: 1s
`);
    const r = await vfbench(['run', s.file, '--results', s.results]);
    expect(r.exitCode, r.all).toBe(1);
    const recs = await records(await onlyRunDir(s.results, 'it-liar'));
    const liar = recs.find((x) => x.variant === 'claims-vf')!;
    expect(liar.status).toBe('invalid');
    expect(liar.verification).toMatchObject({ expected: 'accelerated', observed: 'synthetic', ok: false });
    expect(liar.verification!.reason).toMatch(/vm1: \d+ packets on vf0, \d+ on pv0/);
    expect(recs.find((x) => x.variant === 'pv')!.status).toBe('ok');
    expect(r.all).toContain('INVALID');
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
  });
});

describe.skipIf(!labAvailable())('TCP ping-pong on both paths', () => {
  it('measures TCP over vf0 and pv0 with full round trips when asked', async () => {
    const { inventoryPath } = testLab();
    const s = await scenarioFile(`name: it-tcp
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 1
tests:
  - tool: sockperf
    protocol: tcp
    sizes: [256]
    duration: 1s
    full_rtt: true
    port: 11200
`);
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze']);
    expect(r.exitCode, r.all).toBe(0);
    const recs = await records(await onlyRunDir(s.results, 'it-tcp'));
    expect(recs.map((x) => [x.variant, x.status, x.point.protocol, x.latencyKind, x.verification?.observed])).toEqual([
      ['pv', 'ok', 'tcp', 'rtt', 'synthetic'],
      ['vf', 'ok', 'tcp', 'rtt', 'accelerated'],
    ]);
    for (const x of recs) expect(x.tool.command).toContain('--tcp -m 256 -t 1 --mps=max --full-rtt');
  });
});

describe.skipIf(!labAvailable())('full logs off the host', () => {
  it('gzips them on the link when asked, stores the same samples, and never keeps more than one trial\'s log on the host', async () => {
    const { inventoryPath } = testLab();
    const s = await scenarioFile(`name: it-gzip
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 2
ssh: { compress: always }
tests:
  - tool: sockperf
    sizes: [64]
    duration: 1s
`);
    // This run's agents' folders only: an agent another test left waiting out its grace keeps its own.
    const before = new Set((await readdir('/tmp')).filter((f) => f.startsWith('vfbench.')));
    const logsOnHosts = async () => {
      let n = 0;
      for (const d of (await readdir('/tmp')).filter((f) => f.startsWith('vfbench.') && !before.has(f))) {
        n += (await readdir(join('/tmp', d)).catch(() => [] as string[])).filter((f) => f.endsWith('.fulllog.csv')).length;
      }
      return n;
    };
    const run = vfbench(['run', s.file, '--results', s.results, '--no-analyze']);
    let most = 0;
    let done = false;
    void run.finally(() => (done = true));
    for (let i = 0; i < 600 && !done; i++) {
      most = Math.max(most, await logsOnHosts());
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await run;
    expect(r.exitCode, r.all).toBe(0);
    expect(most).toBe(1);
    expect(await logsOnHosts()).toBe(0);
    const dir = await onlyRunDir(s.results, 'it-gzip');
    for (const rec of await records(dir)) {
      const log = gunzipSync(await readFile(join(dir, 'raw', `${rec.trial}.fulllog.csv.gz`))).toString('utf8');
      const kept = log.split('\n').filter((l) => /^\d+, /.test(l)).slice(rec.metrics.warmup_dropped!).map((l) => Number(l.split(', ')[3]));
      const { columns } = await readColumns(join(dir, rec.samples!.series), ['latency']);
      expect(Array.from(columns.latency!, (u) => u / 1000)).toEqual(kept);
    }
  });
});
