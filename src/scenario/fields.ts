// Field schemas shared by the scenario schema and the path controllers' variant schemas (which live in
// src/paths/<controller>/ and cannot import schema.ts: it imports them, through the controller registry).
import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const name = (what: string) =>
  z
    .string()
    .regex(NAME, `${what} must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit`)
    // Names become keys of lookups: one that every object already has (constructor, toString …) would match anything.
    .refine((n) => !(n in Object.prototype), `${what} must not be a name every JavaScript object has (constructor, toString, …)`);

export const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'interface name must be 1-15 characters [A-Za-z0-9_.:-]');

/** "10s", "500ms", "2m" or a number of seconds; parsed to seconds. */
export const duration = (min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === undefined) {
        ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (write e.g. 10s, 500ms, 2m)` });
        return z.NEVER;
      }
      if (s < min || s > max) {
        ctx.addIssue({ code: 'custom', message: `duration must be between ${min}s and ${max}s, got ${s}s` });
        return z.NEVER;
      }
      return s;
    });

/** The data path a variant is expected to use. */
export const pathKind = z.enum(['accelerated', 'synthetic']);

/** A cloud or hypervisor resource name (Azure's rules; libvirt domains use them too). */
export const azureName = (what: string) => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.()-]{0,89}$/, `${what} must be an Azure resource name (letters, digits, _ . ( ) -)`);
