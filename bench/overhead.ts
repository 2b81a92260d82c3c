// Benchmark: what vfbench adds to the time of the tools it drives, on hosts where every SSH login is slow
// (the lab's --login-delay 0.5 s stands in for a ~/.bashrc running pyenv or conda). Runs the quick-start
// scenario (scenarios/lab-quick.yaml: 12 sockperf trials of 3 s + 1 s warm-up) and reports, from the
// records, each trial's wall time against its client's own run time, the whole run's wall time against
// `vfbench plan`'s estimate, and the logins the run cost. Goals: per trial <= tool time + 1 s; the estimate
// within 15 %. Needs root.
//   npm run bench:overhead [-- LOGIN_DELAY_S]
import { execa } from 'execa';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labLayout } from '../src/lab/lab.js';
import type { TrialRecord } from '../src/results/record.js';
import { CLI, main, mean, table, vfbenchRun, withLab } from './lib.js';

const LOGIN_DELAY_S = Number(process.argv[2] ?? 0.5);

main(async () => {
  await withLab({ prefix: 'bovh', block: 60, loginDelay: LOGIN_DELAY_S }, async (lab) => {
    const dir = await mkdtemp(join(tmpdir(), 'vfbench-overhead-'));
    const scenario = join(dir, 'lab-quick.yaml');
    await writeFile(scenario, (await readFile(resolve('scenarios/lab-quick.yaml'), 'utf8')).replace(/^inventory: lab\b.*$/m, `inventory: ${lab.inventory}`));
    const plan = JSON.parse((await execa(process.execPath, [CLI, 'plan', scenario, '--json'])).stdout) as { estimateSeconds: number; trials: unknown[] };
    const logins0 = (await readFile(labLayout(lab).loginLogPath, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const run = await vfbenchRun([scenario, '--results', join(dir, 'results'), '--no-analyze']);
    const logins = (await readFile(labLayout(lab).loginLogPath, 'utf8')).split('\n').filter(Boolean).length - logins0;
    const runDir = join(dir, 'results', 'lab-quick', (await readdir(join(dir, 'results', 'lab-quick')))[0]!);
    const recs = (await readFile(join(runDir, 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TrialRecord);
    const rows: (string | number)[][] = [['trial', 'wall s', 'tool s', 'overhead s', 'round trips']];
    const walls: number[] = [];
    const tools: number[] = [];
    for (const r of recs) {
      const wall = (Date.parse(r.ended) - Date.parse(r.started)) / 1000;
      const [start, end] = (await readFile(join(runDir, 'raw', `${r.trial}.client.times`), 'utf8')).trim().split('\n').map(Number);
      const tool = end! - start!;
      walls.push(wall);
      tools.push(tool);
      rows.push([r.trial, wall.toFixed(2), tool.toFixed(2), (wall - tool).toFixed(2), Object.values(r.roundTrips ?? {}).join('+')]);
    }
    const perTrial = run.seconds / recs.length;
    process.stdout.write(
      `overhead: scenarios/lab-quick.yaml (${recs.length} trials), login delay ${LOGIN_DELAY_S} s per SSH login\n${table(rows)}\n` +
        `mean per trial: wall ${mean(walls).toFixed(2)} s, tool ${mean(tools).toFixed(2)} s, overhead ${(mean(walls) - mean(tools)).toFixed(2)} s (goal <= 1 s)\n` +
        `whole run: ${run.seconds.toFixed(1)} s (${perTrial.toFixed(2)} s per trial, with connecting and setup); plan estimated ${plan.estimateSeconds.toFixed(1)} s: ` +
        `estimate / real = ${(plan.estimateSeconds / run.seconds).toFixed(3)} (goal 0.85-1.15)\n` +
        `logins: ${logins} for ${recs.length} trials on 2 hosts\n`,
    );
  });
});
