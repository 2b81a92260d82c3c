// `vfbench export` on a stored real run (lab-quick, given labels): PerfKitBenchmarker samples field for field
// as PKB's publisher writes them, and OpenMetrics text read back by real parsers (Debian's
// python3-prometheus-client: its strict OpenMetrics parser, and its Prometheus text-format parser, the format
// the pushgateway and node_exporter's textfile collector read). Every value is checked against the analysis.
import { beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { execa } from 'execa';
import { vfbench } from '../helpers/cli.js';
import { RunDir } from '../../src/results/run-dir.js';
import { readAnalysis } from '../../src/analysis/run-analysis.js';
import type { Analysis } from '../../src/analysis/analyze.js';
import { pkbLines } from '../../src/analysis/exports/pkb.js';
import { openMetricsLines } from '../../src/analysis/exports/openmetrics.js';

const PYTHON = '/usr/bin/python3';
/** Reads OpenMetrics (argv[1] = 'openmetrics') or the Prometheus text format ('text') from stdin; prints its families as JSON. */
const PARSE = `
import json, sys
if sys.argv[1] == 'openmetrics':
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
fams = [{'name': f.name, 'type': f.type, 'unit': getattr(f, 'unit', ''),
         'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value, 'timestamp': s.timestamp} for s in f.samples]}
        for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(fams))
`;

interface Family {
  name: string;
  type: string;
  unit: string;
  samples: { name: string; labels: Record<string, string>; value: number; timestamp: number | null }[];
}

async function parse(text: string, format: 'openmetrics' | 'text'): Promise<Family[]> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: the OpenMetrics checks need it (apt-get install python3-prometheus-client)`);
  const r = await execa(PYTHON, ['-c', PARSE, format], { input: text, reject: false });
  if (r.exitCode !== 0) throw new Error(`the ${format} parser refused the text: ${r.stderr}`);
  return JSON.parse(r.stdout) as Family[];
}

/** Label values that need escaping in OpenMetrics: a quote, a backslash, a line feed. */
const LABELS = { vm_size: 'D8s_v5', region: 'west"europe\\2', comment: 'two\nlines', baseline: 'shadowed by the export' };

async function labQuick(labels?: Record<string, string>): Promise<{ dir: string; a: Analysis; id: string; ended: string }> {
  const dir = join(await mkdtemp(join(tmpdir(), 'vfb-export-')), 'lab-quick');
  await cp('test/fixtures/runs/lab-quick', dir, { recursive: true });
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { id: string; ended: string; labels?: Record<string, string> };
  if (labels) await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...m, labels }, null, 2));
  // The analysis is made by the first export (none is stored with the fixture).
  const pkb = await vfbench(['export', dir, '--format', 'pkb']);
  expect(pkb.exitCode, pkb.all).toBe(0);
  return { dir, a: (await readAnalysis(await RunDir.open(dir)))!.a, id: m.id, ended: m.ended };
}

/** One labelled copy for the tests that only read it (each copy costs an analysis), and its OpenMetrics text. */
let labelled: ReturnType<typeof labQuick> | undefined;
const labelledRun = () => (labelled ??= labQuick(LABELS));
let openMetrics: Promise<{ text: string; stderr: string }> | undefined;
const labelledOpenMetrics = () =>
  (openMetrics ??= (async () => {
    const out = join((await labelledRun()).dir, 'vfbench.prom');
    const r = await vfbench(['export', (await labelledRun()).dir, '--format', 'openmetrics', '--out', out]);
    expect(r.exitCode, r.all).toBe(0);
    return { text: await readFile(out, 'utf8'), stderr: r.stderr };
  })());

/** PKB's RepublishJSONSamples: the collapsed "|k:v|,|k:v|" labels back into a dict. */
const uncollapse = (labels: string) => Object.fromEntries(labels.slice(1, -1).split('|,|').map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)]));

/** The keys of a sample, in the order PKB's NewlineDelimitedJSONPublisher writes them (sample.py, then AddSamples). */
const PKB_KEYS = ['metric', 'value', 'unit', 'timestamp', 'test', 'product_name', 'official', 'owner', 'run_uri', 'sample_uri'];

describe('vfbench export --format pkb', () => {
  let run: Awaited<ReturnType<typeof labQuick>>;
  let lines: Record<string, unknown>[];
  let stderr: string;
  beforeAll(async () => {
    run = await labelledRun();
    const r = await vfbench(['export', run.dir, '--format', 'pkb', '--no-collapse-labels']);
    expect(r.exitCode, r.all).toBe(0);
    lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    stderr = r.stderr;
  });

  it('writes one sample per point, variant and metric median, and one per Boost%, valued as the analysis', () => {
    const stats = run.a.summary.flatMap((s) => Object.entries(s.stats).map(([m, st]) => ({ s, m, st })));
    expect(lines).toHaveLength(stats.length + run.a.boost.length);
    const medians = lines.filter((l) => (l.metadata as Record<string, unknown>).statistic === 'median');
    expect(medians).toHaveLength(stats.length);
    for (const { s, m, st } of stats) {
      const got = medians.filter((l) => {
        const md = l.metadata as Record<string, unknown>;
        return md.vfbench_metric === m && md.variant === s.variant && md.size_bytes === s.size && md.pair === s.pair;
      });
      expect(got, `${s.pointKey} ${s.variant} ${m}`).toHaveLength(1);
      const [l] = got as [Record<string, unknown> & { metadata: Record<string, unknown> }];
      // lab-quick's units need no conversion for PKB (µs stay us): the value is the analysis' median itself.
      expect(l.value).toBe(st.median);
      expect(l.metadata).toMatchObject({ n: st.n, ci_low: st.ciLow, ci_high: st.ciHigh, ci_level: 0.95, test: s.test, tool: 'sockperf', mode: 'ping-pong', protocol: 'udp', streams: 1, latency_kind: 'half-rtt' });
      if (m.endsWith('_us')) expect([l.metric, l.unit]).toEqual([m.slice(0, -3), 'us']);
      if (m.endsWith('_pct')) expect([l.metric, l.unit]).toEqual([m.slice(0, -4), '%']);
    }
    for (const b of run.a.boost) {
      const l = lines.find((x) => {
        const md = x.metadata as Record<string, unknown>;
        return md.statistic === 'boost' && md.vfbench_metric === b.metric && md.variant === b.variant && md.size_bytes === b.size;
      })!;
      expect([l.value, l.unit]).toEqual([b.boostPercent, '%']);
      expect(l.metadata).toMatchObject({ baseline: 'pv', ci_low: b.ciLow, ci_high: b.ciHigh, n_baseline: b.nBaseline, n_variant: b.nVariant });
    }
  });

  it('has PKB\'s fields, the run\'s labels and scenario in every sample\'s metadata', () => {
    for (const l of lines) {
      expect(Object.keys(l)).toEqual([...PKB_KEYS.slice(0, 3), 'metadata', ...PKB_KEYS.slice(3)]);
      expect(l).toMatchObject({ test: 'sockperf', product_name: 'vfbench', official: false, run_uri: run.id, timestamp: Date.parse(run.ended) / 1000 });
      expect(l.sample_uri).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(l.metadata).toMatchObject({ vm_size: 'D8s_v5', region: LABELS.region, comment: LABELS.comment, scenario: 'lab-quick', vfbench_version: '0.1.0' });
    }
    expect(new Set(lines.map((l) => l.sample_uri)).size).toBe(lines.length);
  });

  it('leaves out a run label named like one of its fields, and says so', () => {
    expect(lines.filter((l) => (l.metadata as Record<string, unknown>).baseline === LABELS.baseline)).toEqual([]);
    expect(stderr).toContain('the run\'s label "baseline" is left out of the pkb export');
  });

  it('collapses the metadata into PKB\'s "labels" string by default, with the same sample URIs every time', async () => {
    const r = await vfbench(['export', run.dir, '--format', 'pkb', '--owner', 'ci']);
    expect(r.exitCode, r.all).toBe(0);
    const collapsed = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(collapsed).toHaveLength(lines.length);
    for (const [i, l] of collapsed.entries()) {
      expect(Object.keys(l)).toEqual([...PKB_KEYS, 'labels']);
      expect(l.owner).toBe('ci');
      expect(l.sample_uri).toBe(lines[i]!.sample_uri);
      const meta = lines[i]!.metadata as Record<string, unknown>;
      expect(uncollapse(l.labels as string)).toEqual(Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)])));
    }
  });
});

/** The family, scale and unit each of lab-quick's metrics should have (Prometheus base units: seconds, ratios). */
function expectedFamily(m: string): [string, number, string] {
  const special: Record<string, [string, number, string]> = {
    count: ['vfbench_messages', 1, ''],
    warmup_dropped: ['vfbench_warmup_dropped_messages', 1, ''],
    dropped_messages: ['vfbench_dropped_messages', 1, ''],
    cpu_cores: ['vfbench_cpu_cores', 1, ''],
    client_cpu_cores: ['vfbench_client_cpu_cores', 1, ''],
    cpu_ms_per_1k_trans: ['vfbench_cpu_seconds_per_transaction', 1e-6, ''],
  };
  if (special[m]) return special[m];
  if (m.endsWith('_us')) return [`vfbench_${m.slice(0, -3)}_seconds`, 1e-6, 'seconds'];
  if (m.endsWith('_pct')) return [`vfbench_${m.slice(0, -4)}_ratio`, 0.01, 'ratio'];
  if (m.endsWith('_per_s')) return [`vfbench_${m.slice(0, -6)}_per_second`, 1, ''];
  throw new Error(`lab-quick has no metric ${m}: add what its family should be`);
}

describe('vfbench export --format openmetrics', () => {
  let run: Awaited<ReturnType<typeof labQuick>>;
  let text: string;
  let families: Family[];
  beforeAll(async () => {
    run = await labelledRun();
    const r = await labelledOpenMetrics();
    expect(r.stderr).toContain('the run\'s label "baseline" is left out of the openmetrics export');
    text = r.text;
    families = await parse(text, 'openmetrics');
  });

  it('passes the strict OpenMetrics parser (which refuses the same text without its # EOF)', async () => {
    expect(text.endsWith('# EOF\n')).toBe(true);
    await expect(parse(text.replace('# EOF\n', ''), 'openmetrics')).rejects.toThrow(/EOF/);
    expect(families.every((f) => f.name.startsWith('vfbench_') && f.type === 'gauge')).toBe(true);
    expect(families.flatMap((f) => f.samples).every((s) => s.timestamp === null)).toBe(true);
  });

  it('carries the run\'s labels, escaped, and the same label names on every sample of a family', () => {
    for (const f of families) {
      const names = JSON.stringify(Object.keys(f.samples[0]!.labels).sort());
      for (const s of f.samples) {
        expect(s.labels).toMatchObject({ run_id: run.id, scenario: 'lab-quick', vm_size: 'D8s_v5', region: LABELS.region, comment: LABELS.comment });
        expect(JSON.stringify(Object.keys(s.labels).sort()), f.name).toBe(names);
      }
    }
    expect(text).toContain('region="west\\"europe\\\\2"');
    expect(text).toContain('comment="two\\nlines"');
  });

  it('values every median, CI and Boost as the analysis, in seconds and ratios', () => {
    const sample = (family: string, labels: Record<string, string>) => {
      const got = families.find((f) => f.name === family)!.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      expect(got, `${family} ${JSON.stringify(labels)}`).toHaveLength(1);
      return got[0]!.value;
    };
    for (const s of run.a.summary) {
      const point = { size_bytes: String(s.size), variant: s.variant, pair: String(s.pair) };
      expect(sample('vfbench_trials', { ...point, status: 'ok' })).toBe(s.n);
      expect(Object.keys(s.stats)).toHaveLength(23);
      for (const [m, st] of Object.entries(s.stats)) {
        const [family, scale, unit] = expectedFamily(m);
        expect(families.find((f) => f.name === family)?.unit, m).toBe(unit);
        expect(sample(family, { ...point, stat: 'median' })).toBe(st.median * scale);
        expect(sample(family, { ...point, stat: 'ci_low' })).toBe(st.ciLow! * scale);
        expect(sample(family, { ...point, stat: 'ci_high' })).toBe(st.ciHigh! * scale);
      }
    }
    for (const b of run.a.boost) {
      const labels = { size_bytes: String(b.size), variant: b.variant, metric: b.metric, baseline: 'pv' };
      expect(sample('vfbench_boost_ratio', { ...labels, stat: 'estimate' })).toBe(b.boostPercent / 100);
      expect(sample('vfbench_boost_ratio', { ...labels, stat: 'ci_low' })).toBe(b.ciLow! / 100);
    }
  });

  it('reads the same in the Prometheus text format (the pushgateway\'s and the textfile collector\'s parser)', async () => {
    const plain = await parse(text, 'text');
    expect(plain.map((f) => [f.name, f.samples.length])).toEqual(families.map((f) => [f.name, f.samples.length]));
    expect(plain.flatMap((f) => f.samples.map((s) => s.value))).toEqual(families.flatMap((f) => f.samples.map((s) => s.value)));
  });
});

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Prometheus daemon (Debian's package) on a free port until `stop`; its /metrics answering when this returns. */
async function daemon(bin: string, args: (port: number) => string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install prometheus-pushgateway prometheus-node-exporter`);
  const port = await freePort();
  const child = execa(bin, args(port), { reject: false, all: true });
  const url = `http://127.0.0.1:${port}`;
  // Bounded: 100 tries, 0.1 s apart; a daemon that exits says why.
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await fetch(`${url}/metrics`).then((r) => r.ok, () => false)) {
      // Stopped means gone: waited for, so no daemon outlives its test.
      return { url, stop: async () => void (child.kill(), await child) };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${bin} did not answer on ${url}: ${(await child).all}`);
}

describe('vfbench export --format openmetrics into a real pushgateway and textfile collector', () => {
  let text: string;
  let samples: number;
  beforeAll(async () => {
    text = (await labelledOpenMetrics()).text;
    samples = text.split('\n').filter((l) => l.startsWith('vfbench_')).length;
  });

  it('is accepted whole by prometheus-pushgateway, which refuses a sample with a timestamp', async () => {
    // --persistence.file= keeps it in memory: Debian's default file would carry pushes from one test run to the next.
    const pg = await daemon('/usr/bin/prometheus-pushgateway', (port) => [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=']);
    try {
      // What curl --data-binary @file sends.
      const push = await fetch(`${pg.url}/metrics/job/vfbench`, { method: 'PUT', body: text, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(push.status, await push.text()).toBe(200);
      const got = await (await fetch(`${pg.url}/metrics`)).text();
      expect(got.split('\n').filter((l) => l.startsWith('vfbench_'))).toHaveLength(samples);
      expect(got).toContain('region="west\\"europe\\\\2"');
      const stamped = text.replace(/^(vfbench_run_info\{.*\} 1)$/m, '$1 1796131677000');
      expect((await fetch(`${pg.url}/metrics/job/stamped`, { method: 'PUT', body: stamped })).status).toBe(400);
    } finally {
      await pg.stop();
    }
  });

  it('is read whole by prometheus-node-exporter\'s textfile collector', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-textfile-'));
    await writeFile(join(dir, 'vfbench.prom'), text);
    const ne = await daemon('/usr/bin/prometheus-node-exporter', (port) => [
      `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${dir}`,
    ]);
    try {
      const got = await (await fetch(`${ne.url}/metrics`)).text();
      expect(got).toMatch(/^node_textfile_scrape_error 0$/m);
      expect(got.split('\n').filter((l) => l.startsWith('vfbench_'))).toHaveLength(samples);
    } finally {
      await ne.stop();
    }
  });
});

describe('vfbench export to a pipe', () => {
  /** Reads stdin 4 KiB at a time, 5 ms apart (a reader slower than export: the pipe fills); prints the bytes read. */
  const SLOW_READER = 'import sys, time\nn = 0\nwhile True:\n    b = sys.stdin.buffer.read1(4096)\n    if not b: break\n    n += len(b); time.sleep(0.005)\nprint(n)';

  it('writes every byte to a reader slower than itself before it exits (a queued write was lost at exit)', async () => {
    const expected = Buffer.byteLength((await labelledOpenMetrics()).text);
    const { dir } = await labelledRun();
    // A real shell pipe, as `vfbench export … | curl --data-binary @-` is.
    const r = await execa('sh', ['-c', `"$0" dist/cli/main.js export "$1" --format openmetrics | ${PYTHON} -c "$2"`, process.execPath, dir, SLOW_READER], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(Number(r.stdout)).toBe(expected);
  });
});

describe('vfbench export: runs without labels, and mistakes', () => {
  it('exports a run made before labels: only the run id and scenario', async () => {
    const run = await labQuick();
    const r = await vfbench(['export', run.dir, '--format', 'openmetrics']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toBe('');
    const info = (await parse(r.stdout, 'openmetrics')).find((f) => f.name === 'vfbench_run_info')!;
    expect(info.samples[0]!.labels).toEqual({ run_id: run.id, scenario: 'lab-quick', vfbench_version: '0.1.0' });
    const pkb = await vfbench(['export', run.dir, '--format', 'pkb', '--no-collapse-labels']);
    const first = JSON.parse(pkb.stdout.split('\n')[0]!) as { metadata: Record<string, unknown> };
    expect(Object.keys(first.metadata).filter((k) => !['scenario', 'vfbench_version'].includes(k) && !/^(test|tool|mode|protocol|size_bytes|streams|pair|variant|latency_kind|vfbench_metric|statistic|n|invalid|failed|ci_low|ci_high|ci_level|cv_pct)$/.test(k))).toEqual([]);
  });

  it('leaves out values that are no number (no JSON or OpenMetrics form for them)', async () => {
    const run = await labelledRun();
    const manifest = await (await RunDir.open(run.dir)).readManifest();
    const a = structuredClone(run.a);
    a.boost[0]!.boostPercent = Number.POSITIVE_INFINITY;
    a.summary[0]!.stats.p50_us!.ciLow = Number.NaN;
    // As analysis.json holds a NaN once written.
    a.summary[0]!.stats.p50_us!.ciHigh = null as unknown as number;
    const pkb = [...pkbLines({ manifest, a }, { owner: 'ci', collapseLabels: false }).lines].map((l) => JSON.parse(l) as { value: unknown; metadata: Record<string, unknown> });
    expect(pkb).toHaveLength(a.summary.reduce((n, s) => n + Object.keys(s.stats).length, 0) + a.boost.length - 1);
    expect(pkb.every((l) => typeof l.value === 'number' && Object.values(l.metadata).every((v) => v !== null))).toBe(true);
    // The sample whose CI is half NaN keeps its median and has no CI (not a CI of 0).
    const s0 = a.summary[0]!;
    const half = pkb.find((l) => l.metadata.vfbench_metric === 'p50_us' && l.metadata.statistic === 'median' && l.metadata.size_bytes === s0.size && l.metadata.variant === s0.variant)!;
    expect(half.value).toBe(s0.stats.p50_us!.median);
    expect(half.metadata).not.toHaveProperty('ci_low');
    expect(half.metadata).not.toHaveProperty('ci_high');
    const om = await parse([...openMetricsLines({ manifest, a }).lines].join('\n') + '\n', 'openmetrics');
    const values = om.flatMap((f) => f.samples.map((x) => x.value));
    expect(values.every(Number.isFinite)).toBe(true);
    const first = { size_bytes: String(a.summary[0]!.size), variant: a.summary[0]!.variant };
    const p50 = om.find((f) => f.name === 'vfbench_p50_seconds')!.samples.filter((x) => x.labels.size_bytes === first.size_bytes && x.labels.variant === first.variant);
    expect(p50.map((x) => x.labels.stat)).toEqual(['median']);
  });

  it('says what is wrong: not a run directory, an unknown format', async () => {
    const notRun = await mkdtemp(join(tmpdir(), 'vfb-export-'));
    const r = await vfbench(['export', notRun, '--format', 'pkb']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${notRun} is not a vfbench run directory (no manifest.json)`);
    const f = await vfbench(['export', notRun, '--format', 'csv']);
    expect(f.exitCode).toBe(2);
    expect(f.stderr).toMatch(/format.*"csv".*Choices: "pkb", "openmetrics"/s);
  });
});
