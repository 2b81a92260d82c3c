// `vfbench baseline RUNS… -o FILE`: pool runs of one scenario into a baseline file for compare.
import { command, out } from '../command.js';

export default command({
  command: 'baseline <runs..>',
  describe: 'pool run directories of one scenario into a baseline file for compare',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run directories of one scenario' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the baseline file to write' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
      .example('$0 baseline results/x/RUN_A results/x/RUN_B -o x.baseline.json', 'pool two runs'),
  handler: async (argv) => {
    const b = await (await import('../../analysis/baseline.js')).saveBaseline(argv.runs.map(String), argv.output);
    if (argv.json) out(JSON.stringify({ file: argv.output, scenario: b.scenario, runs: b.runs, points: b.samples.length }, null, 2));
    else out(`${argv.output}: baseline of ${b.scenario} from ${b.runs.length} run(s), ${b.samples.length} points`);
  },
});
