// Hosts behind a bastion, reached as engineers reach private cloud VMs: by ssh_config alias only
// (`lab up --bastion` writes the config; the guests' management network is out of this machine's reach).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { appendFile, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labLayout, labUp, type LabOptions } from '../../src/lab/lab.js';
import { labAvailable, stopSshd, testLab } from '../helpers/lab.js';
import { SshHost } from '../../src/hosts/ssh.js';
import { resolveEndpoint } from '../../src/hosts/ssh-config.js';
import { onlyRunDir, records, scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

/** Can this machine open a TCP connection to address:22 itself (not through the bastion)? */
function reachable(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port: 22, timeout: 1000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

describe.skipIf(!labAvailable())('a lab behind a bastion, by ssh_config alias', () => {
  let o: LabOptions;
  let l: ReturnType<typeof labLayout>;
  const scenario = (config: string, extra = '') =>
    scenarioFile(`name: it-bastion
hosts:
  vm1: { ssh: ${o.prefix}-vm1, data: ${l.data.vm1} }
  vm2: { ssh: ${o.prefix}-vm2, data: ${l.data.vm2} }
pairs: [{ client: vm1, server: vm2 }]
${VF_PV_VARIANTS}verify: { source: sysfs, accelerated: vf0, synthetic: pv0 }
repeat: 1
ssh: { config: ${config}, connect_timeout: 5s }
tests:
  - tool: netperf
    test: TCP_RR
    duration: 1s
${extra}`);

  beforeAll(async () => {
    const { options } = testLab();
    // The partial-lab tests' block (lab.test.ts), free while this file runs: files run one at a time.
    o = { ...options, prefix: `${options.prefix}b`, block: options.block + 1, rules: 10, bastion: true };
    l = labLayout(o);
    await labUp(o);
  });

  // Temporary folders hold private keys (CAs, a copy of a host key): removed with the lab.
  const temps: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'vfb-bastion-'));
    temps.push(d);
    return d;
  };

  afterAll(async () => {
    if (o) await labDown(o);
    for (const d of temps) await rm(d, { recursive: true, force: true });
  });

  it('runs a scenario naming hosts only by alias, through the bastion; the guests are out of direct reach', async () => {
    expect(await reachable(l.mgmt.vm1!)).toBe(false);
    expect(await reachable(l.bastion.address)).toBe(true);
    const s = await scenario(l.bastion.sshConfigPath);
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze']);
    expect(r.exitCode, r.all).toBe(0);
    const recs = await records(await onlyRunDir(s.results, 'it-bastion'));
    expect(recs.map((x) => [x.variant, x.status, x.verification?.observed])).toEqual([
      ['pv', 'ok', 'synthetic'],
      ['vf', 'ok', 'accelerated'],
    ]);
  });

  it('refuses a bastion whose host key changed, naming it, and runs nothing', async () => {
    const dir = await tempDir();
    // A copy of the lab's known_hosts in which the bastion's key is another one.
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const other = (await readFile(join(dir, 'other.pub'), 'utf8')).trim().split(/\s+/);
    const known = (await readFile(l.knownHostsPath, 'utf8')).split('\n').map((line) => (line.startsWith(`${l.bastion.address} `) ? `${l.bastion.address} ${other[0]} ${other[1]}` : line));
    await writeFile(join(dir, 'known_hosts'), known.join('\n'));
    await writeFile(join(dir, 'ssh_config'), (await readFile(l.bastion.sshConfigPath, 'utf8')).replaceAll(l.knownHostsPath, join(dir, 'known_hosts')));
    const s = await scenario(join(dir, 'ssh_config'));
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze']);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toContain(`(bastion ${o.prefix}-bastion): HOST KEY CHANGED for ${l.bastion.address}`);
    expect(r.stderr).not.toContain('trials to run');
  });

  it('checks a host certificate behind the bastion, fetched on the bastion itself', async () => {
    const dir = await tempDir();
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
    await copyFile(join(l.dir, 'vm1', 'ssh_host_ed25519_key'), join(dir, 'host'));
    await copyFile(join(l.dir, 'vm1', 'ssh_host_ed25519_key.pub'), join(dir, 'host.pub'));
    await execa('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'vm1', '-h', '-n', l.mgmt.vm1!, '-V', '-1h:+1h', join(dir, 'host.pub')]);
    const sshd = (await readFile(join(l.dir, 'vm1', 'sshd_config'), 'utf8')).replace('Port 22', 'Port 2223').replace(/HostKey .*/, `HostKey ${dir}/host\nHostCertificate ${dir}/host-cert.pub`).replace(/PidFile .*/, `PidFile ${dir}/sshd.pid`);
    await writeFile(join(dir, 'sshd_config'), sshd);
    await execa('ip', ['netns', 'exec', l.namespaces.vm1!, '/usr/sbin/sshd', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'log')]);
    try {
      // Only the bastion's own key and the CA are on file: vm1's key is known through its certificate.
      const bastionLine = (await readFile(l.knownHostsPath, 'utf8')).split('\n').find((x) => x.startsWith(`${l.bastion.address} `))!;
      await writeFile(join(dir, 'known_hosts'), `${bastionLine}\n@cert-authority [${l.mgmt.vm1}]:2223 ${(await readFile(join(dir, 'ca.pub'), 'utf8')).trim()}\n`);
      const cfg = (await readFile(l.bastion.sshConfigPath, 'utf8')).replaceAll(l.knownHostsPath, join(dir, 'known_hosts')) + `Host certvm\n  HostName ${l.mgmt.vm1}\n  Port 2223\n  User root\n  IdentityFile ${l.keyPath}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  ProxyJump ${o.prefix}-bastion\n`;
      await writeFile(join(dir, 'ssh_config'), cfg);
      for (let i = 0; i < 50 && !(await execa('ip', ['netns', 'exec', l.namespaces.vm1!, 'ss', '-Hltn', 'sport = :2223'])).stdout.trim(); i++) await new Promise((r) => setTimeout(r, 100));
      const h = await SshHost.connect({ name: 'certvm', endpoint: await resolveEndpoint('certvm', join(dir, 'ssh_config')), acceptNewHostKeys: false, connectTimeoutMs: 5000, commandTimeoutMs: 20_000 });
      try {
        expect((await h.run(['cat', '/proc/sys/kernel/hostname'])).length).toBeGreaterThan(0);
        expect(h.describe()).toBe(`root@${l.mgmt.vm1}:2223 via ${o.prefix}-bastion`);
      } finally {
        await h.close();
      }
    } finally {
      await stopSshd(join(dir, 'sshd.pid'));
    }
  });

  it('logs in with a passphrase-protected key held by ssh-agent, and says how when no agent holds it', async () => {
    const dir = await tempDir();
    const key = join(dir, 'id_locked');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', key]);
    const authorized = join(l.dir, 'authorized_keys');
    const before = await readFile(authorized, 'utf8');
    const sock = join(dir, 'agent.sock');
    const agent = execa('ssh-agent', ['-D', '-a', sock], { reject: false });
    try {
      await appendFile(authorized, await readFile(`${key}.pub`, 'utf8'));
      await writeFile(join(dir, 'ssh_config'), (await readFile(l.bastion.sshConfigPath, 'utf8')).replaceAll(l.keyPath, key));
      // Without an agent holding it, the key cannot be used here (no terminal to ask on): a clear refusal.
      const s = await scenario(join(dir, 'ssh_config'));
      const locked = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { SSH_AUTH_SOCK: '' } });
      expect(locked.exitCode, locked.all).toBe(4);
      expect(locked.stderr).toContain(`${key} has a passphrase: add it to ssh-agent (ssh-add ${key})`);
      // ssh-add reads the passphrase from an askpass program, as it would from a desktop prompt.
      await writeFile(join(dir, 'askpass'), "#!/bin/sh\necho 'correct horse'\n", { mode: 0o700 });
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
      await execa('ssh-add', [key], { env: { SSH_AUTH_SOCK: sock, SSH_ASKPASS: join(dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }, stdin: 'ignore' });
      const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { SSH_AUTH_SOCK: sock } });
      expect(r.exitCode, r.all).toBe(0);
    } finally {
      agent.kill('SIGTERM');
      await agent;
      await writeFile(authorized, before);
    }
  });
});
