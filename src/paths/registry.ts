// The path controllers vfbench knows: one line each. The scenario's variant schema, its checks, the run's
// controllers, --dry-run and `vfbench restore` all look a controller up here (docs/add-a-controller.md).
import type { ControllerModule, OriginalState } from './controller.js';
import type { VariantSpec } from '../scenario/schema.js';
import { guestLink } from './guest-link/index.js';
import { command } from './command/index.js';
import { azureNic } from './azure-nic/index.js';
import { libvirtHotplug } from './libvirt-hotplug/index.js';
import { awsEnaExpress } from './aws-ena-express/index.js';

/** In this order in the variant union (and so in the message for an unknown `controller:`). */
export const CONTROLLERS = [guestLink, command, azureNic, libvirtHotplug, awsEnaExpress] as const;

type Schemas<T extends readonly { schema: unknown }[]> = { -readonly [K in keyof T]: T[K]['schema'] };

/** The variant schemas of all controllers, as the tuple z.discriminatedUnion takes. */
export const variantSchemas = CONTROLLERS.map((c) => c.schema) as unknown as Schemas<typeof CONTROLLERS>;

/** A registered controller, its methods taking any variant (each is only called with its own). */
export type Controller = ControllerModule<string, (typeof CONTROLLERS)[number]['schema'], VariantSpec>;

const byName = new Map<string, Controller>(CONTROLLERS.map((c) => [c.name, c as unknown as Controller]));

/** The controller of that name, if there is one. */
export function findController(name: string): Controller | undefined {
  return byName.get(name);
}

/** The controller of a (parsed, so valid) variant. */
export function controllerOf(v: VariantSpec): Controller {
  const c = byName.get(v.controller);
  if (!c) throw new Error(`no path controller "${v.controller}"`);
  return c;
}

/** The controller that recorded a stored state, if this vfbench has it. */
export function controllerOfState(o: OriginalState): Controller | undefined {
  return byName.get(o.controller);
}
