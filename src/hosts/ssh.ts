// A Host reached over SSH (node-ssh): key or agent authentication, host key checked against
// known_hosts, one connection per host reused by every command, bounded concurrent channels.
import { NodeSSH } from 'node-ssh';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClientChannel } from 'ssh2';
import { Host, type ExecOptions, type ExecResult } from './host.js';
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

export interface SshHostOptions {
  name: string;
  target: SshTarget;
  /** Private key file; when absent, ssh-agent ($SSH_AUTH_SOCK) and then ~/.ssh/id_* are tried. */
  keyPath?: string;
  knownHostsPath?: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Channels open at once on this connection (OpenSSH's MaxSessions defaults to 10). */
  maxChannels?: number;
}

function defaultKey(): string | undefined {
  for (const f of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const p = join(homedir(), '.ssh', f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export class SshHost extends Host {
  private readonly ssh = new NodeSSH();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  protected readonly commandTimeoutMs: number;

  private constructor(private readonly opts: SshHostOptions) {
    super(opts.name);
    this.commandTimeoutMs = opts.commandTimeoutMs;
  }

  static async connect(opts: SshHostOptions): Promise<SshHost> {
    const h = new SshHost(opts);
    await h.open();
    return h;
  }

  describe(): string {
    const t = this.opts.target;
    return `${t.user}@${t.host}${t.port === 22 ? '' : `:${t.port}`}`;
  }

  private async open(): Promise<void> {
    const { target } = this.opts;
    const knownHosts = this.opts.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
    const known = await lookupKnownKeys(knownHosts, target.host, target.port);
    let refusal: string | undefined;
    const agent = this.opts.keyPath ? undefined : process.env.SSH_AUTH_SOCK;
    const keyPath = this.opts.keyPath ?? (agent ? undefined : defaultKey());
    if (!keyPath && !agent) {
      throw new UserError(`${this.name}: no SSH key: set \`key:\` for the host or \`ssh.key\`, or start ssh-agent`);
    }
    if (keyPath && !existsSync(keyPath)) throw new UserError(`${this.name}: SSH key ${keyPath} does not exist`);
    const usable = known.filter((k) => !k.revoked).map((k) => k.type);
    try {
      await this.ssh.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKeyPath: keyPath,
        agent,
        readyTimeout: this.opts.connectTimeoutMs,
        keepaliveInterval: 15_000,
        // Ask for the key types we already know, so a host with several keys presents the one on file.
        algorithms: usable.length > 0 ? { serverHostKey: hostKeyAlgorithms(usable) as never } : undefined,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          checkHostKey({
            file: knownHosts,
            host: target.host,
            port: target.port,
            presented: key,
            known,
            acceptNew: this.opts.acceptNewHostKeys,
          }).then(
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
      });
    } catch (err) {
      if (refusal) throw new UserError(`${this.name}: ${refusal}`);
      throw new UserError(`${this.name}: cannot connect to ${this.describe()}: ${(err as Error).message}`);
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < (this.opts.maxChannels ?? 8)) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  protected async runString(cmd: string, opts: ExecOptions & { timeoutMs: number }): Promise<ExecResult> {
    await this.acquire();
    let channel: ClientChannel | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Backstop for a host that stops answering: the command's own `timeout` wrapper normally ends it first.
    const expired = new Promise<ExecResult>((resolve) => {
      timer = setTimeout(() => {
        channel?.close();
        resolve({ stdout: '', stderr: `no answer from ${this.describe()} within ${opts.timeoutMs} ms`, code: null, timedOut: true });
      }, opts.timeoutMs);
    });
    try {
      const done = this.ssh
        .execCommand(cmd, { stdin: opts.stdin, noTrim: true, onChannel: (c) => (channel = c) })
        .then((r) => ({ stdout: r.stdout, stderr: r.stderr, code: r.code, timedOut: false }));
      return await Promise.race([done, expired]);
    } finally {
      clearTimeout(timer);
      this.release();
    }
  }

  async close(): Promise<void> {
    this.ssh.dispose();
  }

  override async reconnect(timeoutMs: number): Promise<void> {
    this.ssh.dispose();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.open();
        return;
      } catch (err) {
        // A refused host key is final; a host still booting is not.
        if (/HOST KEY|unknown host key|revoked/.test((err as Error).message) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }
}
