// The host agent (src/hosts/agent.py) with real processes on this machine, through a LocalHost (the same
// agent and protocol as over SSH): commands, jobs started at an instant, blocking waits, lifetime bounds,
// the sampler, streamed files, a dropped connection survived, leftovers of a killed run ended.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/hosts/local.js';
import { ops, nowS, type Host } from '../../src/hosts/host.js';
import { bootstrapCommand } from '../../src/hosts/agent-session.js';
import { parseSamples } from '../../src/tools/proc.js';
import { until } from '../helpers/lab.js';

const label = () => `agent-test-${randomBytes(3).toString('hex')}`;

async function withHost<T>(f: (h: LocalHost) => Promise<T>, o: { label?: string; graceS?: number } = {}): Promise<T> {
  const h = new LocalHost('local', 20_000, { orphanGraceS: o.graceS, reconnectTimeoutMs: 5000 });
  await h.open(o.label ?? label());
  try {
    return await f(h);
  } finally {
    await h.close();
  }
}

/** Is a process alive (and not a zombie)? */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * A vfbench stand-in in its own process: opens a local agent for run `run`, starts a job, prints the
 * agent's PID and folder, then waits to be killed (as a kill -9 of vfbench leaves an agent behind).
 */
async function orphanedAgent(run: string, graceS: number, jobArgv: string[]): Promise<{ pid: number; dir: string; kill(): void }> {
  const code = `
    const { LocalHost } = await import(${JSON.stringify(new URL('../../dist/hosts/local.js', import.meta.url).pathname)});
    const { ops } = await import(${JSON.stringify(new URL('../../dist/hosts/host.js', import.meta.url).pathname)});
    const h = new LocalHost('local', 20000, { orphanGraceS: ${graceS} });
    await h.open(${JSON.stringify(run)});
    await h.call(ops.start({ job: 'left', argv: ${JSON.stringify(jobArgv)}, lifeS: 120 }));
    console.log(JSON.stringify(h.agent));
    setInterval(() => {}, 1000);`;
  const child = execa(process.execPath, ['--input-type=module', '-e', code], { reject: false });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    void child.then((r) => reject(new Error(`the owner exited: ${r.stderr}`)));
  });
  const info = JSON.parse(line) as { pid: number; dir: string };
  return { ...info, kill: () => child.kill('SIGKILL') };
}

/** PIDs of the processes named `name` (their argv[0], as `exec -a` sets it). */
async function pidsOf(name: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0] === name && alive(Number(p))) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('the host agent', () => {
  it('runs commands with their arguments intact, exit code, stderr and stdin, several at once', async () => {
    await withHost(async (h) => {
      expect(await h.run(['printf', '%s|', "it's", 'a b', '$(id)', ''])).toBe("it's|a b|$(id)||");
      expect(await h.exec(['sh', '-c', 'echo oops >&2; exit 3'])).toEqual({ stdout: '', stderr: 'oops\n', code: 3, timedOut: false });
      expect(await h.run(['tr', 'a-z', 'A-Z'], { stdin: 'hello\n' })).toBe('HELLO\n');
      const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => h.run(['echo', String(i)])));
      expect(outs.map((o) => Number(o.trim()))).toEqual(Array.from({ length: 20 }, (_, i) => i));
      // One request each: 3 + 20 round trips.
      expect(h.requests).toBe(23);
    });
  });

  it('ends a command that outlives its timeout, with everything it started', async () => {
    await withHost(async (h) => {
      const mark = `vfbtest-${randomBytes(4).toString('hex')}`;
      const running = h.exec(['sh', '-c', `bash -c 'exec -a ${mark} sleep 37' & sleep 38`], { timeoutMs: 3000 });
      await until('the grandchild', async () => (await pidsOf(mark)).length === 1, 5000);
      const r = await running;
      expect(r.timedOut).toBe(true);
      expect(r.code).toBeNull();
      await until('the grandchild to be gone', async () => (await pidsOf(mark)).length === 0, 5000);
    });
  });

  it('starts a job at an instant on the host, stamps its start and end, and waits for it without polling', async () => {
    await withHost(async (h) => {
      const at = nowS() + 1; // room for the request to arrive first on a loaded machine
      const s = await h.call(ops.start({ job: 'j1', argv: ['sh', '-c', 'echo out; echo err >&2; sleep 0.3; exit 7'], lifeS: 10, at }));
      expect(s.started).toBe(true);
      // Stamped in the child just before exec: not before the instant.
      expect(s.start!).toBeGreaterThanOrEqual(at);
      expect(s.lateMs!).toBeCloseTo((s.start! - at) * 1000, 6);
      expect(s.arrivedLateMs).toBe(0);
      const w = await h.call(ops.wait('j1', 10));
      expect(w).toMatchObject({ job: 'j1', running: false, rc: 7 });
      expect(w.end! - w.start).toBeGreaterThanOrEqual(0.3);
      expect(await readFile(w.stdout, 'utf8')).toBe('out\n');
      expect(await readFile(w.stderr, 'utf8')).toBe('err\n');
      const times = (await readFile(w.times, 'utf8')).trim().split('\n').map(Number);
      expect(times).toEqual([w.start, Number(w.end!.toFixed(6))]);
      // A wait that times out says so and leaves the job running.
      await h.call(ops.start({ job: 'j2', argv: ['sleep', '30'], lifeS: 60 }));
      const timedOut = await h.call(ops.wait('j2', 0.2));
      expect(timedOut).toMatchObject({ running: true, timedOut: true });
      const stopped = await h.call(ops.stop(['j2'], 1));
      expect(stopped.j2).toMatchObject({ running: false, killed: false, signal: 15 });
    });
  });

  it('starts a job only while the jobs it requires still run', async () => {
    await withHost(async (h) => {
      const b = h.batch();
      b.add(ops.start({ job: 'load', argv: ['sleep', '0.1'], lifeS: 5 }));
      const late = b.add(ops.start({ job: 'measured', argv: ['true'], lifeS: 5, delayS: 0.5, requires: ['load'] }));
      await b.send(10_000);
      expect(late.value).toMatchObject({ started: false, why: 'load is not running' });
      const b2 = h.batch();
      b2.add(ops.start({ job: 'load2', argv: ['sleep', '5'], lifeS: 10 }));
      const ok = b2.add(ops.start({ job: 'measured2', argv: ['true'], lifeS: 5, delayS: 0.2, requires: ['load2'] }));
      await b2.send(10_000);
      expect(ok.value.started).toBe(true);
      await h.call(ops.stop(['load2']));
      // Without an instant the jobs it needs are checked at once.
      expect(await h.call(ops.start({ job: 'now', argv: ['true'], lifeS: 5, requires: ['load2'] }))).toMatchObject({ started: false, why: 'load2 is not running' });
      // A job stopped while it waits for its instant never started (Ctrl-C during a load's lead).
      const waiting = h.call(ops.start({ job: 'later', argv: ['true'], lifeS: 5, at: nowS() + 3 }));
      await new Promise((r) => setTimeout(r, 300));
      await h.call(ops.stop(['later']));
      expect(await waiting).toMatchObject({ started: false, why: 'stopped before its start' });
    });
  });

  it('bounds every job\'s life, and stops a job that ignores SIGTERM with its whole group', async () => {
    await withHost(async (h) => {
      await h.call(ops.start({ job: 'forever', argv: ['sleep', '30'], lifeS: 0.5 }));
      const w = await h.call(ops.wait('forever', 20));
      expect(w.rc).toBe(124); // coreutils timeout ended it, not the sleep's own end
      const mark = `vfbtest-${randomBytes(4).toString('hex')}`;
      await h.call(ops.start({ job: 'stubborn', argv: ['sh', '-c', `trap "" TERM; bash -c 'trap "" TERM; exec -a ${mark} sleep 60' & wait`], lifeS: 120 }));
      await until('its child', async () => (await pidsOf(mark)).length === 1, 5000);
      const s = await h.call(ops.stop(['stubborn'], 0.5));
      expect(s.stubborn!.killed).toBe(true);
      expect(await pidsOf(mark)).toEqual([]);
    });
  });

  it('reports a server listening on its port from /proc, and one that does not', async () => {
    await withHost(async (h) => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const srv = await h.call(ops.start({ job: 'srv', argv: ['sockperf', 'server', '--tcp', '-i', '127.0.0.1', '-p', String(port)], lifeS: 30, ready: { protocol: 'tcp', port, timeoutS: 5 } }));
      expect(srv.ready).toBe(true);
      const udp = await h.call(ops.start({ job: 'udp', argv: ['sockperf', 'server', '-i', '127.0.0.1', '-p', String(port)], lifeS: 30, ready: { protocol: 'udp', port, timeoutS: 5 } }));
      expect(udp.ready).toBe(true);
      const t0 = Date.now();
      const none = await h.call(ops.start({ job: 'none', argv: ['sleep', '30'], lifeS: 30, ready: { protocol: 'tcp', port: port + 1, timeoutS: 0.3 } }));
      expect(none.ready).toBe(false);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
      // A port that something else listens on is not this job's: not ready (a stale server is no success).
      const other = await h.call(ops.start({ job: 'other', argv: ['sleep', '30'], lifeS: 30, ready: { protocol: 'tcp', port, timeoutS: 0.3 } }));
      expect(other.ready).toBe(false);
      // A server that dies is not waited for until the timeout.
      const dead = await h.call(ops.start({ job: 'dead', argv: ['false'], lifeS: 30, ready: { protocol: 'tcp', port: port + 2, timeoutS: 20 } }));
      expect(dead.ready).toBe(false);
      expect(dead.job).toMatchObject({ running: false, rc: 1 });
      await h.call(ops.stop(['srv', 'udp', 'none', 'other']));
    });
  });

  it('samples /proc in the agent itself, in the format the sampler parser reads', async () => {
    await withHost(async (h) => {
      await h.call(ops.samplerStart('s', 0.1, 1000));
      await new Promise((r) => setTimeout(r, 650));
      const { text } = await h.call(ops.samplerStop('s'));
      const p = parseSamples(text!);
      if (!p.ok) throw new Error(p.failure.message);
      expect(p.value.ncpu).toBe(Number((await execa('nproc')).stdout));
      expect(p.value.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
      expect(p.value.samples.length).toBeGreaterThanOrEqual(2);
      expect(Object.keys(p.value.samples[0]!.interfaces)).toContain('lo');
      // On a 0.1 s grid: a tick missed in a stall is skipped, never caught up in a burst. (A late wake-up
      // makes the next gap short, so the gaps alone do not tell: at most one sample a tick does.)
      const times = p.value.samples.map((s) => s.time);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      for (const g of gaps) expect(g).toBeGreaterThan(0.01);
      expect(times.length).toBeLessThanOrEqual(Math.ceil((times.at(-1)! - times[0]!) / 0.1 - 1e-9) + 1);
      // A bounded count ends it by itself.
      await h.call(ops.samplerStart('short', 0.05, 3));
      await new Promise((r) => setTimeout(r, 1000)); // 0.1 s of ticks, with room for a loaded machine
      const short = parseSamples((await h.call(ops.samplerStop('short'))).text!);
      expect(short.ok && short.value.samples.length).toBe(3);
    });
  });

  it('streams files byte-exact (binary, empty, missing, 40 MB) and checks them by SHA-256', async () => {
    await withHost(async (h) => {
      const dir = h.agent!.dir;
      const big = randomBytes(40 << 20);
      await writeFile(join(dir, 'big'), big);
      await writeFile(join(dir, 'bin'), Buffer.from([0x61, 0x1b, 0x00, 0xff, 0x0a]));
      await writeFile(join(dir, 'empty'), '');
      const local = await mkdtemp(join(tmpdir(), 'vfb-fetch-'));
      const got = await h.call(ops.fetch([join(dir, 'big'), join(dir, 'bin'), join(dir, 'missing'), join(dir, 'empty')], [join(local, 'big'), undefined, undefined, join(local, 'empty')]));
      expect(got[0]).toMatchObject({ size: big.length, sha256: createHash('sha256').update(big).digest('hex') });
      expect(readFileSync(join(local, 'big')).equals(big)).toBe(true);
      expect([...got[1]!.data!]).toEqual([0x61, 0x1b, 0x00, 0xff, 0x0a]);
      expect(got[2]).toBeUndefined();
      expect(readFileSync(join(local, 'empty')).length).toBe(0);
      // gzip on the link: a text file crosses in a fraction of its size and arrives the same.
      const text = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `${i}, 2.${String(i).padStart(9, '0')}, 2.${String(i + 7).padStart(9, '0')}, 3${i % 10}.123\n`).join(''));
      await writeFile(join(dir, 'log'), text);
      const before = h.bytesIn;
      const [gz] = await h.call(ops.fetch([join(dir, 'log')], [undefined], [true]));
      expect(gz!.data!.equals(text)).toBe(true);
      expect(h.bytesIn - before).toBeLessThan(text.length / 3);
      // ... also into a consumer slower than the link (its writes wait): every byte reaches it before the check.
      const seen: Buffer[] = [];
      const ended: string[] = [];
      const slow = { write: (d: Buffer) => new Promise<void>((r) => setTimeout(() => (seen.push(Buffer.from(d)), r()), 2)), end: async () => void ended.push('end'), abort: async (why: string) => void ended.push(why) };
      const [gzSlow] = await h.call(ops.fetch([join(dir, 'log')], [slow], [true]));
      expect(gzSlow!.size).toBe(text.length);
      expect(Buffer.concat(seen).equals(text)).toBe(true);
      // A consumer ends only with a whole file: one the host does not have is aborted, saying so.
      await h.call(ops.fetch([join(dir, 'log'), join(dir, 'no-such-log')], [undefined, slow]));
      expect(ended).toEqual(['end', `${join(dir, 'no-such-log')} is not on ${h.name}`]);
      // Fetched files are removed from the agent's folder, and nothing outside it.
      expect(await h.call(ops.rm([join(dir, 'big'), join(dir, 'missing')]))).toEqual({ removed: 1 });
      await expect(h.call(ops.rm(['/etc/hostname']))).rejects.toThrow(/outside/);
    });
  });

  it('runs a batch in order in one round trip and stops at the first failure', async () => {
    await withHost(async (h) => {
      const before = h.requests;
      const b = h.batch();
      const t = b.add(ops.time());
      const bad = b.add(ops.wait('no-such-job'));
      const after = b.add(ops.time());
      await b.send(5000);
      expect(h.requests - before).toBe(1);
      expect(t.value.time).toBeGreaterThan(0);
      expect(() => bad.value).toThrow(/no job no-such-job/);
      expect(() => after.value).toThrow(/not run/);
    });
  });

  it('keeps its jobs when the connection drops, and is attached again with them', async () => {
    const events: string[] = [];
    await withHost(async (h) => {
      h.onEvent = (e) => events.push(e.type === 'reconnected' ? `reconnected adopted=${e.adopted}` : e.type);
      const pid = h.agent!.pid;
      await h.call(ops.start({ job: 'long', argv: ['sh', '-c', 'sleep 1; exit 5'], lifeS: 20 }));
      // The channel goes away (what a killed sshd does to the agent's stdio).
      (h as unknown as { session: { close(): void } }).session.close();
      const w = await h.call(ops.wait('long', 10));
      expect(w.rc).toBe(5);
      expect(h.agent!.pid).toBe(pid);
      expect(events).toEqual(['lost', 'reconnected adopted=true']);
    });
  });

  it('ends an agent that lost its client after its grace, with its jobs and its folder', async () => {
    const mark = `vfbtest-${randomBytes(4).toString('hex')}`;
    const o = await orphanedAgent(label(), 1, ['bash', '-c', `exec -a ${mark} sleep 3`]);
    await until('the job', async () => (await pidsOf(mark)).length === 1, 5000);
    o.kill(); // vfbench is gone: the agent keeps its job to its end, waits 1 s for an attach, then goes
    expect(alive(o.pid)).toBe(true);
    await until('the orphaned agent to end', async () => !alive(o.pid), 15_000);
    expect(await pidsOf(mark)).toEqual([]);
    expect(existsSync(o.dir)).toBe(false);
  });

  it('dies with its parent: when the agent is killed, its jobs end too', async () => {
    const h = new LocalHost('local', 20_000);
    await h.open(label());
    const mark = `vfbtest-${randomBytes(4).toString('hex')}`;
    await h.call(ops.start({ job: 'orphan', argv: ['bash', '-c', `exec -a ${mark} sleep 60`], lifeS: 120 }));
    await until('the job', async () => (await pidsOf(mark)).length === 1, 5000);
    process.kill(h.agent!.pid, 'SIGKILL');
    await until('the job to end with its agent', async () => (await pidsOf(mark)).length === 0, 10_000);
    await h.close();
  });

  it('ends what an earlier session of the same run left: its agent, its jobs, its folder', async () => {
    const run = label();
    const mark = `vfbtest-${randomBytes(4).toString('hex')}`;
    const old = await orphanedAgent(run, 600, ['bash', '-c', `exec -a ${mark} sleep 60`]);
    await until('the job', async () => (await pidsOf(mark)).length === 1, 5000);
    old.kill(); // vfbench killed: its agent would wait 600 s for an attach, with its job running
    // The resumed run has two hosts sharing this /tmp (as the lab's VMs do): neither ends the other's agent.
    const other = new LocalHost('local', 20_000);
    await other.open(run);
    try {
      await withHost(
        async (h) => {
          const found = await h.call(ops.cleanup(run));
          expect(found).toEqual([{ dir: old.dir, agent: old.pid, killed: [] }]);
          expect(alive(old.pid)).toBe(false);
          expect(await pidsOf(mark)).toEqual([]);
          expect(existsSync(old.dir)).toBe(false);
          expect(existsSync(h.agent!.dir)).toBe(true);
          expect(alive(other.agent!.pid)).toBe(true);
          expect(existsSync(other.agent!.dir)).toBe(true);
        },
        { label: run },
      );
    } finally {
      await other.close();
    }
    expect((await readdir(tmpdir())).filter((f) => f.startsWith(`vfbench.${run}.`))).toEqual([]);
  });

  it('starts from a command that any login shell passes on unchanged', async () => {
    const cmd = bootstrapCommand(1234, ['attach', '/tmp/x/agent.sock']);
    expect(cmd).not.toMatch(/[\n!]/);
    expect(cmd.slice('exec /bin/sh -c \''.length, -1)).not.toContain("'");
    // Through sh and bash -c, as sshd runs it: python reads exactly the source it is given.
    for (const shell of ['sh', 'bash']) {
      const src = Buffer.from("import sys\nprint('ran', sys.argv[2:])\n");
      const r = await execa(shell, ['-c', bootstrapCommand(src.length, ['a', 'b'])], { input: src });
      expect(r.stdout).toBe("ran ['a', 'b']");
    }
  });
});

export type { Host };
