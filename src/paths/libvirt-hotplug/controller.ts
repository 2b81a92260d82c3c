// libvirt-hotplug (the FlexVF mechanism): on a hypervisor reached over SSH, `virsh attach-device --live`
// or `detach-device --live` the VF hostdev of each guest, then wait until the guest sees it appear or
// vanish. The time each takes is a metric of the trial that follows (FlexVF Table 2: 640 ms / 56 ms).
import type { Host } from '../../hosts/host.js';
import { command } from '../../util/shell.js';
import { errorMessage } from '../../util/errors.js';
import type { VariantSpec } from '../../scenario/schema.js';
import type { LibvirtHotplugVariant } from './schema.js';
import type { ControllerContext, OriginalState, PairHosts, PathController } from '../controller.js';
import { waitForVf } from '../discovery.js';

/** The PCI source address as it appears in `virsh dumpxml`: bus='0x3b' slot='0x02' function='0x1'. */
function sourceAddress(pci: string): RegExp {
  const [, bus, slot, fn] = /^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(pci)!;
  return new RegExp(`<hostdev[^>]*>[\\s\\S]*?<source>[\\s\\S]*?bus=['"]0x${bus}['"]\\s+slot=['"]0x${slot}['"]\\s+function=['"]0x${fn}['"]`, 'i');
}

export function virshArgv(v: Pick<LibvirtHotplugVariant, 'virsh'>, attach: boolean, domain: string, xml: string): string[] {
  return [v.virsh, attach ? 'attach-device' : 'detach-device', domain, xml, '--live'];
}

export function describeLibvirt(pair: { client: string; server: string }, v: LibvirtHotplugVariant): string[] {
  return [pair.client, pair.server].map((h) => `${v.hypervisor} (for ${h}): ${command(virshArgv(v, v.attached, v.domains[h]!.domain, v.domains[h]!.xml))}`);
}

export class LibvirtHotplugController implements PathController {
  readonly name = 'libvirt-hotplug';
  private readonly original = new Map<string, { guest: string; attached: boolean; v: LibvirtHotplugVariant }>();

  constructor(private readonly ctx: ControllerContext) {}

  private variant(v: VariantSpec): LibvirtHotplugVariant {
    if (v.controller !== 'libvirt-hotplug') throw new Error(`libvirt-hotplug cannot apply a ${v.controller} variant`);
    return v;
  }

  private hypervisor(v: LibvirtHotplugVariant): Host {
    const h = this.ctx.hosts.get(v.hypervisor);
    if (!h) throw new Error(`hypervisor ${v.hypervisor} is not connected`);
    return h;
  }

  async attached(v: LibvirtHotplugVariant, guest: string): Promise<boolean> {
    const d = v.domains[guest]!;
    const xml = await this.hypervisor(v).run([v.virsh, 'dumpxml', d.domain]);
    return sourceAddress(d.pci).test(xml);
  }

  async prepare(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    for (const g of [pair.client.name, pair.server.name]) {
      if (!this.original.has(g)) this.original.set(g, { guest: g, attached: await this.attached(v, g), v });
    }
  }

  /** Attach or detach one guest's VF; returns [virsh ms, until the guest sees it ms], or undefined when already so. */
  async switchGuest(v: LibvirtHotplugVariant, guest: Host, attach: boolean): Promise<[number, number] | undefined> {
    if ((await this.attached(v, guest.name)) === attach) return undefined;
    const d = v.domains[guest.name]!;
    const argv = virshArgv(v, attach, d.domain, d.xml);
    const t0 = performance.now();
    const r = await this.hypervisor(v).exec(argv, { timeoutMs: v.wait * 1000 });
    const virshMs = performance.now() - t0;
    await this.ctx.keep(`libvirt-${attach ? 'attach' : 'detach'}-${guest.name}`, r);
    if (r.code !== 0) throw new Error(`${v.hypervisor}: \`${command(argv)}\` failed: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
    await waitForVf(guest, attach, v.wait, v.vf_interface, `after ${attach ? 'attach' : 'detach'}-device on ${v.hypervisor}`, 100);
    return [virshMs, performance.now() - t0];
  }

  async apply(pair: PairHosts, variant: VariantSpec): Promise<Record<string, number>> {
    const v = this.variant(variant);
    const metrics: Record<string, number> = {};
    const kind = v.attached ? 'hotplug' : 'unplug';
    await Promise.all(
      [pair.client, pair.server].map(async (g) => {
        const t = await this.switchGuest(v, g, v.attached);
        if (t) {
          metrics[`${g.name}_${kind}_virsh_ms`] = t[0];
          metrics[`${g.name}_${kind}_visible_ms`] = t[1];
        }
      }),
    );
    if (v.settle > 0) await new Promise((r) => setTimeout(r, v.settle * 1000));
    return metrics;
  }

  originals(): OriginalState[] {
    return [...this.original.values()].map((o) => ({
      controller: this.name,
      host: o.guest,
      state: { attached: o.attached, hypervisor: o.v.hypervisor, ...o.v.domains[o.guest]!, virsh: o.v.virsh, vf_interface: o.v.vf_interface ?? null, wait: o.v.wait },
    }));
  }

  async restore(): Promise<string[]> {
    return restoreLibvirt(this.ctx, this.originals());
  }
}

/** Attach or detach each guest's VF back as recorded (also used by `vfbench restore`). */
export async function restoreLibvirt(ctx: ControllerContext, originals: OriginalState[]): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    originals.map(async (o) => {
      const s = o.state as { attached: boolean; hypervisor: string; domain: string; xml: string; pci: string; virsh: string; vf_interface: string | null; wait: number };
      try {
        const guest = ctx.hosts.get(o.host);
        if (!guest) throw new Error('not connected');
        const v = {
          controller: 'libvirt-hotplug',
          attached: s.attached,
          hypervisor: s.hypervisor,
          domains: { [o.host]: { domain: s.domain, xml: s.xml, pci: s.pci } },
          vf_interface: s.vf_interface ?? undefined,
          wait: s.wait,
          virsh: s.virsh,
          settle: 0,
        } as LibvirtHotplugVariant;
        await new LibvirtHotplugController(ctx).switchGuest(v, guest, s.attached);
      } catch (err) {
        problems.push(`${o.host}: could not restore its VF ${s.attached ? 'attached' : 'detached'}: ${errorMessage(err)}`);
      }
    }),
  );
  return problems;
}
