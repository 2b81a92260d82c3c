// `vfbench analyze DIR`: the run's tables (analysis/), and the Boost% table printed.
import { command, err, out } from '../command.js';

export default command({
  command: 'analyze <dir>',
  describe: 'write analysis/ for a run: the tidy tables trials, summary, boost, timeseries (.csv and .jsonl) and analysis.json',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'the run directory' })
      .option('json', { type: 'boolean', default: false, describe: 'the analysis (analysis.json) on stdout' })
      .example('$0 analyze results/lab-quick/20261201T120000Z-ab12cd', 'tables, and the Boost% table printed'),
  handler: async (argv) => {
    const [{ analyzeRun }, { boostTable }] = await Promise.all([import('../../analysis/run-analysis.js'), import('../../report/boost-table.js')]);
    const a = await analyzeRun(argv.dir);
    out(argv.json ? JSON.stringify(a, null, 2) : boostTable(a));
    for (const w of a.warnings) err(`warning: ${w}`);
  },
});
