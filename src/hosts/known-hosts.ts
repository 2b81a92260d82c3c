// Host key checking against an OpenSSH known_hosts file. Look-ups go through `ssh-keygen -F`, so
// hashed entries, [host]:port entries and wildcards behave exactly as they do for OpenSSH itself.
import { createHash } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { EnvironmentError } from '../util/errors.js';

export interface KnownKey {
  type: string;
  blob: Buffer;
  revoked: boolean;
  /** A @cert-authority line: the host's certificate must be signed by this key (hosts/host-cert.ts). */
  ca?: boolean;
}

/** OpenSSH's SHA256 fingerprint of a public key blob, e.g. SHA256:abc… */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside an SSH public key blob (string length + name). */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export async function lookupKnownKeys(file: string, host: string, port: number): Promise<KnownKey[]> {
  if (!existsSync(file)) return [];
  const r = await execa('ssh-keygen', ['-F', knownHostsName(host, port), '-f', file], { reject: false, stdin: 'ignore' });
  // Without ssh-keygen nothing would be found and every key would look new: never degrade silently.
  if (r.exitCode === undefined) throw new EnvironmentError(`cannot check host keys: ssh-keygen (package openssh-client) does not run: ${r.message}`);
  // Exit 1 with no output means "not found"; anything else on stderr is a broken file.
  if (r.exitCode !== 0 && r.stderr.trim()) throw new Error(`cannot read known_hosts ${file}: ${r.stderr.trim()}`);
  const keys: KnownKey[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const fields = line.trim().split(/\s+/);
    const revoked = fields[0] === '@revoked';
    const ca = fields[0] === '@cert-authority';
    const [, type, b64] = fields[0]?.startsWith('@') ? fields.slice(1) : fields;
    if (!type || !b64) continue;
    keys.push({ type, blob: Buffer.from(b64, 'base64'), revoked, ...(ca ? { ca: true } : {}) });
  }
  return keys;
}

/** Host key algorithms to offer for the key types known for a host (OpenSSH does the same). */
export function hostKeyAlgorithms(types: string[]): string[] {
  const out: string[] = [];
  for (const t of new Set(types)) {
    if (t === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else out.push(t);
  }
  return out;
}

export type HostKeyVerdict =
  | { ok: true; added?: boolean }
  | { ok: false; reason: string };

/** Decide about the key a server presented. `acceptNew` adds unknown hosts (never changed keys). */
export async function checkHostKey(opts: {
  /** Where a new key is recorded (acceptNew). */
  file: string;
  /** Every file that was searched, for messages (default: `file`). */
  searched?: string[];
  host: string;
  port: number;
  presented: Buffer;
  known: KnownKey[];
  acceptNew: boolean;
}): Promise<HostKeyVerdict> {
  const fp = fingerprint(opts.presented);
  const type = keyType(opts.presented);
  const name = knownHostsName(opts.host, opts.port);
  if (opts.known.some((k) => k.revoked && k.blob.equals(opts.presented))) {
    return { ok: false, reason: `host key of ${name} (${type} ${fp}) is marked @revoked in ${opts.file}` };
  }
  const usable = opts.known.filter((k) => !k.revoked && !k.ca);
  if (usable.some((k) => k.blob.equals(opts.presented))) return { ok: true };
  if (usable.length > 0) {
    return {
      ok: false,
      reason:
        `HOST KEY CHANGED for ${name}: it presented ${type} ${fp}, which does not match ${(opts.searched ?? [opts.file]).join(', ')} ` +
        `(known: ${usable.map((k) => `${k.type} ${fingerprint(k.blob)}`).join(', ')}). ` +
        `Someone may be intercepting the connection, or the host was re-installed; check, then remove the old entry ` +
        `(ssh-keygen -R '${name}' -f ${opts.file}).`,
    };
  }
  if (!opts.acceptNew) {
    return {
      ok: false,
      reason:
        `unknown host key for ${name}: ${type} ${fp} is not in ${(opts.searched ?? [opts.file]).join(', ')}. ` +
        `Check the fingerprint, then add it (ssh-keyscan) or rerun with --accept-new-host-keys.`,
    };
  }
  await mkdir(dirname(opts.file), { recursive: true });
  await appendFile(opts.file, `${name} ${type} ${opts.presented.toString('base64')}\n`, { mode: 0o600 });
  return { ok: true, added: true };
}
