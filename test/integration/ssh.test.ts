// Hosts over real SSH: the lab's sshd, real host keys, real processes in the VM namespaces.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshHost, parseSshTarget } from '../../src/hosts/ssh.js';
import { labLayout } from '../../src/lab/lab.js';
import { labAvailable, processesIn, testLab } from '../helpers/lab.js';

async function connect(knownHostsPath: string, acceptNewHostKeys = false): Promise<SshHost> {
  const { inventory } = testLab();
  const vm1 = inventory.hosts.vm1!;
  return SshHost.connect({
    name: 'vm1',
    target: parseSshTarget(vm1.ssh),
    keyPath: vm1.key,
    knownHostsPath,
    acceptNewHostKeys,
    connectTimeoutMs: 5000,
    commandTimeoutMs: 20_000,
  });
}

/** The management address of the lab's vm1 (what known_hosts names). */
const mgmtAddress = () => testLab().inventory.hosts.vm1!.ssh.split('@')[1]!;

/** OpenSSH's fingerprint of the lab VM's host key, to find in our messages. */
async function hostFingerprint(): Promise<string> {
  const l = labLayout(testLab().options);
  const r = await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(l.dir, 'vm1', 'ssh_host_ed25519_key.pub')]);
  return r.stdout.split(/\s+/)[1]!;
}

describe.skipIf(!labAvailable())('hosts over SSH', () => {
  it('runs commands inside the VM with arguments passed intact', async () => {
    const h = await connect(testLab().inventory.hosts.vm1!.known_hosts);
    try {
      expect((await h.run(['cat', '/sys/class/net/vf0/mtu'])).trim()).toBe('1500');
      expect(await h.run(['printf', '%s|', "it's", 'a b', '$(id)'])).toBe("it's|a b|$(id)|");
      const r = await h.exec(['sh', '-c', 'echo oops >&2; exit 3']);
      expect(r).toMatchObject({ code: 3, stderr: 'oops\n', timedOut: false });
      // Many commands share the one connection, concurrently.
      const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => h.run(['echo', String(i)])));
      expect(outs.map((o) => Number(o.trim()))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await h.close();
    }
  });

  it('ends a command that outlives its timeout on the host itself', async () => {
    const { ns } = testLab();
    const h = await connect(testLab().inventory.hosts.vm1!.known_hosts);
    try {
      const t0 = Date.now();
      const r = await h.exec(['sleep', '37'], { timeoutMs: 700 });
      expect(r.timedOut).toBe(true);
      expect(Date.now() - t0).toBeLessThan(5000);
      await new Promise((res) => setTimeout(res, 1500));
      expect(await processesIn(ns.vm1)).not.toContain('sleep');
    } finally {
      await h.close();
    }
  });

  it('starts a background server, sees it listen, stops it by PID and leaves nothing', async () => {
    const { ns, inventory } = testLab();
    const h = await connect(inventory.hosts.vm1!.known_hosts);
    try {
      const dir = await h.mkdtemp('vfbench-test');
      const p = await h.start(['sockperf', 'server', '-i', inventory.hosts.vm1!.data, '-p', 11190], dir, 'srv');
      await h.waitListening('udp', 11190, 5000);
      expect(await h.isAlive(p.pid)).toBe(true);
      expect(await processesIn(ns.vm1)).toContain('sockperf');
      expect(await h.stop(p.pid)).toEqual({ killed: false });
      expect(await h.isAlive(p.pid)).toBe(false);
      expect(await processesIn(ns.vm1)).not.toContain('sockperf');
      expect(await h.readFile(p.stdoutPath)).toContain('sockperf');
      await expect(h.waitListening('udp', 11190, 300)).rejects.toThrow(/nothing listens on udp port 11190/);
      await h.run(['rm', '-rf', dir]);
    } finally {
      await h.close();
    }
  });

  it('refuses an unknown host key and names its fingerprint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-ssh-'));
    const empty = join(dir, 'known_hosts');
    await writeFile(empty, '');
    const fp = await hostFingerprint();
    await expect(connect(empty)).rejects.toThrow(`unknown host key for ${mgmtAddress()}: ssh-ed25519 ${fp}`);
  });

  it('refuses a changed host key, even with accept-new', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-ssh-'));
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const other = (await readFile(join(dir, 'other.pub'), 'utf8')).trim().split(/\s+/);
    const file = join(dir, 'known_hosts');
    await writeFile(file, `${mgmtAddress()} ${other[0]} ${other[1]}\n`);
    const fp = await hostFingerprint();
    await expect(connect(file, true)).rejects.toThrow(`HOST KEY CHANGED for ${mgmtAddress()}: it presented ssh-ed25519 ${fp}`);
  });

  it('with accept-new, records an unknown key once and then trusts it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-ssh-'));
    const file = join(dir, 'known_hosts');
    const h = await connect(file, true);
    await h.close();
    const line = (await readFile(file, 'utf8')).trim();
    const labKnown = await readFile(testLab().inventory.hosts.vm1!.known_hosts, 'utf8');
    expect(labKnown).toContain(line);
    const again = await connect(file, false);
    await again.close();
    expect((await readFile(file, 'utf8')).trim()).toBe(line);
  });

  it('authenticates through ssh-agent when no key file is named', async () => {
    const { inventory } = testLab();
    const dir = await mkdtemp(join(tmpdir(), 'vfb-agent-'));
    const sock = join(dir, 'agent.sock');
    const agent = await execa('ssh-agent', ['-a', sock, '-s']);
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)![1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      await execa('ssh-add', [inventory.hosts.vm1!.key], { env: { SSH_AUTH_SOCK: sock } });
      process.env.SSH_AUTH_SOCK = sock;
      const h = await SshHost.connect({
        name: 'vm1',
        target: parseSshTarget(inventory.hosts.vm1!.ssh),
        knownHostsPath: inventory.hosts.vm1!.known_hosts,
        acceptNewHostKeys: false,
        connectTimeoutMs: 5000,
        commandTimeoutMs: 10_000,
      });
      expect((await h.run(['id', '-u'])).trim()).toBe('0');
      await h.close();
      // With an empty agent the same connection is refused.
      await execa('ssh-add', ['-D'], { env: { SSH_AUTH_SOCK: sock } });
      await expect(
        SshHost.connect({ name: 'vm1', target: parseSshTarget(inventory.hosts.vm1!.ssh), knownHostsPath: inventory.hosts.vm1!.known_hosts, acceptNewHostKeys: false, connectTimeoutMs: 5000, commandTimeoutMs: 10_000 }),
      ).rejects.toThrow(/cannot connect/);
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      process.kill(pid);
    }
  });

  it('uses a copied known_hosts file with hashed names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-ssh-'));
    const file = join(dir, 'known_hosts');
    await copyFile(testLab().inventory.hosts.vm1!.known_hosts, file);
    await execa('ssh-keygen', ['-H', '-f', file]);
    const h = await connect(file);
    expect((await h.run(['hostname'])).length).toBeGreaterThan(0);
    await h.close();
  });
});

describe.skipIf(!labAvailable())('file transfer and readiness in one round trip', () => {
  it('reads several files byte-exact, including binary and missing ones', async () => {
    const h = await connect(testLab().inventory.hosts.vm1!.known_hosts);
    try {
      const dir = await h.mkdtemp('vfbench-test');
      await h.run(['sh', '-c', 'printf "a\\033[2;35mb\\n\\000\\377" > "$1/bin"; printf "" > "$1/empty"', 'x', dir]);
      const got = await h.readFiles([`${dir}/bin`, `${dir}/missing`, `${dir}/empty`]);
      expect([...got.get(`${dir}/bin`)!]).toEqual([0x61, 0x1b, ...Buffer.from('[2;35mb\n'), 0x00, 0xff]);
      expect(got.get(`${dir}/missing`)).toBeUndefined();
      expect(got.get(`${dir}/empty`)!.length).toBe(0);
      // A server that cannot listen (port taken) is reported as not ready, with its PID to stop.
      const first = await h.start(['sockperf', 'server', '-i', testLab().inventory.hosts.vm1!.data, '-p', 11191], dir, 'a', { ready: { protocol: 'udp', port: 11191, timeoutMs: 3000 } });
      expect(first.ready).toBe(true);
      const second = await h.start(['sleep', '30'], dir, 'b', { ready: { protocol: 'tcp', port: 11192, timeoutMs: 300 } });
      expect(second.ready).toBe(false);
      expect(await h.isAlive(second.pid)).toBe(true);
      await h.stop(first.pid);
      await h.stop(second.pid);
      expect(await h.isAlive(second.pid)).toBe(false);
      await h.run(['rm', '-rf', dir]);
    } finally {
      await h.close();
    }
  });
});
