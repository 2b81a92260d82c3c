// Open a Host for each scenario host a pair uses.
import { resolve, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import type { HostSpec, SshOptions } from '../scenario/schema.js';
import { HostDown, type Host, type HostEvent } from '../hosts/host.js';
import { LocalHost } from '../hosts/local.js';
import { SshHost } from '../hosts/ssh.js';
import { resolveEndpoint } from '../hosts/ssh-config.js';
import { EnvironmentError } from '../util/errors.js';
import { ConnectionLost } from '../hosts/agent-session.js';

export interface ConnectOptions {
  /** Accept and record host keys not yet in known_hosts (never a changed key). */
  acceptNewHostKeys?: boolean;
  /** Names the agents' folders on the hosts (/tmp/vfbench.<label>.*): the run id. */
  label?: string;
  /** Lost connections, reconnects, hosts that stay down. */
  onEvent?: (e: HostEvent) => void;
  /** An ssh_config file instead of ~/.ssh/config (--ssh-config). */
  sshConfig?: string;
}

/** Where hosts come from: a scenario, or the --host targets of `doctor`. Paths resolve against `file`'s folder. */
export interface HostSource {
  file: string;
  hosts: Record<string, HostSpec>;
  ssh: SshOptions;
}

/** A path from a scenario: `~/` is the user's home, relative paths start at the scenario's folder. */
export function resolvePath(base: string, p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : resolve(base, p);
}

/**
 * Connect the named hosts at once, each with its agent started (one login per host for the whole run). On
 * a failure the ones already open are closed and the first host's problem is reported.
 */
export async function connectHosts(s: HostSource, names: Iterable<string>, opts: ConnectOptions = {}): Promise<Map<string, Host>> {
  const base = dirname(resolve(s.file));
  const list = [...names];
  const label = opts.label ?? 'vfbench';
  const settled = await Promise.allSettled(
    list.map(async (name): Promise<Host> => {
      const spec = s.hosts[name]!;
      const common = { name, commandTimeoutMs: s.ssh.command_timeout * 1000, reconnectTimeoutMs: s.ssh.reconnect_timeout * 1000, compress: s.ssh.compress };
      if (spec.ssh === 'local') {
        const h = new LocalHost(name, common.commandTimeoutMs, common);
        await h.open(label);
        return h;
      }
      const key = spec.key ?? s.ssh.key;
      const known = spec.known_hosts ?? s.ssh.known_hosts;
      // --ssh-config, else the scenario's ssh.config, else OpenSSH's own (~/.ssh/config, /etc/ssh/ssh_config).
      const config = opts.sshConfig ?? (s.ssh.config ? resolvePath(base, s.ssh.config) : undefined);
      return SshHost.connect(
        {
          ...common,
          endpoint: await resolveEndpoint(spec.ssh, config),
          keyPath: key ? resolvePath(base, key) : undefined,
          knownHostsPath: known ? resolvePath(base, known) : undefined,
          // Only from the command line: a scenario file (perhaps someone else's) cannot turn checking down.
          acceptNewHostKeys: !!opts.acceptNewHostKeys,
          connectTimeoutMs: s.ssh.connect_timeout !== undefined ? s.ssh.connect_timeout * 1000 : undefined,
        },
        label,
      );
    }),
  );
  const hosts = new Map<string, Host>();
  settled.forEach((r, i) => r.status === 'fulfilled' && hosts.set(list[i]!, r.value));
  const failed = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length > 0) {
    await Promise.all([...hosts.values()].map((h) => h.close()));
    if (failed.length > 1) failed[0]!.message += ` (and ${failed.length - 1} more host${failed.length > 2 ? 's' : ''} failed)`;
    // A connection that went away while starting is the environment's; anything else (a bug) stays as it is.
    const first = failed[0]!;
    throw first instanceof ConnectionLost || first instanceof HostDown ? new EnvironmentError(first.message) : first;
  }
  for (const h of hosts.values()) h.onEvent = opts.onEvent;
  return hosts;
}
