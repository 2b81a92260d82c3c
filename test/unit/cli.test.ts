// The CLI's own contract: exit codes and messages of validate and plan (no hosts needed).
import { describe, expect, it } from 'vitest';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { scenarioFile, vfbench, VF_PV_VARIANTS } from '../helpers/cli.js';

const SCENARIO = `name: cli
hosts:
  a: { ssh: root@198.18.0.11, data: 198.18.1.1 }
  b: { ssh: root@198.18.0.12, data: 198.18.1.2 }
pairs: [{ client: a, server: b }]
${VF_PV_VARIANTS}repeat: 2
tests:
  - tool: sockperf
    protocol: [udp, tcp]
    sizes: [64]
    duration: 5s
`;

describe('vfbench validate / plan', () => {
  it('validates a good scenario', async () => {
    const s = await scenarioFile(SCENARIO);
    const r = await vfbench(['validate', s.file]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('ok (1 test, variants vf, pv)');
  });

  it('lists every problem as file:line:column: field: message and exits 2', async () => {
    const s = await scenarioFile(SCENARIO.replace('sizes: [64]', 'sizes: [8]').replace('repeat: 2', 'repeat: two'));
    const r = await vfbench(['validate', s.file]);
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toContain(`${s.file}:10:9: repeat: Invalid input: expected number, received string`);
    expect(lines.some((l) => l.startsWith(`${s.file}:14:13: tests[0].sizes[0]: sockperf messages are at least 14 bytes`))).toBe(true);
  });

  it('plans without touching the hosts: order, count and estimate', async () => {
    const s = await scenarioFile(SCENARIO);
    const r = await vfbench(['plan', s.file]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('8 trials (2 points × 2 variants × 2 repetitions), order interleaved, estimated');
    const variants = r.stdout.split('\n').filter((l) => /^\s+\d+ /.test(l)).map((l) => l.trim().split(/\s+/).at(-1));
    expect(variants).toEqual(['pv', 'vf', 'vf', 'pv', 'pv', 'vf', 'vf', 'pv']);
    const json = JSON.parse((await vfbench(['plan', s.file, '--json'])).stdout);
    expect(json.estimateSeconds).toBeGreaterThan(8 * 5);
  });

  it('says when the lab inventory is missing', async () => {
    const s = await scenarioFile(SCENARIO.replace(/hosts:\n(  .*\n)+pairs: .*\n/, 'inventory: lab\n'));
    const r = await vfbench(['plan', s.file], { env: { VFBENCH_HOME: s.dir } });
    expect(r.exitCode).toBe(4); // the environment, not the file
    expect(r.stderr).toContain('the lab is not up');
  });
});

describe('the command line contract', () => {
  it('stops at an unknown flag before anything runs, with exit 2 and what was meant', async () => {
    // The hosts are a refused port on loopback: had the run started, it would have failed to connect (exit 4).
    const s = await scenarioFile(SCENARIO.replace('root@198.18.0.11', 'root@127.0.0.1:1').replace('root@198.18.0.12', 'root@127.0.0.1:1'));
    const r = await vfbench(['run', s.file, '--results', s.results, '--repaet', '1']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown argument: repaet');
    expect(r.stderr).toContain('repaet: did you mean --repeat?');
    expect(r.stderr).not.toContain('run directory');
    await expect(readdir(s.results)).rejects.toThrow(/ENOENT/); // nothing was written
    const plan = await vfbench(['plan', s.file, '--jsno']);
    expect([plan.exitCode, plan.stdout]).toEqual([2, '']);
    expect(plan.stderr).toContain('jsno: did you mean --json?');
  });

  it('names a missing argument with the command\'s usage, suggests a mistyped command, exit 2', async () => {
    for (const [args, line] of [
      [['analyze'], 'missing argument: vfbench analyze <dir>'],
      [['compare', 'a'], 'missing argument: vfbench compare <baseline> <candidate>'],
      [['plna', 'x.yaml'], 'plna: did you mean the command plan?'],
    ] as const) {
      const r = await vfbench([...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(line);
      expect(r.stderr).not.toMatch(/TypeError|undefined/);
    }
  });

  it('prints help for bare vfbench and -h, and an example per command', async () => {
    for (const args of [[], ['-h'], ['--help']]) {
      const r = await vfbench(args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('vfbench run [file]');
    }
    const run = await vfbench(['run', '-h']);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--repeat');
  });

  it('exits 4 when a host cannot be reached: the environment, not the input', async () => {
    const s = await scenarioFile(SCENARIO.replace('root@198.18.0.11', 'root@127.0.0.1:1').replace('root@198.18.0.12', 'root@127.0.0.1:1') + 'ssh: { connect_timeout: 2s, key: id_test }\n');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(s.dir, 'id_test')]);
    const r = await vfbench(['run', s.file, '--results', s.results], { env: { SSH_AUTH_SOCK: '' } });
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toContain('cannot connect to root@127.0.0.1:1: connect ECONNREFUSED');
    await rm(s.dir, { recursive: true, force: true }); // its private key
    // No key at all is the environment's too, and says what to do.
    const bare = await scenarioFile(SCENARIO.replace('root@198.18.0.11', 'root@127.0.0.1:1').replace('root@198.18.0.12', 'root@127.0.0.1:1') + 'ssh: { key: missing_key }\n');
    const none = await vfbench(['run', bare.file, '--results', bare.results], { env: { SSH_AUTH_SOCK: '', HOME: bare.dir } });
    expect(none.exitCode, none.all).toBe(4);
    expect(none.stderr).toContain('no SSH key: no agent (SSH_AUTH_SOCK) and none of');
  });

  it('exits 4 when OpenSSH itself is missing (ssh_config cannot be read without it)', async () => {
    const s = await scenarioFile(SCENARIO);
    const r = await vfbench(['run', s.file, '--results', s.results], { env: { PATH: '/nonexistent' } });
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toContain("reading ssh_config needs OpenSSH's `ssh` (package openssh-client)");
  });

  it('answers --json with one JSON document on stdout, messages on stderr', async () => {
    const good = await scenarioFile(SCENARIO);
    const bad = await scenarioFile(SCENARIO.replace('repeat: 2', 'repeat: two'));
    const r = await vfbench(['validate', good.file, bad.file, '--json']);
    expect(r.exitCode).toBe(2);
    const doc = JSON.parse(r.stdout) as { file: string; ok: boolean; problems?: { line: number; field: string }[] }[];
    expect(doc.map((d) => d.ok)).toEqual([true, false]);
    expect(doc[1]!.problems![0]).toMatchObject({ line: 10, field: 'repeat' });
  });
});

describe('vfbench parse', () => {
  it('prints pooled metrics of a saved sockperf full log, as JSON', async () => {
    const r = await vfbench(['parse', 'sockperf', 'test/fixtures/sockperf/captured/pp_udp_m64_t2_fulllog.csv', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ tool: 'sockperf', latencyKind: 'half-rtt', source: 'full log (pooled per-message samples)' });
    expect(out.metrics).toMatchObject({ count: 1549, p50_us: 37.921, p99_us: 61.992 });
  });

  it('reads netperf classic output and iperf3 text, and says why a failed run gives no metrics', async () => {
    const np = await vfbench(['parse', 'netperf', 'test/fixtures/netperf/captured/tcp_rr_classic_P0.stdout', '--test', 'TCP_RR', '--json']);
    expect(JSON.parse(np.stdout).metrics.transactions_per_s).toBe(15744.69);
    const ip = await vfbench(['parse', 'iperf3', 'test/fixtures/iperf3/captured/tcp_text.stdout']);
    expect(ip.stdout).toMatch(/throughput_bps\s+32200000000/);
    const bad = await vfbench(['parse', 'iperf3', 'test/fixtures/iperf3/captured/err_no_server_json.stdout']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('server-unreachable: unable to connect to server: Connection refused');
  });
});

describe('vfbench run --dry-run', () => {
  it('prints every switch, server, client and the restore, connecting to nothing', async () => {
    // 192.0.2.x (TEST-NET-1) is never reached: a dry run opens no connection at all.
    const s = await scenarioFile(
      SCENARIO.replace('root@198.18.0.11', 'root@192.0.2.1').replace('root@198.18.0.12', 'root@192.0.2.2').replace('repeat: 2', 'repeat: 1').replace('protocol: [udp, tcp]', 'protocol: udp'),
    );
    const r = await vfbench(['run', s.file, '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    // Each trial samples both hosts, inside the agent.
    const samplers = lines.filter((l) => l.endsWith('(sampler; no process)'));
    expect(samplers).toEqual(['b', 'a', 'b', 'a'].map((h) => `${h}: sample /proc/stat and /proc/net/dev every 1s in the agent until the trial ends   (sampler; no process)`));
    expect(lines.filter((l) => !samplers.includes(l))).toEqual([
      '# connect: one SSH login per host (a, b) for the whole run, starting the vfbench agent (python3; its source is sent over the channel)',
      '# switch a->b to pv (guest-link)',
      'a: ip link set dev vf0 down',
      'b: ip link set dev vf0 down',
      '# trial t0-udp-m64-p0-pv-r1',
      'b: sockperf server -i 198.18.1.2 -p 11111 &   (until udp port 11111 listens; stopped after the trial)',
      'a: sockperf ping-pong -i 198.18.1.2 -p 11111 -m 64 -t 5 --mps=max --full-log /tmp/vfbench.RUN/t0-udp-m64-p0-pv-r1.fulllog.csv',
      '# switch a->b to vf (guest-link)',
      'a: ip link set dev vf0 up',
      'b: ip link set dev vf0 up',
      '# trial t0-udp-m64-p0-vf-r1',
      'b: sockperf server -i 198.18.1.2 -p 11111 &   (until udp port 11111 listens; stopped after the trial)',
      'a: sockperf ping-pong -i 198.18.1.2 -p 11111 -m 64 -t 5 --mps=max --full-log /tmp/vfbench.RUN/t0-udp-m64-p0-vf-r1.fulllog.csv',
      '# on exit (success, failure, Ctrl-C, SIGTERM): restore',
      'a: ip link set dev vf0 <up|down, as found before the first switch>',
      'b: ip link set dev vf0 <up|down, as found before the first switch>',
    ]);
  });
});

describe('dry runs of the cloud examples', () => {
  it.each([
    ['scenarios/azure-nic-example.yaml', 'local (for vm1): az network nic update -g rg-bench -n vm1-nic --accelerated-networking false -o none'],
    ['scenarios/aws-ena-express-example.yaml', "local (for a): aws --region eu-west-1 ec2 modify-network-interface-attribute --network-interface-id eni-0123456789abcdef0 --ena-srd-specification 'EnaSrdEnabled=false,EnaSrdUdpSpecification={EnaSrdUdpEnabled=false}'"],
    ['scenarios/libvirt-hotplug-example.yaml', 'kvm (for g1): virsh detach-device guest1 /etc/vfbench/guest1-vf.xml --live'],
  ])('%s prints its controller commands', async (file, line) => {
    const r = await vfbench(['run', file, '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain(line);
  });
});
