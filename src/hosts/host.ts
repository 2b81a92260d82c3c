// The Host: one long-lived agent per host (src/hosts/agent.py) over one connection, the same way over SSH
// and on the local machine. Commands run without a login shell each; several operations travel in one
// round trip (Batch); a lost connection is re-established with bounded backoff and the agent, which kept
// its jobs running, is attached again. Everything above this layer passes argv arrays, never strings.
import type { Duplex, Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { command, positiveInt, type Arg } from '../util/shell.js';
import { EnvironmentError } from '../util/errors.js';
import { AGENT_SOURCE, AgentError, AgentSession, ConnectionLost, bootstrapCommand, nowS } from './agent-session.js';

export { AgentError, ConnectionLost, nowS };

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when the process died from a signal or the command timed out. */
  code: number | null;
  timedOut: boolean;
}

export interface ExecOptions {
  /** Give up after this long (the agent ends the command's whole process group); default: the host's command timeout. */
  timeoutMs?: number;
  stdin?: string;
}

export class HostCommandError extends Error {
  constructor(
    readonly host: string,
    readonly cmd: string,
    readonly result: ExecResult,
  ) {
    const why = result.timedOut ? 'timed out' : `exit ${result.code}`;
    super(`${host}: \`${cmd}\` failed (${why}): ${(result.stderr || result.stdout).trim().slice(0, 500)}`);
    this.name = 'HostCommandError';
  }
}

/** The host could not be reached again within the reconnect budget. */
export class HostDown extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`${host} is unreachable: ${reason}`);
    this.name = 'HostDown';
  }
}

/** A process the agent started (a "job"), as the agent reports it. */
export interface JobInfo {
  job: string;
  pid: number;
  running: boolean;
  /** Wall-clock start (stamped in the child just before exec) and end (when reaped), host epoch seconds. */
  start: number;
  end: number | null;
  rc: number | null;
  signal?: number;
  stdout: string;
  stderr: string;
  times: string;
  timedOut?: boolean;
  killed?: boolean;
}

export interface StartResult {
  started: boolean;
  /** Why a job with `requires` was not started (a required job had ended). */
  why?: string;
  pid?: number;
  start?: number;
  stdout?: string;
  stderr?: string;
  /** How late the start was against `at` (stamped after the instant). */
  lateMs?: number;
  /** How late the request arrived for `at` (it came after the instant: the margin was too short). */
  arrivedLateMs?: number;
  /** With `ready`: something listened on the port before the timeout. */
  ready?: boolean;
  job?: JobInfo;
}

/** Packet and byte counters of one interface (sysfs statistics). */
export interface IfCounters {
  rx_packets: number;
  tx_packets: number;
  rx_bytes: number;
  tx_bytes: number;
}

export interface FetchedFile {
  size: number;
  sha256: string;
  /** The content, when no local file was named for it. */
  data?: Buffer;
}

export interface AgentInfo {
  pid: number;
  dir: string;
  python: string;
  uid: number;
  jobs: JobInfo[];
}

export type HostEvent =
  | { type: 'lost'; host: string; cause: string }
  | { type: 'reconnected'; host: string; adopted: boolean; afterMs: number }
  | { type: 'down'; host: string; cause: string };

/** One operation of the agent protocol, with whether it answers at once (its time is a round trip). */
export interface Op<T> {
  req: Record<string, unknown>;
  quick: boolean;
  /** Where fetched bytes go (fetch only). */
  sink?: FetchSink;
  /** Turns the agent's answer into the result (throws to fail the operation). */
  map?: (raw: unknown) => T;
}

/**
 * What takes a fetched file's bytes as they arrive (a streaming parser, say): `write` may return a promise,
 * which holds the transfer until it settles; `end` is called once the file is complete (or cut off).
 */
export interface FileConsumer {
  /** The file's size, announced before its bytes (to reserve memory once). */
  size?(bytes: number): void;
  write(data: Buffer): void | Promise<void>;
  /** All bytes came and were verified (size and SHA-256). */
  end(): Promise<void>;
  /** The fetch failed or the file arrived damaged: drop what was written. */
  abort(why: string): Promise<void>;
}

/** Where a fetched file goes: a local file, memory (undefined), or a consumer. */
export type FetchDestination = string | FileConsumer | undefined;

/** One file of a fetch: its destination, and its running size and SHA-256 of the content. */
class FetchTarget {
  fd?: number;
  buffers: Buffer[] = [];
  hash = createHash('sha256');
  size = 0;
  gunzip?: Gunzip;
  /** Settles when every inflated byte went through content() (the gunzip's own 'end' comes earlier). */
  inflated?: Promise<void>;
  constructor(
    readonly dest: FetchDestination,
    gzip: boolean,
  ) {
    if (gzip) this.gunzip = createGunzip();
  }
}

/**
 * Where a fetch writes each file, checked against the size and SHA-256 of the content the agent read. A file
 * sent gzip-compressed (slow links) is inflated here on the way. A local failure (disk full) is reported
 * by finish(), never thrown into the connection.
 */
class FetchSink {
  private targets: FetchTarget[];
  private failure?: string;
  constructor(
    readonly dests: FetchDestination[],
    readonly gzip: boolean[],
  ) {
    this.targets = dests.map((d, i) => new FetchTarget(d, gzip[i] ?? false));
    for (const t of this.targets) {
      if (!t.gunzip) continue;
      const sink = new Writable({ write: (chunk: Buffer, _e, cb) => void Promise.resolve(this.content(t, chunk)).then(() => cb(), cb) });
      t.inflated = pipeline(t.gunzip, sink).catch((err: Error) => void (this.failure ??= `cannot inflate a fetched file: ${err.message}`));
    }
  }

  /** The size the agent announced for a file. */
  size(file: number, bytes: number): void {
    const d = this.targets[file]?.dest;
    if (typeof d === 'object') d.size?.(bytes);
  }

  /**
   * Bytes as they came over the connection. A promise pauses the channel until they are taken; it never
   * rejects (that would drop the connection and every job on the host): a local failure is kept for finish().
   */
  chunk(file: number, data: Buffer): void | Promise<void> {
    const t = this.targets[file];
    if (!t || this.failure) return;
    const wait = t.gunzip ? (t.gunzip.write(data) ? undefined : Promise.race([once(t.gunzip, 'drain'), t.inflated])) : this.content(t, data);
    return wait?.then(
      () => {},
      (err: Error) => void (this.failure ??= `cannot take a fetched file: ${err.message}`),
    );
  }

  /** Bytes of the file itself. */
  private content(t: FetchTarget, data: Buffer): void | Promise<void> {
    if (this.failure) return;
    t.hash.update(data);
    t.size += data.length;
    try {
      if (typeof t.dest === 'string') {
        t.fd ??= openSync(t.dest, 'w');
        writeSync(t.fd, data);
      } else if (t.dest === undefined) {
        t.buffers.push(Buffer.from(data));
      } else {
        return t.dest.write(data);
      }
    } catch (err) {
      this.failure = `cannot write ${String(t.dest)}: ${(err as Error).message}`;
    }
  }

  /** A fetch that failed: its consumers drop what they got. */
  async abandon(why: string): Promise<void> {
    this.failure ??= why;
    this.close();
    for (const t of this.targets) t.gunzip?.destroy();
    for (const t of this.targets) if (typeof t.dest === 'object') await t.dest.abort(why).catch(() => {});
  }

  /** Close the local files (also when the fetch failed half-way). */
  close(): void {
    for (const t of this.targets) {
      if (t.fd !== undefined) closeSync(t.fd);
      t.fd = undefined;
    }
  }

  /**
   * Finish every file (inflating) and check each against the size and SHA-256 the agent computed; a
   * consumer ends only with a verified file, else it aborts (a file the host did not have too).
   */
  async finish(host: string, paths: string[], reported: ({ size: number; sha256: string } | null)[]): Promise<(FetchedFile | undefined)[]> {
    for (const t of this.targets) {
      if (!t.gunzip) continue;
      t.gunzip.end();
      await t.inflated;
    }
    this.close();
    const damaged: string[] = [];
    const out = reported.map((r, i): FetchedFile | undefined => {
      if (!r) return undefined;
      const t = this.targets[i]!;
      // An empty file sends no chunk: create it so that it exists like the remote one.
      if (typeof t.dest === 'string' && t.size === 0 && !this.failure) closeSync(openSync(t.dest, 'w'));
      const sha = t.hash.digest('hex');
      if (t.size !== r.size || sha !== r.sha256) damaged[i] = `${paths[i]} arrived damaged (${t.size} bytes, sha256 ${sha.slice(0, 12)}…; sent ${r.size}, ${r.sha256.slice(0, 12)}…)`;
      return { size: t.size, sha256: sha, data: t.dest === undefined ? Buffer.concat(t.buffers) : undefined };
    });
    for (const [i, t] of this.targets.entries()) {
      if (typeof t.dest !== 'object') continue;
      const problem = this.failure ?? damaged[i] ?? (reported[i] ? undefined : `${paths[i]} is not on ${host}`);
      await (problem ? t.dest.abort(problem) : t.dest.end());
    }
    if (this.failure) throw new Error(`${host}: ${this.failure}`);
    const first = damaged.find((d) => d);
    if (first) throw new Error(`${host}: ${first}`);
    return out;
  }
}

export interface StartOptions {
  job: string;
  argv: readonly Arg[];
  /** Lifetime bound in seconds: the agent runs the job under `timeout`, so it ends by then whatever happens. */
  lifeS: number;
  /** Start at this host epoch (seconds), timed on the host. */
  at?: number;
  /** Start this many seconds after the operation runs. */
  delayS?: number;
  /** Start only if these jobs still run at the instant of the start. */
  requires?: string[];
  /** Wait until something listens on the port (read from /proc on the host). */
  ready?: { protocol: 'tcp' | 'udp'; port: number; timeoutS: number };
}

/** Typed builders of the agent's operations. */
export const ops = {
  time: (): Op<{ time: number }> => ({ req: { op: 'time' }, quick: true }),
  start(o: StartOptions): Op<StartResult> {
    // Plain words go to execvp as they are; shell syntax (raw()) needs a shell, built by the one quoting helper.
    const plain = o.argv.every((a) => typeof a !== 'object');
    const argv = plain ? o.argv.map(String) : ['/bin/sh', '-c', command(o.argv)];
    return {
      req: {
        op: 'start',
        job: o.job,
        argv,
        life: o.lifeS,
        at: o.at,
        delay: o.delayS,
        requires: o.requires,
        ready: o.ready ? { protocol: o.ready.protocol, port: o.ready.port, timeout: o.ready.timeoutS } : undefined,
      },
      quick: o.at === undefined && o.delayS === undefined && !o.ready,
    };
  },
  wait: (job: string, timeoutS?: number): Op<JobInfo> => ({ req: { op: 'wait', job, timeout: timeoutS }, quick: false }),
  stop: (jobs: string[], graceS = 2): Op<Record<string, JobInfo>> => ({ req: { op: 'stop', jobs, grace: graceS }, quick: false }),
  samplerStart: (name: string, intervalS: number, count: number): Op<{ started: boolean }> => ({
    req: { op: 'sampler_start', name, interval: intervalS, count: positiveInt(count, 'sample count') },
    quick: true,
  }),
  samplerStop: (name: string): Op<{ text: string | null }> => ({ req: { op: 'sampler_stop', name }, quick: true }),
  counters: (interfaces: string[]): Op<Record<string, IfCounters>> => ({ req: { op: 'counters', interfaces }, quick: true }),
  /**
   * Stream files off the host: `dests[i]` is a local file, a consumer, or memory (undefined) for paths[i];
   * `gzip[i]` has the agent compress it on the way (worth it on slow links, not on a lab).
   */
  fetch(paths: string[], dests: FetchDestination[] = [], gzip: boolean[] = []): Op<(FetchedFile | undefined)[]> {
    return { req: { op: 'fetch', paths, gzip: gzip.some(Boolean) ? paths.map((_, i) => gzip[i] ?? false) : undefined }, quick: false, sink: new FetchSink(paths.map((_, i) => dests[i]), gzip) };
  },
  rm: (paths: string[]): Op<{ removed: number }> => ({ req: { op: 'rm', paths }, quick: true }),
  /** Hold the host for a run (released when its agent ends; a lock whose agent died is stale). */
  lock: (run: string): Op<{ locked: string; shared?: boolean }> => ({ req: { op: 'lock', run }, quick: true }),
  /** End what an earlier session of run `run` left on the host: its agents, their jobs, their folders. */
  cleanup: (run: string): Op<{ dir: string; agent: number | null; killed: number[] }[]> => ({ req: { op: 'cleanup', run, session: SESSION }, quick: false }),
  /** A command line (built by the quoting helper) through /bin/sh on the host. */
  exec: (argv: readonly Arg[], timeoutS: number, stdin?: string): Op<ExecResult> => ({
    req: { op: 'exec', sh: command(argv), timeout: timeoutS, stdin: stdin !== undefined ? Buffer.from(stdin).toString('base64') : undefined },
    quick: false,
    map: (r) => {
      const x = r as ExecResult;
      return { stdout: x.stdout, stderr: x.stderr, code: x.timedOut ? null : x.code, timedOut: x.timedOut };
    },
  }),
};

/** The answer to one operation of a batch. */
export class Slot<T> {
  ok?: boolean;
  error?: string;
  private v?: T;
  constructor(
    readonly host: string,
    readonly op: Op<T>,
  ) {}
  set(ok: boolean, value: unknown, error?: string): void {
    this.ok = ok;
    this.v = value as T;
    this.error = error;
  }
  /** The result; throws when the operation failed or did not run (an earlier one failed). */
  get value(): T {
    if (this.ok) return this.v as T;
    throw new AgentError(this.host, String(this.op.req.op), this.error ?? 'not run: an earlier operation of its batch failed');
  }
}

/** Operations that run in order on the host, in one round trip. */
export class Batch {
  private readonly slots: Slot<unknown>[] = [];
  constructor(private readonly host: Host) {}

  add<T>(op: Op<T>): Slot<T> {
    if (op.sink && this.slots.some((s) => s.op.sink)) throw new Error('one fetch per batch');
    const slot = new Slot<T>(this.host.name, op);
    this.slots.push(slot as Slot<unknown>);
    return slot;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Send the batch; each slot gets its answer. Throws only when the host could not be asked. */
  async send(timeoutMs: number): Promise<void> {
    if (this.slots.length === 0) return;
    const sink = this.slots.find((s) => s.op.sink)?.op.sink;
    const quick = this.slots.every((s) => s.op.quick);
    let results: { ok: boolean; result?: unknown; error?: string }[];
    try {
      results = await this.host.request(
        { op: 'batch', ops: this.slots.map((s) => s.op.req) },
        { timeoutMs, quick, label: this.slots.map((s) => s.op.req.op).join(','), onChunk: sink ? (f, d) => sink.chunk(f, d) : undefined, onSize: sink ? (f, n) => sink.size(f, n) : undefined },
      );
    } catch (err) {
      await sink?.abandon((err as Error).message);
      throw err;
    } finally {
      sink?.close();
    }
    for (const [i, s] of this.slots.entries()) {
      const r = results[i];
      if (!r || !r.ok) {
        s.set(false, undefined, r?.error);
        await s.op.sink?.abandon(r?.error ?? 'not run: an earlier operation of its batch failed');
        continue;
      }
      try {
        if (s.op.sink) {
          const fetched = (r.result as { files: ({ size: number; sha256: string } | null)[] }).files;
          s.set(true, await s.op.sink.finish(this.host.name, s.op.req.paths as string[], fetched));
          continue;
        }
        s.set(true, s.op.map ? s.op.map(r.result) : r.result);
      } catch (err) {
        s.set(false, undefined, (err as Error).message);
      }
    }
  }
}

export interface HostOptions {
  name: string;
  /** Default bound on one command. */
  commandTimeoutMs: number;
  /** How long a lost connection is retried (bounded backoff) before the host counts as down. */
  reconnectTimeoutMs?: number;
  /** Seconds an agent that lost its client keeps its jobs and waits to be attached again. */
  orphanGraceS?: number;
  /** gzip large files on the host for the transfer: auto = when round trips take over 2 ms (not a lab). */
  compress?: 'auto' | 'always' | 'never';
}

const RTT_SAMPLES = 32;

/**
 * This vfbench process, as its agents know it: a cleanup of a run's leftovers spares the agents of the
 * process asking (several hosts may share one /tmp, as the lab's do).
 */
export const SESSION = randomBytes(8).toString('hex');


/** What a transport provides: a connection, a channel that starts the agent, a channel to a running one. */
export abstract class Host {
  readonly name: string;
  protected readonly commandTimeoutMs: number;
  private session?: AgentSession;
  /** The agent this host talks to (its folder on the host holds the run's scratch files). */
  agent?: AgentInfo;
  /** Requests sent (a batch counts once): the round trips vfbench cost this host. */
  requests = 0;
  onEvent?: (e: HostEvent) => void;
  private label = 'vfbench';
  private readonly rtts: number[] = [];
  /** Recent delivery times of requests (sent here → arrived there), ms, corrected by the clock offset. */
  private readonly deliveries: number[] = [];
  /** Host clock minus local clock (s), once measured. */
  private offsetS = 0;
  private recovering?: Promise<void>;
  private down?: { cause: string; at: number; attempts: number };
  private closing = false;

  constructor(protected readonly opts: HostOptions) {
    this.name = opts.name;
    this.commandTimeoutMs = opts.commandTimeoutMs;
  }

  /** Human description for logs, e.g. root@198.18.0.11 (never a key or password). */
  abstract describe(): string;
  /** Open (or re-open) the connection itself. */
  protected abstract connectTransport(): Promise<void>;
  /** A channel running `cmd` on the host (stdin/stdout as the stream). */
  protected abstract execChannel(cmd: string): Promise<{ stream: Duplex; stderr?: Readable }>;
  /** A channel to the unix socket of a running agent; undefined when the transport cannot open one. */
  protected abstract socketChannel(path: string): Promise<Duplex | undefined>;
  protected abstract closeTransport(): Promise<void>;

  /** Connect and start the agent; `label` (the run id) names its folder on the host: /tmp/vfbench.<label>.*. */
  async open(label: string): Promise<void> {
    this.label = label;
    await this.connectTransport();
    await this.startAgent();
  }

  private async startAgent(): Promise<void> {
    const ch = await this.execChannel(bootstrapCommand(AGENT_SOURCE.length));
    const s = new AgentSession(this.name, ch.stream, ch.stderr);
    s.writeRaw(AGENT_SOURCE);
    this.install(s, await this.hello(s, false));
  }

  /** Attach to the agent that ran before the connection dropped; false when it is gone. */
  private async attachAgent(): Promise<boolean> {
    if (!this.agent) return false;
    const old = this.agent;
    const sock = `${old.dir}/agent.sock`;
    let stream = await this.socketChannel(sock).catch(() => undefined);
    let stderr: Readable | undefined;
    if (!stream) {
      // Without stream-local forwarding (DisableForwarding): a relay started by the same bootstrap.
      const ch = await this.execChannel(bootstrapCommand(AGENT_SOURCE.length, ['attach', sock])).catch(() => undefined);
      if (!ch) return false;
      ch.stream.write(AGENT_SOURCE);
      stream = ch.stream;
      stderr = ch.stderr;
    }
    const s = new AgentSession(this.name, stream, stderr);
    const info = await this.hello(s, true).catch(() => undefined);
    if (!info || info.pid !== old.pid || info.dir !== old.dir) {
      s.close();
      return false;
    }
    this.install(s, info);
    return true;
  }

  private async hello(s: AgentSession, attaching: boolean): Promise<AgentInfo> {
    const hello = s.request<AgentInfo & { time: number }>({ op: 'hello', run: this.label, session: SESSION, grace: this.opts.orphanGraceS ?? 120 });
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the agent did not answer within 30 s${s.stderr ? `: ${s.stderr}` : ''}`)), 30_000).unref());
    let info: AgentInfo;
    try {
      info = await Promise.race([hello, timer]);
    } catch (err) {
      s.close();
      const why = err instanceof ConnectionLost ? err.reason : (err as Error).message;
      throw new EnvironmentError(`${this.name}: ${attaching ? 'cannot attach to its agent' : 'the vfbench agent did not start'}: ${why}`);
    }
    return info;
  }

  private install(s: AgentSession, info: AgentInfo): void {
    s.onDelivery = (sent, recv) => {
      this.deliveries.push(Math.max(0, (recv - this.offsetS - sent) * 1000));
      if (this.deliveries.length > RTT_SAMPLES) this.deliveries.shift();
    };
    this.session = s;
    this.agent = info;
    s.onClose = (cause) => this.sessionLost(s, cause);
  }

  private sessionLost(s: AgentSession, cause: string): void {
    if (s !== this.session || this.closing) return;
    this.session = undefined;
    this.onEvent?.({ type: 'lost', host: this.name, cause });
    this.recoverOnce(cause, this.opts.reconnectTimeoutMs ?? 60_000).catch(() => {});
  }

  /** The one recovery in progress, or a new one: never two at once on a host. */
  private recoverOnce(cause: string, budgetMs: number): Promise<void> {
    if (!this.recovering) {
      const p: Promise<void> = this.recover(cause, budgetMs).finally(() => {
        if (this.recovering === p) this.recovering = undefined;
      });
      this.recovering = p;
    }
    return this.recovering;
  }

  /** Reconnect with bounded exponential backoff; attach to the agent that kept running, else start a new one. */
  private async recover(cause: string, budgetMs: number): Promise<void> {
    const t0 = Date.now();
    let delay = 200;
    let last = cause;
    for (;;) {
      if (this.closing) throw new ConnectionLost(this.name, 'closed by vfbench');
      try {
        await this.closeTransport().catch(() => {});
        await this.connectTransport();
        const adopted = await this.attachAgent();
        if (!adopted) await this.startAgent();
        this.down = undefined;
        this.onEvent?.({ type: 'reconnected', host: this.name, adopted, afterMs: Date.now() - t0 });
        return;
      } catch (err) {
        last = (err as Error).message;
        // A refused host key is final; an unreachable host may come back.
        if (/HOST KEY|unknown host key|revoked|@cert-authority|cannot log in/.test(last)) break;
      }
      if (Date.now() - t0 + delay > budgetMs) break;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
    this.down = { cause: `lost (${cause}); reconnecting failed for ${Math.round((Date.now() - t0) / 1000)} s: ${last}`, at: Date.now(), attempts: (this.down?.attempts ?? 0) + 1 };
    this.onEvent?.({ type: 'down', host: this.name, cause: this.down.cause });
    throw new HostDown(this.name, this.down.cause);
  }

  /**
   * A session that works, or an error saying why there is none. A host that is down is tried again only
   * after a cooldown that doubles with each failed round (so a dead host costs its trials little time).
   */
  async ready(): Promise<void> {
    if (this.session) return;
    if (this.closing) throw new ConnectionLost(this.name, 'closed by vfbench');
    const d = this.down;
    if (!this.recovering && d && Date.now() - d.at < Math.min(2 ** d.attempts * 5000, 300_000)) throw new HostDown(this.name, d.cause);
    await this.recoverOnce(d?.cause ?? 'not connected', this.opts.reconnectTimeoutMs ?? 60_000);
  }

  /** File bytes received over the current session (compressed where they were). */
  get bytesIn(): number {
    return this.session?.bytesIn ?? 0;
  }

  /** Whether the host currently has a working session (no reconnect attempt). */
  get connected(): boolean {
    return this.session !== undefined;
  }

  /** Send one request (one round trip); VFBENCH_TRACE=1 prints each with its time. */
  async request<T>(
    req: Record<string, unknown>,
    o: { timeoutMs: number; quick?: boolean; label?: string; onChunk?: (file: number, d: Buffer) => void | Promise<void>; onSize?: (file: number, n: number) => void },
  ): Promise<T> {
    await this.ready();
    const s = this.session!;
    this.requests++;
    const t0 = performance.now();
    const r = await s.request<T>(req, o.onChunk, o.timeoutMs, o.onSize);
    const ms = performance.now() - t0;
    if (o.quick) {
      this.rtts.push(ms);
      if (this.rtts.length > RTT_SAMPLES) this.rtts.shift();
    }
    if (process.env.VFBENCH_TRACE) process.stderr.write(`[trace] ${this.name} ${ms.toFixed(1)}ms ${o.label ?? String(req.op)}\n`);
    return r;
  }

  /**
   * Run `f` (reads that are safe to repeat); if the connection drops meanwhile, once more after reconnecting.
   */
  async retrying<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if (!(err instanceof ConnectionLost)) throw err;
      await this.ready();
      return f();
    }
  }

  /** One operation, alone in its round trip. */
  async call<T>(op: Op<T>, timeoutMs = this.commandTimeoutMs): Promise<T> {
    const b = new Batch(this);
    const slot = b.add(op);
    await b.send(timeoutMs);
    return slot.value;
  }

  batch(): Batch {
    return new Batch(this);
  }

  /** Whether large files are worth compressing on the host before they cross the link. */
  compressesFetches(): boolean {
    const c = this.opts.compress ?? 'auto';
    return c === 'always' || (c === 'auto' && this.rtts.length > 0 && Math.min(...this.rtts) > 2);
  }

  /**
   * How long recent requests took to arrive here (their maximum, ms; each answer says when its request
   * arrived): what a start instant must leave so that the request reaches the host before it.
   */
  deliveryMs(): number {
    const d = this.deliveries.length > 0 ? Math.max(...this.deliveries) : 0;
    const r = this.rtts.length > 0 ? Math.max(...this.rtts) / 2 : 25;
    return Math.max(d, r);
  }

  /**
   * Host clock minus local clock (s), from `samples` time requests (the one with the shortest round trip,
   * NTP's rule); 0 when within that round trip's half, which cannot be told from zero.
   */
  async clockOffset(samples = 5): Promise<number> {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < samples; i++) {
      const t0 = nowS();
      const { time } = await this.call(ops.time());
      const t1 = nowS();
      if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: time - (t0 + t1) / 2 };
    }
    this.offsetS = Math.abs(best.offset) > best.rtt / 2 ? best.offset : 0;
    this.deliveries.length = 0; // those measured before were corrected with no offset
    return this.offsetS;
  }

  /** Run a command line (built by the quoting helper) through /bin/sh on the host; never throws on non-zero. */
  async exec(argv: readonly Arg[], opts: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    return this.call(ops.exec(argv, timeoutMs / 1000, opts.stdin), timeoutMs + 10_000);
  }

  /** Like exec, but a non-zero exit is an error. Returns stdout. */
  async run(argv: readonly Arg[], opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw new HostCommandError(this.name, command(argv), r);
    return r.stdout;
  }

  /** A file of the host, in memory (small files only: the run streams large ones to disk). */
  async readFile(path: string): Promise<string> {
    const [f] = await this.call(ops.fetch([path]));
    if (!f) throw new Error(`${this.name}: cannot read ${path}`);
    return f.data!.toString('utf8');
  }

  /** Open the connection again after the machine restarted (cloud controllers), retrying until timeoutMs. */
  async reconnect(timeoutMs = this.opts.reconnectTimeoutMs ?? 60_000): Promise<void> {
    const s = this.session;
    this.session = undefined;
    s?.close();
    while (this.recovering) await this.recovering.catch(() => {});
    this.down = undefined;
    await this.recoverOnce('reconnect asked', timeoutMs);
  }

  /** End the agent (it stops its jobs and removes its folder) and the connection. */
  async close(): Promise<void> {
    const first = !this.closing;
    this.closing = true; // the agent's exit closes the channel: that is no drop to recover from
    while (this.recovering) await this.recovering.catch(() => {});
    const s = this.session; // read after a recovery that was under way: its agent is ended too
    if (s && first) {
      const timeout = new Promise((r) => setTimeout(r, 10_000).unref());
      await Promise.race([s.request({ op: 'bye' }).catch(() => {}), timeout]);
      // The agent ends right after its answer: when close() returns, nothing of vfbench runs there.
      await Promise.race([s.whenClosed, new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    this.session?.close();
    this.session = undefined;
    await this.closeTransport().catch(() => {});
  }
}

/**
 * Shell loop polling every 50 ms until `test` succeeds (exit 0) or `timeoutMs` passes (exit 3): for
 * controllers that wait for a state they just asked for (never during a measured window).
 */
export function pollUntil(test: string, timeoutMs: number): string {
  const tries = Math.max(1, Math.ceil(timeoutMs / 50));
  return `i=0; while [ $i -lt ${tries} ]; do ${test} && exit 0; sleep 0.05; i=$((i+1)); done; exit 3`;
}
