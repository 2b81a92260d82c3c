// command: the user's own apply / verify / restore shell commands (controller.ts); docs/controllers/command.md.
import type { ControllerModule } from '../controller.js';
import { restoreEach } from '../controller.js';
import { commandVariantSchema } from './schema.js';
import { CommandController, describeCommand, runUserCommand } from './controller.js';

export const command: ControllerModule<'command', typeof commandVariantSchema> = {
  name: 'command',
  schema: commandVariantSchema,
  expectedPath: (v) => v.path,
  check: (v, scope, problem) => {
    if (v.on !== 'both' && v.on !== 'local' && !Object.hasOwn(scope.hosts, v.on)) {
      problem(['on'], `unknown host "${v.on}" (hosts: ${Object.keys(scope.hosts).join(', ')}; or both, local)`);
    }
  },
  extraHosts: (v) => (v.on !== 'both' && v.on !== 'local' ? [v.on] : []),
  secretRefs: (v) => [v.apply, v.verify ?? '', v.restore],
  create: (ctx) => new CommandController(ctx),
  describeApply: describeCommand,
  describeUndo: (pair, v) => (v.on === 'both' ? [pair.client, pair.server] : [v.on]).map((h) => [`${h} restore`, `${h}: sh -c ${JSON.stringify(v.restore)}`]),
  restore: {
    stage: 'guest',
    identity: [],
    describe: (o) => `${o.host}: sh -c ${JSON.stringify(o.state.restore)}`,
    run: (ctx, originals) => restoreEach(ctx, originals, (host, o) => runUserCommand(ctx, host, String(o.state.restore), Number(o.state.timeout ?? 60), 'restore')),
    checkStored: (o, variants) =>
      variants.some((v) => v.controller === 'command' && v.restore === o.state.restore)
        ? undefined
        : `the manifest's restore command for ${o.host} is not one of its scenario's: the run directory was edited; nothing was run`,
    secretRefs: (o) => [String(o.state.restore)],
  },
};
