// A Host reached over SSH (ssh2): key or agent authentication, host key checked against known_hosts, one
// connection per host; the vfbench agent runs on one exec channel of it, and after a drop a new
// connection reaches the same agent through its unix socket (stream-local forwarding).
import { Client, type ClientChannel, type ConnectConfig, type ParsedKey } from 'ssh2';
import { existsSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import { Host, type HostOptions } from './host.js';
import { checkHostKey, hostKeyAlgorithms, keyType, lookupKnownKeys, type HostKeyVerdict, type KnownKey } from './known-hosts.js';
import { checkHostCertificate, parseCertificate } from './host-cert.js';
import { command } from '../util/shell.js';
import { execa } from 'execa';
import { describeEndpoint, type SshEndpoint } from './ssh-config.js';
import { hopAuth } from './ssh-auth.js';
import { EnvironmentError } from '../util/errors.js';

export interface SshHostOptions extends HostOptions {
  /** The host as OpenSSH would reach it (ssh_config resolved), with its bastions. */
  endpoint: SshEndpoint;
  /** The scenario's `key:`: tried before the IdentityFile entries (and the agent offers only it). */
  keyPath?: string;
  /** The scenario's `known_hosts:`: replaces UserKnownHostsFile and GlobalKnownHostsFile for the host. */
  knownHostsPath?: string;
  acceptNewHostKeys: boolean;
  /** The scenario's connect_timeout; unset: ssh_config's ConnectTimeout, else 10 s. */
  connectTimeoutMs?: number;
}

/** Keepalives find a connection that died silently; one small packet each way, no process on the host. */
const KEEPALIVE_MS = 10_000;
const KEEPALIVE_MISSES = 3;

/** Keys on file for a hop, from every known_hosts file it names (hashed names and wildcards via ssh-keygen). */
async function knownKeys(files: string[], name: string, port: number): Promise<KnownKey[]> {
  const keys: KnownKey[] = [];
  for (const f of files) keys.push(...(await lookupKnownKeys(f, name, port)));
  return keys;
}

export class SshHost extends Host {
  private client?: Client;
  /** The bastions' connections, first hop first (closed with the host's). */
  private jumps: Client[] = [];
  /** Keys unlocked with a typed passphrase: kept in memory for reconnects, never written. */
  private readonly unlocked = new Map<string, ParsedKey>();

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
    return describeEndpoint(this.ssh.endpoint);
  }

  /** Through each bastion in turn (each host key checked), then the host itself. */
  protected async connectTransport(): Promise<void> {
    const hops = [...this.ssh.endpoint.jumps, this.ssh.endpoint];
    const clients: Client[] = [];
    try {
      let sock: Duplex | undefined;
      for (const [i, hop] of hops.entries()) {
        const target = i === hops.length - 1;
        clients.push(await this.connectHop(hop, sock, target, clients.at(-1)));
        if (!target) sock = await forwardOut(clients.at(-1)!, hops[i + 1]!, hop);
      }
    } catch (err) {
      for (const c of clients.reverse()) c.end();
      throw err;
    }
    this.client = clients.pop();
    this.jumps = clients;
  }

  /**
   * The host key against known_hosts; when known_hosts names a @cert-authority for the host and no plain
   * key on file matches, the host's certificate decides (fetched beside the connection: ssh2 does not
   * negotiate certificates).
   */
  private async decideHostKey(hop: SshEndpoint, via: Client | undefined, o: Parameters<typeof checkHostKey>[0], fetched?: Promise<Buffer[]>): Promise<HostKeyVerdict> {
    const plain = await checkHostKey({ ...o, known: o.known.filter((k) => !k.ca), acceptNew: o.acceptNew && !o.known.some((k) => k.ca) });
    const cas = o.known.filter((k) => k.ca && !k.revoked).map((k) => k.blob);
    if (plain.ok || cas.length === 0) return plain;
    const revoked = o.known.filter((k) => k.revoked).map((k) => k.blob);
    const certs = await (fetched ?? hostCertificates(hop, via)).catch((err: Error) => err);
    if (certs instanceof Error) return { ok: false, reason: `${plain.reason} Its certificate could not be fetched (ssh-keyscan -c): ${certs.message}` };
    const why = certs.map((c) => checkHostCertificate(c, { presented: o.presented, cas, revoked, name: o.host }));
    if (why.some((w) => w === undefined)) return { ok: true };
    return { ok: false, reason: `${o.host} has a @cert-authority in ${(o.searched ?? [o.file]).join(', ')}, but no certificate of its holds: ${why.join('; ') || 'it has none'}` };
  }

  private async connectHop(hop: SshEndpoint, sock: Duplex | undefined, target: boolean, via?: Client): Promise<Client> {
    const where = target ? this.name : `${this.name} (bastion ${hop.spec})`;
    const files = target && this.ssh.knownHostsPath ? [this.ssh.knownHostsPath] : [...hop.userKnownHosts, ...hop.globalKnownHosts];
    const appendTo = (target && this.ssh.knownHostsPath) || hop.userKnownHosts[0] || files[0]!;
    // HostKeyAlias is looked up and recorded bare, whatever the port (as OpenSSH does).
    const name = hop.hostKeyAlias ?? hop.host;
    const lookupPort = hop.hostKeyAlias ? 22 : hop.port;
    const known = await knownKeys(files.filter((f) => existsSync(f)), name, lookupPort);
    const auth = await hopAuth(hop, target ? this.ssh.keyPath : undefined, this.unlocked);
    if (auth.methods.length === 0) throw new EnvironmentError(`${where}: cannot log in to ${hop.user}@${hop.host}: ${auth.notes.join('; ')}`);
    let usable = known.filter((k) => !k.revoked && !k.ca).map((k) => k.type);
    // Only a CA on file: ask for a key type the host has a certificate for (a host with several keys may
    // have certified one of them only); the certificates fetched here are the ones checked.
    let certs: Promise<Buffer[]> | undefined;
    if (usable.length === 0 && known.some((k) => k.ca)) {
      certs = hostCertificates(hop, via);
      usable = await certs.then(certifiedTypes, () => []);
    }
    let refusal: string | undefined;
    const config: ConnectConfig = {
      ...(sock ? { sock } : { host: hop.host, port: hop.port }),
      username: hop.user,
      authHandler: auth.methods,
      // What the scenario writes wins over ssh_config, as on ssh's command line.
      readyTimeout: this.ssh.connectTimeoutMs ?? (hop.connectTimeoutS ?? 10) * 1000,
      keepaliveInterval: hop.serverAliveIntervalS !== undefined ? hop.serverAliveIntervalS * 1000 : KEEPALIVE_MS,
      keepaliveCountMax: KEEPALIVE_MISSES,
      // Ask for the key types we already know, so a host with several keys presents the one on file.
      algorithms: usable.length > 0 ? { serverHostKey: hostKeyAlgorithms(usable) as never } : undefined,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        this.decideHostKey(hop, via, { file: appendTo, searched: files, host: name, port: lookupPort, presented: key, known, acceptNew: this.ssh.acceptNewHostKeys }, certs).then(
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
      if (refusal) throw new EnvironmentError(`${where}: ${refusal}`);
      const notes = /authentication methods failed/i.test((err as Error).message) && auth.notes.length > 0 ? ` (${auth.notes.join('; ')})` : '';
      throw new EnvironmentError(`${where}: cannot connect to ${hop.user}@${hop.host}:${hop.port}${sock ? ' through its bastion' : ''}: ${(err as Error).message}${notes}`);
    }
    // Errors after the handshake (a reset connection) show up as the agent channel closing.
    client.on('error', () => {});
    return client;
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
    for (const j of this.jumps.splice(0).reverse()) j.end();
  }
}

/** A host's certificates: `ssh-keyscan -c` from here, or on the bastion before it (which can reach it). */
async function hostCertificates(hop: SshEndpoint, via: Client | undefined): Promise<Buffer[]> {
  const argv = ['ssh-keyscan', '-c', '-T', '5', '-p', String(hop.port), hop.host];
  let text: string;
  if (via) text = await execOn(via, command(argv));
  else {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore', timeout: 15_000 });
    if (r.exitCode === undefined) throw new Error(r.code === 'ENOENT' ? 'ssh-keyscan (openssh-client) is not installed' : r.message);
    text = r.stdout;
  }
  // `TYPE-cert-v01@openssh.com BASE64` per line (ssh-keyscan -c writes no host name before certificates).
  const certs: Buffer[] = [];
  for (const f of text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.trim().split(/\s+/))) {
    const at = f.findIndex((x) => x.endsWith('-cert-v01@openssh.com'));
    if (at >= 0 && f[at + 1]) certs.push(Buffer.from(f[at + 1]!, 'base64'));
  }
  return certs;
}

/** The key types the certificates vouch for (unreadable ones left out: their check says why). */
function certifiedTypes(certs: Buffer[]): string[] {
  return certs.flatMap((c) => {
    try {
      return [keyType(parseCertificate(c).key)];
    } catch {
      return [];
    }
  });
}

/** A command's stdout on a connected client (a bastion); its exit status must be 0; bounded in time. */
function execOn(client: Client, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(cmd, (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(err);
      const timer = setTimeout(() => (ch.close(), reject(new Error(`${cmd}: no answer within 15 s`))), 15_000);
      let out = '';
      let code: number | undefined;
      ch.on('data', (d: Buffer) => (out += d.toString('utf8')));
      ch.stderr.resume();
      ch.on('exit', (c: number) => (code = c));
      ch.on('close', () => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`${cmd} on the bastion: exit ${code ?? 'unknown'}${code === 127 ? ' (ssh-keyscan is not installed there)' : ''}`));
      });
    });
  });
}

/** A TCP stream from a bastion to the next hop (ssh -J's direct-tcpip channel). */
function forwardOut(bastion: Client, next: SshEndpoint, via: SshEndpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    bastion.forwardOut('127.0.0.1', 0, next.host, next.port, (err: Error | undefined, ch: ClientChannel) =>
      err ? reject(new EnvironmentError(`bastion ${via.spec} cannot reach ${next.host}:${next.port}: ${err.message}`)) : resolve(ch),
    );
  });
}
