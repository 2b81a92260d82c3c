// Open a Host for each scenario host a pair uses.
import { resolve, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import type { HostSpec, SshOptions } from '../scenario/schema.js';
import type { Host } from '../hosts/host.js';
import { LocalHost } from '../hosts/local.js';
import { SshHost, parseSshTarget } from '../hosts/ssh.js';

export interface ConnectOptions {
  /** Accept and record host keys not yet in known_hosts (never a changed key). */
  acceptNewHostKeys?: boolean;
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

/** Connect the named hosts, one after another; on a failure the ones already open are closed. */
export async function connectHosts(s: HostSource, names: Iterable<string>, opts: ConnectOptions = {}): Promise<Map<string, Host>> {
  const base = dirname(resolve(s.file));
  const hosts = new Map<string, Host>();
  try {
    // Sequential on purpose: a refused host key should be reported once, before anything else starts.
    for (const name of names) {
      const spec = s.hosts[name]!;
      if (spec.ssh === 'local') {
        hosts.set(name, new LocalHost(name, s.ssh.command_timeout * 1000));
        continue;
      }
      const key = spec.key ?? s.ssh.key;
      const known = spec.known_hosts ?? s.ssh.known_hosts;
      hosts.set(
        name,
        await SshHost.connect({
          name,
          target: parseSshTarget(spec.ssh),
          keyPath: key ? resolvePath(base, key) : undefined,
          knownHostsPath: known ? resolvePath(base, known) : undefined,
          acceptNewHostKeys: opts.acceptNewHostKeys || s.ssh.accept_new_host_keys,
          connectTimeoutMs: s.ssh.connect_timeout * 1000,
          commandTimeoutMs: s.ssh.command_timeout * 1000,
        }),
      );
    }
  } catch (err) {
    await Promise.all([...hosts.values()].map((h) => h.close()));
    throw err;
  }
  return hosts;
}
