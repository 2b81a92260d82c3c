import { z } from 'zod';
import { azureName, duration, ifname, name, pathKind } from '../../scenario/fields.js';

const pciAddress = z.string().regex(/^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/, 'PCI address must look like 0000:3b:02.1');

export const libvirtHotplugVariantSchema = z
  .object({
    controller: z.literal('libvirt-hotplug'),
    /** The VF attached (accelerated) or detached (virtio / synthetic path). */
    attached: z.boolean(),
    /** The scenario host that runs libvirt (virsh runs there over SSH). */
    hypervisor: name('host name'),
    /** Per guest (scenario host name): its libvirt domain, the hostdev XML file on the hypervisor, the VF's PCI address. */
    domains: z.record(
      name('host name'),
      z.object({ domain: azureName('domain'), xml: z.string().regex(/^\/[A-Za-z0-9_./-]+$/, 'xml must be an absolute path'), pci: pciAddress }).strict(),
    ),
    /** The guest's VF interface; default: any VF paired with a synthetic NIC. */
    vf_interface: ifname.optional(),
    wait: duration(1, 3600).default(60),
    virsh: z.string().regex(/^[A-Za-z0-9_./-]+$/).default('virsh'),
    path: pathKind.optional(),
    settle: duration(0, 600).default(1),
  })
  .strict();

export type LibvirtHotplugVariant = z.output<typeof libvirtHotplugVariantSchema>;
