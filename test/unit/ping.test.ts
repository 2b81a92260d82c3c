import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ping from '../../src/tools/ping/parse.js';
import { parseSavedFile } from '../../src/cli/parse.js';
import { parseScenario, ScenarioError } from '../../src/scenario/load.js';
import { makePlan } from '../../src/scenario/plan.js';
import { dryRunLines } from '../../src/runner/dry-run.js';
import { command } from '../../src/util/shell.js';
import { nearestRank } from '../../src/util/samples.js';
import { VF_PV_VARIANTS } from '../helpers/cli.js';

const CAP = 'test/fixtures/ping/captured';
const read = (f: string) => readFileSync(join(CAP, f), 'utf8');
const capture = (name: string) => ping.parseOutput(read(`${name}.stdout`), { stderr: read(`${name}.stderr`), exitCode: Number(read(`${name}.rc`).trim()) });
/** The reply times as printed, in µs: read with a second, independent pattern. */
const printedTimes = (text: string) => [...text.matchAll(/time=(\d+)\.(\d+) ms/g)].map((m) => Number(m[1]) * 1000 + Number(m[2]!.padEnd(3, '0')));

describe('ping output', () => {
  it('pools the percentiles from every reply line of a lab run, and agrees with its own summary', () => {
    const r = capture('lab-56');
    if (!r.ok) throw new Error(r.failure.message);
    const times = printedTimes(read('lab-56.stdout')).sort((a, b) => a - b);
    expect(times).toHaveLength(200);
    const m = ping.metrics(r.value);
    expect(m.count).toBe(200);
    expect(m.p50_us).toBeCloseTo(nearestRank(times, 50)!, 6);
    expect(m.p99_us).toBeCloseTo(nearestRank(times, 99)!, 6);
    expect(m.lost_pct).toBe(0);
    // The summary prints min/avg/max rounded to the µs.
    expect(m.min_us).toBeCloseTo(r.value.summary!.min, 6);
    expect(m.max_us).toBeCloseTo(r.value.summary!.max, 6);
    expect(Math.abs(m.mean_us! - r.value.summary!.avg)).toBeLessThanOrEqual(0.5);
  });

  it('reads a cloud run (PerfKitBenchmarker, two GCE VMs)', () => {
    const text = readFileSync('test/fixtures/ping/third-party/pkb-ping.out', 'utf8');
    const r = ping.parseOutput(text);
    if (!r.ok) throw new Error(r.failure.message);
    const m = ping.metrics(r.value);
    expect([m.count, m.min_us, m.max_us, m.echo_requests]).toEqual([100, 280, 602, 100]);
    expect(m.p50_us).toBe(nearestRank(printedTimes(text).sort((a, b) => a - b), 50));
  });

  it('fails with the reason: no reply at all, a network that is down, replies it did not print', () => {
    const none = capture('unreachable');
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.failure).toMatchObject({ kind: 'no-result', message: expect.stringMatching(/no reply to 12 echo requests \(100% packet loss\)/) });
    const down = capture('network-down');
    expect(down.ok).toBe(false);
    if (!down.ok) expect(down.failure).toEqual({ kind: 'tool-error', message: 'ping: ping: connect: Network is unreachable' });
    const quiet = read('lab-56.stdout').split('\n').filter((l) => !l.includes('bytes from')).join('\n');
    const q = ping.parseOutput(quiet);
    expect(q.ok).toBe(false);
    if (!q.ok) expect(q.failure.message).toMatch(/counted 200 replies but printed 0 reply lines/);
    const cut = ping.parseOutput(read('lab-56.stdout').split('\n').slice(0, 50).join('\n'), { exitCode: null });
    expect(cut.ok).toBe(false);
    if (!cut.ok) expect(cut.failure.message).toMatch(/no statistics/);
  });

  it('reads IPv6 replies, loss printed with %g, corrupted replies; says so when the times have a decimal comma', () => {
    const v6 = read('lab-56.stdout').replaceAll('198.18.1.2', 'fd00::2');
    const r6 = ping.parseOutput(v6);
    if (!r6.ok) throw new Error(r6.failure.message);
    expect(ping.metrics(r6.value).count).toBe(200);
    // iputils prints the loss with %g: one request lost in more than a million reads 9.99999e-05%.
    const text = [
      'PING 198.18.1.2 (198.18.1.2) 56(84) bytes of data.',
      '64 bytes from 198.18.1.2: icmp_seq=1 ttl=64 time=0.050 ms',
      '',
      '--- 198.18.1.2 ping statistics ---',
      '2 packets transmitted, 1 received, +1 corrupted, 9.99999e-05% packet loss, time 1ms',
    ].join('\n');
    const r = ping.parseOutput(text);
    if (!r.ok) throw new Error(r.failure.message);
    expect(ping.metrics(r.value).lost_pct).toBe(0); // computed from the replies, not the printed figure
    const comma = ping.parseOutput(read('lab-56.stdout').replace(/time=(\d+)\.(\d+) ms/g, 'time=$1,$2 ms'));
    expect(comma.ok).toBe(false);
    if (!comma.ok) expect(comma.failure.message).toMatch(/decimal comma: run it with LC_ALL=C/);
  });

  it('counts as lost the requests before the last answered one, not those in flight at the deadline', () => {
    const lines = read('lab-56.stdout').split('\n');
    // Requests 10 and 11 lost, and the last 5 (still in flight when the deadline came).
    const kept = lines.filter((l) => !/icmp_seq=(10|11|19[6-9]|200) /.test(l));
    const text = kept.join('\n').replace('200 received, 0% packet loss', '193 received, 3.5% packet loss');
    const r = ping.parseOutput(text);
    if (!r.ok) throw new Error(r.failure.message);
    expect([r.value.asked, r.value.received]).toEqual([195, 193]);
    expect(ping.metrics(r.value).lost_pct).toBeCloseTo((2 / 195) * 100, 10);
    // icmp_seq wraps at 65536: a run past it keeps counting.
    const wrap = ['65534', '65535', '0', '1'].map((q) => `64 bytes from 198.18.1.2: icmp_seq=${q} ttl=64 time=0.050 ms`);
    const w = ping.parseOutput([...wrap, '4 packets transmitted, 4 received, 0% packet loss, time 3ms'].join('\n'));
    if (!w.ok) throw new Error(w.failure.message);
    expect(w.value.asked).toBe(65537); // 1 … 65535, then 0 and 1 again
  });

  it('leaves duplicate replies out of the samples and counts them', () => {
    const lines = read('lab-56.stdout').split('\n');
    const first = lines.findIndex((l) => l.includes('icmp_seq=1 '));
    lines.splice(first + 1, 0, lines[first]!.replace(/time=[\d.]+ ms/, 'time=9.999 ms (DUP!)'));
    const text = lines.join('\n').replace('200 received,', '200 received, +1 duplicates,');
    const r = ping.parseOutput(text);
    if (!r.ok) throw new Error(r.failure.message);
    const m = ping.metrics(r.value);
    expect(m.count).toBe(200);
    expect(m.duplicate_replies).toBe(1);
    expect(m.max_us).toBeLessThan(9999);
  });

  it('runs in the C locale for the test\'s duration', () => {
    const argv = ping.clientArgv({ address: '198.18.1.2', size: 56, interval: 0.01, seconds: 3 });
    expect(command(argv)).toBe('env LC_ALL=C ping -n -i 0.01 -s 56 -w 3 198.18.1.2');
    expect(() => ping.clientArgv({ address: '198.18.1.2; reboot', size: 56, interval: 0.01, seconds: 3 })).toThrow();
    expect(() => ping.clientArgv({ address: '198.18.1.2', size: 56, interval: 0, seconds: 3 })).toThrow(/interval/);
  });

  it('`vfbench parse ping` reads a saved output', async () => {
    const r = await parseSavedFile('ping', join(CAP, 'lab-1400.stdout'));
    if (!r.ok) throw new Error(r.failure.message);
    expect(r.value).toMatchObject({ tool: 'ping', latencyKind: 'rtt', metrics: { count: 100, lost_pct: 0 } });
  });
});

const SCENARIO = (test: string) => `name: icmp
hosts:
  a: { ssh: local, data: 198.18.1.1 }
  b: { ssh: local, data: 198.18.1.2 }
pairs: [{ client: a, server: b }]
${VF_PV_VARIANTS}repeat: 1
tests:
${test}`;

describe('ping in a scenario', () => {
  it('expands sizes into points, keyed without the one mode, and starts nothing on the server', () => {
    const s = parseScenario(SCENARIO('  - { tool: ping, sizes: [56, 1400], duration: 2s, interval: 5ms }\n'), 'icmp.yaml');
    const plan = makePlan(s);
    expect(plan.trials.map((t) => t.id)).toEqual(['t0-icmp-m56-p0-pv-r1', 't0-icmp-m56-p0-vf-r1', 't0-icmp-m1400-p0-vf-r1', 't0-icmp-m1400-p0-pv-r1']);
    const lines = dryRunLines(s);
    // On the server host: the path switch and the sampler, no process of the tool.
    expect(lines.filter((l) => l.startsWith('b: ') && !l.includes('sample') && !l.includes('ip link set'))).toEqual([]);
    expect(lines).toContain('a: env LC_ALL=C ping -n -i 0.005 -s 56 -w 2 198.18.1.2');
  });

  it('refuses what it cannot run, at the line of the field', () => {
    const text = SCENARIO('  - tool: ping\n    duration: 2s\n    interval: 3s\n    port: 7\n');
    expect(() => parseScenario(text, 'icmp.yaml')).toThrow(ScenarioError);
    try {
      parseScenario(text, 'icmp.yaml');
    } catch (e) {
      expect((e as Error).message).toContain('icmp.yaml:15:5: tests[0].port: unknown field');
    }
    expect(() => parseScenario(SCENARIO('  - { tool: ping, duration: 2s, interval: 3s }\n'), 'icmp.yaml')).toThrow(/icmp\.yaml:1\d:\d+: tests\[0\]\.interval: one echo request every 3s/);
  });
});
