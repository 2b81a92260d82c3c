// `vfbench nightly FILE`: run, compare with the stored baseline (or the last N runs), add to the history.
import { command, err, out, HOST_OPTIONS, LABEL_OPTION } from '../command.js';
import { EXIT } from '../../util/errors.js';
import type { NightlyResult } from '../../analysis/nightly.js';
import { compareOptions, policyFrom, printVerdicts } from './compare.js';

async function printNightly(n: NightlyResult, db: string, where: string): Promise<void> {
  if (n.becameBaseline) out(`\nno baseline for this scenario yet: this run is now the baseline (${db})`);
  else if (!n.rows) out(`\nno earlier runs of this scenario in ${db}: nothing to compare; the run is recorded`);
  else {
    out(`\ncompared with ${n.baselineRuns!.join(', ')}:`);
    await printVerdicts(n.rows, `; compare/ in ${where}`);
  }
}

export default command({
  command: 'nightly <file>',
  describe: 'run, compare with the stored baseline (or the last N runs), add to the history; exit 3 on a regression',
  builder: (y) =>
    compareOptions(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
      .option('db', { type: 'string', describe: 'history database (default $VFBENCH_HOME/history.db)' })
      .option('last', { type: 'number', describe: 'compare with the pooled last N runs instead of the stored baseline' })
      .option('results', { type: 'string', default: 'results', describe: 'root of run directories' })
      .options(HOST_OPTIONS)
      .options(LABEL_OPTION)
      .example('$0 nightly scenarios/lab-quick.yaml --min-effect 5', 'exit 3 on a regression of 5 % or more, 1 if trials failed'),
  handler: async (argv) => {
    const policy = await policyFrom(argv);
    const labels = (await import('../../scenario/labels.js')).parseLabelArgs(argv.label);
    const [{ judgeNightly }, { HistoryDb, defaultHistoryDb }, { runCommand }, { verdictCounts }] = await Promise.all([
      import('../../analysis/nightly.js'),
      import('../../results/history.js'),
      import('../run-session.js'),
      import('../../analysis/compare.js'),
    ]);
    const db = await HistoryDb.open(argv.db ?? defaultHistoryDb());
    try {
      const r = await runCommand({ file: argv.file, results: argv.results, acceptNewHostKeys: argv['accept-new-host-keys'], analyze: true, json: argv.json, nightly: true, sshConfig: argv['ssh-config'], labels });
      if (!r.dir || r.status !== 'complete') {
        err('nightly: the run did not complete; nothing compared or recorded');
        if (argv.json) out(JSON.stringify({ dir: r.dir, status: r.status, compared: false }, null, 2));
        return r.exitCode || EXIT.trials;
      }
      const n = await judgeNightly(db, r.dir, { last: argv.last, policy, out: argv.out });
      if (argv.json) {
        const counts = n.rows ? verdictCounts(n.rows) : undefined;
        out(JSON.stringify({ dir: r.dir, status: r.status, becameBaseline: n.becameBaseline, baselineRuns: n.baselineRuns, counts, rows: n.rows }, null, 2));
      } else await printNightly(n, db.path, argv.out ?? r.dir);
      return n.regressed > 0 ? EXIT.regression : r.exitCode;
    } finally {
      db.close();
    }
  },
});
