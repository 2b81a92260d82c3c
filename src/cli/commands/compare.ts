// `vfbench compare BASELINE CANDIDATE`: judge a candidate run against a baseline run or file (exit 3 on a
// regression); and the policy flags it shares with nightly.
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { command, out } from '../command.js';
import { EXIT } from '../../util/errors.js';
import type { ComparePolicy, CompareRow } from '../../analysis/compare.js';

/** The judgement's thresholds, as compare, nightly and `history compare` take them (policyFrom reads them). */
export function policyOptions<T>(y: Argv<T>) {
  return y
    .option('policy', { type: 'string', describe: 'YAML policy: min_effect_pct, alpha, max_cv_pct, metrics, level' })
    .option('min-effect', { type: 'number', describe: 'smallest change that matters, % (default 5)' })
    .option('alpha', { type: 'number', describe: 'significance level (default 0.05)' })
    .option('max-cv', { type: 'number', describe: 'CV above which a point is too noisy, % (default 10)' });
}

export function compareOptions<T>(y: Argv<T>) {
  return policyOptions(y)
    .option('metrics', { type: 'string', describe: 'comma-separated metrics to judge (default: headline metrics)' })
    .option('out', { type: 'string', describe: 'folder for compare.csv/json/md/junit.xml (default: the candidate run\'s compare/)' })
    .option('name-labels', { type: 'string', describe: 'comma-separated labels that name the Markdown and JUnit suite and cases (default: every label but kernel and driver)' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of the table' });
}

/** --name-labels a,b: the labels that name a comparison in CI reports; unset: the default. */
export const nameLabelsFrom = (flag: string | undefined) => (flag === undefined ? undefined : flag.split(',').map((m) => m.trim()).filter(Boolean));

type PolicyFlags = { policy?: string; 'min-effect'?: number; alpha?: number; 'max-cv'?: number; metrics?: string };

export async function policyFrom(argv: PolicyFlags): Promise<ComparePolicy> {
  return (await import('../../analysis/policy.js')).loadPolicy(argv.policy, {
    minEffectPct: argv['min-effect'],
    alpha: argv.alpha,
    maxCvPct: argv['max-cv'],
    metrics: argv.metrics?.split(',').map((m) => m.trim()).filter(Boolean),
  });
}

/** The verdicts' table and counts, as compare and nightly print them. */
export async function printVerdicts(rows: CompareRow[], where: string): Promise<void> {
  const { compareTable } = await import('../../analysis/compare-report.js');
  const { verdictCounts } = await import('../../analysis/compare.js');
  const c = verdictCounts(rows);
  out(compareTable(rows));
  out(`\n${c.improved} improved, ${c.regressed} regressed, ${c.unchanged} unchanged, ${c.inconclusive} inconclusive${where}`);
}

export default command({
  command: 'compare <baseline> <candidate>',
  describe: 'judge a candidate run against a baseline run or baseline file (exit 3 on a regression)',
  builder: (y) =>
    compareOptions(y)
      .positional('baseline', { type: 'string', demandOption: true, describe: 'a run directory or a baseline file' })
      .positional('candidate', { type: 'string', demandOption: true, describe: 'a run directory' })
      .example('$0 compare results/x/RUN_A results/x/RUN_B --min-effect 5', 'exit 3 on a regression'),
  handler: async (argv) => {
    const policy = await policyFrom(argv);
    const [{ compareSides, loadSide }, { writeCompareOutputs }, { verdictCounts }] = await Promise.all([
      import('../../analysis/baseline.js'),
      import('../../analysis/compare-report.js'),
      import('../../analysis/compare.js'),
    ]);
    const [baseline, candidate] = await Promise.all([loadSide(argv.baseline), loadSide(argv.candidate)]);
    const rows = compareSides(baseline, candidate, policy);
    const dir = argv.out ?? join((await stat(argv.candidate)).isDirectory() ? argv.candidate : dirname(argv.candidate), 'compare');
    const files = await writeCompareOutputs(dir, rows, { baseline, candidate, policy, nameLabels: nameLabelsFrom(argv['name-labels']) });
    const c = verdictCounts(rows);
    if (argv.json) out(JSON.stringify({ counts: c, rows }, null, 2));
    else {
      await printVerdicts(rows, '');
      for (const f of files) out(`wrote ${f}`);
    }
    return (c.regressed ?? 0) > 0 ? EXIT.regression : EXIT.ok;
  },
});
