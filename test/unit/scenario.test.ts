import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario, loadScenario, type Problem } from '../../src/scenario/load.js';
import { scenarioProblems } from '../helpers/scenario.js';

const GOOD = `name: t
hosts:
  vm1: { ssh: root@198.18.0.11, data: 198.18.1.1 }
  vm2: { ssh: root@198.18.0.12, data: 198.18.1.2 }
pairs:
  - { client: vm1, server: vm2 }
variants:
  vf: { controller: guest-link, interface: vf0, state: up }
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
tests:
  - tool: sockperf
    sizes: [64, 1024]
    duration: 3s
`;

/** Run fn with VFBENCH_HOME set to home and no lab prefix override (`inventory: lab` resolves there). */
async function withHome<T>(home: string, fn: () => T | Promise<T>): Promise<T> {
  const saved = { VFBENCH_HOME: process.env.VFBENCH_HOME, VFBENCH_LAB_PREFIX: process.env.VFBENCH_LAB_PREFIX };
  process.env.VFBENCH_HOME = home;
  delete process.env.VFBENCH_LAB_PREFIX;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const problems = scenarioProblems;

const at = (ps: Problem[], field: string) => ps.find((p) => p.field === field);

describe('scenario loading', () => {
  it('fills defaults and parses durations', () => {
    const s = parseScenario(GOOD, 'good.yaml');
    expect(s.repeat).toBe(3);
    expect(s.order).toBe('interleaved');
    const t = s.tests[0]!;
    if (t.tool !== 'sockperf') throw new Error('sockperf test expected');
    expect(t.duration).toBe(3);
    expect(t.warmup).toBe(0);
    expect(t.protocol).toEqual(['udp']);
    expect(t.mode).toBe('ping-pong');
    expect(t.mps).toBeUndefined(); // chosen per mode at run time: max for ping-pong, 10000 under load
    expect(t.burst).toBe(1);
    expect(s.variants.vf!.settle).toBe(0.5);
    expect(s.pairs).toEqual([{ client: 'vm1', server: 'vm2' }]);
  });

  it('points at the wrong value with line and column', () => {
    const ps = problems(GOOD.replace('sizes: [64, 1024]', 'sizes: [64, big]'));
    const p = at(ps, 'tests[0].sizes[1]')!;
    expect(p).toMatchObject({ file: 'bad.yaml', line: 13, column: 17 });
  });

  it('lists every problem at once', () => {
    const text = GOOD.replace('duration: 3s', 'duration: soon').replace('state: down', 'state: sideways').replace('data: 198.18.1.2', 'data: 198.18.1');
    const ps = problems(text);
    expect(at(ps, 'tests[0].duration')).toMatchObject({ line: 14, column: 15 });
    expect(at(ps, 'tests[0].duration')!.message).toContain('not a duration');
    expect(at(ps, 'variants.pv.state')).toMatchObject({ line: 9 });
    expect(at(ps, 'hosts.vm2.data')).toMatchObject({ line: 4 });
    expect(ps.length).toBeGreaterThanOrEqual(3);
  });

  it('names an unknown field at its key', () => {
    const ps = problems(GOOD.replace('    duration: 3s', '    duration: 3s\n    durration: 5s'));
    expect(at(ps, 'tests[0].durration')).toMatchObject({ line: 15, column: 5, message: 'unknown field' });
  });

  it('reports a missing required field at its parent', () => {
    const ps = problems(GOOD.replace('    sizes: [64, 1024]\n', ''));
    expect(at(ps, 'tests[0].sizes')).toMatchObject({ line: 12, message: 'required field is missing' });
  });

  it('checks references between sections', () => {
    const ps = problems(GOOD.replace('server: vm2', 'server: vm3').replace('baseline: pv', 'baseline: sriov'));
    expect(at(ps, 'pairs[0].server')!.message).toContain('unknown host "vm3"');
    expect(at(ps, 'pairs[0].server')).toMatchObject({ line: 6 });
    expect(at(ps, 'baseline')).toMatchObject({ line: 10, column: 11 });
    expect(at(ps, 'baseline')!.message).toContain('not one of the variants');
  });

  it('refuses fractional sockperf seconds and a single variant', () => {
    const ps = problems(GOOD.replace('duration: 3s', 'duration: 2500ms').replace('  pv: { controller: guest-link, interface: vf0, state: down }\n', '').replace('baseline: pv', 'baseline: vf'));
    expect(at(ps, 'tests[0].duration')!.message).toContain('whole seconds');
    expect(at(ps, 'variants')!.message).toContain('at least two variants');
  });

  it('refuses a sockperf trial whose full log would pass max_log_rows, from its rate and duration', () => {
    // 5 minutes at 50k messages/s is 15M rows: within the default (50M), refused under a 10M limit.
    const fast = GOOD.replace('duration: 3s', 'duration: 5m\n    mps: 50000');
    expect(parseScenario(fast, 'ok.yaml').tests[0]).toMatchObject({ max_log_rows: 50_000_000 });
    const ps = problems(fast + '    max_log_rows: 10000000\n');
    expect(at(ps, 'tests[0].duration')).toMatchObject({ file: 'bad.yaml', line: 14 });
    expect(at(ps, 'tests[0].duration')!.message).toContain('15000000 full-log rows, more than max_log_rows (10000000)');
    // Under load the rows are the replies: the default rate (10000/s), warm-up included, over reply_every
    // (sockperf's default 100); at `max` the rate is unknown: a log past the limit fails its trial at run time.
    const long = GOOD.replace('duration: 3s', 'duration: 1h\n    warmup: 2s\n    mode: under-load');
    expect(at(problems(long + '    reply_every: 1\n    max_log_rows: 36000000\n'), 'tests[0].duration')!.message).toContain('3602 s at 10000 messages/s is up to 36020000 full-log rows');
    expect(at(problems(long + '    max_log_rows: 300000\n'), 'tests[0].duration')!.message).toContain('with a reply every 100 is up to 360200 full-log rows');
    expect(() => parseScenario(long + '    max_log_rows: 360200\n', 'ok.yaml')).not.toThrow();
    expect(() => parseScenario(GOOD.replace('duration: 3s', 'duration: 1h') + '    max_log_rows: 1000\n', 'max.yaml')).not.toThrow();
  });

  it('refuses accept-new from a scenario file, names every object has, a host named local, and huge plans', () => {
    const accept = problems(GOOD + 'ssh: { accept_new_host_keys: true }\n');
    expect(at(accept, 'ssh.accept_new_host_keys')!.message).toContain('pass --accept-new-host-keys on the command line');
    // Saying it stays off is harmless.
    expect(parseScenario(GOOD + 'ssh: { accept_new_host_keys: false }\n', 'ok.yaml').ssh.accept_new_host_keys).toBe(false);
    const proto = problems(GOOD.replace(/vm2/g, 'constructor'));
    expect(at(proto, 'hosts.constructor')!.message).toContain('a name every JavaScript object has');
    expect(at(problems(GOOD.replace(/vm2/g, 'local')), 'hosts.local')!.message).toContain('cannot be named "local"');
    // 200 sizes × 2 protocols × 2 variants × 300 repetitions = 240 000 trials.
    const sizes = Array.from({ length: 200 }, (_, i) => 64 + i).join(', ');
    const huge = problems(GOOD.replace('sizes: [64, 1024]', `sizes: [${sizes}]\n    protocol: [udp, tcp]`) + 'repeat: 300\n');
    expect(at(huge, 'repeat')!.message).toContain('the plan has 240000 trials');
    expect(at(huge, 'repeat')).toMatchObject({ line: 16 });
  });

  it('checks an inventory file as it checks a scenario', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-inv-'));
    await writeFile(join(dir, 'inv.json'), JSON.stringify({ hosts: { vm1: { ssh: 'root@198.18.0.11', data: '198.18.1.1' }, vm2: { ssh: 'root@198.18.0.12', data: '198.18.1.2' } }, pairs: [{ client: 'vm1', server: 'vm2; reboot' }] }));
    const text = GOOD.replace(/hosts:\n(  .*\n)+pairs:\n  - .*\n/, `inventory: ${join(dir, 'inv.json')}\n`);
    const s = parseScenario(text, join(dir, 's.yaml'));
    expect(s.inventoryProblem).toMatch(/is not a valid inventory:\n.*inv.json:1:152: pairs\[0\].server: host name must be/s);
    // Written by hand, one key per line: each problem names its line and column, reserved names included.
    const inv = join(dir, 'inv2.json');
    await writeFile(inv, '{\n  "hosts": {\n    "local": { "ssh": "root@198.18.0.11", "data": "198.18.1.1" },\n    "constructor": { "ssh": "root@198.18.0.12", "data": "198.18.1.2" }\n  },\n  "pairs": [{ "client": "local", "server": "constructor" }]\n}\n');
    const p = parseScenario(GOOD.replace(/hosts:\n(  .*\n)+pairs:\n  - .*\n/, `inventory: ${inv}\n`), join(dir, 's.yaml')).inventoryProblem!;
    expect(p).toContain(`${inv}:3:14: hosts.local: a host cannot be named "local"`);
    expect(p).toContain(`${inv}:4:20: hosts.constructor: host name must not be a name every JavaScript object has`);
  });

  it('reports YAML syntax errors with their position', () => {
    const ps = problems('name: t\nhosts: [unclosed\n');
    expect(ps[0]!.message).toMatch(/^YAML:/);
    expect(ps[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('refuses shell metacharacters where a value reaches a shell', () => {
    const ps = problems(GOOD.replace('interface: vf0, state: up', 'interface: "vf0; reboot", state: up'));
    expect(at(ps, 'variants.vf.interface')).toMatchObject({ line: 8 });
  });

  it('takes hosts, pair and verification interfaces from an inventory file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-inv-'));
    await writeFile(
      join(dir, 'inv.json'),
      JSON.stringify({
        hosts: { a: { ssh: 'root@198.18.0.11', data: '198.18.1.1', key: '/k', known_hosts: '/kh' }, b: { ssh: 'root@198.18.0.12', data: '198.18.1.2' } },
        pairs: [{ client: 'a', server: 'b' }],
        interfaces: { accelerated: 'vf0', synthetic: 'pv0' },
      }),
    );
    const text = GOOD.replace(/hosts:\n(  .*\n)+pairs:\n  - .*\n/, 'inventory: inv.json\n');
    await writeFile(join(dir, 's.yaml'), text);
    const s = await loadScenario(join(dir, 's.yaml'));
    expect(s.inventoryProblem).toBeUndefined();
    expect(Object.keys(s.hosts)).toEqual(['a', 'b']);
    expect(s.hosts.a!.key).toBe('/k');
    expect(s.pairs).toEqual([{ client: 'a', server: 'b' }]);
    expect(s.verify).toMatchObject({ accelerated: 'vf0', synthetic: 'pv0', share: 0.95 });

    await writeFile(join(dir, 'missing.yaml'), text.replace('inv.json', 'nope.json'));
    const m = await loadScenario(join(dir, 'missing.yaml'));
    expect(m.inventoryProblem).toContain('nope.json');
  });

  it('reads netperf and iperf3 tests with their units', () => {
    const s = parseScenario(
      GOOD.replace(
        /tests:\n[\s\S]*$/,
        `tests:
  - tool: netperf
    test: [TCP_RR, TCP_STREAM]
    sizes: [64]
    duration: 5s
  - tool: iperf3
    protocol: [tcp, udp]
    bitrate: 2.5G
    window: 256K
    streams: [1, 8]
    direction: [forward, reverse]
    omit: 1s
`,
      ),
      'x.yaml',
    );
    const [n, i] = s.tests;
    expect(n).toMatchObject({ tool: 'netperf', test: ['TCP_RR', 'TCP_STREAM'], cpu: true, port: 12865, duration: 5 });
    expect(i).toMatchObject({ tool: 'iperf3', bitrate: 2.5e9, window: 262144, streams: [1, 8], omit: 1, port: 5201 });
  });

  it('refuses UDP iperf3 without a bitrate and netperf selectors that do not exist', () => {
    const ps = problems(
      GOOD.replace(/tests:\n[\s\S]*$/, `tests:\n  - tool: iperf3\n    protocol: udp\n  - tool: netperf\n    test: TCP_PINGPONG\n  - tool: ntttcp\n`),
    );
    expect(at(ps, 'tests[0].protocol')!.message).toContain('bitrate');
    expect(at(ps, 'tests[1].test')).toMatchObject({ line: 15 });
    expect(at(ps, 'tests[2].tool')).toMatchObject({ line: 16 });
  });

  it.each(readdirSync('scenarios').filter((f) => f.endsWith('.yaml')))('bundled scenario %s is valid', async (f) => {
    // Whatever lab this machine has up (`inventory: lab`) must not decide: an empty home has none.
    const sc = await withHome(await mkdtemp(join(tmpdir(), 'vfb-home-')), () => loadScenario(join('scenarios', f)));
    expect(Object.keys(sc.variants).length).toBeGreaterThanOrEqual(2);
    expect(sc.tests.length).toBeGreaterThan(0);
  });

  it('tells how to build a lab with the VMs a scenario names', async () => {
    // A one-pair lab's inventory, as `vfbench lab up` writes it, in a home of its own.
    const home = await mkdtemp(join(tmpdir(), 'vfb-home-'));
    await mkdir(join(home, 'lab', 'vfb'), { recursive: true });
    const host = (n: number) => ({ ssh: `root@198.18.0.${10 + n}`, data: `198.18.1.${n}`, key: '/k', known_hosts: '/kh' });
    await writeFile(join(home, 'lab', 'vfb', 'inventory.json'), JSON.stringify({ lab: 'vfb', hosts: { vm1: host(1), vm2: host(2) }, pairs: [{ client: 'vm1', server: 'vm2' }] }));
    const p = await withHome(home, () => problems(GOOD.replace(/hosts:\n(  .*\n){2}/, 'inventory: lab\n').replace('server: vm2', 'server: vm6')));
    expect(p).toEqual([
      expect.objectContaining({ line: 4, field: 'pairs[0].server', message: 'unknown host "vm6" (hosts: vm1, vm2; `vfbench lab up --pairs 3` builds a lab with it)' }),
    ]);
  });

  it('loads the bundled scenarios', async () => {
    const s = await loadScenario('scenarios/lab-quick.yaml');
    expect(s.baseline).toBe('pv');
    expect(s.tests[0]).toMatchObject({ tool: 'sockperf', sizes: [64, 1024] });
  });
});
