// aws-ena-express: ENA Express (SRD) on or off on both instances' ENIs with the AWS CLI, run on this
// machine; waits until the API reports the new setting (and, where the ENA driver has it, until the
// guest's ena_srd_mode agrees). On Nitro, ENA itself cannot be switched off: this is the live toggle there is.
import type { Host } from '../../hosts/host.js';
import { command } from '../../util/shell.js';
import { errorMessage } from '../../util/errors.js';
import type { VariantSpec } from '../../scenario/schema.js';
import type { AwsEnaExpressVariant } from './schema.js';
import type { ControllerContext, OriginalState, PairHosts, PathController } from '../controller.js';

const POLL_MS = 1000;

function base(v: Pick<AwsEnaExpressVariant, 'aws' | 'region'>): string[] {
  return [v.aws, ...(v.region ? ['--region', v.region] : []), 'ec2'];
}

export function describeArgv(v: Pick<AwsEnaExpressVariant, 'aws' | 'region'>, eni: string): string[] {
  return [...base(v), 'describe-network-interfaces', '--network-interface-ids', eni, '--query', 'NetworkInterfaces[0].Attachment.EnaSrdSpecification', '--output', 'json'];
}

export function modifyArgv(v: Pick<AwsEnaExpressVariant, 'aws' | 'region'>, eni: string, enabled: boolean, udp: boolean): string[] {
  return [...base(v), 'modify-network-interface-attribute', '--network-interface-id', eni, '--ena-srd-specification', `EnaSrdEnabled=${enabled},EnaSrdUdpSpecification={EnaSrdUdpEnabled=${udp}}`];
}

export function describeAwsEnaExpress(pair: { client: string; server: string }, v: AwsEnaExpressVariant): string[] {
  return [pair.client, pair.server].map((h) => `local (for ${h}): ${command(modifyArgv(v, v.enis[h]!, v.enabled, v.udp ?? v.enabled))}`);
}

interface Srd {
  enabled: boolean;
  udp: boolean;
}

export class AwsEnaExpressController implements PathController {
  readonly name = 'aws-ena-express';
  private readonly original = new Map<string, { host: string; eni: string; srd: Srd; v: AwsEnaExpressVariant }>();

  constructor(private readonly ctx: ControllerContext) {}

  private variant(v: VariantSpec): AwsEnaExpressVariant {
    if (v.controller !== 'aws-ena-express') throw new Error(`aws-ena-express cannot apply a ${v.controller} variant`);
    return v;
  }

  private async aws(argv: string[], label: string): Promise<string> {
    const r = await this.ctx.local.exec(argv, { timeoutMs: 120_000 });
    await this.ctx.keep(label, r);
    if (r.code !== 0) throw new Error(`\`${command(argv)}\` failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
    return r.stdout;
  }

  async current(v: AwsEnaExpressVariant, eni: string): Promise<Srd> {
    const out = await this.aws(describeArgv(v, eni), `aws-describe-${eni}`);
    let j: { EnaSrdEnabled?: boolean; EnaSrdUdpSpecification?: { EnaSrdUdpEnabled?: boolean } } | null;
    try {
      j = JSON.parse(out) as typeof j;
    } catch {
      throw new Error(`describe-network-interfaces ${eni}: not JSON: "${out.trim().slice(0, 200)}"`);
    }
    // An ENI that never had ENA Express configured has no specification: off.
    return { enabled: j?.EnaSrdEnabled === true, udp: j?.EnaSrdUdpSpecification?.EnaSrdUdpEnabled === true };
  }

  async prepare(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    for (const h of [pair.client, pair.server]) {
      const eni = v.enis[h.name]!;
      if (!this.original.has(eni)) this.original.set(eni, { host: h.name, eni, srd: await this.current(v, eni), v });
    }
  }

  /** Set one host's ENI and wait until the API, and the guest's ena_srd_mode where it exists, agree. */
  async switchHost(v: AwsEnaExpressVariant, host: Host, want: Srd): Promise<void> {
    const eni = v.enis[host.name]!;
    const now = await this.current(v, eni);
    if (now.enabled !== want.enabled || now.udp !== want.udp) await this.aws(modifyArgv(v, eni, want.enabled, want.udp), `aws-modify-${eni}`);
    const deadline = Date.now() + v.wait * 1000;
    for (;;) {
      const api = await this.current(v, eni);
      const guest = await guestSrdMode(host).catch(() => undefined);
      // ena_srd_mode: 0 off, 1 TCP (and more bits for UDP); absent on drivers without ENA Express stats.
      const guestOk = guest === undefined || (guest > 0) === want.enabled;
      if (api.enabled === want.enabled && api.udp === want.udp && guestOk) return;
      if (Date.now() > deadline) {
        throw new Error(`${host.name}: ENA Express on ${eni} was not ${want.enabled ? 'enabled' : 'disabled'} within ${v.wait}s (API: ${api.enabled}, guest ena_srd_mode: ${guest ?? 'n/a'})`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async apply(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    await Promise.all([pair.client, pair.server].map((h) => this.switchHost(v, h, { enabled: v.enabled, udp: v.udp ?? v.enabled })));
    if (v.settle > 0) await new Promise((r) => setTimeout(r, v.settle * 1000));
  }

  originals(): OriginalState[] {
    return [...this.original.values()].map((o) => ({ controller: this.name, host: o.host, state: { eni: o.eni, enabled: o.srd.enabled, udp: o.srd.udp, aws: o.v.aws, region: o.v.region ?? null, wait: o.v.wait } }));
  }

  async restore(): Promise<string[]> {
    return restoreAwsEnaExpress(this.ctx, this.originals());
  }
}

/** ena_srd_mode of the guest's ENA interfaces (the largest), or undefined when the driver has none. */
async function guestSrdMode(host: Host): Promise<number | undefined> {
  const r = await host.exec(['sh', '-c', 'for i in /sys/class/net/*; do ethtool -S "${i##*/}" 2>/dev/null | grep -E "^ *ena_srd_mode:"; done']);
  const modes = [...r.stdout.matchAll(/ena_srd_mode:\s*(\d+)/g)].map((m) => Number(m[1]));
  return modes.length ? Math.max(...modes) : undefined;
}

export async function restoreAwsEnaExpress(ctx: ControllerContext, originals: OriginalState[]): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    originals.map(async (o) => {
      const s = o.state as { eni: string; enabled: boolean; udp: boolean; aws: string; region: string | null; wait: number };
      try {
        const host = ctx.hosts.get(o.host);
        if (!host) throw new Error('not connected');
        const v = { controller: 'aws-ena-express', enabled: s.enabled, udp: s.udp, enis: { [o.host]: s.eni }, aws: s.aws, region: s.region ?? undefined, wait: s.wait, path: 'accelerated', settle: 0 } as AwsEnaExpressVariant;
        await new AwsEnaExpressController(ctx).switchHost(v, host, { enabled: s.enabled, udp: s.udp });
      } catch (err) {
        problems.push(`${o.host}: could not restore ENA Express on ${s.eni}: ${errorMessage(err)}`);
      }
    }),
  );
  return problems;
}
