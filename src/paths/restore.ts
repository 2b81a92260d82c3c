// Put hosts back into the path state a run recorded before it switched anything: what `vfbench restore
// RUN_DIR` does after a run was killed (kill -9, a lost machine), and what a resume does first.
import type { Host } from '../hosts/host.js';
import type { ControllerContext, OriginalState } from './controller.js';
import { setGuestLink } from './guest-link.js';
import { runUserCommand } from './command.js';
import { restoreAzureNics } from './azure-nic.js';
import { restoreLibvirt } from './libvirt-hotplug.js';
import { restoreAwsEnaExpress } from './aws-ena-express.js';
import { errorMessage, UserError } from '../util/errors.js';
import type { Scenario } from '../scenario/load.js';

/** Describe what restoring would run, for --dry-run. */
export function describeRestore(originals: OriginalState[]): string[] {
  return originals.map((o) => {
    if (o.controller === 'guest-link') return `${o.host}: ip link set dev ${String(o.state.interface)} ${o.state.up ? 'up' : 'down'}`;
    if (o.controller === 'command') return `${o.host}: sh -c ${JSON.stringify(o.state.restore)}`;
    if (o.controller === 'aws-ena-express') return `local (for ${o.host}): aws ec2 modify-network-interface-attribute --network-interface-id ${String(o.state.eni)} --ena-srd-specification EnaSrdEnabled=${String(o.state.enabled)},…`;
    if (o.controller === 'libvirt-hotplug') return `${String(o.state.hypervisor)} (for ${o.host}): virsh ${o.state.attached ? 'attach-device' : 'detach-device'} ${String(o.state.domain)} ${String(o.state.xml)} --live`;
    if (o.controller === 'azure-nic') return `local (for ${o.host}): az network nic update -g ${String(o.state.resource_group)} -n ${String(o.state.nic)} --accelerated-networking ${String(o.state.accelerated)}`;
    return `${o.host}: (unknown controller ${o.controller})`;
  });
}

/** Apply every recorded original state; never throws, returns the problems. */
export async function restoreOriginals(originals: OriginalState[], ctx: ControllerContext): Promise<string[]> {
  const problems: string[] = [];
  const hostOf = (name: string): Host | undefined => (name === 'local' ? ctx.local : ctx.hosts.get(name));
  // Azure NICs go back per host (one wait for the guest to agree); the rest one by one.
  problems.push(...(await restoreAzureNics(ctx, originals.filter((o) => o.controller === 'azure-nic'))));
  problems.push(...(await restoreLibvirt(ctx, originals.filter((o) => o.controller === 'libvirt-hotplug'))));
  problems.push(...(await restoreAwsEnaExpress(ctx, originals.filter((o) => o.controller === 'aws-ena-express'))));
  await Promise.all(
    originals.filter((o) => !['azure-nic', 'libvirt-hotplug', 'aws-ena-express'].includes(o.controller)).map(async (o) => {
      const host = hostOf(o.host);
      if (!host) {
        problems.push(`${o.host}: not connected, cannot restore its ${o.controller} state`);
        return;
      }
      try {
        if (o.controller === 'guest-link') await setGuestLink(host, String(o.state.interface), o.state.up === true);
        else if (o.controller === 'command') await runUserCommand(ctx, host, String(o.state.restore), Number(o.state.timeout ?? 60), 'restore');
        else problems.push(`${o.host}: unknown controller ${o.controller}`);
      } catch (err) {
        problems.push(`${o.host}: ${errorMessage(err)}`);
      }
    }),
  );
  return problems;
}

/**
 * The manifest's stored states are re-checked against its scenario before anything runs: a restore command
 * that is not one of the scenario's, or an interface it does not name, means the file was edited.
 */
export function checkStoredCommands(originals: OriginalState[], scenario: Pick<Scenario, 'variants'>): void {
  const variants = Object.values(scenario.variants);
  for (const o of originals) {
    if (o.controller === 'command' && !variants.some((v) => v.controller === 'command' && v.restore === o.state.restore)) {
      throw new UserError(`the manifest's restore command for ${o.host} is not one of its scenario's: the run directory was edited; nothing was run`);
    }
    if (o.controller === 'guest-link' && !variants.some((v) => v.controller === 'guest-link' && v.interface === o.state.interface)) {
      throw new UserError(`the manifest's interface ${String(o.state.interface)} for ${o.host} is not one its scenario names: the run directory was edited; nothing was run`);
    }
  }
}

