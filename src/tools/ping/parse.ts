// ping (iputils): its command line and its output. One line per reply is the sample; the summary's counts
// are checked against them.
import type { Arg } from '../../util/shell.js';
import { ipAddress, positiveInt } from '../../util/shell.js';
import { latencyStats, statsMetrics } from '../../util/samples.js';
import { fail, type ParseResult } from '../failure.js';

export interface PingClientOptions {
  address: string;
  /** ICMP payload bytes (-s). */
  size: number;
  /** Seconds between echo requests (-i). */
  interval: number;
  /** Seconds to send for (-w deadline). */
  seconds: number;
}

export function clientArgv(o: PingClientOptions): Arg[] {
  if (!(o.interval > 0) || o.interval > 60) throw new Error(`interval must be in (0, 60] seconds, got ${o.interval}`);
  // LC_ALL=C: iputils reads -i and prints times in the locale's decimal separator ("0,045" in de_DE).
  // -n: no reverse lookups between replies. -w: the run lasts the test's duration however ping paces (a count
  // would stretch it: ping's timer often sends slower than -i asks); requests still in flight at the deadline
  // are left out of the loss (parseOutput).
  return ['env', 'LC_ALL=C', 'ping', '-n', '-i', String(o.interval), '-s', positiveInt(o.size, 'size'), '-w', positiveInt(o.seconds, 'duration'), ipAddress(o.address)];
}

export interface PingResult {
  /** Round-trip times in µs, in the order the replies came (duplicates left out). */
  rttUs: number[];
  transmitted: number;
  received: number;
  duplicates: number;
  /** Requests up to the last one answered (icmp_seq counts from 1). */
  asked: number;
  /**
   * Requests up to the last one answered that got no answer, % of them. The requests after it are left out:
   * at the deadline they may still have been in flight (iputils' own figure counts them as lost).
   */
  lossPct: number;
  /** The summary line's min/avg/max, µs (a cross-check of the reply lines). */
  summary?: { min: number; avg: number; max: number };
}

// The source may be an IPv6 address (colons): the shortest text before ": icmp_seq=".
const REPLY = /^\d+ bytes from .+?: (?:icmp_)?seq=(\d+) ttl=\d+ time[=<]([\d.]+) ms(.*)$/;
const COUNTS = /^(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+\d+ corrupted)?(?:, \+\d+ errors)?, \S+% packet loss/;
/** A reply line written in a locale with a decimal comma (saved by hand without LC_ALL=C). */
const COMMA = /bytes from .+: (?:icmp_)?seq=\d+ .*time=\d+,\d+ ms/;
const RTT = /^(?:rtt|round-trip) min\/avg\/max(?:\/(?:mdev|stddev))? = ([\d.]+)\/([\d.]+)\/([\d.]+)/;

/** Pure: the replies and summary of one ping run; a failure says why in the tool's words. */
export function parseOutput(stdout: string, opts: { stderr?: string; exitCode?: number | null } = {}): ParseResult<PingResult> {
  const rttUs: number[] = [];
  const seqs = new SequenceSpan();
  let counts: RegExpExecArray | null = null;
  let rtt: RegExpExecArray | null = null;
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    const reply = REPLY.exec(t);
    if (reply) {
      if (reply[3]!.includes('DUP!')) continue;
      rttUs.push(Number(reply[2]) * 1000);
      seqs.add(Number(reply[1]));
      continue;
    }
    counts ??= COUNTS.exec(t);
    rtt ??= RTT.exec(t);
  }
  const said = (opts.stderr ?? '').trim().split('\n').filter(Boolean).slice(-2).join(' | ');
  if (!counts) {
    if (said) return fail('tool-error', `ping: ${said}`);
    return fail('no-result', `ping printed no statistics${opts.exitCode !== undefined && opts.exitCode !== null ? ` (exit ${opts.exitCode})` : ''}: was it stopped early?`);
  }
  const [transmitted, received, duplicates] = [Number(counts[1]), Number(counts[2]), Number(counts[3] ?? 0)];
  if (received === 0) return fail('no-result', `no reply to ${transmitted} echo requests (100% packet loss)${said ? `: ${said}` : ''}`);
  // The percentiles come from the reply lines: they must be all the replies the summary counts.
  if (rttUs.length !== received) {
    if (COMMA.test(stdout)) return fail('no-result', 'ping printed its times with a decimal comma: run it with LC_ALL=C');
    return fail('no-result', `ping counted ${received} replies but printed ${rttUs.length} reply lines (run it without -q)`);
  }
  // Computed, not read: iputils counts the requests in flight at the deadline as lost (and prints it with %g).
  const asked = Math.max(received, seqs.last - Math.min(seqs.first, 1) + 1);
  const lossPct = ((asked - received) / asked) * 100;
  const summary = rtt ? { min: Number(rtt[1]) * 1000, avg: Number(rtt[2]) * 1000, max: Number(rtt[3]) * 1000 } : undefined;
  return { ok: true, value: { rttUs, transmitted, received, duplicates, asked, lossPct, summary } };
}

/** Metrics in vfbench's names: round-trip percentiles pooled from every reply (nearest rank), loss. */
export function metrics(r: PingResult): Record<string, number> {
  const out = statsMetrics(latencyStats(r.rttUs));
  out.lost_pct = r.lossPct;
  out.echo_requests = r.transmitted;
  if (r.duplicates > 0) out.duplicate_replies = r.duplicates;
  return out;
}

/** The answered sequence numbers' span, across icmp_seq's wrap at 65536 (ten minutes at 10 ms). */
class SequenceSpan {
  first = 0;
  last = -1;
  private offset = 0;
  private prev?: number;

  add(seq: number): void {
    if (this.prev !== undefined && seq < this.prev - 32768) this.offset += 65536;
    this.prev = seq;
    const n = seq + this.offset;
    if (this.last < this.first) this.first = this.last = n;
    else this.last = Math.max(this.last, n);
    this.first = Math.min(this.first, n);
  }
}
