// vfbench's side of the agent protocol (src/hosts/agent.py): JSON request lines out; JSON answer lines in,
// some followed by raw bytes (file chunks), which go to the request's chunk handler as they arrive.
import type { Duplex, Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { faultPoint } from '../util/faults.js';

/** The agent's source, sent over the channel at every start (nothing is installed on the host). */
export const AGENT_SOURCE = readFileSync(new URL('./agent.py', import.meta.url));

/** The connection to the host ended while a request was in flight: it may or may not have run. */
export class ConnectionLost extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`${host}: connection lost (${reason})`);
    this.name = 'ConnectionLost';
  }
}

/** The agent answered that an operation failed. */
export class AgentError extends Error {
  constructor(
    readonly host: string,
    readonly op: string,
    message: string,
  ) {
    super(`${host}: ${op}: ${message}`);
    this.name = 'AgentError';
  }
}

/** Bytes of a fetched file as they arrive; a promise holds the channel (backpressure) until it settles. */
export type ChunkHandler = (file: number, data: Buffer) => void | Promise<void>;

/** Wall-clock seconds with sub-millisecond resolution (Date.now() has whole milliseconds). */
export function nowS(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

interface Pending {
  op: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  onChunk?: ChunkHandler;
  onSize?: (file: number, size: number) => void;
  /** This machine's clock when the request was written. */
  sent: number;
  /** A file chunk of this request arrived already. */
  streaming?: boolean;
}

interface Header {
  id: number | null;
  ok?: boolean;
  result?: unknown;
  error?: string;
  bytes?: number;
  file?: number;
  /** Announces a fetched file's size (before its bytes). */
  size?: number;
  /** The host's clock when the request arrived there. */
  recv?: number;
}

/** One agent connection (the channel that started it, or one attached to it later). */
export class AgentSession {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private head: Buffer[] = [];
  private payload?: { left: number; to?: Pending; file: number };
  private stderrText = '';
  closed?: string;
  /** File bytes received (as sent: compressed where the fetch asked for it). */
  bytesIn = 0;
  onClose?: (cause: string) => void;
  /** Each answer: when its request was sent (local clock) and when it arrived (host clock). */
  onDelivery?: (sent: number, recv: number) => void;
  private ended?: () => void;
  /** Resolves when the channel has closed (the agent exited, or the connection went). */
  readonly whenClosed = new Promise<void>((resolve) => (this.ended = resolve));

  constructor(
    readonly host: string,
    private readonly stream: Duplex,
    stderr?: Readable,
  ) {
    stream.on('data', (d: Buffer) => this.data(d));
    stream.on('error', (e: Error) => this.lost(e.message));
    stream.on('close', () => this.lost('the channel closed'));
    stream.on('end', () => this.lost('the channel ended'));
    // The agent's own stderr goes to its log once it runs; before that (no python3, a syntax error) here.
    stderr?.on('data', (d: Buffer) => {
      if (this.stderrText.length < 4000) this.stderrText += d.toString('utf8');
    });
  }

  /** What the host printed on stderr before the agent took over (why it could not start). */
  get stderr(): string {
    return this.stderrText.trim();
  }

  /**
   * Send one request; `timeoutMs` is a backstop for an agent that stops answering on a connection that
   * still looks alive (the request is then forgotten: a late answer is dropped).
   */
  request<T>(req: Record<string, unknown>, onChunk?: ChunkHandler, timeoutMs?: number, onSize?: (file: number, size: number) => void): Promise<T> {
    if (this.closed) return Promise.reject(new ConnectionLost(this.host, this.closed));
    const id = this.nextId++;
    const op = String(req.op);
    return new Promise<T>((resolve, reject) => {
      const line = JSON.stringify({ ...req, id }) + '\n';
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.host}: no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => clearTimeout(timer);
      this.pending.set(id, {
        op,
        resolve: (v) => (done(), (resolve as (v: unknown) => void)(v)),
        reject: (e) => (done(), reject(e)),
        onChunk,
        onSize,
        sent: nowS(),
      });
      this.stream.write(line);
    });
  }

  /** Raw bytes before the protocol starts (the agent's source, read by the bootstrap). */
  writeRaw(b: Buffer): void {
    this.stream.write(b);
  }

  close(): void {
    this.lost('closed by vfbench');
    this.stream.destroy();
  }

  private lost(cause: string): void {
    this.ended?.();
    if (this.closed) return;
    this.closed = this.stderr ? `${cause}: ${this.stderr.split('\n').slice(-3).join(' ')}` : cause;
    for (const p of this.pending.values()) p.reject(new ConnectionLost(this.host, this.closed));
    this.pending.clear();
    this.onClose?.(this.closed);
  }

  private blocked = false;

  private data(d: Buffer): void {
    let off = 0;
    while (off < d.length) {
      if (this.payload) {
        const n = Math.min(this.payload.left, d.length - off);
        this.bytesIn += n;
        const held = this.payload.to?.onChunk?.(this.payload.file, d.subarray(off, off + n));
        off += n;
        this.payload.left -= n;
        if (this.payload.left === 0) this.payload = undefined;
        if (held) {
          // The consumer is behind (a disk, a parser): stop reading the channel until it caught up.
          const rest = d.subarray(off);
          this.blocked = true;
          this.stream.pause();
          held.then(
            () => {
              this.blocked = false;
              if (rest.length > 0) this.data(rest);
              if (!this.blocked) this.stream.resume();
            },
            (err: Error) => this.lost(`a fetched file could not be taken: ${err.message}`),
          );
          return;
        }
        continue;
      }
      const nl = d.indexOf(10, off);
      if (nl < 0) {
        this.head.push(d.subarray(off));
        break;
      }
      this.head.push(d.subarray(off, nl));
      const line = Buffer.concat(this.head).toString('utf8');
      this.head = [];
      off = nl + 1;
      this.header(line);
    }
  }

  private header(line: string): void {
    let h: Header;
    try {
      h = JSON.parse(line) as Header;
    } catch {
      this.lost(`the agent sent something that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const p = h.id !== null ? this.pending.get(h.id) : undefined;
    if (h.file !== undefined && h.bytes === undefined) {
      if (h.size !== undefined) p?.onSize?.(h.file, h.size);
      return; // a size announced, or an empty chunk: nothing to pass on
    }
    if (h.bytes !== undefined) {
      if (p && !p.streaming) {
        p.streaming = true;
        faultPoint('fetching');
      }
      this.payload = { left: h.bytes, to: p, file: h.file ?? 0 };
      return;
    }
    if (!p || h.id === null) return;
    this.pending.delete(h.id);
    if (h.recv !== undefined) this.onDelivery?.(p.sent, h.recv);
    if (h.ok) p.resolve(h.result);
    else p.reject(new AgentError(this.host, p.op, h.error ?? 'failed'));
  }
}

/**
 * The command that starts the agent through whatever login shell the user has: /bin/sh finds a Python 3
 * (the system's first, as Ansible's interpreter discovery does), which reads `length` bytes of source from
 * stdin and runs it. No newline, quote or `!` inside, so csh-family login shells pass it on unchanged.
 */
export function bootstrapCommand(length: number, args: string[] = []): string {
  const reader =
    'import os,sys;n=int(sys.argv[1]);b=bytearray();[b.extend(os.read(0,n-len(b)) or sys.exit(3)) for _ in iter(lambda:len(b)<n,False)];exec(bytes(b))';
  for (const a of args) if (!/^[A-Za-z0-9._/:-]+$/.test(a)) throw new Error(`bootstrap argument ${JSON.stringify(a)} is not a plain word`);
  const script =
    'for p in /usr/bin/python3 /usr/libexec/platform-python /usr/local/bin/python3 python3; do ' +
    `if command -v "$p" >/dev/null 2>&1; then exec "$p" -c "${reader}" ${length} ${args.join(' ')}; fi; done; ` +
    'echo "vfbench needs Python 3 (3.6 or newer) on this host for its agent; none found (tried /usr/bin/python3, /usr/libexec/platform-python, python3 on PATH)" >&2; exit 127';
  return `exec /bin/sh -c '${script}'`;
}
