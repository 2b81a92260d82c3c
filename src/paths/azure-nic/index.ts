// azure-nic: Accelerated Networking on or off with the Azure CLI (controller.ts); docs/controllers/azure-nic.md.
import type { ControllerModule } from '../controller.js';
import { azureNicVariantSchema } from './schema.js';
import { AzureNicController, describeAzureNic, nicsOf, restoreAzureNics } from './controller.js';

export const azureNic: ControllerModule<'azure-nic', typeof azureNicVariantSchema> = {
  name: 'azure-nic',
  schema: azureNicVariantSchema,
  expectedPath: (v) => v.path ?? (v.accelerated ? 'accelerated' : 'synthetic'),
  check: (v, scope, problem) => {
    for (const h of scope.guests) {
      if (!(h in v.nics)) problem(['nics'], `no NIC named for host "${h}"`);
      if (v.deallocate && !v.vms?.[h]) problem(['vms'], `deallocate needs the VM name of host "${h}"`);
    }
  },
  create: (ctx) => new AzureNicController(ctx),
  describeApply: describeAzureNic,
  describeUndo: (pair, v) =>
    [pair.client, pair.server].flatMap((h) =>
      nicsOf(v, h).map((nic): [string, string] => [`${h} ${nic}`, `local (for ${h}): ${v.az} network nic update -g ${v.resource_group} -n ${nic} --accelerated-networking <as found before the first switch>`]),
    ),
  restore: {
    stage: 'platform',
    identity: ['resource_group', 'nic'],
    describe: (o) => `local (for ${o.host}): az network nic update -g ${String(o.state.resource_group)} -n ${String(o.state.nic)} --accelerated-networking ${String(o.state.accelerated)}`,
    // Per host: one wait for the guest to agree.
    run: restoreAzureNics,
  },
};
