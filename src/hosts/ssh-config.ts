// How OpenSSH would reach a host: its ssh_config, resolved by OpenSSH itself (`ssh -G`, which connects to
// nothing, though it runs `Match exec` commands as ssh would): Host and Match blocks, Include, HostName, User, Port, IdentityFile (several, in order),
// IdentitiesOnly, IdentityAgent, ProxyJump (chains of bastions), HostKeyAlias, UserKnownHostsFile,
// GlobalKnownHostsFile, ConnectTimeout, ServerAliveInterval — exactly as `ssh` reads them.
import { execa } from 'execa';
import { homedir, hostname, userInfo } from 'node:os';
import { EnvironmentError, UserError } from '../util/errors.js';

/** One hop: where it is, who logs in, with which keys, checked against which known_hosts. */
export interface SshEndpoint {
  /** As written in the scenario or a ProxyJump list (an alias, or user@host:port). */
  spec: string;
  host: string;
  port: number;
  user: string;
  /** IdentityFile entries, expanded, in order (OpenSSH's defaults when none is configured). */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** The agent's socket; undefined: none (IdentityAgent none, or no SSH_AUTH_SOCK). */
  agentSocket?: string;
  /** The name looked up in known_hosts instead of the host (HostKeyAlias). */
  hostKeyAlias?: string;
  userKnownHosts: string[];
  globalKnownHosts: string[];
  connectTimeoutS?: number;
  serverAliveIntervalS?: number;
  /** The bastions to go through, first hop first (ProxyJump), each resolved the same way. */
  jumps: SshEndpoint[];
}

export interface SshTargetSpec {
  user?: string;
  host: string;
  port?: number;
}

/** `user@host:port`, `host`, `user@[v6]:port`: only what is written (the rest comes from ssh_config). */
export function parseTargetSpec(spec: string): SshTargetSpec {
  // ProxyJump also takes ssh://[user@]host[:port] URIs.
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:@/]+)(?::(\d+))?\/?$/.exec(spec);
  if (!m || m[2]!.startsWith('-')) throw new UserError(`cannot read ssh target "${spec}" (user@host[:port], or a Host alias of ssh_config)`);
  return { user: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}

const MAX_JUMPS = 8;

/** `ssh -G` for one target: its effective options, keys lower-case, repeated keys in order. */
async function sshG(t: SshTargetSpec, configFile: string | undefined): Promise<Map<string, string[]>> {
  const args = ['-G', ...(configFile ? ['-F', configFile] : []), ...(t.user ? ['-l', t.user] : []), ...(t.port ? ['-p', String(t.port)] : []), '--', t.host];
  const r = await execa('ssh', args, { reject: false, stdin: 'ignore', timeout: 15_000 });
  if (r.exitCode === undefined) {
    // Not started (no ssh) or killed (a Match exec that hangs): the machine's problem, not the input's.
    throw new EnvironmentError(r.code === 'ENOENT' ? 'reading ssh_config needs OpenSSH\'s `ssh` (package openssh-client): scripts/setup.sh installs it' : `ssh -G ${t.host} did not finish: ${r.message}`);
  }
  if (r.exitCode !== 0) throw new UserError(`ssh_config${configFile ? ` ${configFile}` : ''} for "${t.host}": ${String(r.stderr).trim() || `ssh -G exit ${r.exitCode}`}`);
  const out = new Map<string, string[]>();
  for (const line of String(r.stdout).split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const key = line.slice(0, sp);
    out.set(key, [...(out.get(key) ?? []), line.slice(sp + 1)]);
  }
  return out;
}

/** OpenSSH's tokens in IdentityFile (which `ssh -G` leaves as written; it expands the other paths), and `~`. */
function expand(path: string, ep: { host: string; user: string; port: number; original: string; alias?: string }): string {
  const tokens: Record<string, string> = {
    '%': '%', d: homedir(), u: userInfo().username, i: String(userInfo().uid), h: ep.host, r: ep.user, p: String(ep.port),
    n: ep.original, k: ep.alias ?? ep.original, l: hostname(), L: hostname().split('.')[0]!,
  };
  const p = path.replace(/%(.)/g, (all, k: string) => {
    const v = tokens[k];
    if (v === undefined) throw new UserError(`ssh_config: the token ${all} in "${path}" is not supported (supported: %d %u %i %h %r %p %n %k %l %L %%)`);
    return v;
  });
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

/**
 * Resolve a scenario's ssh target as OpenSSH would: what it writes (user@, :port) wins over ssh_config,
 * as on ssh's command line. `configFile` replaces ~/.ssh/config (as `ssh -F` does).
 */
export async function resolveEndpoint(spec: string, configFile?: string, depth = 0): Promise<SshEndpoint> {
  const t = parseTargetSpec(spec);
  const g = await sshG(t, configFile);
  const one = (k: string) => g.get(k)?.[0];
  const proxyCommand = one('proxycommand');
  if (proxyCommand && proxyCommand !== 'none') {
    throw new UserError(`ssh_config for "${spec}" sets ProxyCommand, which vfbench does not run: use ProxyJump (ssh -J) instead`);
  }
  const base = { spec, host: one('hostname') ?? t.host, port: Number(one('port') ?? 22), user: one('user') ?? userInfo().username };
  const agent = one('identityagent');
  const seconds = (v: string | undefined) => (v && v !== 'none' && Number(v) > 0 ? Number(v) : undefined);
  const paths = (k: string) => (g.get(k) ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
  const ctx = { ...base, original: t.host, alias: one('hostkeyalias') };
  const jumpSpecs = (one('proxyjump') ?? 'none') === 'none' ? [] : one('proxyjump')!.split(',');
  if (depth + jumpSpecs.length > MAX_JUMPS) throw new UserError(`ssh_config for "${spec}": more than ${MAX_JUMPS} ProxyJump hops (a loop?)`);
  // The first bastion is reached as ssh would reach it (its own ProxyJump included); the next ones through it.
  const jumps: SshEndpoint[] = [];
  for (const [i, j] of jumpSpecs.entries()) {
    const hop = await resolveEndpoint(j, configFile, depth + 1 + i);
    if (i === 0) jumps.push(...hop.jumps);
    jumps.push({ ...hop, jumps: [] });
  }
  return {
    ...base,
    identityFiles: paths('identityfile').map((f) => expand(f, ctx)),
    identitiesOnly: one('identitiesonly') === 'yes',
    agentSocket: agent === 'none' ? undefined : agent && agent !== 'SSH_AUTH_SOCK' ? agent : process.env.SSH_AUTH_SOCK || undefined,
    hostKeyAlias: one('hostkeyalias'),
    userKnownHosts: paths('userknownhostsfile'),
    globalKnownHosts: paths('globalknownhostsfile'),
    connectTimeoutS: seconds(one('connecttimeout')),
    serverAliveIntervalS: seconds(one('serveraliveinterval')),
    jumps,
  };
}

/** `user@host:port` of an endpoint, and its bastions: for messages. */
export function describeEndpoint(ep: SshEndpoint): string {
  const at = `${ep.user}@${ep.host.includes(':') ? `[${ep.host}]` : ep.host}${ep.port === 22 ? '' : `:${ep.port}`}`;
  return ep.jumps.length > 0 ? `${at} via ${ep.jumps.map((j) => j.spec).join(' → ')}` : at;
}
