// `vfbench validate FILES…`: every problem of every scenario file, with its position.
import { command, err, out } from '../command.js';
import { EXIT } from '../../util/errors.js';

interface Validated {
  file: string;
  ok: boolean;
  tests?: number;
  variants?: string[];
  warning?: string;
  problems?: unknown[];
}

export default command({
  command: 'validate <files..>',
  describe: 'check scenario files; lists every problem with file:line:column',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'scenario YAML files' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document: per file, ok or its problems' })
      .example('$0 validate scenarios/*.yaml', 'every problem of every file, exit 2 if any'),
  handler: async (argv) => {
    const { loadScenario, ScenarioError } = await import('../../scenario/load.js');
    const results: Validated[] = [];
    for (const f of argv.files.map(String)) {
      try {
        const s = await loadScenario(f);
        results.push({ file: f, ok: true, tests: s.tests.length, variants: Object.keys(s.variants), warning: s.inventoryProblem });
        if (!argv.json) out(`${f}: ok (${s.tests.length} test${s.tests.length === 1 ? '' : 's'}, variants ${Object.keys(s.variants).join(', ')})`);
        if (s.inventoryProblem) err(`warning: ${s.inventoryProblem}`);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        results.push({ file: f, ok: false, problems: e.problems });
        if (!argv.json) err(e.message);
      }
    }
    if (argv.json) out(JSON.stringify(results, null, 2));
    return results.every((r) => r.ok) ? EXIT.ok : EXIT.usage;
  },
});
