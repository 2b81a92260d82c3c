// The nightly gate on the lab: a first night sets the baseline, an unchanged night passes, and a night
// after the vswitch got 4× the rules (a slower synthetic path) fails with the regression named.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labUp } from '../../src/lab/lab.js';
import { History } from '../../src/results/history/index.js';
import { labAvailable, testLab } from '../helpers/lab.js';
import { scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

describe.skipIf(!labAvailable())('vfbench nightly on the lab', () => {
  it('sets a baseline, passes an unchanged night, fails when the vswitch rule count is raised', async () => {
    const { inventoryPath, options } = testLab();
    const s = await scenarioFile(`name: it-nightly
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 5
sampling: false
tests:
  - tool: netperf
    test: TCP_RR
    duration: 1s
    cpu: false
`);
    const db = join(await mkdtemp(join(tmpdir(), 'vfb-night-')), 'history.db');
    // Judged on the median latency and the rate; a real regression here is far beyond 25%.
    const night = () => vfbench(['nightly', s.file, '--db', db, '--results', s.results, '--min-effect', '25', '--metrics', 'p50_us,transactions_per_s']);

    const first = await night();
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toContain('this run is now the baseline');

    const second = await night();
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toContain('0 regressed');

    try {
      await labUp({ ...options, rules: options.rules * 4 });
      const third = await night();
      expect(third.exitCode, third.all).toBe(3); // a regression, not a failed trial
      const runDir = /compare\/ in (\S+)/.exec(third.stdout)![1]!;
      const cmp = JSON.parse(await readFile(join(runDir, 'compare', 'compare.json'), 'utf8'));
      const regressed = cmp.rows.filter((r: { verdict: string }) => r.verdict === 'regressed');
      // The synthetic path got slower; the accelerated path does not cross the vswitch.
      expect(regressed.map((r: { variant: string; metric: string }) => `${r.variant} ${r.metric}`).sort()).toEqual(['pv p50_us', 'pv transactions_per_s']);
      expect(cmp.rows.filter((r: { variant: string }) => r.variant === 'vf').every((r: { verdict: string }) => r.verdict !== 'regressed')).toBe(true);
      expect(await readFile(join(runDir, 'compare', 'compare.junit.xml'), 'utf8')).toContain('failures="2"');
    } finally {
      await labUp(options);
    }

    const h = await History.open(db);
    const runs = await h.runs({ scenario: 'it-nightly' });
    expect(runs).toHaveLength(3);
    expect(await h.baseline('it-nightly')).toBe(runs.at(-1)!.id); // the first night stays the baseline
    expect((await h.verdicts(runs[0]!.id))!.rows.filter((r) => r.verdict === 'regressed')).toHaveLength(2); // recorded with the run
    await h.close();
  }, 300_000); // three nights of 10 trials each: about 90 s here
});
