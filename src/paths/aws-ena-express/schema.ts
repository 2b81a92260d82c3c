import { z } from 'zod';
import { duration, name, pathKind } from '../../scenario/fields.js';

export const awsEnaExpressVariantSchema = z
  .object({
    controller: z.literal('aws-ena-express'),
    /** ENA Express (SRD) on or off on every ENI listed. */
    enabled: z.boolean(),
    /** SRD for UDP too (EnaSrdUdpEnabled); default: as `enabled`. */
    udp: z.boolean().optional(),
    /** Per scenario host, its ENI id. */
    enis: z.record(name('host name'), z.string().regex(/^eni-[0-9a-f]{8,17}$/, 'ENI ids look like eni-0123456789abcdef0')),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region looks like us-east-1').optional(),
    /** Bound on waiting until the setting is in effect. */
    wait: duration(1, 3600).default(60),
    aws: z.string().regex(/^[A-Za-z0-9_./-]+$/).default('aws'),
    /** ENA Express keeps the same device: by default both variants count as the accelerated path. */
    path: pathKind.default('accelerated'),
    settle: duration(0, 600).default(5),
  })
  .strict();

export type AwsEnaExpressVariant = z.output<typeof awsEnaExpressVariantSchema>;
