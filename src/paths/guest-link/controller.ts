// guest-link: bring a named interface up or down inside both guests (on Azure, the VF: hv_netvsc
// then switches the data path to the synthetic NIC and back). Needs root or passwordless sudo.
import { pollUntil, type Host } from '../../hosts/host.js';
import { command, ifname, raw } from '../../util/shell.js';
import type { VariantSpec } from '../../scenario/schema.js';
import type { GuestLinkVariant } from './schema.js';
import type { OriginalState, PairHosts, PathController } from '../controller.js';
import { errorMessage } from '../../util/errors.js';

/** Bounded wait for the link to report the new state. */
const STATE_TIMEOUT_MS = 5000;

const flagsPath = (iface: string) => `/sys/class/net/${ifname(iface)}/flags`;

/**
 * One round trip per host: read the current state (printed, so the caller can record it), switch with
 * sudo when not root, wait until the kernel reports the new state.
 */
function switchScript(iface: string, up: boolean): string {
  const flags = flagsPath(iface);
  const want = up ? 1 : 0;
  return (
    `[ -r ${flags} ] || { echo "interface ${iface} not found" >&2; exit 4; }; ` +
    `echo $(( $(cat ${flags}) & 1 )); ` +
    `S=; [ "$(id -u)" = 0 ] || S='sudo -n'; ` +
    `$S ${command(['ip', 'link', 'set', 'dev', iface, up ? 'up' : 'down'])} || exit 5; ` +
    `(${pollUntil(`[ $(( $(cat ${flags}) & 1 )) -eq ${want} ]`, STATE_TIMEOUT_MS)}) || ` +
    `{ echo "${iface} did not go ${up ? 'up' : 'down'} within ${STATE_TIMEOUT_MS} ms" >&2; exit 6; }`
  );
}

/** What a switch runs on each host, for --dry-run. */
export function describeGuestLink(pair: { client: string; server: string }, v: GuestLinkVariant): string[] {
  return [pair.client, pair.server].map((h) => `${h}: ${command(['ip', 'link', 'set', 'dev', v.interface, v.state])}`);
}

/** Set a link on a host (as `vfbench restore` does from a manifest). */
export async function setGuestLink(host: Host, iface: string, up: boolean): Promise<boolean | undefined> {
  const r = await host.exec([raw(switchScript(iface, up))]);
  const before = r.stdout.trim().split('\n')[0];
  if (r.code !== 0) throw new Error(`${host.name}: cannot set ${iface} ${up ? 'up' : 'down'}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
  return before === '1' ? true : before === '0' ? false : undefined;
}

export class GuestLinkController implements PathController {
  readonly name = 'guest-link';
  private readonly original = new Map<string, { host: Host; iface: string; up: boolean }>();

  private variant(v: VariantSpec): GuestLinkVariant {
    if (v.controller !== 'guest-link') throw new Error(`guest-link cannot apply a ${v.controller} variant`);
    return v;
  }

  async prepare(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    await Promise.all(
      [pair.client, pair.server].map(async (host) => {
        const key = `${host.name}\0${v.interface}`;
        if (this.original.has(key)) return;
        const flags = await host.run(['cat', flagsPath(v.interface)]).catch((err) => {
          throw new Error(`${host.name}: interface ${v.interface} not found (${errorMessage(err)})`);
        });
        this.original.set(key, { host, iface: v.interface, up: (parseInt(flags.trim(), 16) & 1) === 1 });
      }),
    );
  }

  async apply(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    // Both guests switch at once: the pair spends as little time as possible half-switched.
    await Promise.all([pair.client, pair.server].map((host) => setGuestLink(host, v.interface, v.state === 'up')));
    if (v.settle > 0) await new Promise((r) => setTimeout(r, v.settle * 1000));
  }

  originals(): OriginalState[] {
    return [...this.original.values()].map((o) => ({ controller: this.name, host: o.host.name, state: { interface: o.iface, up: o.up } }));
  }

  async restore(): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      [...this.original.values()].map(async (o) => {
        try {
          await setGuestLink(o.host, o.iface, o.up);
        } catch (err) {
          problems.push(`${o.host.name}: could not restore ${o.iface} ${o.up ? 'up' : 'down'}: ${errorMessage(err)}`);
        }
      }),
    );
    return problems;
  }
}
