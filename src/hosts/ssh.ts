// A Host reached over SSH (ssh2): key or agent authentication, host key checked against known_hosts, one
// connection per host; the vfbench agent runs on one exec channel of it, and after a drop a new
// connection reaches the same agent through its unix socket (stream-local forwarding).
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { Host, type HostOptions } from './host.js';
import { checkHostKey, hostKeyAlgorithms, lookupKnownKeys } from './known-hosts.js';
import { UserError } from '../util/errors.js';

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

/** Parse `user@host[:port]`, `host`, `user@[v6]:port`. */
export function parseSshTarget(spec: string): SshTarget {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new UserError(`cannot read ssh target "${spec}"`);
  return {
    user: m[1] ?? process.env.USER ?? 'root',
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port: m[3] ? Number(m[3]) : 22,
  };
}

export interface SshHostOptions extends HostOptions {
  target: SshTarget;
  /** Private key file; when absent, ssh-agent ($SSH_AUTH_SOCK) and then ~/.ssh/id_* are tried. */
  keyPath?: string;
  knownHostsPath?: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
}

function defaultKey(): string | undefined {
  for (const f of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const p = join(homedir(), '.ssh', f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Keepalives find a connection that died silently; one small packet each way, no process on the host. */
const KEEPALIVE_MS = 10_000;
const KEEPALIVE_MISSES = 3;

export class SshHost extends Host {
  private client?: Client;

  constructor(private readonly ssh: SshHostOptions) {
    super(ssh);
  }

  /** Connect and start the agent (one login on the host for the whole run). */
  static async connect(opts: SshHostOptions, label = 'vfbench'): Promise<SshHost> {
    const h = new SshHost(opts);
    await h.open(label);
    return h;
  }

  describe(): string {
    const t = this.ssh.target;
    return `${t.user}@${t.host}${t.port === 22 ? '' : `:${t.port}`}`;
  }

  protected async connectTransport(): Promise<void> {
    const { target } = this.ssh;
    const knownHosts = this.ssh.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
    const known = await lookupKnownKeys(knownHosts, target.host, target.port);
    const agent = this.ssh.keyPath ? undefined : process.env.SSH_AUTH_SOCK;
    const keyPath = this.ssh.keyPath ?? (agent ? undefined : defaultKey());
    if (!keyPath && !agent) {
      throw new UserError(`${this.name}: no SSH key: set \`key:\` for the host or \`ssh.key\`, or start ssh-agent`);
    }
    if (keyPath && !existsSync(keyPath)) throw new UserError(`${this.name}: SSH key ${keyPath} does not exist`);
    const usable = known.filter((k) => !k.revoked).map((k) => k.type);
    let refusal: string | undefined;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: keyPath ? readFileSync(keyPath) : undefined,
      agent,
      readyTimeout: this.ssh.connectTimeoutMs,
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: KEEPALIVE_MISSES,
      // Ask for the key types we already know, so a host with several keys presents the one on file.
      algorithms: usable.length > 0 ? { serverHostKey: hostKeyAlgorithms(usable) as never } : undefined,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        checkHostKey({ file: knownHosts, host: target.host, port: target.port, presented: key, known, acceptNew: this.ssh.acceptNewHostKeys }).then(
          (v) => {
            if (!v.ok) refusal = v.reason;
            verify(v.ok);
          },
          (err: Error) => {
            refusal = err.message;
            verify(false);
          },
        );
      },
    };
    const client = new Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve());
        client.once('error', reject);
        client.connect(config);
      });
    } catch (err) {
      client.end();
      if (refusal) throw new UserError(`${this.name}: ${refusal}`);
      throw new UserError(`${this.name}: cannot connect to ${this.describe()}: ${(err as Error).message}`);
    }
    // Errors after the handshake (a reset connection) show up as the agent channel closing.
    client.on('error', () => {});
    this.client = client;
  }

  protected execChannel(cmd: string): Promise<{ stream: Duplex; stderr?: Readable }> {
    const client = this.client;
    if (!client) return Promise.reject(new Error(`${this.name}: not connected`));
    return new Promise((resolve, reject) => {
      client.exec(cmd, (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve({ stream: ch, stderr: ch.stderr })));
    });
  }

  protected socketChannel(path: string): Promise<Duplex | undefined> {
    const client = this.client;
    if (!client) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      client.openssh_forwardOutStreamLocal(path, (err: Error | undefined, ch: ClientChannel) => resolve(err ? undefined : ch));
    });
  }

  protected async closeTransport(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    c?.end();
  }
}
