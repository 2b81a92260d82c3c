// Benchmark: does vfbench disturb what it measures? The same sockperf ping-pong on the same lab path (vf0),
// run by hand (ip netns exec, nothing else on the hosts) and run by vfbench, side by side in rounds (direct,
// vfbench's two trials, direct), with vfbench's sampling off and on. Both full logs go through the same
// parser and warm-up cut. Reported: vfbench's p50 / p99 / p99.9 over direct sockperf's, as the ratio of
// the medians and as the median of the ratios of neighbouring pairs (robust to the lab's drift, which moves
// p99.9 by 2x from one minute to the next here), next to the same ratio between the round's two direct runs
// (the machine's own noise floor). Goal: 0.95-1.05 for p50 and p99, 0.9-1.1 for p99.9. Needs root.
//   npm run bench:fidelity [-- ROUNDS [DURATION_S]]      (every value measured: fidelity.json in the temp folder)
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labLayout } from '../src/lab/lab.js';
import * as sockperf from '../src/tools/sockperf/parse.js';
import { command } from '../src/util/shell.js';
import type { TrialRecord } from '../src/results/record.js';
import { main, median, table, vfbenchRun, withLab } from './lib.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const DURATION_S = Number(process.argv[3] ?? 5);
const WARMUP_S = 1;
const PORT = 11111;
const METRICS = ['p50_us', 'p99_us', 'p99_9_us'] as const;
type Latency = Record<(typeof METRICS)[number], number>;

/** sockperf by hand: server in vm2, client in vm1, as vfbench would call them; metrics from its full log. */
async function direct(ns: { vm1: string; vm2: string }, server: string, dir: string, round: number): Promise<Latency> {
  const log = join(dir, `direct-${round}-${Math.random().toString(36).slice(2)}.csv`);
  const srv = execa('ip', ['netns', 'exec', ns.vm2, ...sockperf.serverArgv({ address: server, port: PORT, protocol: 'udp' }).map(String)], { reject: false });
  try {
    for (let i = 0; i < 100; i++) {
      if ((await execa('ip', ['netns', 'exec', ns.vm2, 'ss', '-Hlun', `sport = :${PORT}`])).stdout.trim()) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const argv = sockperf.clientArgv({ mode: 'ping-pong', address: server, port: PORT, protocol: 'udp', size: 64, seconds: DURATION_S + WARMUP_S, mps: 'max', fullRtt: false, fullLogPath: log });
    await execa('ip', ['netns', 'exec', ns.vm1, 'sh', '-c', command(argv)]);
  } finally {
    srv.kill('SIGTERM');
    await srv;
  }
  const parsed = sockperf.parseFullLog(await readFile(log, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.failure.message);
  return sockperf.latencyMetrics(sockperf.dropWarmup(parsed.value, WARMUP_S)) as Latency;
}

async function viaVfbench(inventory: string, sampling: boolean, dir: string): Promise<Latency[]> {
  const file = join(dir, `vfbench-${sampling ? 'on' : 'off'}.yaml`);
  await writeFile(
    file,
    `name: fidelity
inventory: ${inventory}
variants:   # two names for the same state (a scenario compares at least two): both trials on vf0
  vf: { controller: guest-link, interface: vf0, state: up, settle: 0 }
  vf-again: { controller: guest-link, interface: vf0, state: up, settle: 0 }
baseline: vf
repeat: 1
${sampling ? '' : 'sampling: false\n'}tests:
  - tool: sockperf
    sizes: [64]
    duration: ${DURATION_S}s
    warmup: ${WARMUP_S}s
    port: ${PORT}
`,
  );
  const results = await mkdtemp(join(dir, 'results-'));
  await vfbenchRun([file, '--results', results, '--no-analyze']);
  const run = join(results, 'fidelity', (await readdir(join(results, 'fidelity')))[0]!);
  return (await readFile(join(run, 'records.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => {
      const rec = JSON.parse(l) as TrialRecord;
      if (rec.status !== 'ok') throw new Error(`vfbench trial ${rec.status}: ${JSON.stringify(rec.failure)}`);
      return rec.metrics as Latency;
    });
}

main(async () => {
  await withLab({ prefix: 'bfid', block: 61 }, async (lab) => {
    const l = labLayout(lab);
    const ns = { vm1: l.namespaces.vm1, vm2: l.namespaces.vm2 };
    const dir = await mkdtemp(join(tmpdir(), 'vfbench-fidelity-'));
    // Pairs (direct, vfbench) measured next to each other: each round runs direct, vfbench's two trials,
    // direct again, and pairs each vfbench trial with the direct run beside it, so drift cancels.
    const pairs: Record<'off' | 'on', { direct: Latency; vfbench: Latency }[]> = { off: [], on: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const before = await direct(ns, l.data.vm2, dir, round);
        const [a, b] = await viaVfbench(lab.inventory, mode === 'on', dir);
        const after = await direct(ns, l.data.vm2, dir, round);
        pairs[mode].push({ direct: before, vfbench: a! }, { direct: after, vfbench: b! });
        process.stderr.write(`round ${round + 1}/${ROUNDS}, sampling ${mode}: done\n`);
      }
    }
    const rows: (string | number)[][] = [['sampling', 'metric', 'direct µs', 'vfbench µs', 'ratio of medians', 'median pair ratio', 'pair ratios 25-75 %', 'direct/direct (noise)', 'goal']];
    const spread = (xs: number[]) => {
      const r = [...xs].sort((a, b) => a - b);
      const q = (p: number) => r[Math.min(r.length - 1, Math.floor(p * r.length))]!;
      return { median: median(r), iqr: `${q(0.25).toFixed(2)}-${q(0.75).toFixed(2)}` };
    };
    for (const mode of ['off', 'on'] as const) {
      const ps = pairs[mode];
      for (const m of METRICS) {
        const d = median(ps.map((x) => x.direct[m]));
        const v = median(ps.map((x) => x.vfbench[m]));
        const ratios = spread(ps.map((x) => x.vfbench[m] / x.direct[m]));
        // The noise floor: the two direct runs of each round against each other (an A/A comparison).
        const aa = spread(ps.flatMap((x, i) => (i % 2 === 0 ? [ps[i + 1]!.direct[m] / x.direct[m]] : [])));
        const goal = m === 'p99_9_us' ? '0.90-1.10' : '0.95-1.05';
        rows.push([mode, m, d.toFixed(2), v.toFixed(2), (v / d).toFixed(3), ratios.median.toFixed(3), ratios.iqr, `${aa.median.toFixed(3)} (${aa.iqr})`, goal]);
      }
    }
    await writeFile(join(dir, 'fidelity.json'), JSON.stringify(pairs, null, 1));
    process.stdout.write(
      `fidelity: sockperf ping-pong 64 B on vf0, ${DURATION_S} s + ${WARMUP_S} s warm-up, ${ROUNDS} rounds, ${2 * ROUNDS} pairs per sampling mode (values: ${join(dir, 'fidelity.json')})\n${table(rows)}\n`,
    );
  });
});
