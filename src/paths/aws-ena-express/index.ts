// aws-ena-express: ENA Express (SRD) on or off with the AWS CLI (controller.ts); docs/controllers/aws-ena-express.md.
import type { ControllerModule } from '../controller.js';
import { awsEnaExpressVariantSchema } from './schema.js';
import { AwsEnaExpressController, describeAwsEnaExpress, restoreAwsEnaExpress } from './controller.js';

export const awsEnaExpress: ControllerModule<'aws-ena-express', typeof awsEnaExpressVariantSchema> = {
  name: 'aws-ena-express',
  schema: awsEnaExpressVariantSchema,
  expectedPath: (v) => v.path,
  check: (v, scope, problem) => {
    for (const h of scope.guests) if (!(h in v.enis)) problem(['enis'], `no ENI named for host "${h}"`);
  },
  create: (ctx) => new AwsEnaExpressController(ctx),
  describeApply: describeAwsEnaExpress,
  describeUndo: (pair, v) =>
    [pair.client, pair.server].map((h) => [`${h} eni`, `local (for ${h}): ${v.aws} ec2 modify-network-interface-attribute --network-interface-id ${v.enis[h]} --ena-srd-specification <as found before the first switch>`]),
  restore: {
    stage: 'platform',
    identity: ['eni'],
    describe: (o) => `local (for ${o.host}): aws ec2 modify-network-interface-attribute --network-interface-id ${String(o.state.eni)} --ena-srd-specification EnaSrdEnabled=${String(o.state.enabled)},…`,
    run: restoreAwsEnaExpress,
  },
};
