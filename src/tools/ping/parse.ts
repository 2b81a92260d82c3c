// ping (iputils; busybox and inetutils print the same reply lines): its command line and its output.
// One line per reply is the sample; the summary lines are checked against them.
import type { Arg } from '../../util/shell.js';
import { ipAddress, positiveInt } from '../../util/shell.js';
import { latencyStats, type LatencyStats } from '../../util/samples.js';
import { fail, type ParseResult } from '../failure.js';

export interface PingClientOptions {
  address: string;
  /** ICMP payload bytes (-s). */
  size: number;
  /** Seconds between echo requests (-i). */
  interval: number;
  /** Seconds to send for: duration / interval echo requests (-c). */
  seconds: number;
}

/** ping stops at this deadline whatever it still waits for (it paces by timer: often slower than -i asks). */
export const deadlineS = (seconds: number): number => Math.ceil(seconds * 2) + 5;

export function clientArgv(o: PingClientOptions): Arg[] {
  if (!(o.interval > 0) || o.interval > 60) throw new Error(`interval must be in (0, 60] seconds, got ${o.interval}`);
  // LC_ALL=C: iputils reads -i and prints times in the locale's decimal separator ("0,045" in de_DE).
  // -n: no reverse lookups between replies. A count, not a deadline, ends the run: at a deadline the requests
  // still in flight would count as lost. The deadline only bounds a path that stopped answering.
  const count = Math.max(1, Math.round(o.seconds / o.interval));
  return ['env', 'LC_ALL=C', 'ping', '-n', '-i', String(o.interval), '-s', positiveInt(o.size, 'size'), '-c', count, '-w', deadlineS(o.seconds), ipAddress(o.address)];
}

export interface PingResult {
  /** Round-trip times in µs, in the order the replies came (duplicates left out). */
  rttUs: number[];
  transmitted: number;
  received: number;
  duplicates: number;
  lossPct: number;
  /** The summary line's min/avg/max, µs (a cross-check of the reply lines). */
  summary?: { min: number; avg: number; max: number };
}

const REPLY = /^\d+ bytes from [^:]+: (?:icmp_)?seq=\d+ ttl=\d+ time[=<]([\d.]+) ms(.*)$/;
const COUNTS = /^(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+\d+ errors)?, ([\d.]+)% packet loss/;
const RTT = /^(?:rtt|round-trip) min\/avg\/max(?:\/(?:mdev|stddev))? = ([\d.]+)\/([\d.]+)\/([\d.]+)/;

/** Pure: the replies and summary of one ping run; a failure says why in the tool's words. */
export function parseOutput(stdout: string, opts: { stderr?: string; exitCode?: number | null } = {}): ParseResult<PingResult> {
  const rttUs: number[] = [];
  let counts: RegExpExecArray | null = null;
  let rtt: RegExpExecArray | null = null;
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    const reply = REPLY.exec(t);
    if (reply) {
      if (!reply[2]!.includes('DUP!')) rttUs.push(Number(reply[1]) * 1000);
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
  const [transmitted, received, duplicates, lossPct] = [Number(counts[1]), Number(counts[2]), Number(counts[3] ?? 0), Number(counts[4])];
  if (received === 0) return fail('no-result', `no reply to ${transmitted} echo requests (100% packet loss)${said ? `: ${said}` : ''}`);
  // The percentiles come from the reply lines: they must be all the replies the summary counts.
  if (rttUs.length !== received) return fail('no-result', `ping counted ${received} replies but printed ${rttUs.length} reply lines (run it without -q)`);
  const summary = rtt ? { min: Number(rtt[1]) * 1000, avg: Number(rtt[2]) * 1000, max: Number(rtt[3]) * 1000 } : undefined;
  return { ok: true, value: { rttUs, transmitted, received, duplicates, lossPct, summary } };
}

/** Metrics in vfbench's names: round-trip percentiles pooled from every reply (nearest rank), loss. */
export function metrics(r: PingResult): Record<string, number> {
  const s: LatencyStats = latencyStats(r.rttUs);
  const out: Record<string, number> = { count: s.count, mean_us: s.mean, stddev_us: s.stddev, min_us: s.min, max_us: s.max };
  for (const [name, v] of Object.entries(s.percentiles)) if (v !== undefined) out[`${name}_us`] = v;
  out.lost_pct = r.lossPct;
  out.echo_requests = r.transmitted;
  if (r.duplicates > 0) out.duplicate_replies = r.duplicates;
  return out;
}
