// Host certificates made by the real ssh-keygen (ed25519, ECDSA and RSA CAs), checked as ssh checks them.
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostCertificate, parseCertificate } from '../../src/hosts/host-cert.js';

const blob = async (file: string) => Buffer.from((await readFile(file, 'utf8')).trim().split(/\s+/)[1]!, 'base64');

/** Folders with private keys (CAs, hosts): removed after the tests. */
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A host key and a CA of the given type, and the host key's certificate signed with `signArgs`. */
async function issue(caType: string, signArgs: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'vfb-cert-'));
  dirs.push(dir);
  await execa('ssh-keygen', ['-q', '-t', caType, '-N', '', '-f', join(dir, 'ca')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
  await execa('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'vm1-host', ...signArgs, join(dir, 'host.pub')]);
  return { cert: await blob(join(dir, 'host-cert.pub')), host: await blob(join(dir, 'host.pub')), ca: await blob(join(dir, 'ca.pub')) };
}

describe('host certificates', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'])('accepts a host certificate signed by a %s CA, for its key, principal and time', async (caType) => {
    const k = await issue(caType, ['-h', '-n', '198.18.0.11,vm1.example', '-V', '-1d:+1d']);
    const c = parseCertificate(k.cert);
    expect(c).toMatchObject({ type: 'host', keyId: 'vm1-host', principals: ['198.18.0.11', 'vm1.example'] });
    expect(c.key.equals(k.host)).toBe(true);
    const ok = { presented: k.host, cas: [k.ca], revoked: [], name: 'vm1.example' };
    expect(checkHostCertificate(k.cert, ok)).toBeUndefined();
    // Each condition on its own refuses it.
    expect(checkHostCertificate(k.cert, { ...ok, name: 'vm2.example' })).toMatch(/is for 198\.18\.0\.11, vm1\.example, not vm2\.example/);
    expect(checkHostCertificate(k.cert, { ...ok, cas: [k.host] })).toMatch(/not a @cert-authority/);
    expect(checkHostCertificate(k.cert, { ...ok, presented: k.ca })).toMatch(/another key/);
    expect(checkHostCertificate(k.cert, { ...ok, revoked: [k.ca] })).toMatch(/@revoked/);
    expect(checkHostCertificate(k.cert, { ...ok, now: new Date(Date.now() + 3 * 86400_000) })).toMatch(/not valid now/);
    const forged = Buffer.from(k.cert);
    forged[forged.length - 10]! ^= 1; // a bit of the signature
    expect(checkHostCertificate(forged, ok)).toMatch(/signature does not verify/);
  });

  it('refuses a user certificate, and one with no principals is valid for any host (as OpenSSH)', async () => {
    const user = await issue('ed25519', ['-n', 'root']);
    expect(checkHostCertificate(user.cert, { presented: user.host, cas: [user.ca], revoked: [], name: 'root' })).toMatch(/user certificate/);
    const any = await issue('ed25519', ['-h']);
    expect(checkHostCertificate(any.cert, { presented: any.host, cas: [any.ca], revoked: [], name: 'whatever' })).toBeUndefined();
  });
});
