// libvirt-hotplug: virsh attach-device / detach-device of each guest's VF (controller.ts); docs/controllers/libvirt-hotplug.md.
import type { ControllerModule } from '../controller.js';
import { libvirtHotplugVariantSchema } from './schema.js';
import { describeLibvirt, LibvirtHotplugController, restoreLibvirt } from './controller.js';

export const libvirtHotplug: ControllerModule<'libvirt-hotplug', typeof libvirtHotplugVariantSchema> = {
  name: 'libvirt-hotplug',
  schema: libvirtHotplugVariantSchema,
  expectedPath: (v) => v.path ?? (v.attached ? 'accelerated' : 'synthetic'),
  check: (v, scope, problem) => {
    if (!Object.hasOwn(scope.hosts, v.hypervisor)) problem(['hypervisor'], `unknown host "${v.hypervisor}" (hosts: ${Object.keys(scope.hosts).join(', ')})`);
    for (const h of scope.guests) if (!(h in v.domains)) problem(['domains'], `no domain named for guest "${h}"`);
  },
  extraHosts: (v) => [v.hypervisor],
  create: (ctx) => new LibvirtHotplugController(ctx),
  describeApply: describeLibvirt,
  describeUndo: (pair, v) =>
    [pair.client, pair.server].map((h) => [`${h} vf`, `${v.hypervisor} (for ${h}): ${v.virsh} attach-device|detach-device ${v.domains[h]!.domain} ${v.domains[h]!.xml} --live <as found before the first switch>`]),
  restore: {
    stage: 'platform',
    identity: ['hypervisor', 'domain'],
    describe: (o) => `${String(o.state.hypervisor)} (for ${o.host}): virsh ${o.state.attached ? 'attach-device' : 'detach-device'} ${String(o.state.domain)} ${String(o.state.xml)} --live`,
    run: restoreLibvirt,
  },
};
