// guest-link: bring a named interface up or down inside both guests (controller.ts); docs/controllers/guest-link.md.
import type { ControllerModule } from '../controller.js';
import { restoreEach } from '../controller.js';
import { guestLinkVariantSchema } from './schema.js';
import { describeGuestLink, GuestLinkController, setGuestLink } from './controller.js';

export const guestLink: ControllerModule<'guest-link', typeof guestLinkVariantSchema> = {
  name: 'guest-link',
  schema: guestLinkVariantSchema,
  expectedPath: (v) => v.path ?? (v.state === 'up' ? 'accelerated' : 'synthetic'),
  guestInterfaces: (v) => [v.interface],
  create: () => new GuestLinkController(),
  describeApply: describeGuestLink,
  describeUndo: (pair, v) => [pair.client, pair.server].map((h) => [`${h} ${v.interface}`, `${h}: ip link set dev ${v.interface} <up|down, as found before the first switch>`]),
  restore: {
    stage: 'guest',
    identity: ['interface'],
    describe: (o) => `${o.host}: ip link set dev ${String(o.state.interface)} ${o.state.up ? 'up' : 'down'}`,
    run: (ctx, originals) => restoreEach(ctx, originals, async (host, o) => void (await setGuestLink(host, String(o.state.interface), o.state.up === true))),
    checkStored: (o, variants) =>
      variants.some((v) => v.controller === 'guest-link' && v.interface === o.state.interface)
        ? undefined
        : `the manifest's interface ${String(o.state.interface)} for ${o.host} is not one its scenario names: the run directory was edited; nothing was run`,
  },
};
