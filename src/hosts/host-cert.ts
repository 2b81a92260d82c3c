// OpenSSH host certificates (PROTOCOL.certkeys), checked as `ssh` checks them against a known_hosts
// `@cert-authority` line. ssh2 does not negotiate certificate host keys, so the host's certificate is
// fetched beside the connection (ssh-keyscan -c, from here or from the bastion before it) and must embed
// exactly the plain key the host presented in the handshake, be signed by the CA, be a host certificate,
// name the host among its principals and be valid now.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import ssh2 from 'ssh2';
import { fingerprint } from './known-hosts.js';

const { utils } = ssh2;

/** Reads SSH wire-format fields in order. */
class Wire {
  at = 0;
  constructor(readonly buf: Buffer) {}
  string(): Buffer {
    const n = this.buf.readUInt32BE(this.at);
    const v = this.buf.subarray(this.at + 4, this.at + 4 + n);
    if (v.length !== n) throw new Error('certificate truncated');
    this.at += 4 + n;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.at);
    this.at += 8;
    return v;
  }
}

const sshString = (b: Buffer) => Buffer.concat([Buffer.from([b.length >>> 24, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255]), b]);

export interface HostCertificate {
  /** The plain public key blob the certificate vouches for. */
  key: Buffer;
  type: 'host' | 'user';
  keyId: string;
  principals: string[];
  validAfter: bigint;
  validBefore: bigint;
  criticalOptions: Buffer;
  caKey: Buffer;
  signatureAlgo: string;
  signature: Buffer;
  /** The bytes the signature covers. */
  signed: Buffer;
}

/** The number of key fields after the nonce, per certificate key type. */
const KEY_FIELDS: Record<string, number> = { 'ssh-ed25519': 1, 'ssh-rsa': 2, 'ecdsa-sha2-nistp256': 2, 'ecdsa-sha2-nistp384': 2, 'ecdsa-sha2-nistp521': 2 };

export function parseCertificate(blob: Buffer): HostCertificate {
  const w = new Wire(blob);
  const certType = w.string().toString('latin1');
  const plain = certType.replace(/-cert-v01@openssh\.com$/, '');
  const n = KEY_FIELDS[plain];
  if (plain === certType || n === undefined) throw new Error(`unsupported certificate type ${certType}`);
  w.string(); // nonce
  const fields = Array.from({ length: n }, () => w.string());
  const key = Buffer.concat([sshString(Buffer.from(plain, 'latin1')), ...fields.map(sshString)]);
  w.u64(); // serial
  const type = w.u32() === 2 ? 'host' : 'user';
  const keyId = w.string().toString('utf8');
  const packed = new Wire(w.string());
  const principals: string[] = [];
  while (packed.at < packed.buf.length) principals.push(packed.string().toString('utf8'));
  const validAfter = w.u64();
  const validBefore = w.u64();
  const criticalOptions = w.string();
  w.string(); // extensions
  w.string(); // reserved
  const caKey = w.string();
  const signedEnd = w.at;
  const sig = new Wire(w.string());
  return { key, type, keyId, principals, validAfter, validBefore, criticalOptions, caKey, signatureAlgo: sig.string().toString('latin1'), signature: sig.string(), signed: blob.subarray(0, signedEnd) };
}

/** SSH's ECDSA signature (mpint r, mpint s) as the fixed-width r‖s Node verifies. */
function ecdsaP1363(sig: Buffer, bytes: number): Buffer {
  const w = new Wire(sig);
  const fixed = (m: Buffer) => {
    const v = m[0] === 0 ? m.subarray(1) : m;
    return Buffer.concat([Buffer.alloc(Math.max(0, bytes - v.length)), v]);
  };
  return Buffer.concat([fixed(w.string()), fixed(w.string())]);
}

function caPublicKey(blob: Buffer): KeyObject {
  const parsed = utils.parseKey(`${new Wire(blob).string().toString('latin1')} ${blob.toString('base64')}`);
  if (parsed instanceof Error) throw new Error(`the certificate's CA key cannot be read: ${parsed.message}`);
  return createPublicKey(parsed.getPublicPEM());
}

/** Does the CA's signature cover the certificate? */
function signedByCa(c: HostCertificate): boolean {
  // The algorithm must be one of the CA key's own (a P-256 CA signs with SHA-256 only; RSA with SHA-2).
  const caType = new Wire(c.caKey).string().toString('latin1');
  const allowed = caType === 'ssh-rsa' ? ['rsa-sha2-256', 'rsa-sha2-512'] : [caType];
  if (!allowed.includes(c.signatureAlgo)) throw new Error(`certificate signed with ${c.signatureAlgo}, which a ${caType} CA key does not make (ssh-rsa/SHA-1 is not accepted)`);
  const ca = caPublicKey(c.caKey);
  const hash: Record<string, string | null> = { 'ssh-ed25519': null, 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256', 'ecdsa-sha2-nistp256': 'sha256', 'ecdsa-sha2-nistp384': 'sha384', 'ecdsa-sha2-nistp521': 'sha512' };
  if (!(c.signatureAlgo in hash)) throw new Error(`certificate signed with ${c.signatureAlgo}, which is not accepted (ssh-rsa/SHA-1 is not)`);
  const width: Record<string, number> = { 'ecdsa-sha2-nistp256': 32, 'ecdsa-sha2-nistp384': 48, 'ecdsa-sha2-nistp521': 66 };
  const w = width[c.signatureAlgo];
  return verify(hash[c.signatureAlgo]!, c.signed, w ? { key: ca, dsaEncoding: 'ieee-p1363' } : ca, w ? ecdsaP1363(c.signature, w) : c.signature);
}

/**
 * Check a host's certificate for the key it presented: undefined when it holds, else why not. `cas` are
 * the @cert-authority keys known_hosts names for the host; `name` what it was looked up as.
 */
export function checkHostCertificate(cert: Buffer, o: { presented: Buffer; cas: Buffer[]; revoked: Buffer[]; name: string; now?: Date }): string | undefined {
  let c: HostCertificate;
  try {
    c = parseCertificate(cert);
  } catch (err) {
    return `its certificate cannot be read: ${(err as Error).message}`;
  }
  if (!c.key.equals(o.presented)) return 'its certificate is for another key than the one it presented';
  if (c.type !== 'host') return 'its certificate is a user certificate, not a host certificate';
  if (!o.cas.some((ca) => ca.equals(c.caKey))) return `its certificate is signed by ${fingerprint(c.caKey)}, which is not a @cert-authority for ${o.name}`;
  if (o.revoked.some((r) => r.equals(c.caKey) || r.equals(c.key))) return 'its certificate or its CA is marked @revoked';
  try {
    if (!signedByCa(c)) return 'its certificate\'s signature does not verify';
  } catch (err) {
    return (err as Error).message;
  }
  const now = BigInt(Math.floor((o.now ?? new Date()).getTime() / 1000));
  if (now < c.validAfter || now >= c.validBefore) return `its certificate "${c.keyId}" is not valid now`;
  if (c.principals.length > 0 && !c.principals.includes(o.name)) return `its certificate "${c.keyId}" is for ${c.principals.join(', ')}, not ${o.name}`;
  if (c.criticalOptions.length > 0) return 'its certificate has critical options, which a host certificate must not';
  return undefined;
}
