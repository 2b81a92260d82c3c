// `vfbench nightly FILE`: run, compare with the stored baseline (or the last N runs), add to the history.
// `vfbench nightly RUN_DIR`: the same judgement of a run already made (CI that runs in one step and judges
// in another, or judges again after the history changed).
import { stat } from 'node:fs/promises';
import { command, err, out, HOST_OPTIONS, LABEL_OPTION } from '../command.js';
import { EXIT, UserError } from '../../util/errors.js';
import type { NightlyResult } from '../../analysis/nightly.js';
import type { CompareRow } from '../../analysis/compare.js';
import { compareOptions, nameLabelsFrom, policyFrom, printVerdicts } from './compare.js';

/**
 * What can be known before a run of hours is checked before it: the history opens (a wrong --db or a
 * server down fails now, not after the run), and --where does not contradict a label the run will have.
 */
async function checkBeforeRun(file: string, labels: Record<string, string>, where: Record<string, string>, db: string | undefined): Promise<void> {
  const { loadScenario } = await import('../../scenario/load.js');
  const given = { ...(await loadScenario(file)).labels, ...labels };
  for (const [k, v] of Object.entries(where)) {
    if (given[k] !== undefined && given[k] !== v) throw new UserError(`--where ${k}=${v}: the run will be labelled ${k}=${given[k]} (${k in labels ? '--label' : `${file}'s labels:`}), so it could not be judged`);
  }
  const { History, historyLocation } = await import('../../results/history/index.js');
  await (await History.open(historyLocation(db))).close();
}

async function printNightly(n: NightlyResult, db: string, where: string): Promise<void> {
  if (n.becameBaseline) out(`\nno baseline for this scenario yet: this run is now the baseline (${db})`);
  else if (!n.rows) out(`\nno baseline to compare with in ${db}: nothing compared; the run is recorded`);
  else {
    out(`\ncompared with ${n.baselineRuns!.join(', ')}:`);
    await printVerdicts(n.rows, `; compare/ in ${where}`);
  }
}

/** A finished run's directory (judge it) or a scenario file (run it first). */
const isRunDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;

export default command({
  command: 'nightly <file>',
  describe: 'run, compare with the stored baseline (or the last N runs), add to the history; exit 3 on a regression',
  builder: (y) =>
    compareOptions(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario YAML file, or a finished run directory to judge without running' })
      .option('db', { type: 'string', describe: 'history: a SQLite file or postgres://… URL (default $VFBENCH_DB, else $VFBENCH_HOME/history.db)' })
      .option('last', { type: 'number', describe: 'compare with the pooled last N runs instead of the stored baseline' })
      .option('where', { type: 'string', array: true, describe: 'judge against the baseline (or last N runs) of the runs with this label, name=value (repeatable)' })
      .option('results', { type: 'string', default: 'results', describe: 'root of run directories' })
      .options(HOST_OPTIONS)
      .options(LABEL_OPTION)
      .example('$0 nightly scenarios/lab-quick.yaml --min-effect 5', 'exit 3 on a regression of 5 % or more, 1 if trials failed')
      .example('VFBENCH_DB=postgres://ci@db/vfbench $0 nightly scenarios/lab-quick.yaml --label runner=ci-3 --where vm_size=D8s_v5', 'a shared history, judged against the D8s_v5 baseline'),
  handler: async (argv) => {
    const policy = await policyFrom(argv);
    const { parseLabelArgs } = await import('../../scenario/labels.js');
    const labels = parseLabelArgs(argv.label);
    const where = parseLabelArgs(argv.where, '--where');
    const [{ judgeNightly }, { History, historyLocation }, { verdictCounts }] = await Promise.all([
      import('../../analysis/nightly.js'),
      import('../../results/history/index.js'),
      import('../../analysis/compare.js'),
    ]);
    let r: { dir?: string; status?: string; exitCode: number } = { dir: argv.file, status: 'complete', exitCode: EXIT.ok };
    if (await isRunDir(argv.file)) {
      if (argv.label?.length) throw new UserError(`--label applies when nightly runs a scenario: the run ${argv.file} has its labels already`);
    } else {
      await checkBeforeRun(argv.file, labels, where, argv.db);
      const { runCommand } = await import('../run-session.js');
      r = await runCommand({ file: argv.file, results: argv.results, acceptNewHostKeys: argv['accept-new-host-keys'], analyze: true, json: argv.json, nightly: true, sshConfig: argv['ssh-config'], labels });
    }
    if (!r.dir || r.status !== 'complete') {
      err('nightly: the run did not complete; nothing compared or recorded');
      if (argv.json) out(JSON.stringify({ dir: r.dir, status: r.status, compared: false }, null, 2));
      return r.exitCode || EXIT.trials;
    }
    // The history is opened only now: a run of hours holds no connection and no lock.
    const db = await History.open(historyLocation(argv.db));
    try {
      const n = await judgeNightly(db, r.dir, { last: argv.last, where, policy, out: argv.out, nameLabels: nameLabelsFrom(argv['name-labels']) });
      if (argv.json) {
        const counts = n.rows ? verdictCounts(n.rows as CompareRow[]) : undefined;
        out(JSON.stringify({ dir: r.dir, run: n.runId, db: db.location, status: r.status, becameBaseline: n.becameBaseline, baselineRuns: n.baselineRuns, counts, rows: n.rows }, null, 2));
      } else await printNightly(n, db.location, argv.out ?? r.dir);
      return n.regressed > 0 ? EXIT.regression : r.exitCode;
    } finally {
      await db.close();
    }
  },
});
