// `vfbench plan FILE`: the ordered trials and the estimated wall time; runs nothing.
import { command, out } from '../command.js';
import { EnvironmentError } from '../../util/errors.js';
import { formatSeconds } from '../../util/duration.js';

export default command({
  command: 'plan <file>',
  describe: 'print the ordered trials and the estimated wall time; runs nothing',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
      .option('json', { type: 'boolean', default: false, describe: 'the plan as one JSON document' })
      .example('$0 plan scenarios/lab-quick.yaml', 'the 12 trials in order and about 1.5 minutes'),
  handler: async (argv) => {
    const [{ loadScenario }, { makePlan }] = await Promise.all([import('../../scenario/load.js'), import('../../scenario/plan.js')]);
    const s = await loadScenario(argv.file);
    if (s.inventoryProblem) throw new EnvironmentError(s.inventoryProblem);
    const plan = makePlan(s);
    if (argv.json) {
      out(JSON.stringify(plan, null, 2));
      return;
    }
    for (const t of plan.trials) {
      const pair = s.pairs[t.point.pair]!;
      out(`${String(t.seq + 1).padStart(4)}  ${t.id.padEnd(34)} ${pair.client}->${pair.server}  ${t.point.tool} ${t.point.mode} ${t.point.protocol} ${t.point.size}B  ${t.variant}`);
    }
    out(`${plan.trials.length} trials (${plan.points} points × ${plan.variants.length} variants × ${s.repeat} repetitions), order ${s.order}, estimated ${formatSeconds(plan.estimateSeconds)}`);
  },
});
