// The lab itself: two VMs in namespaces, vf0 preferred, fallback to pv0, idempotent up, complete down.
import { describe, expect, inject, it } from 'vitest';
import { execa } from 'execa';
import { labDown, labStatus, labUp, labLayout, vswitchRuleset } from '../../src/lab/lab.js';
import { labAvailable, testLab } from '../helpers/lab.js';

const routeDev = async (ns: string, to: string) => {
  const r = await execa('ip', ['-n', ns, '-j', 'route', 'get', to]);
  return (JSON.parse(r.stdout) as { dev: string }[])[0]!.dev;
};
const namespaces = async () => ((JSON.parse((await execa('ip', ['-j', 'netns', 'list'])).stdout || '[]') as { name: string }[]).map((n) => n.name));

describe.skipIf(!labAvailable())('lab', () => {
  it('is up with both sshds, and every address in 198.18.0.0/15', async () => {
    const { options, inventory } = testLab();
    const s = await labStatus(options);
    expect(s.up).toBe(true);
    expect(s.links).toMatchObject({ 'vm1:vf0': 'up', 'vm1:pv0': 'up', 'vm2:vf0': 'up', 'vm2:pv0': 'up' });
    for (const h of Object.values(inventory.hosts)) {
      for (const addr of [h.data, h.ssh.split('@')[1]!]) expect(addr).toMatch(/^198\.(18|19)\./);
    }
  });

  it('prefers vf0, falls back to pv0 when vf0 goes down in the guests, and returns when it comes up', async () => {
    const { ns, inventory } = testLab();
    const peer = inventory.hosts.vm2!.data;
    expect(await routeDev(ns.vm1, peer)).toBe('vf0');
    await execa('ip', ['-n', ns.vm1, 'link', 'set', 'vf0', 'down']);
    await execa('ip', ['-n', ns.vm2, 'link', 'set', 'vf0', 'down']);
    try {
      expect(await routeDev(ns.vm1, peer)).toBe('pv0');
      expect(await routeDev(ns.vm2, inventory.hosts.vm1!.data)).toBe('pv0');
      // Real traffic crosses the vswitch: one ping, bounded.
      await execa('ip', ['netns', 'exec', ns.vm1, 'ping', '-c', '1', '-W', '2', peer]);
    } finally {
      await execa('ip', ['-n', ns.vm1, 'link', 'set', 'vf0', 'up']);
      await execa('ip', ['-n', ns.vm2, 'link', 'set', 'vf0', 'up']);
    }
    expect(await routeDev(ns.vm1, peer)).toBe('vf0');
  });

  it('makes every synthetic packet walk the configured nftables chain', async () => {
    const { ns, options } = testLab();
    const r = await execa('ip', ['netns', 'exec', ns.vswitch, 'nft', 'list', 'chain', 'bridge', 'vfbench', 'forward']);
    expect(r.stdout.split('\n').filter((l) => l.includes('drop')).length).toBe(options.rules);
    // Rules match only 198.19.128.0/17, which the lab never uses.
    expect(vswitchRuleset(3)).toMatch(/ip saddr 198\.19\.128\.1 drop\n.*198\.19\.128\.2 drop\n.*198\.19\.128\.3 drop/);
  });

  it('makes every login wait --login-delay (a slow ~/.bashrc), counts it, and goes back to none', async () => {
    const { options, inventory } = testLab();
    const l = labLayout(options);
    const vm1 = inventory.hosts.vm1!;
    const login = async () => {
      const t0 = performance.now();
      const r = await execa('ssh', ['-i', vm1.key, '-o', `UserKnownHostsFile=${vm1.known_hosts}`, '-o', 'BatchMode=yes', vm1.ssh, 'echo', 'in']);
      return { ms: performance.now() - t0, out: r.stdout };
    };
    const logins = async () => (await execa('cat', [l.loginLogPath], { reject: false })).stdout.split('\n').filter(Boolean).length;
    try {
      await labUp({ ...options, loginDelay: 1.5 });
      expect((await labStatus(options)).loginDelay).toBe(1.5);
      const before = await logins();
      const slow = await login();
      expect(slow.out).toBe('in');
      expect(slow.ms).toBeGreaterThanOrEqual(1500);
      expect((await logins()) - before).toBe(1);
    } finally {
      await labUp(options);
    }
    expect((await labStatus(options)).loginDelay).toBe(0);
    expect((await login()).out).toBe('in');
  });

  it('treats a second up as harmless: same keys, same sshd', async () => {
    const { options, inventoryPath } = testLab();
    const l = labLayout(options);
    const before = await execa('cat', [`${l.dir}/vm1/sshd.pid`, l.knownHostsPath]);
    const inv = await labUp(options);
    const after = await execa('cat', [`${l.dir}/vm1/sshd.pid`, l.knownHostsPath]);
    expect(after.stdout).toBe(before.stdout);
    expect(inv.hosts.vm1!.known_hosts).toBe(l.knownHostsPath);
    expect(inventoryPath).toBe(l.inventoryPath);
  });

  it('reconfigures the vswitch when up is called with other options, and back', async () => {
    const { options, ns } = testLab();
    const rules = async () =>
      (await execa('ip', ['netns', 'exec', ns.vswitch, 'nft', 'list', 'chain', 'bridge', 'vfbench', 'forward'])).stdout.split('\n').filter((l) => l.includes('drop')).length;
    const qdisc = async () => (await execa('ip', ['netns', 'exec', ns.vswitch, 'tc', 'qdisc', 'show', 'dev', 'port1'])).stdout;
    try {
      await labUp({ ...options, rules: 300, rateCap: '1gbit' });
      expect(await rules()).toBe(300);
      expect(await qdisc()).toMatch(/qdisc tbf .* rate 1Gbit/);
      expect((await labStatus(options)).rules).toBe(300);
    } finally {
      await labUp(options);
    }
    expect(await rules()).toBe(options.rules);
    expect(await qdisc()).not.toContain('tbf');
  });

  it('cleans up a partial lab, and down leaves nothing behind', async () => {
    const { options } = testLab();
    const p = `${options.prefix}p`;
    const o = { ...options, prefix: p, block: options.block + 1, rules: 10 };
    // A half-built lab: a namespace and a root bridge of its own, as a crash midway would leave.
    await execa('ip', ['netns', 'add', `${p}-vswitch`]);
    await execa('ip', ['link', 'add', `${p}-mgmt`, 'type', 'bridge']);
    try {
      const inv = await labUp(o);
      expect(inv.hosts.vm1!.ssh).toBe(`root@198.18.${o.block * 4}.11`);
      expect((await labStatus(o)).up).toBe(true);
    } finally {
      await labDown(o);
    }
    expect((await namespaces()).filter((n) => n.startsWith(`${p}-`))).toEqual([]);
    const links = await execa('ip', ['-j', 'link', 'show']);
    expect((JSON.parse(links.stdout) as { ifname: string }[]).filter((l) => l.ifname.startsWith(`${p}-`))).toEqual([]);
    expect((await labStatus(o)).up).toBe(false);
    await labDown(o); // twice is harmless too
  });

  it('takes down only links it makes: another bridge sharing its prefix (Docker\'s br-<id>) stays', async () => {
    const { options } = testLab();
    const p = `${options.prefix}d`;
    const other = `${p}-0a1b2c3d4e`;
    await execa('ip', ['link', 'add', other, 'type', 'bridge']);
    try {
      await labDown({ ...options, prefix: p, block: options.block + 1 });
      const links = await execa('ip', ['-j', 'link', 'show']);
      expect((JSON.parse(links.stdout) as { ifname: string }[]).map((l) => l.ifname)).toContain(other);
    } finally {
      await execa('ip', ['link', 'del', other], { reject: false });
    }
  });

  it('builds N pairs on one vswitch, keeps the size when only the rules change, rebuilds for another size', async () => {
    const groups = inject('lab').groups!;
    const l = labLayout(groups.options);
    const up = async (o: Parameters<typeof labUp>[0]) => (await labUp(o)).pairs.map((p) => `${p.client}-${p.server}`);
    // The test run's 4-pair lab: every pair has its own vf0, all pv0s share the vswitch bridge.
    expect((await labStatus(groups.options)).pairs).toBe(4);
    expect(await routeDev(l.namespaces.vm7!, l.data.vm8!)).toBe('vf0');
    const ports = await execa('ip', ['-n', l.namespaces.vswitch, '-j', 'link', 'show', 'master', 'br0']);
    expect((JSON.parse(ports.stdout) as unknown[]).length).toBe(8);
    try {
      expect(await up({ ...groups.options, pairs: undefined, rules: 300 })).toEqual(['vm1-vm2', 'vm3-vm4', 'vm5-vm6', 'vm7-vm8']);
      expect((await labStatus(groups.options)).rules).toBe(300);
    } finally {
      await labUp(groups.options);
    }
    // Another size rebuilds, on a lab of its own (the partial-lab test's block).
    const { options } = testLab();
    const o = { ...options, prefix: `${options.prefix}r`, block: options.block + 1, rules: 10 };
    try {
      expect(await up(o)).toEqual(['vm1-vm2']);
      expect(await up({ ...o, pairs: 2 })).toEqual(['vm1-vm2', 'vm3-vm4']);
      expect((await namespaces()).filter((n) => n.startsWith(`${o.prefix}-`)).sort()).toEqual([`${o.prefix}-vm1`, `${o.prefix}-vm2`, `${o.prefix}-vm3`, `${o.prefix}-vm4`, `${o.prefix}-vswitch`]);
    } finally {
      await labDown(o);
    }
    expect((await namespaces()).filter((n) => n.startsWith(`${o.prefix}-`))).toEqual([]);
  });

  it('says clearly that it needs root', async () => {
    // As nobody, keeping only the right to read files (the checkout may sit in a folder only root can enter).
    const keepRead = ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...keepRead, process.execPath, 'dist/cli/main.js', 'lab', 'up'], {
      reject: false,
      env: { VFBENCH_HOME: '/tmp/vfbench-nobody' },
    });
    expect(r.exitCode).toBe(4); // the environment, not the input
    expect(r.stderr).toContain('the lab needs root');
  });
});
