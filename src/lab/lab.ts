// The lab: pairs of "VMs" in network namespaces (vm1-vm2, vm3-vm4, …), each pair with an accelerated
// path (vf0, a veth straight between its two VMs) and all of them with a synthetic path (pv0, through
// one shared vswitch namespace whose bridge makes every packet traverse an nftables chain). Each VM
// runs its own sshd on a management bridge in the root namespace.
//
// Addressing (all inside 198.18.0.0/15, the benchmarking range), for lab block B and VM number i:
//   management 198.18.(4B).0/24: root bridge .1, vm<i> .(10+i)
//   data       198.18.(4B+1).0/24: vm<i> .i on BOTH vf0 (prefix-route metric 10) and pv0 (metric 100)
// Why the address sits on both interfaces: the kernel flushes routes through a link that goes down and
// does not bring them back on up, but it does re-create an address's prefix route (with its metric)
// when the link comes up. So `ip link set vf0 down` falls back to pv0 and `up` returns to vf0 by itself,
// as an Azure guest falls back to its synthetic NIC when the VF goes away.
import { execa } from 'execa';
import { mkdir, readFile, rm, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:net';
import { EnvironmentError, UserError } from '../util/errors.js';
import { inNs, run } from './exec.js';
import { buildBastion, bastionSshConfig, waitForSshdIn } from './bastion.js';
import { defaultLabPrefix, labDir, vfbenchHome } from '../util/home.js';
import { quote } from '../util/shell.js';
import { DEFAULT_RULES, MAX_PAIRS } from './limits.js';

export { DEFAULT_RULES, MAX_PAIRS };

export interface LabOptions {
  /** Name prefix of namespaces and root links (1-6 characters), so several labs can coexist. */
  prefix: string;
  /** Address block 0..63: which /22 of 198.18.0.0/16 the lab uses. */
  block: number;
  /** Number of non-matching nftables rules every packet on the synthetic path traverses. */
  rules: number;
  /** Optional rate cap on the synthetic path (tc tbf rate, e.g. "2gbit"). */
  rateCap?: string;
  /** Client/server pairs (2 VMs each), all sharing the vswitch. */
  pairs?: number;
  /** Seconds every SSH login to a lab VM costs before its command runs, like a slow ~/.bashrc (0-30). */
  loginDelay?: number;
  /** State directory (keys, known_hosts, inventory). */
  home: string;
  /** Guests reachable only through a jump host with its own sshd (an ssh_config with ProxyJump is written). */
  bastion?: boolean;
}

export function defaultLabOptions(over: Partial<LabOptions> = {}): LabOptions {
  return {
    prefix: defaultLabPrefix(),
    block: Number(process.env.VFBENCH_LAB_BLOCK || 0),
    rules: DEFAULT_RULES,
    home: vfbenchHome(),
    ...over,
  };
}

export const ACCELERATED_IF = 'vf0';
export const SYNTHETIC_IF = 'pv0';

/** A value per VM; every lab has at least vm1 and vm2. */
export type PerVm = Record<string, string> & { vm1: string; vm2: string };

export interface LabLayout {
  dir: string;
  /** vm1 … vm<2·pairs>; pair k is vm<2k-1> (client) and vm<2k> (server). */
  vms: string[];
  /** Per VM and `vswitch`. */
  namespaces: PerVm & { vswitch: string };
  mgmtBridge: string;
  mgmtGateway: string;
  mgmt: PerVm;
  data: PerVm;
  keyPath: string;
  knownHostsPath: string;
  inventoryPath: string;
  statePath: string;
  /** The script every SSH login runs (sshd ForceCommand), the file with its delay, the log of logins. */
  loginScript: string;
  loginDelayPath: string;
  loginLogPath: string;
  /** With --bastion: its namespace, its address seen from this machine, and the ssh_config naming every host. */
  bastion: { namespace: string; address: string; uplinkNet: string; mgmtAddress: string; sshConfigPath: string };
}

const perVm = (vms: string[], f: (vm: string, i: number) => string): PerVm => Object.fromEntries(vms.map((vm, i) => [vm, f(vm, i)])) as PerVm;

export function labLayout(opts: LabOptions): LabLayout {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(opts.prefix)) {
    throw new UserError(`lab prefix must be 1-6 lowercase letters/digits starting with a letter, got "${opts.prefix}"`);
  }
  if (!Number.isInteger(opts.block) || opts.block < 0 || opts.block > 63) {
    throw new UserError(`lab block must be an integer 0..63, got ${opts.block}`);
  }
  const pairs = opts.pairs ?? 1;
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > MAX_PAIRS) {
    throw new UserError(`lab pairs must be an integer 1..${MAX_PAIRS}, got ${pairs}`);
  }
  const p = opts.prefix;
  const mgmtNet = `198.18.${opts.block * 4}`;
  const dataNet = `198.18.${opts.block * 4 + 1}`;
  const dir = labDir(p, opts.home);
  const vms = Array.from({ length: 2 * pairs }, (_, i) => `vm${i + 1}`);
  return {
    dir,
    vms,
    namespaces: { ...perVm(vms, (vm) => `${p}-${vm}`), vswitch: `${p}-vswitch` },
    mgmtBridge: `${p}-mgmt`,
    mgmtGateway: `${mgmtNet}.1`,
    mgmt: perVm(vms, (_, i) => `${mgmtNet}.${11 + i}`),
    data: perVm(vms, (_, i) => `${dataNet}.${i + 1}`),
    keyPath: join(dir, 'id_ed25519'),
    knownHostsPath: join(dir, 'known_hosts'),
    inventoryPath: join(dir, 'inventory.json'),
    statePath: join(dir, 'lab.json'),
    loginScript: join(dir, 'login.sh'),
    loginDelayPath: join(dir, 'login-delay'),
    loginLogPath: join(dir, 'logins.log'),
    bastion: {
      namespace: `${p}-bastion`,
      address: `198.18.${opts.block * 4 + 2}.2`,
      uplinkNet: `198.18.${opts.block * 4 + 2}`,
      mgmtAddress: `${mgmtNet}.2`,
      sshConfigPath: join(dir, 'ssh_config'),
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function checkLabPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new EnvironmentError('the lab needs root (network namespaces and links): run as root, e.g. `sudo vfbench lab up`');
  }
  for (const tool of ['ip', 'nft', 'tc', 'ssh-keygen', 'sshd']) {
    const found = await execa('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { reject: false });
    if (found.exitCode !== 0) {
      throw new EnvironmentError(`the lab needs \`${tool}\`, which is not installed: run scripts/setup.sh (or apt-get install iproute2 nftables openssh-server)`);
    }
  }
  const probe = `vfbprobe${process.pid}`;
  const r = await execa('ip', ['netns', 'add', probe], { reject: false });
  if (r.exitCode !== 0) {
    throw new EnvironmentError(`network namespaces are not available here (\`ip netns add\` failed: ${r.stderr.trim()}); the lab needs a Linux kernel with CONFIG_NET_NS and CAP_SYS_ADMIN`);
  }
  await execa('ip', ['netns', 'del', probe], { reject: false });
}

/**
 * What every SSH login to a lab VM runs: a line in the log of logins, the delay (a stand-in for a slow
 * ~/.bashrc, read with the shell's own `read`), then the asked command through /bin/sh, or a login shell.
 */
export function loginScript(delayPath: string, logPath: string): string {
  return [
    '#!/bin/sh',
    '# vfbench lab: every login waits the lab\'s --login-delay, as a VM with a slow ~/.bashrc does,',
    '# and is counted (client and server address) in logins.log.',
    `echo "$SSH_CONNECTION" >> ${quote(logPath)}`,
    `read -r d < ${quote(delayPath)} 2>/dev/null || d=0`,
    '[ "$d" = 0 ] || sleep "$d"',
    'if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"; fi',
    'exec "${SHELL:-/bin/sh}" -l',
    '',
  ].join('\n');
}

/** The nftables ruleset of the vswitch: `rules` non-matching rules in the bridge forward hook. */
export function vswitchRuleset(rules: number): string {
  const lines = ['table bridge vfbench {', '  chain forward {', '    type filter hook forward priority 0; policy accept;'];
  // Source addresses in 198.19.128.0/17 never occur in the lab, so every packet walks the whole chain.
  for (let i = 0; i < rules; i++) {
    lines.push(`    ip saddr 198.19.${128 + Math.floor(i / 250)}.${(i % 250) + 1} drop`);
  }
  lines.push('  }', '}');
  return lines.join('\n') + '\n';
}

/** The sshd of a lab VM (or of the bastion, `vm` = "bastion", listening on `address`). */
export function sshdConfig(l: LabLayout, vm: string, address = l.mgmt[vm]!): string {
  const d = join(l.dir, vm);
  return [
    `ListenAddress ${address}`,
    'Port 22',
    `HostKey ${join(d, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(d, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(l.dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    // Every login first waits the lab's --login-delay (read at each login), then runs what was asked.
    `ForceCommand ${l.loginScript}`,
    'MaxSessions 64',
    'MaxStartups 64:30:128',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

async function waitForPort(host: string, portNo: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port: portNo, timeout: 500 });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`lab: sshd on ${host}:${portNo} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LabInventory {
  lab: string;
  hosts: Record<string, { ssh: string; data: string; key: string; known_hosts: string }>;
  /** With --bastion: the hosts are aliases of this ssh_config. */
  ssh_config?: string;
  pairs: { client: string; server: string }[];
  interfaces: { accelerated: string; synthetic: string };
}

export interface LabStatus {
  up: boolean;
  namespaces: Record<string, boolean>;
  sshd: Record<string, boolean>;
  links: Record<string, string>;
  rules?: number;
  rateCap?: string;
  pairs?: number;
  loginDelay?: number;
  bastion?: boolean;
  inventory?: string;
}

interface LabState {
  rules: number;
  rateCap?: string | null;
  pairs?: number;
  loginDelay?: number;
  bastion?: boolean;
}

async function readState(l: LabLayout): Promise<LabState | undefined> {
  return readFile(l.statePath, 'utf8')
    .then((s) => JSON.parse(s) as LabState)
    .catch(() => undefined);
}

async function namespaceList(): Promise<Set<string>> {
  const out = await run('ip', ['-j', 'netns', 'list']).catch(() => '[]');
  const list = (out.trim() ? JSON.parse(out) : []) as { name: string }[];
  return new Set(list.map((n) => n.name));
}

export async function labStatus(opts: LabOptions): Promise<LabStatus> {
  // The lab that is there, whatever size was asked for now.
  const built = await readState(labLayout({ ...opts, pairs: 1 }));
  const l = labLayout({ ...opts, pairs: built?.pairs ?? opts.pairs ?? 1 });
  const present = await namespaceList();
  const namespaces: Record<string, boolean> = {};
  const sshd: Record<string, boolean> = {};
  const links: Record<string, string> = {};
  for (const [key, ns] of Object.entries(l.namespaces)) namespaces[key] = present.has(ns);
  if (built?.bastion) {
    namespaces.bastion = present.has(l.bastion.namespace);
    const pid = await readFile(join(l.dir, 'bastion', 'sshd.pid'), 'utf8').catch(() => '');
    sshd.bastion = pid.trim() !== '' && (await exists(`/proc/${pid.trim()}`));
  }
  for (const vm of l.vms) {
    sshd[vm] = false;
    if (!namespaces[vm]) continue;
    const pid = await readFile(join(l.dir, vm, 'sshd.pid'), 'utf8').catch(() => '');
    sshd[vm] = pid.trim() !== '' && (await exists(`/proc/${pid.trim()}`));
    for (const dev of [ACCELERATED_IF, SYNTHETIC_IF]) {
      const r = await execa('ip', ['-n', l.namespaces[vm]!, '-j', 'link', 'show', dev], { reject: false });
      const info = r.exitCode === 0 ? (JSON.parse(r.stdout) as { operstate: string; flags: string[] }[])[0] : undefined;
      links[`${vm}:${dev}`] = info ? (info.flags.includes('UP') ? 'up' : 'down') : 'missing';
    }
  }
  const state = await readState(l);
  const up =
    Object.values(namespaces).every(Boolean) &&
    Object.values(sshd).every(Boolean) &&
    (await exists(l.inventoryPath));
  return {
    up,
    namespaces,
    sshd,
    links,
    rules: state?.rules,
    rateCap: state?.rateCap ?? undefined,
    pairs: state?.pairs ?? 1,
    loginDelay: state?.loginDelay ?? 0,
    bastion: state?.bastion ?? false,
    inventory: up ? l.inventoryPath : undefined,
  };
}

/** Apply (or re-apply) the vswitch's ruleset and rate cap; cheap, so `up` with new options just calls this. */
async function configureVswitch(l: LabLayout, opts: LabOptions): Promise<void> {
  const ns = l.namespaces.vswitch;
  await execa('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'bridge', 'vfbench'], { reject: false });
  await execa('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: vswitchRuleset(opts.rules) }).catch((e) => {
    throw new Error(`lab: loading the vswitch ruleset failed: ${e.stderr ?? e.message}`);
  });
  for (const port of l.vms.map((_, i) => `port${i + 1}`)) {
    await execa('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', port, 'root'], { reject: false });
    if (opts.rateCap) {
      await inNs(ns, 'tc', 'qdisc', 'add', 'dev', port, 'root', 'tbf', 'rate', opts.rateCap, 'burst', '256k', 'latency', '20ms');
    }
  }
  const delay = checkLoginDelay(opts.loginDelay ?? 0);
  await writeFile(l.loginDelayPath, `${delay}\n`);
  const state: LabState = { rules: opts.rules, rateCap: opts.rateCap ?? null, pairs: l.vms.length / 2, loginDelay: delay, bastion: !!opts.bastion };
  await writeFile(l.statePath, JSON.stringify(state, null, 2) + '\n');
}

function checkLoginDelay(d: number): number {
  if (!Number.isFinite(d) || d < 0 || d > 30) throw new UserError(`lab login delay must be 0..30 seconds, got ${d}`);
  return d;
}

export async function labUp(asked: LabOptions, log: (msg: string) => void = () => {}): Promise<LabInventory> {
  await checkLabPrerequisites();
  const status = await labStatus(asked);
  // Without --pairs a lab that is up keeps its size (changing the rules must not shrink it).
  const opts = { ...asked, pairs: asked.pairs ?? (status.up ? status.pairs : undefined) ?? 1 };
  const l = labLayout(opts);
  if (status.up && status.pairs !== opts.pairs) {
    log(`lab ${opts.prefix} is up with ${status.pairs} pair(s): rebuilding it with ${opts.pairs}`);
  } else if (status.up && !!status.bastion !== !!opts.bastion) {
    log(`lab ${opts.prefix} is up ${status.bastion ? 'behind' : 'without'} a bastion: rebuilding it ${opts.bastion ? 'behind one' : 'without'}`);
  } else if (status.up && !(await exists(l.loginScript))) {
    log(`lab ${opts.prefix} was built by an older vfbench: rebuilding it`);
  } else if (status.up) {
    if (status.rules !== opts.rules || (status.rateCap ?? undefined) !== opts.rateCap || (status.loginDelay ?? 0) !== (opts.loginDelay ?? 0)) {
      log(`lab ${opts.prefix} is up: updating the vswitch (${opts.rules} rules${opts.rateCap ? `, cap ${opts.rateCap}` : ''}) and the login delay (${opts.loginDelay ?? 0} s)`);
      await configureVswitch(l, opts);
    } else {
      log(`lab ${opts.prefix} is already up`);
    }
    return JSON.parse(await readFile(l.inventoryPath, 'utf8')) as LabInventory;
  }
  // A partial lab (failed or interrupted `up`) is removed first, so `up` always starts clean.
  await labDown(opts);
  try {
    return await build(l, opts, log);
  } catch (err) {
    await labDown(opts);
    throw err;
  }
}

async function build(l: LabLayout, opts: LabOptions, log: (msg: string) => void): Promise<LabInventory> {
  const p = opts.prefix;
  log(`building lab ${p} (namespaces ${Object.values(l.namespaces).join(', ')})`);
  await buildNamespaces(l);
  await buildManagement(l, opts);
  await buildDataPaths(l, opts);
  await startSshds(l, opts);
  const inventory: LabInventory = {
    lab: p,
    hosts: Object.fromEntries(
      l.vms.map((vm) => [vm, { ssh: opts.bastion ? `${p}-${vm}` : `root@${l.mgmt[vm]!}`, data: l.data[vm]!, key: l.keyPath, known_hosts: l.knownHostsPath }]),
    ),
    ...(opts.bastion ? { ssh_config: l.bastion.sshConfigPath } : {}),
    pairs: l.vms.filter((_, i) => i % 2 === 0).map((vm, k) => ({ client: vm, server: l.vms[2 * k + 1]! })),
    interfaces: { accelerated: ACCELERATED_IF, synthetic: SYNTHETIC_IF },
  };
  await writeFile(l.inventoryPath, JSON.stringify(inventory, null, 2) + '\n');
  log(`lab ${p} is up: ${l.vms.map((vm) => `${vm} ssh ${inventory.hosts[vm]!.ssh} data ${l.data[vm]!}`).join('; ')}`);
  if (opts.bastion) log(`the guests are reachable only through ${p}-bastion (${l.bastion.address}): ssh -F ${l.bastion.sshConfigPath} ${p}-vm1`);
  return inventory;
}

/** The namespaces, their loopback, and the guests' sysctls. */
async function buildNamespaces(l: LabLayout): Promise<void> {
  const ns = l.namespaces;
  await mkdir(l.dir, { recursive: true, mode: 0o700 });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  for (const n of Object.values(ns)) {
    await run('ip', ['netns', 'add', n]);
    await run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
  }
  for (const vm of l.vms) {
    // No IPv6 in the guests: router solicitations and MLD would otherwise show up in the path counters.
    await inNs(ns[vm]!, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    // When the peer takes its vf0 down, our vf0 loses carrier: skip its route, as the host would.
    await inNs(ns[vm]!, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.ignore_routes_with_linkdown=1', 'net.ipv4.conf.default.ignore_routes_with_linkdown=1');
  }
}

/** Management network: a bridge in the root namespace, one veth per VM (sshd listens there). */
async function buildManagement(l: LabLayout, opts: LabOptions): Promise<void> {
  const p = opts.prefix;
  const ns = l.namespaces;
  await run('ip', ['link', 'add', l.mgmtBridge, 'type', 'bridge']);
  // Behind a bastion this machine has no address on it, and the network is a blackhole here (not sent to
  // the default gateway): the guests are out of its reach but through the bastion.
  if (opts.bastion) await run('ip', ['route', 'add', 'blackhole', mgmtPrefix(l)]);
  else await run('ip', ['addr', 'add', `${l.mgmtGateway}/24`, 'dev', l.mgmtBridge]);
  await run('ip', ['link', 'set', l.mgmtBridge, 'up']);
  for (const [i, vm] of l.vms.entries()) {
    const host = `${p}-m${i + 1}`;
    await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', `${p}-g${i + 1}`, 'netns', ns[vm]!]);
    await run('ip', ['-n', ns[vm]!, 'link', 'set', `${p}-g${i + 1}`, 'name', 'mgmt0']);
    await run('ip', ['link', 'set', host, 'master', l.mgmtBridge, 'up']);
    await run('ip', ['-n', ns[vm]!, 'addr', 'add', `${l.mgmt[vm]!}/24`, 'dev', 'mgmt0']);
    await run('ip', ['-n', ns[vm]!, 'link', 'set', 'mgmt0', 'up']);
  }
}

/** The two data paths: vf0 straight between the VMs of a pair, pv0 through the shared vswitch. */
async function buildDataPaths(l: LabLayout, opts: LabOptions): Promise<void> {
  const p = opts.prefix;
  const ns = l.namespaces;
  // Accelerated path: per pair, one veth straight between its two VMs.
  for (let k = 0; k < l.vms.length; k += 2) {
    const [a, b] = [l.vms[k]!, l.vms[k + 1]!];
    await run('ip', ['link', 'add', `${p}-f${k + 1}`, 'netns', ns[a]!, 'type', 'veth', 'peer', 'name', `${p}-f${k + 2}`, 'netns', ns[b]!]);
    await run('ip', ['-n', ns[a]!, 'link', 'set', `${p}-f${k + 1}`, 'name', ACCELERATED_IF]);
    await run('ip', ['-n', ns[b]!, 'link', 'set', `${p}-f${k + 2}`, 'name', ACCELERATED_IF]);
  }

  // Synthetic path: each VM to the one vswitch bridge, which all pairs share.
  await run('ip', ['-n', ns.vswitch!, 'link', 'add', 'br0', 'type', 'bridge']);
  await run('ip', ['-n', ns.vswitch!, 'link', 'set', 'br0', 'up']);
  for (const [i, vm] of l.vms.entries()) {
    const port = `port${i + 1}`;
    await run('ip', ['link', 'add', `${p}-p${i + 1}`, 'netns', ns[vm]!, 'type', 'veth', 'peer', 'name', `${p}-s${i + 1}`, 'netns', ns.vswitch]);
    await run('ip', ['-n', ns[vm]!, 'link', 'set', `${p}-p${i + 1}`, 'name', SYNTHETIC_IF]);
    await run('ip', ['-n', ns.vswitch, 'link', 'set', `${p}-s${i + 1}`, 'name', port]);
    await run('ip', ['-n', ns.vswitch, 'link', 'set', port, 'master', 'br0', 'up']);
  }
  for (const vm of l.vms) {
    await run('ip', ['-n', ns[vm]!, 'addr', 'add', `${l.data[vm]!}/24`, 'dev', ACCELERATED_IF, 'metric', '10']);
    await run('ip', ['-n', ns[vm]!, 'addr', 'add', `${l.data[vm]!}/24`, 'dev', SYNTHETIC_IF, 'metric', '100']);
    await run('ip', ['-n', ns[vm]!, 'link', 'set', SYNTHETIC_IF, 'up']);
    await run('ip', ['-n', ns[vm]!, 'link', 'set', ACCELERATED_IF, 'up']);
  }
  await configureVswitch(l, opts);
}

/** SSH: a client key, a host key and an sshd per VM (and the bastion), a known_hosts file naming them. */
async function startSshds(l: LabLayout, opts: LabOptions): Promise<void> {
  const p = opts.prefix;
  const ns = l.namespaces;
  // The login script (a slow ~/.bashrc when asked).
  await writeFile(l.loginScript, loginScript(l.loginDelayPath, l.loginLogPath), { mode: 0o755 });
  await rm(l.keyPath, { force: true });
  await rm(`${l.keyPath}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `vfbench-lab-${p}`, '-f', l.keyPath]);
  await writeFile(join(l.dir, 'authorized_keys'), await readFile(`${l.keyPath}.pub`, 'utf8'), { mode: 0o600 });
  const known: string[] = [];
  for (const vm of l.vms) {
    const d = join(l.dir, vm);
    await mkdir(d, { recursive: true, mode: 0o700 });
    const hostKey = join(d, 'ssh_host_ed25519_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${p}-${vm}`, '-f', hostKey]);
    const pub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
    known.push(`${l.mgmt[vm]!} ${pub[0]} ${pub[1]}`);
    await writeFile(join(d, 'sshd_config'), sshdConfig(l, vm));
    await inNs(ns[vm]!, '/usr/sbin/sshd', '-f', join(d, 'sshd_config'), '-E', join(d, 'sshd.log'));
  }
  if (opts.bastion) {
    known.push(await buildBastion(l, p, sshdConfig(l, 'bastion', l.bastion.address)));
    await writeFile(l.bastion.sshConfigPath, bastionSshConfig(l, p), { mode: 0o600 });
    for (const n of [...l.vms.map((vm) => ns[vm]!), l.bastion.namespace]) await waitForSshdIn(n, 10_000);
  } else {
    for (const vm of l.vms) await waitForPort(l.mgmt[vm]!, 22, 10_000);
  }
  await writeFile(l.knownHostsPath, known.join('\n') + '\n');
}

/** Remove everything the lab made, whatever state it is in. Safe to call any number of times. */
export async function labDown(opts: LabOptions, log: (msg: string) => void = () => {}): Promise<void> {
  const l = labLayout({ ...opts, pairs: 1 });
  // Whatever size the lab has (or a crash left): every namespace and root link it names.
  const mine = new RegExp(`^${opts.prefix}-(vm\\d+|vswitch|bastion)$`);
  for (const ns of [...(await namespaceList())].filter((n) => mine.test(n))) {
    // Every process in the namespace (sshd, stray tool servers) goes first, then the namespace.
    const pids = await execa('ip', ['netns', 'pids', ns], { reject: false });
    for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await execa('ip', ['netns', 'del', ns], { reject: false });
    log(`removed namespace ${ns}`);
  }
  const links = await run('ip', ['-j', 'link', 'show']).catch(() => '[]');
  // Only names the lab makes in this namespace (its bridge, the VMs' and the bastion's veth ends): with
  // `--prefix br` a bare prefix match would take Docker's br-<id> bridges too.
  const ours = new RegExp(`^${opts.prefix}-(mgmt|m\\d+|b0|bm)$`);
  for (const { ifname } of JSON.parse(links || '[]') as { ifname: string }[]) {
    if (!ours.test(ifname)) continue;
    const r = await execa('ip', ['link', 'del', ifname], { reject: false });
    if (r.exitCode === 0) log(`removed link ${ifname}`);
  }
  await execa('ip', ['route', 'del', 'blackhole', mgmtPrefix(l)], { reject: false });
  await rm(l.dir, { recursive: true, force: true });
}

/** The management network, e.g. 198.18.0.0/24. */
function mgmtPrefix(l: LabLayout): string {
  return `${l.mgmtGateway.replace(/\.1$/, '.0')}/24`;
}
