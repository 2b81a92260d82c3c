// azure-nic: Accelerated Networking on or off on the NICs of both VMs with the Azure CLI, run on this
// machine (`az network nic update --accelerated-networking true|false`), optionally with the documented
// deallocate / update / start route. Then wait, bounded, until each guest sees its VF appear or vanish.
import type { Host } from '../../hosts/host.js';
import { command } from '../../util/shell.js';
import { errorMessage } from '../../util/errors.js';
import type { VariantSpec } from '../../scenario/schema.js';
import type { AzureNicVariant } from './schema.js';
import type { ControllerContext, OriginalState, PairHosts, PathController } from '../controller.js';
import { waitForVf } from '../discovery.js';

export function nicsOf(v: AzureNicVariant, host: string): string[] {
  const n = v.nics[host];
  return n === undefined ? [] : Array.isArray(n) ? n : [n];
}

/** The az argv lists a switch runs for one host (also what --dry-run prints). */
export function azCommands(v: Pick<AzureNicVariant, 'az' | 'resource_group' | 'deallocate' | 'vms'>, host: string, nics: string[], accelerated: boolean): string[][] {
  const update = nics.map((nic) => [v.az, 'network', 'nic', 'update', '-g', v.resource_group, '-n', nic, '--accelerated-networking', String(accelerated), '-o', 'none']);
  if (!v.deallocate) return update;
  const vm = v.vms![host]!;
  return [[v.az, 'vm', 'deallocate', '-g', v.resource_group, '-n', vm], ...update, [v.az, 'vm', 'start', '-g', v.resource_group, '-n', vm]];
}

export function describeAzureNic(pair: { client: string; server: string }, v: AzureNicVariant): string[] {
  return [pair.client, pair.server].flatMap((h) => azCommands(v, h, nicsOf(v, h), v.accelerated).map((argv) => `local (for ${h}): ${command(argv)}`));
}

export class AzureNicController implements PathController {
  readonly name = 'azure-nic';
  private readonly original = new Map<string, { host: string; nic: string; accelerated: boolean; v: AzureNicVariant }>();

  constructor(private readonly ctx: ControllerContext) {}

  private variant(v: VariantSpec): AzureNicVariant {
    if (v.controller !== 'azure-nic') throw new Error(`azure-nic cannot apply a ${v.controller} variant`);
    return v;
  }

  private async az(argv: string[], label: string, timeoutMs = 15 * 60_000): Promise<string> {
    const r = await this.ctx.local.exec(argv, { timeoutMs });
    await this.ctx.keep(label, r);
    if (r.code !== 0) throw new Error(`\`${command(argv)}\` failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
    return r.stdout;
  }

  private async current(v: AzureNicVariant, nic: string): Promise<boolean> {
    const out = await this.az([v.az, 'network', 'nic', 'show', '-g', v.resource_group, '-n', nic, '--query', 'enableAcceleratedNetworking', '-o', 'tsv'], `azure-show-${nic}`);
    const t = out.trim().toLowerCase();
    if (t !== 'true' && t !== 'false') throw new Error(`az network nic show ${nic}: expected true or false, got "${out.trim()}"`);
    return t === 'true';
  }

  async prepare(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    for (const host of [pair.client, pair.server]) {
      for (const nic of nicsOf(v, host.name)) {
        if (!this.original.has(nic)) this.original.set(nic, { host: host.name, nic, accelerated: await this.current(v, nic), v });
      }
    }
  }

  /** Set the NICs of one host, then wait until its guest agrees. */
  async switchHost(v: AzureNicVariant, host: Host, accelerated: boolean): Promise<void> {
    const nics: string[] = [];
    for (const nic of nicsOf(v, host.name)) if ((await this.current(v, nic)) !== accelerated) nics.push(nic);
    if (nics.length > 0) {
      for (const argv of azCommands(v, host.name, nics, accelerated)) await this.az(argv, `azure-${argv[2]}-${argv[3]}-${host.name}`);
      if (v.deallocate) await host.reconnect(v.wait * 1000);
    }
    await waitForVf(host, accelerated, v.wait, v.vf_interface, `after Accelerated Networking was set to ${accelerated}` +
      (v.deallocate ? '' : ' (some sizes apply it only after deallocate: set deallocate: true, or use guest-link)'));
  }

  async apply(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    await Promise.all([pair.client, pair.server].map((h) => this.switchHost(v, h, v.accelerated)));
    if (v.settle > 0) await new Promise((r) => setTimeout(r, v.settle * 1000));
  }

  originals(): OriginalState[] {
    return [...this.original.values()].map((o) => ({
      controller: this.name,
      host: o.host,
      state: { nic: o.nic, accelerated: o.accelerated, resource_group: o.v.resource_group, az: o.v.az, deallocate: o.v.deallocate, vm: o.v.vms?.[o.host] ?? null, vf_interface: o.v.vf_interface ?? null, wait: o.v.wait },
    }));
  }

  async restore(): Promise<string[]> {
    return restoreAzureNics(this.ctx, this.originals());
  }
}

/** Put NICs back to their recorded setting (also used by `vfbench restore`). */
export async function restoreAzureNics(ctx: ControllerContext, originals: OriginalState[]): Promise<string[]> {
  const problems: string[] = [];
  const byHost = new Map<string, OriginalState[]>();
  for (const o of originals) byHost.set(o.host, [...(byHost.get(o.host) ?? []), o]);
  await Promise.all(
    [...byHost].map(async ([hostName, list]) => {
      const s = list[0]!.state as { resource_group: string; az: string; deallocate: boolean; vm: string | null; vf_interface: string | null; wait: number; accelerated: boolean };
      const host = ctx.hosts.get(hostName);
      try {
        if (!host) throw new Error('not connected');
        const v = {
          controller: 'azure-nic',
          accelerated: s.accelerated,
          resource_group: s.resource_group,
          az: s.az,
          deallocate: s.deallocate,
          vms: s.vm ? { [hostName]: s.vm } : undefined,
          vf_interface: s.vf_interface ?? undefined,
          wait: s.wait,
          settle: 0,
        } as AzureNicVariant;
        const c = new AzureNicController(ctx);
        for (const want of [true, false]) {
          const nics = list.filter((o) => o.state.accelerated === want).map((o) => String(o.state.nic));
          if (nics.length > 0) await c.switchHost({ ...v, nics: { [hostName]: nics } }, host, want);
        }
      } catch (err) {
        problems.push(`${hostName}: could not restore Accelerated Networking: ${errorMessage(err)}`);
      }
    }),
  );
  return problems;
}
