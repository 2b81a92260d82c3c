// guest-link: bring a named interface up or down inside both guests (on Azure, the VF: hv_netvsc
// then switches the data path to the synthetic NIC and back). Needs root or passwordless sudo.
import { pollUntil, type Host } from '../hosts/host.js';
import { ifname, raw } from '../util/shell.js';
import type { VariantSpec } from '../scenario/schema.js';
import type { OriginalState, PairHosts, PathController } from './controller.js';
import { errorMessage } from '../util/errors.js';

/** Bounded wait for the link to report the new state. */
const STATE_TIMEOUT_MS = 5000;

export class GuestLinkController implements PathController {
  readonly name = 'guest-link';
  private readonly original = new Map<string, { host: Host; iface: string; up: boolean }>();
  private readonly sudo = new Map<Host, boolean>();

  private async needsSudo(host: Host): Promise<boolean> {
    let v = this.sudo.get(host);
    if (v === undefined) {
      v = (await host.run(['id', '-u'])).trim() !== '0';
      this.sudo.set(host, v);
    }
    return v;
  }

  private async isUp(host: Host, iface: string): Promise<boolean> {
    const flags = await host.run(['cat', `/sys/class/net/${ifname(iface)}/flags`]).catch((err) => {
      throw new Error(`${host.name}: interface ${iface} not found (${errorMessage(err)})`);
    });
    return (parseInt(flags.trim(), 16) & 0x1) === 1; // IFF_UP
  }

  async setLink(host: Host, iface: string, up: boolean): Promise<void> {
    const argv = ['ip', 'link', 'set', 'dev', ifname(iface), up ? 'up' : 'down'];
    await host.run((await this.needsSudo(host)) ? ['sudo', '-n', ...argv] : argv);
    const want = up ? 1 : 0;
    const r = await host.exec([raw(pollUntil(`[ $(( $(cat /sys/class/net/${ifname(iface)}/flags) & 1 )) -eq ${want} ]`, STATE_TIMEOUT_MS))]);
    if (r.code !== 0) throw new Error(`${host.name}: ${iface} did not go ${up ? 'up' : 'down'} within ${STATE_TIMEOUT_MS} ms`);
  }

  async apply(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const up = variant.state === 'up';
    for (const host of [pair.client, pair.server]) {
      const key = `${host.name}\0${variant.interface}`;
      if (!this.original.has(key)) {
        this.original.set(key, { host, iface: variant.interface, up: await this.isUp(host, variant.interface) });
      }
      await this.setLink(host, variant.interface, up);
    }
    if (variant.settle > 0) await new Promise((r) => setTimeout(r, variant.settle * 1000));
  }

  originals(): OriginalState[] {
    return [...this.original.values()].map((o) => ({ controller: this.name, host: o.host.name, state: { interface: o.iface, up: o.up } }));
  }

  async restore(): Promise<string[]> {
    const problems: string[] = [];
    for (const o of this.original.values()) {
      try {
        if ((await this.isUp(o.host, o.iface)) !== o.up) await this.setLink(o.host, o.iface, o.up);
      } catch (err) {
        problems.push(`${o.host.name}: could not restore ${o.iface} ${o.up ? 'up' : 'down'}: ${errorMessage(err)}`);
      }
    }
    return problems;
  }
}
