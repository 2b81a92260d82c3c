// Benchmark: what per-trial sampling (CPU, interrupts, NIC counters on both hosts) costs in wall time.
// Runs the same short netperf scenario with and without `sampling` on a lab of its own, in one run,
// alternating the two so that drift hits both alike, and reports the ratio. Needs root.
//   npm run bench
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabOptions } from '../src/lab/lab.js';

const ROUNDS = 3;
const TRIALS = 8; // per scenario run: 4 repetitions × 2 variants

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'vfbench-bench-'));
  const lab: LabOptions = { prefix: 'bench', block: 62, rules: 2000, home };
  await labUp(lab);
  try {
    const inventory = join(home, 'lab', lab.prefix, 'inventory.json');
    const scenario = (sampling: boolean) => `name: bench-sampling-${sampling ? 'on' : 'off'}
inventory: ${inventory}
variants:
  vf: { controller: guest-link, interface: vf0, state: up }
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
repeat: ${TRIALS / 2}
${sampling ? '' : 'sampling: false\n'}tests:
  - tool: netperf
    test: TCP_RR
    duration: 1s
`;
    const seconds: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const file = join(home, `${mode}.yaml`);
        await writeFile(file, scenario(mode === 'on'));
        const t0 = performance.now();
        const r = await execa(process.execPath, ['dist/cli/main.js', 'run', file, '--results', join(home, 'results'), '--no-analyze'], { reject: false });
        if (r.exitCode !== 0) throw new Error(`run failed: ${r.stderr}`);
        seconds[mode].push((performance.now() - t0) / 1000);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const on = median(seconds.on) / TRIALS;
    const off = median(seconds.off) / TRIALS;
    process.stdout.write(
      `per trial (netperf TCP_RR 1 s, median of ${ROUNDS} runs of ${TRIALS} trials): ` +
        `without sampling ${off.toFixed(2)} s, with sampling ${on.toFixed(2)} s, ratio ${(on / off).toFixed(3)}\n`,
    );
  } finally {
    await labDown(lab);
    await rm(home, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
