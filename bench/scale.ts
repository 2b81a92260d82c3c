// Benchmark: pairs run together at scale. A lab of 8 pairs (16 "VMs" with 16 sshd and 16 agents on this
// machine), sockperf on every pair at once (`pairs_run: together`), both variants, repeated. Reported per
// batch: the spread of the clients' actual starts (stamped on each host just before exec) and whether any
// start request reached its host after the instant. Goals: skew <= 20 ms, every trial ok. Needs root.
//   npm run bench:scale [-- PAIRS]
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrialRecord } from '../src/results/record.js';
import { main, table, vfbenchRun, withLab } from './lib.js';

const PAIRS = Number(process.argv[2] ?? 8);

main(async () => {
  await withLab({ prefix: 'bscl', block: 59, pairs: PAIRS, rules: 200 }, async (lab) => {
    const dir = await mkdtemp(join(tmpdir(), 'vfbench-scale-'));
    const file = join(dir, 'scale.yaml');
    await writeFile(
      file,
      `name: scale
inventory: ${lab.inventory}
pairs_run: together
variants:
  vf: { controller: guest-link, interface: vf0, state: up }
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
repeat: 3
tests:
  - tool: sockperf
    sizes: [64]
    duration: 2s
`,
    );
    const run = await vfbenchRun([file, '--results', join(dir, 'results'), '--no-analyze']);
    const runDir = join(dir, 'results', 'scale', (await readdir(join(dir, 'results', 'scale')))[0]!);
    const recs = (await readFile(join(runDir, 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TrialRecord);
    const batches = new Map<string, TrialRecord[]>();
    for (const r of recs) batches.set(r.batch!.id, [...(batches.get(r.batch!.id) ?? []), r]);
    const rows: (string | number)[][] = [['batch', 'pairs', 'ok', 'skew ms', 'late requests']];
    let worst = 0;
    for (const [id, b] of batches) {
      const skew = b[0]!.batch!.skewMs ?? 0;
      worst = Math.max(worst, skew);
      rows.push([id, b.length, b.filter((r) => r.status === 'ok').length, skew.toFixed(1), b.filter((r) => (r.batch?.arrivedLateMs ?? 0) > 0).length]);
    }
    const ok = recs.filter((r) => r.status === 'ok').length;
    process.stdout.write(
      `scale: ${PAIRS} pairs together, sockperf 2 s, ${batches.size} batches, ${run.seconds.toFixed(1)} s wall\n${table(rows)}\n` +
        `worst start skew ${worst.toFixed(1)} ms (goal <= 20 ms); ${ok}/${recs.length} trials ok\n`,
    );
  });
});
