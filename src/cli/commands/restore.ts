// `vfbench restore DIR`: put every host of a run back into its recorded path state (after kill -9).
import { command, err, out, HOST_OPTIONS } from '../command.js';
import { EXIT } from '../../util/errors.js';

export default command({
  command: 'restore <dir>',
  describe: 'put every host of a run back into the path state recorded before its first switch (after kill -9)',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'the run directory' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print what would be done; connect to nothing' })
      .option('trust', { type: 'boolean', default: false, describe: 'restore a run directory made by another user or machine (its commands run here)' })
      .options(HOST_OPTIONS)
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document: what was done, what could not be' })
      .example('$0 restore results/lab-quick/20261201T120000Z-ab12cd', 'after kill -9: end its jobs, put every path back; exit 4 if a host could not be restored'),
  handler: async (argv) => {
    const { restoreRun } = await import('../../runner/restore-run.js');
    const r = await restoreRun(argv.dir, { dryRun: argv['dry-run'], acceptNewHostKeys: argv['accept-new-host-keys'], sshConfig: argv['ssh-config'], trust: argv.trust });
    if (argv.json) out(JSON.stringify(r, null, 2));
    else {
      for (const l of r.lines) out(l);
      for (const p of r.problems) err(`✗ ${p}`);
    }
    return r.problems.length > 0 ? EXIT.environment : EXIT.ok;
  },
});
