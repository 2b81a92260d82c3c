import { z } from 'zod';
import { duration, ifname, pathKind } from '../../scenario/fields.js';

export const guestLinkVariantSchema = z
  .object({
    controller: z.literal('guest-link'),
    interface: ifname,
    state: z.enum(['up', 'down']),
    /** Which path this variant is expected to use; guest-link: up -> accelerated, down -> synthetic. */
    path: pathKind.optional(),
    /** Seconds to wait after switching before traffic starts (routes, neighbour entries). */
    settle: duration(0, 600).default(0.5),
  })
  .strict();

export type GuestLinkVariant = z.output<typeof guestLinkVariantSchema>;
