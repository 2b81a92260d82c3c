// `vfbench run [FILE]`: run a scenario (or resume a run), then analyze and report; --dry-run prints it.
import { command, out, HOST_OPTIONS, LABEL_OPTION } from '../command.js';
import { EnvironmentError, UserError } from '../../util/errors.js';

async function dryRun(file: string | undefined, resume: string | undefined, json: boolean): Promise<void> {
  const { loadForRun } = await import('../../runner/run.js');
  const { scenario } = await loadForRun(file, resume, true); // prints, runs nothing
  if (scenario.inventoryProblem) throw new EnvironmentError(scenario.inventoryProblem);
  const lines = (await import('../../runner/dry-run.js')).dryRunLines(scenario);
  if (json) out(JSON.stringify({ dryRun: true, lines }, null, 2));
  else for (const l of lines) out(l);
}

export default command({
  command: 'run [file]',
  describe: 'run a scenario, then analyze and report',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'scenario YAML file (not with --resume)' })
      .option('resume', { type: 'string', describe: 'continue this run directory, skipping recorded trials' })
      .option('results', { type: 'string', default: 'results', describe: 'root of run directories' })
      .options(HOST_OPTIONS)
      .options(LABEL_OPTION)
      .option('analyze', { type: 'boolean', default: true, describe: 'analyze and report at the end (--no-analyze to skip)' })
      .option('repeat', { type: 'number', describe: 'repetitions of every point, instead of the scenario\'s `repeat` (e.g. 1 for a quick look)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print every command the run would send (switches, servers, clients, restore); connect to nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'at the end, one JSON document on stdout (run directory, status, counts, Boost%); everything else on stderr' })
      .option('trust', { type: 'boolean', default: false, describe: 'with --resume: a run directory made by another user or machine (its commands run here)' })
      .example('$0 run scenarios/lab-quick.yaml --label vm_size=D8s_v5 --label region=westeurope', 'labels for queries of the history and tables')
      .example('$0 run scenarios/lab-quick.yaml', 'run, analyze, report; exit 1 if a trial failed or was invalid')
      .example('$0 run --resume results/lab-quick/20261201T120000Z-ab12cd', 'continue a run that was interrupted'),
  handler: async (argv) => {
    if (argv['dry-run']) return dryRun(argv.file, argv.resume, argv.json);
    if (argv.repeat !== undefined && (!Number.isInteger(argv.repeat) || argv.repeat < 1 || argv.repeat > 1000)) throw new UserError(`--repeat must be an integer 1..1000, got ${argv.repeat}`);
    if (argv.repeat !== undefined && argv.resume) throw new UserError('--repeat cannot change a run being resumed (its plan is fixed)');
    if (argv.label?.length && argv.resume) throw new UserError('--label cannot change a run being resumed (its labels are in its manifest)');
    const labels = (await import('../../scenario/labels.js')).parseLabelArgs(argv.label);
    const { runCommand } = await import('../run-session.js');
    const r = await runCommand({
      file: argv.file,
      resume: argv.resume,
      results: argv.results,
      acceptNewHostKeys: argv['accept-new-host-keys'],
      analyze: argv.analyze,
      repeat: argv.repeat,
      json: argv.json,
      sshConfig: argv['ssh-config'],
      trust: argv.trust,
      labels,
    });
    return r.exitCode;
  },
});
