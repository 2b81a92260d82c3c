// Benchmark: full logs of any size (issue 11). Two parts, each timed side by side with numpy in one run.
//  1. A 10 000 000-row sockperf full log in sockperf's own format (seeded, heavy-tailed): `vfbench parse
//     sockperf FILE` against numpy `loadtxt` + sort + nearest rank on the same file (wall time, peak RSS,
//     and the same p50…p99.99 to the nanosecond); then the same percentiles from a sample store of that log
//     (pooled, exact: samples/*.sorted.arrow) against numpy on the text again.
//  2. A lab trial whose full log has >= ROWS rows (sockperf under load, a reply to every message, on vf0)
//     through `vfbench run` → `analyze` → `report`: each one's peak RSS, the full logs seen at once in the
//     hosts' scratch folders (polled), and what is left there after the run. Needs root.
// numpy: the newest found among `python3` on PATH and /usr/bin/python3 (python3-numpy is installed by apt
// when neither has it).
//   npm run bench:fulllog [-- ROWS [RATE]]        (ROWS default 10 000 000, RATE messages/s default 80 000)
import { execa } from 'execa';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ingestSavedLog } from '../src/results/full-log-ingest.js';
import type { TrialRecord } from '../src/results/record.js';
import { CLI, main, table, withLab } from './lib.js';

const ROWS = Number(process.argv[2] ?? 10_000_000);
const RATE = Number(process.argv[3] ?? 80_000);
const PERCENTILES = [50, 90, 99, 99.9, 99.99];
const KEYS = ['p50_us', 'p90_us', 'p99_us', 'p99_9_us', 'p99_99_us'];
const POOLED = join(import.meta.dirname, 'pooled-from-store.js');

interface Measured {
  seconds: number;
  maxRssMB: number;
  stdout: string;
}

/** A command's wall time and peak RSS (getrusage of the waited child, taken by a small python wrapper). */
async function measured(argv: string[]): Promise<Measured> {
  const wrap = 'import resource,subprocess,sys,time\nt=time.perf_counter()\nr=subprocess.run(sys.argv[1:])\ne=time.perf_counter()-t\nprint("MEASURED %f %d %d" % (e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode), file=sys.stderr)';
  const r = await execa('/usr/bin/python3', ['-c', wrap, ...argv], { reject: false, maxBuffer: 1 << 30 });
  const m = /MEASURED ([\d.]+) (\d+) (-?\d+)\s*$/.exec(r.stderr);
  if (!m || m[3] !== '0') throw new Error(`${argv.join(' ')} failed:\n${r.stderr.slice(-2000)}`);
  return { seconds: Number(m[1]), maxRssMB: Number(m[2]) / 1024, stdout: r.stdout };
}

/** The python with the newest numpy; apt installs Debian's when none has one. */
async function numpyPython(): Promise<{ python: string; version: string }> {
  const found: { python: string; version: string }[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = await execa(python, ['-c', 'import numpy; print(numpy.__version__)'], { reject: false });
    if (r.exitCode === 0) found.push({ python, version: r.stdout.trim() });
  }
  if (found.length === 0) {
    await execa('apt-get', ['install', '-y', '-q', 'python3-numpy'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
    return numpyPython();
  }
  const major = (v: string) => v.split('.').map(Number);
  return found.sort((a, b) => { const [x, y] = [major(a.version), major(b.version)]; return y[0]! - x[0]! || y[1]! - x[1]!; })[0]!;
}

/** numpy as a user would: loadtxt of the latency column, sort, the nearest rank sockperf's summary uses. */
const NUMPY = `import json, sys, numpy as np
path, skip, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lat = np.loadtxt(path, delimiter=',', usecols=3, skiprows=skip, max_rows=n)
lat.sort()
N = len(lat)
out = {}
for p in ${JSON.stringify(PERCENTILES)}:
    out[str(p)] = round(float(lat[min(N - 1, max(0, int(np.floor(0.5 + p / 100 * N)) - 1))]), 3)
print(json.dumps({'count': N, 'values': out}))`;

/** A full log as sockperf 3.7 writes it (the header of a captured one), latencies from a seeded generator. */
async function generateLog(path: string, rows: number): Promise<{ skip: number }> {
  const captured = readFileSync(resolve('test/fixtures/sockperf/captured/pp_udp_m64_t2_fulllog.csv'), 'utf8');
  const head = captured.slice(0, captured.indexOf('packet, txTime')) + 'packet, txTime(sec), rxTime(sec), latency(usec)\n';
  let seed = 0x9e3779b9;
  const rnd = () => {
    // mulberry32: a full-period 32-bit generator (an LCG in doubles repeats after a few thousand draws)
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = createWriteStream(path);
  out.write(head);
  let tx = 2.4;
  let part = '';
  for (let i = 0; i < rows; i++) {
    // A body of 15 µs plus an exponential of mean 8 µs, and one message in a thousand 60-900 µs late.
    const lat = 15 - 8 * Math.log(1 - rnd()) + (rnd() < 0.001 ? 60 + rnd() * 840 : 0);
    part += `${i}, ${tx.toFixed(9)}, ${(tx + (2 * lat) / 1e6).toFixed(9)}, ${lat.toFixed(3)}\n`;
    tx += 0.00001;
    if ((i & 0xffff) === 0xffff) {
      if (!out.write(part)) await once(out, 'drain');
      part = '';
    }
  }
  out.end(part + '------------------------------\n');
  await once(out, 'finish');
  return { skip: head.split('\n').length - 1 };
}

/** A store of the log, written as a run's ingest writes it (the same code: results/full-log-ingest.ts). */
async function storeOf(log: string, dir: string): Promise<string> {
  const paths = { series: join(dir, 'log.arrow'), sorted: join(dir, 'log.sorted.arrow') };
  const r = await ingestSavedLog(log, paths, { warmupS: 0, arrivals: false });
  if (!r.ok) throw new Error(r.failure.message);
  return paths.sorted;
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

async function filePart(np: { python: string; version: string }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vfbench-fulllog-'));
  try {
    const log = join(dir, 'fulllog.csv');
    const { skip } = await generateLog(log, ROWS);
    const size = (await stat(log)).size;
    const numpy = await measured([np.python, '-c', NUMPY, log, String(skip), String(ROWS)]);
    const parse = await measured([process.execPath, CLI, 'parse', 'sockperf', log, '--json']);
    const sorted = await storeOf(log, dir);
    const pooled = await measured([process.execPath, POOLED, sorted, ...PERCENTILES.map(String)]);
    const numpy2 = await measured([np.python, '-c', NUMPY, log, String(skip), String(ROWS)]);
    const want = JSON.parse(numpy.stdout) as { count: number; values: Record<string, number> };
    const got = (JSON.parse(parse.stdout) as { metrics: Record<string, number> }).metrics;
    const fromStore = JSON.parse(pooled.stdout) as { count: number; values: Record<string, number> };
    const same = PERCENTILES.every((p, i) => got[KEYS[i]!] === want.values[String(p)] && fromStore.values[String(p)] === want.values[String(p)]) && got.count === want.count && fromStore.count === want.count;
    const store = (await stat(sorted)).size;
    return (
      `part 1: ${ROWS} rows, ${(size / 1e6).toFixed(0)} MB of text; numpy ${np.version} (${np.python}); store ${(store / 1e6).toFixed(0)} MB (sorted column)\n` +
      table([
        ['', 'wall s', 'peak RSS MB', 'speed vs numpy', 'RSS vs numpy'],
        ['numpy loadtxt + sort + nearest rank', numpy.seconds.toFixed(2), numpy.maxRssMB.toFixed(0), '1.00x', '1.00x'],
        ['vfbench parse sockperf (first parse)', parse.seconds.toFixed(2), parse.maxRssMB.toFixed(0), ratio(numpy.seconds, parse.seconds), ratio(parse.maxRssMB, numpy.maxRssMB)],
        ['numpy again (same file, warm cache)', numpy2.seconds.toFixed(2), numpy2.maxRssMB.toFixed(0), '', ''],
        ['pooled percentiles from the store', pooled.seconds.toFixed(2), pooled.maxRssMB.toFixed(0), ratio(numpy2.seconds, pooled.seconds), ratio(pooled.maxRssMB, numpy2.maxRssMB)],
      ]) +
      `\npercentiles p${PERCENTILES.join('/')} (µs): numpy ${PERCENTILES.map((p) => want.values[String(p)]).join(' / ')}; vfbench and the store ${same ? 'the same, every one' : `DIFFER: parse ${JSON.stringify(got)}, store ${JSON.stringify(fromStore)}`}\n` +
      `goals: first parse >= 1.00x numpy's speed with peak RSS <= 200 MB; re-analysis from the store >= 5x numpy\n`
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Full logs in the lab hosts' scratch folders (the agents' folders under /tmp, one filesystem here). */
async function scratchLogs(): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const d of (await readdir('/tmp')).filter((f) => f.startsWith('vfbench.'))) {
    for (const f of await readdir(join('/tmp', d)).catch(() => [] as string[])) {
      if (!f.endsWith('.fulllog.csv')) continue;
      files++;
      bytes += (await stat(join('/tmp', d, f)).catch(() => ({ size: 0 }))).size;
    }
  }
  return { files, bytes };
}

async function labPart(np: { python: string; version: string }): Promise<string> {
  // The lab's vf0 does not always carry the whole rate with a reply to each (85 % of 100k/s here): 30 % more time.
  const duration = Math.ceil((ROWS / RATE) * 1.3);
  return withLab({ prefix: 'bflg', block: 61 }, async (lab) => {
    const dir = await mkdtemp(join(tmpdir(), 'vfbench-fulllog-'));
    try {
      return await labRun(dir, lab.inventory, duration, np);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** The lab trial's run, analyze and report, measured; the scratch folders watched meanwhile. */
async function labRun(dir: string, inventory: string, duration: number, np: { python: string; version: string }): Promise<string> {
  const scenario = join(dir, 'fulllog.yaml');
  await writeFile(
    scenario,
    `name: fulllog\ninventory: ${inventory}\nvariants:\n  vf: { controller: guest-link, interface: vf0, state: up }\n  pv: { controller: guest-link, interface: vf0, state: down }\n` +
      `baseline: pv\nrepeat: 1\ntests:\n  - tool: sockperf\n    mode: under-load\n    mps: ${RATE}\n    reply_every: 1\n    sizes: [64]\n    duration: ${duration}s\n    warmup: 1s\n`,
  );
  let most = { files: 0, bytes: 0 };
  let done = false;
  const results = join(dir, 'results');
  const running = measured([process.execPath, CLI, 'run', scenario, '--results', results, '--no-analyze']).finally(() => (done = true));
  while (!done) {
    const now = await scratchLogs();
    if (now.bytes > most.bytes || now.files > most.files) most = { files: Math.max(most.files, now.files), bytes: Math.max(most.bytes, now.bytes) };
    await new Promise((r) => setTimeout(r, 200));
  }
  const run = await running;
  const left = await scratchLogs();
  const runDir = join(results, 'fulllog', (await readdir(join(results, 'fulllog')))[0]!);
  const analyze = await measured([process.execPath, CLI, 'analyze', runDir]);
  const report = await measured([process.execPath, CLI, 'report', runDir]);
  const recs = (await readFile(join(runDir, 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TrialRecord);
  const rows: (string | number)[][] = [['trial', 'status', 'rows', 'p50 µs', 'p99.99 µs', 'raw .gz MB', 'store MB']];
  let biggest: TrialRecord | undefined;
  for (const r of recs) {
    const gz = await stat(join(runDir, 'raw', `${r.trial}.fulllog.csv.gz`)).then((s) => (s.size / 1e6).toFixed(0), () => '-');
    const st = r.samples ? (((await stat(join(runDir, r.samples.series))).size + (await stat(join(runDir, r.samples.sorted))).size) / 1e6).toFixed(0) : '-';
    rows.push([r.trial, r.status, r.metrics.count ?? '-', r.metrics.p50_us ?? '-', r.metrics.p99_99_us ?? '-', gz, st]);
    if (r.samples && (r.metrics.count ?? 0) > (biggest?.metrics.count ?? 0)) biggest = r;
  }
  let reanalysis = '';
  if (biggest) {
    // Re-analysis of the stored run against numpy on that trial's text log (the audit copy, unzipped).
    const text = join(dir, 'trial.csv');
    await execa('sh', ['-c', `gzip -dc "$1" > "$2"`, 'sh', join(runDir, 'raw', `${biggest.trial}.fulllog.csv.gz`), text]);
    const lines = (await execa('sh', ['-c', `grep -n -m1 '^packet, ' "$1" | cut -d: -f1`, 'sh', text])).stdout.trim();
    const numpy = await measured([np.python, '-c', NUMPY, text, lines, String(biggest.metrics.count! + biggest.metrics.warmup_dropped!)]);
    const pooled = await measured([process.execPath, POOLED, join(runDir, biggest.samples!.sorted), ...PERCENTILES.map(String)]);
    reanalysis = `re-analysis of ${biggest.trial} (${biggest.metrics.count} rows): pooled percentiles from its store ${pooled.seconds.toFixed(2)} s / ${pooled.maxRssMB.toFixed(0)} MB, numpy on its text ${numpy.seconds.toFixed(2)} s / ${numpy.maxRssMB.toFixed(0)} MB (warm-up rows included there): ${ratio(numpy.seconds, pooled.seconds)} faster\n`;
  }
  return (
    `part 2: lab trial, sockperf under load at ${RATE} messages/s with a reply to each, ${duration} s + 1 s warm-up, vf and pv\n${table(rows)}\n` +
    table([
      ['', 'wall s', 'peak RSS MB'],
      ['vfbench run', run.seconds.toFixed(1), run.maxRssMB.toFixed(0)],
      ['vfbench analyze', analyze.seconds.toFixed(2), analyze.maxRssMB.toFixed(0)],
      ['vfbench report', report.seconds.toFixed(2), report.maxRssMB.toFixed(0)],
    ]) +
    `\nscratch folders: at most ${most.files} full log(s) (${(most.bytes / 1e6).toFixed(0)} MB) at once while running; after the run ${left.files} file(s)\n` +
    reanalysis +
    `largest trial: ${biggest?.metrics.count ?? 0} rows (${(biggest?.metrics.count ?? 0) >= ROWS ? 'at least' : 'FEWER than'} ${ROWS})\n` +
    `goals: run, analyze and report each <= 300 MB peak RSS; no full log left on the hosts\n`
  );
}

main(async () => {
  const np = await numpyPython();
  process.stdout.write(await filePart(np));
  if (process.getuid?.() === 0) process.stdout.write(await labPart(np));
  else process.stdout.write('part 2 needs root (the lab): not run\n');
});
