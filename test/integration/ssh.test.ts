// Hosts over real SSH: the lab's sshd, real host keys, real processes in the VM namespaces.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshHost } from '../../src/hosts/ssh.js';
import { resolveEndpoint } from '../../src/hosts/ssh-config.js';
import { ops, ConnectionLost } from '../../src/hosts/host.js';
import { labLayout } from '../../src/lab/lab.js';
import { killSessions, labAvailable, loginsTo, processesIn, stopSshd, testLab, until } from '../helpers/lab.js';

async function connect(knownHostsPath: string, acceptNewHostKeys = false): Promise<SshHost> {
  const { inventory } = testLab();
  const vm1 = inventory.hosts.vm1!;
  return SshHost.connect({
    name: 'vm1',
    endpoint: await resolveEndpoint(vm1.ssh),
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

  it('starts a background server, sees it listen, stops it and leaves nothing', async () => {
    const { ns, inventory } = testLab();
    const h = await connect(inventory.hosts.vm1!.known_hosts);
    try {
      const p = await h.call(ops.start({ job: 'srv', argv: ['sockperf', 'server', '-i', inventory.hosts.vm1!.data, '-p', 11190], lifeS: 60, ready: { protocol: 'udp', port: 11190, timeoutS: 5 } }));
      expect(p.ready).toBe(true);
      expect(await processesIn(ns.vm1)).toContain('sockperf');
      const stopped = await h.call(ops.stop(['srv']));
      expect(stopped.srv).toMatchObject({ running: false, killed: false });
      expect(await processesIn(ns.vm1)).not.toContain('sockperf');
      expect(await h.readFile(p.stdout!)).toContain('sockperf');
    } finally {
      await h.close();
    }
    // The agent is gone with its folder: nothing of vfbench is left in the VM.
    expect(await processesIn(ns.vm1)).toEqual([]);
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
        endpoint: await resolveEndpoint(inventory.hosts.vm1!.ssh),
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
        SshHost.connect({ name: 'vm1', endpoint: await resolveEndpoint(inventory.hosts.vm1!.ssh), knownHostsPath: inventory.hosts.vm1!.known_hosts, acceptNewHostKeys: false, connectTimeoutMs: 5000, commandTimeoutMs: 10_000 }),
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

/** A request in flight when the connection drops may or may not have run: the caller asks again once reconnected. */
async function waitAcrossDrop(h: SshHost, job: string) {
  try {
    return await h.call(ops.wait(job, 20));
  } catch (err) {
    if (!(err instanceof ConnectionLost)) throw err;
    return h.call(ops.wait(job, 20));
  }
}

describe.skipIf(!labAvailable())('host certificates', () => {
  it('accepts a host by its certificate from a @cert-authority, and refuses one from another CA', async () => {
    const { inventory, ns, options } = testLab();
    const l = labLayout(options);
    const dir = await mkdtemp(join(tmpdir(), 'vfb-cert-'));
    // A second sshd on port 2223 with two host keys: vm1's ed25519 key (no certificate), which clients
    // prefer, and an RSA key a CA certified for vm1's address: vfbench must ask for the certified type.
    for (const ca of ['ca', 'other-ca']) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, ca)]);
    await copyFile(join(l.dir, 'vm1', 'ssh_host_ed25519_key'), join(dir, 'host'));
    await copyFile(join(l.dir, 'vm1', 'ssh_host_ed25519_key.pub'), join(dir, 'host.pub'));
    await execa('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'rsa')]);
    await execa('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'vm1', '-h', '-n', mgmtAddress(), '-V', '-1h:+1h', join(dir, 'rsa.pub')]);
    const config = (await readFile(join(l.dir, 'vm1', 'sshd_config'), 'utf8')).replace('Port 22', 'Port 2223').replace(/HostKey .*/, `HostKey ${dir}/host\nHostKey ${dir}/rsa\nHostCertificate ${dir}/rsa-cert.pub`).replace(/PidFile .*/, `PidFile ${dir}/sshd.pid`);
    await writeFile(join(dir, 'sshd_config'), config);
    await execa('ip', ['netns', 'exec', ns.vm1, '/usr/sbin/sshd', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'log')]);
    const vm1 = inventory.hosts.vm1!;
    const connectWith = async (ca: string) => {
      await writeFile(join(dir, 'known_hosts'), `@cert-authority [${mgmtAddress()}]:2223 ${(await readFile(join(dir, `${ca}.pub`), 'utf8')).trim()}\n`);
      return SshHost.connect({ name: 'vm1', endpoint: await resolveEndpoint(`${vm1.ssh}:2223`), keyPath: vm1.key, knownHostsPath: join(dir, 'known_hosts'), acceptNewHostKeys: true, connectTimeoutMs: 5000, commandTimeoutMs: 20_000 });
    };
    try {
      await until('the sshd with a certificate', async () => (await execa('ip', ['netns', 'exec', ns.vm1, 'ss', '-Hltn', 'sport = :2223'])).stdout.trim() !== '', 5000);
      const h = await connectWith('ca');
      expect((await h.run(['id', '-u'])).trim()).toBe('0');
      await h.close();
      // Another CA: refused, saying why; accept-new does not record the plain key of a host with a CA.
      await expect(connectWith('other-ca')).rejects.toThrow(/@cert-authority .* but no certificate of its holds: its certificate is signed by SHA256:/);
      expect((await readFile(join(dir, 'known_hosts'), 'utf8')).trim().split('\n')).toHaveLength(1); // only the CA line
      // HostKeyAlias: the key is on file under the bare alias, whatever the port (as OpenSSH records it).
      await writeFile(join(dir, 'alias_known_hosts'), `vm1-alias ${(await readFile(join(dir, 'host.pub'), 'utf8')).trim().split(' ').slice(0, 2).join(' ')}\n`);
      await writeFile(join(dir, 'ssh_config'), `Host aliased\n  HostName ${mgmtAddress()}\n  Port 2223\n  User root\n  HostKeyAlias vm1-alias\n  UserKnownHostsFile ${join(dir, 'alias_known_hosts')}\n`);
      const a = await SshHost.connect({ name: 'vm1', endpoint: await resolveEndpoint('aliased', join(dir, 'ssh_config')), keyPath: vm1.key, acceptNewHostKeys: false, commandTimeoutMs: 20_000 });
      await a.close();
    } finally {
      await stopSshd(join(dir, 'sshd.pid'));
      await rm(dir, { recursive: true, force: true }); // a CA's private key, a copy of vm1's host key
    }
  });
});

describe.skipIf(!labAvailable())('one connection, one login, surviving a drop', () => {
  it('costs one login for a whole session of commands, jobs and files', async () => {
    const { inventory } = testLab();
    const before = await loginsTo(mgmtAddress());
    const h = await connect(inventory.hosts.vm1!.known_hosts);
    try {
      for (let i = 0; i < 10; i++) await h.run(['true']);
      await h.call(ops.start({ job: 'j', argv: ['true'], lifeS: 5 }));
      await h.call(ops.wait('j', 5));
      await h.readFile('/etc/hostname');
    } finally {
      await h.close();
    }
    expect((await loginsTo(mgmtAddress())) - before).toBe(1);
  });

  it('reconnects after its sshd was killed and finds its job still running in the same agent', async () => {
    const { inventory, ns } = testLab();
    const h = await connect(inventory.hosts.vm1!.known_hosts);
    const events: string[] = [];
    h.onEvent = (e) => events.push(e.type === 'reconnected' ? `reconnected adopted=${e.adopted}` : e.type);
    try {
      const pid = h.agent!.pid;
      await h.call(ops.start({ job: 'long', argv: ['sh', '-c', 'sleep 2; echo done; exit 4'], lifeS: 30 }));
      await killSessions(ns.vm1);
      const w = await waitAcrossDrop(h, 'long');
      expect(w).toMatchObject({ running: false, rc: 4 });
      expect(await h.readFile(w.stdout)).toBe('done\n');
      expect(h.agent!.pid).toBe(pid);
      expect(events).toEqual(['lost', 'reconnected adopted=true']);
    } finally {
      await h.close();
    }
  });

  it('reattaches through a relay when the sshd refuses stream-local forwarding', async () => {
    const { inventory, ns, options } = testLab();
    // A second sshd in the VM, on port 2222, with DisableForwarding (hardened hosts often have it).
    const l = labLayout(options);
    const dir = await mkdtemp(join(tmpdir(), 'vfb-sshd-'));
    const config = (await readFile(join(l.dir, 'vm1', 'sshd_config'), 'utf8')).replace('Port 22', 'Port 2222').replace(/PidFile .*/, `PidFile ${dir}/sshd.pid`) + 'DisableForwarding yes\n';
    await writeFile(join(dir, 'sshd_config'), config);
    await execa('ip', ['netns', 'exec', ns.vm1, '/usr/sbin/sshd', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'log')]);
    const key = (await readFile(inventory.hosts.vm1!.known_hosts, 'utf8')).split('\n').find((x) => x.startsWith(`${mgmtAddress()} `))!.split(' ').slice(1).join(' ');
    await writeFile(join(dir, 'known_hosts'), `[${mgmtAddress()}]:2222 ${key}\n`);
    const vm1 = inventory.hosts.vm1!;
    try {
      await until('the second sshd', async () => (await execa('ip', ['netns', 'exec', ns.vm1, 'ss', '-Hltn', 'sport = :2222'])).stdout.trim() !== '', 5000);
      const h = await SshHost.connect({ name: 'vm1', endpoint: await resolveEndpoint(`${vm1.ssh}:2222`), keyPath: vm1.key, knownHostsPath: join(dir, 'known_hosts'), acceptNewHostKeys: false, connectTimeoutMs: 5000, commandTimeoutMs: 20_000 });
      const events: string[] = [];
      h.onEvent = (e) => events.push(e.type === 'reconnected' ? `reconnected adopted=${e.adopted}` : e.type);
      try {
        await h.call(ops.start({ job: 'long', argv: ['sh', '-c', 'sleep 2; exit 6'], lifeS: 30 }));
        await killSessions(ns.vm1, Number(await readFile(join(dir, 'sshd.pid'), 'utf8')));
        expect((await waitAcrossDrop(h, 'long')).rc).toBe(6);
        expect(events).toEqual(['lost', 'reconnected adopted=true']);
      } finally {
        await h.close();
      }
    } finally {
      await stopSshd(join(dir, 'sshd.pid'));
    }
  });
});

describe.skipIf(!labAvailable())('file transfer and readiness in one round trip', () => {
  it('reads several files byte-exact, including binary and missing ones', async () => {
    const h = await connect(testLab().inventory.hosts.vm1!.known_hosts);
    try {
      const dir = h.agent!.dir;
      await h.run(['sh', '-c', 'printf "a\\033[2;35mb\\n\\000\\377" > "$1/bin"; printf "" > "$1/empty"', 'x', dir]);
      const b = h.batch();
      const got = b.add(ops.fetch([`${dir}/bin`, `${dir}/missing`, `${dir}/empty`]));
      // A server that cannot listen (nothing listens on the port) is reported as not ready, in the same round trip.
      const notReady = b.add(ops.start({ job: 'b', argv: ['sleep', '30'], lifeS: 60, ready: { protocol: 'tcp', port: 11192, timeoutS: 0.3 } }));
      const n = h.requests;
      await b.send(10_000);
      expect(h.requests - n).toBe(1);
      expect([...got.value[0]!.data!]).toEqual([0x61, 0x1b, ...Buffer.from('[2;35mb\n'), 0x00, 0xff]);
      expect(got.value[1]).toBeUndefined();
      expect(got.value[2]!.data!.length).toBe(0);
      expect(notReady.value).toMatchObject({ started: true, ready: false, job: { running: true } });
      expect((await h.call(ops.stop(['b']))).b!.running).toBe(false);
    } finally {
      await h.close();
    }
  });
});
