// The lab's jump host (`vfbench lab up --bastion`): a namespace with its own sshd that is the only way from
// this machine to the guests' management network, as a cloud bastion is. It writes an ssh_config naming
// the bastion and every guest by alias (ProxyJump through the bastion), so scenarios and tests reach the
// guests the way engineers reach private VMs: `ssh: <prefix>-vm1` and nothing else.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { inNs, run } from './exec.js';
import { EnvironmentError } from '../util/errors.js';
import type { LabLayout } from './lab.js';

/** Build the bastion; returns its known_hosts line. The management bridge must exist and carry no address. */
export async function buildBastion(l: LabLayout, prefix: string, sshd: string): Promise<string> {
  const b = l.bastion;
  await run('ip', ['netns', 'add', b.namespace]);
  await run('ip', ['-n', b.namespace, 'link', 'set', 'lo', 'up']);
  await inNs(b.namespace, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  // Uplink: this machine ↔ the bastion (the only address of the lab this machine can reach).
  await run('ip', ['link', 'add', `${prefix}-b0`, 'type', 'veth', 'peer', 'name', `${prefix}-b1`, 'netns', b.namespace]);
  await run('ip', ['-n', b.namespace, 'link', 'set', `${prefix}-b1`, 'name', 'uplink0']);
  await run('ip', ['addr', 'add', `${b.uplinkNet}.1/24`, 'dev', `${prefix}-b0`]);
  await run('ip', ['link', 'set', `${prefix}-b0`, 'up']);
  await run('ip', ['-n', b.namespace, 'addr', 'add', `${b.address}/24`, 'dev', 'uplink0']);
  await run('ip', ['-n', b.namespace, 'link', 'set', 'uplink0', 'up']);
  // Its leg on the management network; it forwards no packets (ip_forward stays 0): only SSH jumps.
  await run('ip', ['link', 'add', `${prefix}-bm`, 'type', 'veth', 'peer', 'name', `${prefix}-bg`, 'netns', b.namespace]);
  await run('ip', ['-n', b.namespace, 'link', 'set', `${prefix}-bg`, 'name', 'mgmt0']);
  await run('ip', ['link', 'set', `${prefix}-bm`, 'master', l.mgmtBridge, 'up']);
  await run('ip', ['-n', b.namespace, 'addr', 'add', `${b.mgmtAddress}/24`, 'dev', 'mgmt0']);
  await run('ip', ['-n', b.namespace, 'link', 'set', 'mgmt0', 'up']);
  const d = join(l.dir, 'bastion');
  await mkdir(d, { recursive: true, mode: 0o700 });
  const hostKey = join(d, 'ssh_host_ed25519_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${prefix}-bastion`, '-f', hostKey]);
  await writeFile(join(d, 'sshd_config'), sshd);
  await inNs(b.namespace, '/usr/sbin/sshd', '-f', join(d, 'sshd_config'), '-E', join(d, 'sshd.log'));
  const pub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
  return `${b.address} ${pub[0]} ${pub[1]}`;
}

/** The ssh_config of a lab behind its bastion: `<prefix>-bastion` and `<prefix>-vmN`, all with the lab's key. */
export function bastionSshConfig(l: LabLayout, prefix: string): string {
  const common = ['  User root', `  IdentityFile ${l.keyPath}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${l.knownHostsPath}`, '  GlobalKnownHostsFile /dev/null'];
  const blocks = [`# vfbench lab ${prefix}: the guests are reachable only through ${prefix}-bastion`, `Host ${prefix}-bastion`, `  HostName ${l.bastion.address}`, ...common, ''];
  for (const vm of l.vms) blocks.push(`Host ${prefix}-${vm}`, `  HostName ${l.mgmt[vm]!}`, ...common, `  ProxyJump ${prefix}-bastion`, '');
  return blocks.join('\n');
}

/** Wait until an sshd listens on port 22 inside a namespace (this machine cannot connect behind a bastion). */
export async function waitForSshdIn(ns: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await execa('ip', ['netns', 'exec', ns, 'ss', '-Hltn', 'sport = :22'], { reject: false });
    if (r.stdout.trim()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new EnvironmentError(`lab: no sshd listening in ${ns} after ${timeoutMs} ms`);
}
