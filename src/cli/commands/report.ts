// `vfbench report DIR` (figures and report.html of a run) and `report DIRS… --out DIR` (runs overlaid).
import { join, resolve } from 'node:path';
import { command, out, warnFigures } from '../command.js';
import { UserError } from '../../util/errors.js';

export default command({
  command: 'report <dirs..>',
  describe: 'render the figures of a run (Vega-Lite JSON, SVG, PNG, PDF) and report.html; several runs overlaid with --out',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'the run directory (several, with --out, to overlay them)' })
      .option('out', { type: 'string', describe: 'with several runs: the folder for their overlaid figures and report.html' })
      .option('json', { type: 'boolean', default: false, describe: 'the files written, as one JSON document' })
      .option('figure-width', { type: 'string', default: 'single', describe: 'width of each figure on the page: single (3.5 in), double (7.16 in), or e.g. 8.5cm, 90mm, 3.3in' })
      .option('titles', { type: 'boolean', default: true, describe: 'titles in the figures (--no-titles for a paper, whose captions carry them)' })
      .option('dpi', { type: 'number', default: 300, describe: 'resolution of the PNG figures' })
      .example('$0 report results/lab-quick/20261201T120000Z-ab12cd', 'figures/ and report.html')
      .example('$0 report RUN_DIR --figure-width double --no-titles', 'figures for a two-column paper')
      .example('$0 report BEFORE_DIR AFTER_DIR --out before-after', 'both runs in the same figures'),
  handler: async (argv) => {
    const { figureWidthIn } = await import('../../charts/render.js');
    if (!(argv.dpi >= 72 && argv.dpi <= 1200)) throw new UserError(`--dpi ${argv.dpi}: give 72 to 1200`);
    const style = { widthIn: figureWidthIn(argv['figure-width']), titles: argv.titles, dpi: argv.dpi };
    const dirs = argv.dirs.map(String);
    if (dirs.length > 1 && !argv.out) throw new UserError(`report of ${dirs.length} runs: say where their overlaid figures go with --out DIR`);
    const where = argv.out ?? dirs[0]!;
    const figs = argv.out
      ? await (await import('../../report/overlay.js')).reportRuns(dirs, resolve(argv.out), style)
      : await (await import('../../report/run-report.js')).reportRun(dirs[0]!, style);
    warnFigures(figs);
    if (argv.json) out(JSON.stringify({ figures: figs.map((f) => ({ name: f.name, files: f.files })), report: join(where, 'report.html') }, null, 2));
    else {
      for (const f of figs) for (const file of f.files) out(file);
      out(join(where, 'report.html'));
    }
  },
});
