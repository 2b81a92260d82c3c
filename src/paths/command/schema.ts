import { z } from 'zod';
import { duration, name, pathKind } from '../../scenario/fields.js';
import { inlineSecret } from '../../util/secrets.js';

/** Where a `command` variant's commands run: both hosts of the pair, this machine, or one named host. */
const commandTarget = z.union([z.literal('both'), z.literal('local'), name('host name')]);

/** A shell command of a variant: stored with the run, so a secret in it is refused (refer to it instead). */
const userCommand = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const found = inlineSecret(text);
    if (found) ctx.addIssue({ code: 'custom', message: `looks like ${found} written into the command, which would be stored with every result: put it in vfbench's environment and write \${env:NAME}` });
  });

export const commandVariantSchema = z
  .object({
    controller: z.literal('command'),
    /** Shell command that puts the data path into this variant (run with sh -c). */
    apply: userCommand,
    /** Shell command that exits 0 when the variant is in effect; run after apply. */
    verify: userCommand.optional(),
    /** Shell command that puts things back as they were before vfbench; run on every exit. */
    restore: userCommand,
    on: commandTarget.default('both'),
    timeout: duration(1, 3600).default(60),
    /** The path this variant is expected to use (a command says nothing vfbench can infer). */
    path: pathKind,
    settle: duration(0, 600).default(0.5),
  })
  .strict();

export type CommandVariant = z.output<typeof commandVariantSchema>;
