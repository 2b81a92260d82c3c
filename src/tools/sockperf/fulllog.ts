// sockperf's --full-log, read as a stream of bytes (docs/tool-formats.md, sockperf: the full log): a preamble (parameters and the
// statistics block), the header `packet, txTime(sec), rxTime(sec), latency|rtt(usec)`, then one row
// `%zu, %.9lf, %.9lf, %.3lf` per message until a `-----` line. Pure: bytes in, a compact column out; it
// never holds the text or an array of lines, so a log of tens of millions of rows fits in a few tens of
// MB. Latencies are kept exactly, as integers: nanoseconds from the 3-decimal µs column (or half
// nanoseconds for the ≤3.3 two-column logs, whose latency is (rx − tx)/2 of 9-decimal times).
import { fail, type ParseResult, type ToolFailure } from '../failure.js';

export interface FullLogOptions {
  /** Drop the messages sent in the first `warmupS` seconds of the log (the scenario's warm-up). */
  warmupS?: number;
  /**
   * Times to keep per message besides its latency: `rx-us`, its arrival as µs since the first kept send
   * (4 bytes per row, up to 71 minutes: timelines); `all`, send and arrival times as seconds (16 bytes
   * per row: small logs); by default none.
   */
  times?: 'none' | 'rx-us' | 'all';
  /** Refuse a log with more rows than this (the run's memory bound). */
  maxRows?: number;
}

/** The shortest rows sockperf writes (`0, 2.401695522, 2.401808400, 5.908`; ≤3.3: `2.401695522, 2.401808400`). */
const MIN_ROW_BYTES = 33;
const MIN_LEGACY_ROW_BYTES = 25;

/** The per-message table of one log, warm-up dropped. */
export interface StreamedFullLog {
  latencyKind: 'rtt' | 'half-rtt';
  /** Latency of each kept message, in arrival order, in units of `unitNs` nanoseconds. */
  latency: Uint32Array;
  /** 1 (the µs column with 3 decimals) or 0.5 (the ≤3.3 logs: half of a 9-decimal time difference). */
  unitNs: number;
  /** Rows dropped as warm-up. */
  warmupDropped: number;
  /** Send time of the first kept message and arrival of the last, seconds on sockperf's clock. */
  firstTx: number;
  lastRx: number;
  /** With `times: rx-us`: arrival of each kept message, µs after `firstTx` (never negative: rx ≥ tx ≥ firstTx). */
  rxUs?: Uint32Array;
  /** With `times: all`. */
  rxTimes?: Float64Array;
  txTimes?: Float64Array;
  parameters?: string;
}

const HEADER = /^packet, txTime\(sec\), rxTime\(sec\), (latency|rtt)\(usec\)$/;
const LEGACY_HEADER = /^txTime, rxTime$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const MAX_PREAMBLE = 1 << 20;
const CHUNK = 1 << 20;
const [NL, CR, SPACE, COMMA, DOT, ZERO, NINE, DASH] = [10, 13, 32, 44, 46, 48, 57, 45];
/** 10^k for the fraction digits of a field (Math.pow in the hot loop costs a third of the time). */
const POW10 = Array.from({ length: 20 }, (_, k) => 10 ** k);

/**
 * A growing column of numbers kept as chunks (no copy of everything when it grows). Reserved ahead from
 * the log's size, it is one array, handed over without any copy.
 */
class Column<T extends Uint32Array | Float64Array> {
  private chunks: T[] = [];
  private cur: T;
  private n = 0;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.cur = make(CHUNK);
  }
  /** Room for `rows` in one array (before the first value). */
  reserve(rows: number): void {
    if (this.length === 0 && rows > this.cur.length) this.cur = this.make(rows);
  }
  push(v: number): void {
    if (this.n === this.cur.length) {
      this.chunks.push(this.cur);
      this.cur = this.make(CHUNK);
      this.n = 0;
    }
    this.cur[this.n++] = v;
    this.length++;
  }
  /** One array of exactly `length` values (a view of the reserved one, or the chunks copied into one). */
  take(): T {
    if (this.chunks.length === 0) return this.cur.subarray(0, this.n) as T;
    const out = this.make(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    out.set(this.cur.subarray(0, this.n) as T, at);
    this.chunks = [];
    this.cur = this.make(0);
    return out;
  }
}

export class FullLogParser {
  private carry?: Buffer;
  private state: 'preamble' | 'rows' | 'after' = 'preamble';
  private preamble = '';
  private line = 0;
  private legacy = false;
  private kind: 'rtt' | 'half-rtt' = 'half-rtt';
  private failure?: { ok: false; failure: ToolFailure };
  private readonly latency = new Column((n) => new Uint32Array(n));
  private readonly rx?: Column<Float64Array>;
  private readonly tx?: Column<Float64Array>;
  private readonly rxUs?: Column<Uint32Array>;
  private cutoff?: number;
  private firstTx = NaN;
  private lastRx = NaN;
  private dropped = 0;
  private parameters?: string;
  private bytes?: number;
  // The number the field reader last read: integer part, fraction digits as an integer, their count.
  private int = 0;
  private frac = 0;
  private digits = 0;

  constructor(private readonly opts: FullLogOptions = {}) {
    if (opts.times === 'all') {
      this.rx = new Column((n) => new Float64Array(n));
      this.tx = new Column((n) => new Float64Array(n));
    } else if (opts.times === 'rx-us') this.rxUs = new Column((n) => new Uint32Array(n));
  }

  /**
   * The log's size in bytes, when known before its rows (a file, a fetch): at the header (which tells the
   * format) the columns are reserved at once for the most rows it can hold, so that no copy is made at the
   * end (rows of 8-digit packet numbers are ~47 bytes: up to 40 % more than needed, never less).
   */
  sizeHint(bytes: number): void {
    this.bytes = bytes;
  }

  private reserve(): void {
    if (this.bytes === undefined) return;
    const rows = Math.min(Math.ceil(this.bytes / (this.legacy ? MIN_LEGACY_ROW_BYTES : MIN_ROW_BYTES)), (this.opts.maxRows ?? Infinity) + 1);
    if (rows > CHUNK) {
      this.latency.reserve(rows);
      this.rxUs?.reserve(rows);
    }
  }

  push(chunk: Buffer): void {
    if (this.failure || this.done) return;
    let buf = chunk;
    let pos = 0;
    if (this.carry) {
      // Only the line cut by the chunk boundary is copied, not the whole chunk.
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return this.checkPreamble();
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl + 1)]);
      this.carry = undefined;
      this.line++;
      this.lineOf(line, 0, line.length - 1);
      if (this.failure || this.done) return;
      buf = chunk;
      pos = nl + 1;
    }
    for (;;) {
      if (this.state === 'rows' && !this.legacy) pos = this.canonicalRows(buf, pos);
      if (this.failure) return;
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      this.line++;
      this.lineOf(buf, pos, nl);
      pos = nl + 1;
      if (this.failure || this.done) return;
    }
    this.carry = pos < buf.length ? Buffer.from(buf.subarray(pos)) : undefined;
    this.checkPreamble();
  }

  private checkPreamble(): void {
    if (this.state === 'preamble' && this.preamble.length + (this.carry?.length ?? 0) > MAX_PREAMBLE) {
      this.failure = { ok: false, failure: { kind: 'no-result', message: `no per-packet table in the first ${MAX_PREAMBLE} bytes of the full log` } };
    }
  }

  /** The table ended (`-----` or an empty line): the rest of the file is not read. */
  private get done(): boolean {
    return this.state === 'after';
  }

  end(): ParseResult<StreamedFullLog> {
    if (!this.failure && this.carry && !this.done) {
      const last = this.carry;
      this.carry = undefined;
      this.line++;
      // A last row without its newline is a log cut short (a full disk, a killed tool): say so.
      if (this.state === 'rows' && last.toString('latin1').trim() !== '') {
        return fail('no-result', `the full log is truncated: line ${this.line} ends without a newline: "${last.toString('utf8').slice(0, 80)}"`);
      }
      this.lineOf(last, 0, last.length);
    }
    if (this.failure) return this.failure;
    if (this.state === 'preamble') {
      if (this.preamble.includes('No valid observations')) return fail('too-few-samples', 'sockperf found no valid observations, so the full log has no per-packet table');
      return fail('no-result', 'no per-packet table (packet, txTime(sec), rxTime(sec), …) in the full log');
    }
    if (this.latency.length === 0) {
      return fail('too-few-samples', this.dropped > 0 ? `no samples after the warm-up (${this.dropped} dropped)` : 'the full log has no per-packet rows');
    }
    return {
      ok: true,
      value: {
        latencyKind: this.kind,
        latency: this.latency.take(),
        unitNs: this.legacy ? 0.5 : 1,
        warmupDropped: this.dropped,
        firstTx: this.firstTx,
        lastRx: this.lastRx,
        rxUs: this.rxUs?.take(),
        rxTimes: this.rx?.take(),
        txTimes: this.tx?.take(),
        parameters: this.parameters,
      },
    };
  }

  private lineOf(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === CR) e--;
    if (this.state === 'rows') return this.row(buf, s, e);
    const text = buf.toString('utf8', s, e).replace(ANSI, '').replace(/^\uFEFF/, '').trim();
    this.preamble += `${text}\n`;
    this.parameters ??= /test was performed using the following parameters: (.*)$/.exec(text)?.[1];
    const header = HEADER.exec(text);
    if (header || LEGACY_HEADER.test(text)) {
      this.state = 'rows';
      this.legacy = !header;
      // ≤3.3 wrote only the two times; the latency there is (rx − tx)/2, sockperf's default.
      this.kind = header?.[1] === 'rtt' ? 'rtt' : 'half-rtt';
      this.preamble = '';
      this.reserve();
    }
  }

  /**
   * Rows exactly as sockperf writes them (`%zu, %.9lf, %.9lf, %.3lf\n`), read in one pass over the bytes.
   * Returns where it stopped: at the first other line (checked by row(), which says what is wrong with
   * it), or at the end of the buffer.
   */
  private canonicalRows(buf: Buffer, pos: number): number {
    const n = buf.length;
    while (pos < n) {
      let i = pos;
      let c = buf[i]!;
      if (c < ZERO || c > NINE) return pos;
      while (i < n && (c = buf[i]!) >= ZERO && c <= NINE) i++;
      if (i + 2 >= n || c !== COMMA || buf[i + 1] !== SPACE) return pos;
      i += 2;
      i = this.time9(buf, i, n);
      if (i < 0) return pos;
      const tx = this.int + this.frac / 1e9;
      if (buf[i] !== COMMA || buf[i + 1] !== SPACE) return pos;
      i = this.time9(buf, i + 2, n);
      if (i < 0) return pos;
      const rx = this.int + this.frac / 1e9;
      if (buf[i] !== COMMA || buf[i + 1] !== SPACE) return pos;
      i += 2;
      let int = 0;
      let frac = 0;
      while (i < n && (c = buf[i]!) >= ZERO && c <= NINE) {
        int = int * 10 + c - ZERO;
        i++;
      }
      if (i + 4 >= n || c !== DOT || int > 4294966) return pos;
      for (let k = 1; k <= 3; k++) {
        c = buf[i + k]! - ZERO;
        if (c < 0 || c > 9) return pos;
        frac = frac * 10 + c;
      }
      i += 4;
      if (buf[i] !== NL) return pos;
      this.line++;
      this.keep(tx, rx, int * 1000 + frac);
      if (this.failure) return pos;
      pos = i + 1;
    }
    return pos;
  }

  /** `digits.ddddddddd` (a time as sockperf prints it) at i into int/frac; the index after it, or -1. */
  private time9(buf: Buffer, i: number, n: number): number {
    let int = 0;
    let c = 0;
    while (i < n && (c = buf[i]!) >= ZERO && c <= NINE) {
      int = int * 10 + c - ZERO;
      i++;
    }
    if (i + 12 >= n || c !== DOT) return -1;
    let frac = 0;
    for (let k = 1; k <= 9; k++) {
      c = buf[i + k]! - ZERO;
      if (c < 0 || c > 9) return -1;
      frac = frac * 10 + c;
    }
    this.int = int;
    this.frac = frac;
    return i + 10;
  }

  /** One row, read from the bytes themselves (no string, no split); any row sockperf might write. */
  private row(buf: Buffer, s: number, e: number): void {
    while (s < e && buf[s] === SPACE) s++;
    if (s === e || buf[s] === DASH) {
      this.state = 'after'; // the table ends at the `-----` line (3.8+ may print a histogram after it)
      return;
    }
    let i = s;
    if (!this.legacy) {
      const start = i;
      while (i < e && buf[i]! >= ZERO && buf[i]! <= NINE) i++; // the packet index: not needed
      if (i === start || buf[i] !== COMMA) return this.bad(buf, s, e, 'is not a row "packet, tx, rx, latency"');
      i = this.separator(buf, i, e);
    }
    i = this.number(buf, i, e);
    if (i < 0) return this.bad(buf, s, e, 'has no numeric send time');
    if (this.digits > 9) return this.bad(buf, s, e, 'has a time with more than 9 decimals');
    const tx = this.int + this.frac / POW10[this.digits]!;
    const txNs = this.legacy ? this.int * 1e9 + this.frac * POW10[9 - this.digits]! : 0;
    i = this.number(buf, this.separator(buf, i, e), e);
    if (i < 0) return this.bad(buf, s, e, 'has no numeric arrival time');
    if (this.digits > 9) return this.bad(buf, s, e, 'has a time with more than 9 decimals');
    const rx = this.int + this.frac / POW10[this.digits]!;
    let units: number;
    if (this.legacy) {
      units = this.int * 1e9 + this.frac * POW10[9 - this.digits]! - txNs;
    } else {
      i = this.number(buf, this.separator(buf, i, e), e);
      if (i < 0) return this.bad(buf, s, e, 'has no numeric latency');
      if (this.digits > 3) return this.bad(buf, s, e, 'has a latency with more than 3 decimals');
      units = this.int * 1000 + this.frac * POW10[3 - this.digits]!;
    }
    while (i < e && buf[i] === SPACE) i++;
    if (i !== e) return this.bad(buf, s, e, `has ${this.legacy ? 'more than 2' : 'more than 4'} columns`);
    if (!(units >= 0 && units <= 0xffffffff)) return this.bad(buf, s, e, `has a latency out of range (0 to ${this.legacy ? '2.15' : '4.29'} s: kept as 32-bit ${this.legacy ? 'half-' : ''}ns)`);
    this.keep(tx, rx, units);
  }

  private keep(tx: number, rx: number, units: number): void {
    // Rows are in send order: the warm-up is the rows sent before first send + warmup.
    this.cutoff ??= tx + (this.opts.warmupS ?? 0);
    if (tx < this.cutoff) {
      this.dropped++;
      return;
    }
    if (this.latency.length === 0) {
      this.firstTx = tx;
    }
    if (this.opts.maxRows !== undefined && this.latency.length >= this.opts.maxRows) {
      this.failure = { ok: false, failure: { kind: 'too-many-samples', message: `the full log has more than ${this.opts.maxRows} rows (max_log_rows): shorten the test, set a message rate or raise the limit` } };
      return;
    }
    this.latency.push(units);
    this.rx?.push(rx);
    this.tx?.push(tx);
    if (this.rxUs) {
      const us = Math.round((rx - this.firstTx) * 1e6);
      if (!(us >= 0 && us <= 0xffffffff)) {
        this.failure = { ok: false, failure: { kind: 'no-result', message: `full log line ${this.line}: its reply arrives ${us < 0 ? 'before the first kept send' : 'more than 71 minutes after the first kept send'} (arrival times are kept as 32-bit µs)` } };
        return;
      }
      this.rxUs.push(us);
    }
    this.lastRx = rx;
  }

  /** Skip ", " between fields; -1 stays -1. */
  private separator(buf: Buffer, i: number, e: number): number {
    if (i < 0 || i >= e || buf[i] !== COMMA) return -1;
    i++;
    while (i < e && buf[i] === SPACE) i++;
    return i;
  }

  /** Read `digits[.digits]` at i into int/frac/digits; returns the index after it, or -1. */
  private number(buf: Buffer, i: number, e: number): number {
    if (i < 0) return -1;
    let int = 0;
    const start = i;
    while (i < e && buf[i]! >= ZERO && buf[i]! <= NINE) int = int * 10 + (buf[i++]! - ZERO);
    if (i === start) return -1;
    let frac = 0;
    let digits = 0;
    if (i < e && buf[i] === DOT) {
      i++;
      while (i < e && buf[i]! >= ZERO && buf[i]! <= NINE) {
        frac = frac * 10 + (buf[i++]! - ZERO);
        digits++;
      }
      if (digits === 0) return -1;
    }
    this.int = int;
    this.frac = frac;
    this.digits = digits;
    return i;
  }

  private bad(buf: Buffer, s: number, e: number, what: string): void {
    this.failure = { ok: false, failure: { kind: 'no-result', message: `full log line ${this.line} ${what}: "${buf.toString('utf8', s, Math.min(e, s + 80))}"` } };
  }
}

/** Parse a whole log held in memory (small logs, saved files): the same reader as the stream. */
export function parseFullLogBytes(data: Buffer | string, opts: FullLogOptions = {}): ParseResult<StreamedFullLog> {
  const p = new FullLogParser(opts);
  p.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  return p.end();
}

/** Latency of a message of the log in µs (the exact decimal sockperf printed). */
export function latencyUs(units: number, unitNs: number): number {
  return unitNs === 1 ? units / 1000 : units / 2000;
}
