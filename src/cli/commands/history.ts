// `vfbench history add RUN_DIR… | list | baseline RUN_ID | trend | compare RUN_DIR | import SRC`: the history database, a
// SQLite file ($VFBENCH_HOME/history.db) or a PostgreSQL shared by a team (--db / $VFBENCH_DB).
import { existsSync } from 'node:fs';
import { command, err, out, warnFigures } from '../command.js';
import { policyOptions } from './compare.js';
import { EXIT, UserError } from '../../util/errors.js';
import type { History } from '../../results/history/index.js';
import { labelsText } from '../../results/manifest.js';
import type { Labels } from '../../scenario/labels.js';

type Say = (json: unknown, text: string[]) => void;
type Args = {
  targets?: string[]; scenario?: string; metrics?: string; out: string; by?: string; limit: number; where: Labels; json: boolean;
  last?: number; policy?: string; 'min-effect'?: number; alpha?: number; 'max-cv'?: number; 'compare-out'?: string;
};

async function add(db: History, argv: Args, say: Say): Promise<void> {
  if (!argv.targets?.length) throw new UserError('history add needs a run directory');
  const { addToHistory } = await import('../../analysis/nightly.js');
  const added = [];
  // One transaction per run: runs added before a failing one stay added.
  for (const dir of argv.targets) {
    const r = await addToHistory(db, dir);
    added.push({ ...r, dir });
    if (!argv.json) out(`added run ${r.id} of ${r.scenario} (${r.points} points) to ${db.location}`);
  }
  say({ added, db: db.location }, []);
}

async function list(db: History, argv: Args, say: Say): Promise<void> {
  const runs = await db.runs({ scenario: argv.scenario, where: argv.where, limit: argv.limit });
  if (runs.length === argv.limit) err(`(the newest ${argv.limit} runs: --limit N for more)`);
  const baselines = await db.baselines();
  const rows = runs.map((r) => ({ ...r, baselineOf: baselines.filter((b) => b.runId === r.id).map((b) => b.selection) }));
  say(
    rows,
    rows.map((r) => {
      const base = r.baselineOf.map((s) => `  [baseline${Object.keys(s).length ? ` ${labelsText(s)}` : ''}]`).join('');
      return `${r.id}  ${r.scenario}  ${r.started ?? r.added}  ${r.status ?? ''}  ${labelsText(r.labels)}${base}`;
    }),
  );
}

async function baseline(db: History, argv: Args, say: Say): Promise<void> {
  const target = argv.targets?.[0];
  if (!target) throw new UserError('history baseline needs a run id or run directory');
  const id = target.replace(/\/+$/, '').split('/').pop()!;
  const run = await db.run(id);
  if (!run) throw new UserError(`run ${id} is not in ${db.location}: history add it first`);
  await db.setBaseline(run.scenario, argv.where, id);
  const sel = labelsText(argv.where);
  say({ scenario: run.scenario, selection: argv.where, baseline: id }, [`baseline of ${run.scenario}${sel ? ` where ${sel}` : ''} is now ${id}`]);
}

async function trend(db: History, argv: Args, say: Say): Promise<void> {
  if (!argv.scenario) throw new UserError('history trend needs --scenario');
  const { trendFigures } = await import('../../report/trends.js');
  const figs = await trendFigures(db, { scenario: argv.scenario, where: argv.where, by: argv.by, outDir: argv.out, metrics: argv.metrics?.split(',') });
  warnFigures(figs);
  say({ figures: figs.map((f) => f.files) }, figs.map((f) => `figure: ${f.files.find((x) => x.endsWith('.png'))}`));
}

async function importFrom(db: History, argv: Args, say: Say): Promise<void> {
  const source = argv.targets?.[0];
  if (!source) throw new UserError('history import needs the history to copy from (a SQLite file)');
  const { History, importHistory, isPostgresUrl } = await import('../../results/history/index.js');
  // Opening a file that is not there would create an empty history and import nothing.
  if (!isPostgresUrl(source) && !existsSync(source)) throw new UserError(`history import: ${source} does not exist`);
  const src = await History.open(source);
  try {
    if (src.location === db.location) throw new UserError(`history import: ${source} is the destination itself`);
    const r = await importHistory(src, db);
    say({ from: src.location, to: db.location, ...r }, [
      `imported ${r.imported} runs from ${src.location} into ${db.location}; ${r.skipped} already there (skipped); ${r.baselines} baselines set`,
    ]);
  } finally {
    await src.close();
  }
}

/** A run judged against the history's baseline (or last N runs) of its scenario and --where: nightly without recording. */
async function compare(db: History, argv: Args, say: Say): Promise<number> {
  const target = argv.targets?.[0];
  if (!target) throw new UserError('history compare needs a run directory');
  const [{ judgeNightly }, { policyFrom, printVerdicts }, { verdictCounts }] = await Promise.all([import('../../analysis/nightly.js'), import('./compare.js'), import('../../analysis/compare.js')]);
  const policy = await policyFrom(argv);
  const n = await judgeNightly(db, target, { last: argv.last, where: argv.where, policy, out: argv['compare-out'], record: false });
  if (argv.json) say({ run: n.runId, baselineRuns: n.baselineRuns, counts: verdictCounts(n.rows!), rows: n.rows }, []);
  else {
    out(`compared with ${n.baselineRuns!.join(', ')}:`);
    await printVerdicts(n.rows!, `; compare/ in ${argv['compare-out'] ?? target}`);
  }
  return n.regressed > 0 ? EXIT.regression : EXIT.ok;
}

const ACTIONS = { add, list, baseline, trend, compare, import: importFrom };

export default command({
  command: 'history <action> [targets..]',
  describe: 'the history database: add RUN_DIR… | list | baseline RUN_ID | trend | compare RUN_DIR | import SRC.db',
  builder: (y) =>
    policyOptions(y)
      .positional('action', { choices: ['add', 'list', 'baseline', 'trend', 'compare', 'import'] as const, demandOption: true, describe: 'store runs, list runs, choose a baseline, draw trends, judge a run without recording it, copy a history into this one' })
      .positional('targets', { type: 'string', array: true, describe: 'add: run directories; baseline: a run id or directory; import: the history to copy from' })
      .option('db', { type: 'string', describe: 'history: a SQLite file or postgres://… URL (default $VFBENCH_DB, else $VFBENCH_HOME/history.db)' })
      .option('scenario', { type: 'string', describe: 'list/trend: the scenario' })
      .option('where', { type: 'string', array: true, describe: 'list/trend/baseline: only runs with this label, name=value (repeatable)' })
      .option('limit', { type: 'number', default: 1000, describe: 'list: the newest N runs' })
      .option('last', { type: 'number', describe: 'compare: with the pooled last N runs instead of the baseline' })
      .option('compare-out', { type: 'string', describe: 'compare: folder for compare.csv/json/md/junit.xml (default: the run\'s compare/)' })
      .option('by', { type: 'string', describe: 'trend: one series per value of this label (e.g. vm_size)' })
      .option('metrics', { type: 'string', describe: 'trend, compare: comma-separated metrics (default: headline metrics)' })
      .option('out', { type: 'string', default: 'trends', describe: 'trend: folder for the figures' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
      .example('$0 history add results/lab-quick/20261201T120000Z-ab12cd', 'store a run')
      .example('$0 history baseline 20261201T120000Z-ab12cd --where vm_size=D8s_v5', 'the baseline of the scenario on D8s_v5 runs')
      .example('$0 history trend --scenario lab-quick --by vm_size', 'a series per VM size with the baseline band')
      .example('$0 history compare results/lab-quick/20261202T020000Z-ef34ab --where vm_size=Standard_D8s_v5', 'judge a run against the D8s_v5 baseline; record nothing')
      .example('$0 history import ~/.vfbench/history.db --db postgres://vfbench@db.example/vfbench', 'copy a laptop\'s history into the team\'s'),
  handler: async (argv) => {
    const [{ History, historyLocation }, { parseLabelArgs }] = await Promise.all([import('../../results/history/index.js'), import('../../scenario/labels.js')]);
    const where = parseLabelArgs(argv.where, '--where');
    // Reading a history that is not there is a mistyped --db, not a new empty history.
    const db = await History.open(historyLocation(argv.db), { mustExist: argv.action !== 'add' && argv.action !== 'import' });
    const say: Say = (json, text) => (argv.json ? out(JSON.stringify(json, null, 2)) : text.forEach((l) => out(l)));
    try {
      return (await ACTIONS[argv.action](db, { ...argv, where }, say)) ?? EXIT.ok;
    } finally {
      await db.close();
    }
  },
});
