// guest-link: bring a named interface up or down inside both guests (on Azure, the VF: hv_netvsc
// then switches the data path to the synthetic NIC and back). Needs root or passwordless sudo.
import { pollUntil, type Host } from '../hosts/host.js';
import { ifname, raw } from '../util/shell.js';
import type { VariantSpec } from '../scenario/schema.js';
import type { OriginalState, PairHosts, PathController } from './controller.js';
import { errorMessage } from '../util/errors.js';

/** Bounded wait for the link to report the new state. */
const STATE_TIMEOUT_MS = 5000;

/**
 * One round trip per host: read the current state (printed, so the caller can record it), switch with
 * sudo when not root, wait until the kernel reports the new state.
 */
function switchScript(iface: string, up: boolean): string {
  const flags = `/sys/class/net/${ifname(iface)}/flags`;
  const want = up ? 1 : 0;
  return (
    `[ -r ${flags} ] || { echo "interface ${iface} not found" >&2; exit 4; }; ` +
    `echo $(( $(cat ${flags}) & 1 )); ` +
    `S=; [ "$(id -u)" = 0 ] || S='sudo -n'; ` +
    `$S ip link set dev ${iface} ${up ? 'up' : 'down'} || exit 5; ` +
    `(${pollUntil(`[ $(( $(cat ${flags}) & 1 )) -eq ${want} ]`, STATE_TIMEOUT_MS)}) || ` +
    `{ echo "${iface} did not go ${up ? 'up' : 'down'} within ${STATE_TIMEOUT_MS} ms" >&2; exit 6; }`
  );
}

export class GuestLinkController implements PathController {
  readonly name = 'guest-link';
  private readonly original = new Map<string, { host: Host; iface: string; up: boolean }>();

  /**
   * Set the link. `onBefore` receives the state found before the switch as soon as it is known, even
   * when the switch then fails: whatever happened to the link, restore must know what to put back.
   */
  async setLink(host: Host, iface: string, up: boolean, onBefore: (wasUp: boolean) => void = () => {}): Promise<void> {
    const r = await host.exec([raw(switchScript(iface, up))]);
    const before = r.stdout.trim().split('\n')[0];
    if (before === '0' || before === '1') onBefore(before === '1');
    if (r.code !== 0) {
      throw new Error(`${host.name}: cannot set ${iface} ${up ? 'up' : 'down'}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
    }
  }

  async apply(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const up = variant.state === 'up';
    // Both guests switch at once: the pair spends as little time as possible half-switched.
    await Promise.all(
      [pair.client, pair.server].map((host) =>
        this.setLink(host, variant.interface, up, (wasUp) => {
          const key = `${host.name}\0${variant.interface}`;
          if (!this.original.has(key)) this.original.set(key, { host, iface: variant.interface, up: wasUp });
        }),
      ),
    );
    if (variant.settle > 0) await new Promise((r) => setTimeout(r, variant.settle * 1000));
  }

  originals(): OriginalState[] {
    return [...this.original.values()].map((o) => ({ controller: this.name, host: o.host.name, state: { interface: o.iface, up: o.up } }));
  }

  async restore(): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      [...this.original.values()].map(async (o) => {
        try {
          await this.setLink(o.host, o.iface, o.up);
        } catch (err) {
          problems.push(`${o.host.name}: could not restore ${o.iface} ${o.up ? 'up' : 'down'}: ${errorMessage(err)}`);
        }
      }),
    );
    return problems;
  }
}
