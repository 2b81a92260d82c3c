// `vfbench history add RUN_DIR | list | baseline RUN_ID | trend`: the history database.
import { command, out, warnFigures } from '../command.js';
import { UserError } from '../../util/errors.js';
import type { HistoryDb } from '../../results/history.js';

type Say = (json: unknown, text: string[]) => void;
type Args = { target?: string; scenario?: string; metrics?: string; out: string };

async function add(db: HistoryDb, argv: Args, say: Say): Promise<void> {
  if (!argv.target) throw new UserError('history add needs a run directory');
  const r = await (await import('../../analysis/nightly.js')).addToHistory(db, argv.target);
  await db.save();
  say({ ...r, db: db.path }, [`added run ${r.id} of ${r.scenario} (${r.samples} point metrics) to ${db.path}`]);
}

function list(db: HistoryDb, argv: Args, say: Say): void {
  const runs = db.runs(argv.scenario).map((r) => ({ ...r, baseline: db.baseline(r.scenario) === r.id }));
  say(runs, runs.map((r) => `${r.id}  ${r.scenario}  ${r.started ?? r.added}  ${r.status ?? ''}${r.baseline ? '  [baseline]' : ''}`));
}

async function baseline(db: HistoryDb, argv: Args, say: Say): Promise<void> {
  if (!argv.target) throw new UserError('history baseline needs a run id or run directory');
  const id = argv.target.replace(/\/+$/, '').split('/').pop()!;
  const run = db.runs().find((r) => r.id === id);
  if (!run) throw new UserError(`run ${id} is not in ${db.path}: history add it first`);
  db.setBaseline(run.scenario, id);
  await db.save();
  say({ scenario: run.scenario, baseline: id }, [`baseline of ${run.scenario} is now ${id}`]);
}

async function trend(db: HistoryDb, argv: Args, say: Say): Promise<void> {
  if (!argv.scenario) throw new UserError('history trend needs --scenario');
  const figs = await (await import('../../report/trends.js')).trendFigures(db, argv.scenario, argv.out, argv.metrics?.split(','));
  warnFigures(figs);
  say({ figures: figs.map((f) => f.files) }, figs.map((f) => `figure: ${f.files.find((x) => x.endsWith('.png'))}`));
}

const ACTIONS = { add, list, baseline, trend };

export default command({
  command: 'history <action> [target]',
  describe: 'the history database: add RUN_DIR | list | baseline RUN_ID | trend',
  builder: (y) =>
    y
      .positional('action', { choices: ['add', 'list', 'baseline', 'trend'] as const, demandOption: true, describe: 'store a run, list runs, choose a scenario\'s baseline, draw trends' })
      .positional('target', { type: 'string', describe: 'add: a run directory; baseline: a run id or directory' })
      .option('db', { type: 'string', describe: 'history database (default $VFBENCH_HOME/history.db)' })
      .option('scenario', { type: 'string', describe: 'list/trend: the scenario' })
      .option('metrics', { type: 'string', describe: 'trend: comma-separated metrics (default: headline metrics)' })
      .option('out', { type: 'string', default: 'trends', describe: 'trend: folder for the figures' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
      .example('$0 history add results/lab-quick/20261201T120000Z-ab12cd', 'store a run')
      .example('$0 history trend --scenario lab-quick --out trends', 'trend figures with the baseline band'),
  handler: async (argv) => {
    const { HistoryDb, defaultHistoryDb } = await import('../../results/history.js');
    const db = await HistoryDb.open(argv.db ?? defaultHistoryDb());
    const say: Say = (json, text) => (argv.json ? out(JSON.stringify(json, null, 2)) : text.forEach((l) => out(l)));
    try {
      await ACTIONS[argv.action](db, argv, say);
    } finally {
      db.close();
    }
  },
});
