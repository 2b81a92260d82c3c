import { z } from 'zod';
import { azureName, duration, ifname, name, pathKind } from '../../scenario/fields.js';

export const azureNicVariantSchema = z
  .object({
    controller: z.literal('azure-nic'),
    /** The Accelerated Networking setting this variant wants on every NIC listed. */
    accelerated: z.boolean(),
    resource_group: azureName('resource_group'),
    /** Per scenario host, the NIC(s) to switch. */
    nics: z.record(name('host name'), z.union([azureName('NIC name'), z.array(azureName('NIC name')).min(1)])),
    /** Per scenario host, the VM name (needed with deallocate). */
    vms: z.record(name('host name'), azureName('VM name')).optional(),
    /** Deallocate, update, start (the documented route) instead of updating the running VM. */
    deallocate: z.boolean().default(false),
    /** The guest's VF interface; default: any VF paired with a synthetic NIC (sysfs, MAC). */
    vf_interface: ifname.optional(),
    /** Bound on waiting for the guests to see the VF appear or vanish (LISA allows 10 min). */
    wait: duration(1, 3600).default(300),
    /** The Azure CLI to run. */
    az: z.string().regex(/^[A-Za-z0-9_./-]+$/, 'az must be a command name or path').default('az'),
    path: pathKind.optional(),
    settle: duration(0, 600).default(2),
  })
  .strict();

export type AzureNicVariant = z.output<typeof azureNicVariantSchema>;
