import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, fingerprint, keyType, lookupKnownKeys } from '../../src/hosts/known-hosts.js';

async function newKey(dir: string, name: string): Promise<{ blob: Buffer; line: string; fp: string }> {
  const path = join(dir, name);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  const pub = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/);
  // OpenSSH's own fingerprint, to compare ours with.
  const fp = (await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`])).stdout.split(/\s+/)[1]!;
  return { blob: Buffer.from(pub[1]!, 'base64'), line: `${pub[0]} ${pub[1]}`, fp };
}

describe('known_hosts', () => {
  it('computes the same fingerprint as ssh-keygen and reads the key type', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-kh-'));
    const k = await newKey(dir, 'a');
    expect(fingerprint(k.blob)).toBe(k.fp);
    expect(keyType(k.blob)).toBe('ssh-ed25519');
  });

  it('finds plain, hashed and [host]:port entries the way OpenSSH does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-kh-'));
    const a = await newKey(dir, 'a');
    const b = await newKey(dir, 'b');
    const file = join(dir, 'known_hosts');
    await writeFile(file, `198.18.0.11 ${a.line}\n[198.18.0.12]:2222 ${b.line}\n`);
    await execa('ssh-keygen', ['-H', '-f', file]); // hash every entry, as HashKnownHosts does
    expect((await readFile(file, 'utf8')).includes('198.18.0.11')).toBe(false);
    const found = await lookupKnownKeys(file, '198.18.0.11', 22);
    expect(found.map((k) => k.blob.equals(a.blob))).toEqual([true]);
    expect((await lookupKnownKeys(file, '198.18.0.12', 2222))[0]!.blob.equals(b.blob)).toBe(true);
    expect(await lookupKnownKeys(file, '198.18.0.12', 22)).toEqual([]);
    expect(await lookupKnownKeys(join(dir, 'absent'), '198.18.0.11', 22)).toEqual([]);
  });

  it('refuses unknown and changed keys, naming the fingerprint; accept-new adds only unknown hosts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-kh-'));
    const a = await newKey(dir, 'a');
    const b = await newKey(dir, 'b');
    const file = join(dir, 'known_hosts');
    const base = { file, host: '198.18.0.11', port: 22 };

    const unknown = await checkHostKey({ ...base, presented: a.blob, known: [], acceptNew: false });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.reason).toContain(a.fp);

    const added = await checkHostKey({ ...base, presented: a.blob, known: [], acceptNew: true });
    expect(added).toEqual({ ok: true, added: true });
    const known = await lookupKnownKeys(file, '198.18.0.11', 22);
    expect(known).toHaveLength(1);
    expect(await checkHostKey({ ...base, presented: a.blob, known, acceptNew: false })).toEqual({ ok: true });

    const changed = await checkHostKey({ ...base, presented: b.blob, known, acceptNew: true });
    expect(changed.ok).toBe(false);
    expect(!changed.ok && changed.reason).toContain('HOST KEY CHANGED');
    expect(!changed.ok && changed.reason).toContain(b.fp);
    expect(!changed.ok && changed.reason).toContain(a.fp);
  });
});
