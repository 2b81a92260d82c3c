// Background load (FlexVF Fig. 5): UDP from the pair's client to its server at a set packet rate,
// running from `lead` seconds before the measured test until after it; its measured rate is recorded.
import type { BackgroundSpec } from '../scenario/schema.js';
import type { Arg } from '../util/shell.js';
import * as iperf3 from '../tools/iperf3/parse.js';
import * as sockperf from '../tools/sockperf/parse.js';

/** Seconds the load keeps running after the measured test is due to end. */
export const BACKGROUND_TAIL_S = 0.5;

/** Seconds the load runs in all: its lead, the measured tool's start-up and run, a tail (the dry run shows the same). */
export function backgroundSeconds(bg: BackgroundSpec, toolStartupS: number, clientSeconds: number): number {
  return bg.lead + toolStartupS + clientSeconds + BACKGROUND_TAIL_S;
}

export interface BackgroundPlan {
  server: { argv: Arg[]; port: number; protocol: 'tcp' | 'udp' };
  client: { argv: Arg[]; seconds: number };
  needs: string;
}

/** Command lines of the load for `rate` packets/s of `size` bytes, running `seconds` in all. */
export function backgroundPlan(bg: BackgroundSpec, o: { address: string; rate: number; size: number; seconds: number }): BackgroundPlan {
  const seconds = Math.ceil(o.seconds);
  if (bg.tool === 'sockperf') {
    return {
      needs: 'sockperf',
      server: { argv: sockperf.serverArgv({ address: o.address, port: bg.port, protocol: 'udp' }), port: bg.port, protocol: 'udp' },
      client: { argv: sockperf.clientArgv({ mode: 'throughput', address: o.address, port: bg.port, protocol: 'udp', size: o.size, seconds, mps: o.rate, fullRtt: false }), seconds },
    };
  }
  // iperf3's -b is payload bits/s per stream: rate × size × 8 split over the streams.
  const bitrate = (o.rate * o.size * 8) / bg.streams;
  return {
    needs: 'iperf3',
    // -1: the server serves this one test and exits.
    server: { argv: [...iperf3.serverArgv({ address: o.address, port: bg.port }), '-1'], port: bg.port, protocol: 'tcp' },
    client: {
      argv: iperf3.clientArgv({ address: o.address, port: bg.port, protocol: 'udp', seconds, streams: bg.streams, direction: 'forward', bitrate, omit: 0, length: o.size, window: 0 }),
      seconds,
    },
  };
}

export interface BackgroundResult {
  /** Packets/s sent while the measured test ran (iperf3: from its 1-s intervals; sockperf: whole run). */
  sentPps?: number;
  /** Packets/s that arrived (iperf3: sent minus the server's lost count, whole run). */
  receivedPps?: number;
  lostPct?: number;
  problem?: string;
}

/**
 * The measured rate. `window` is the measured test's [start, end] in seconds after the load started;
 * the intervals overlapping it are prorated.
 */
export function backgroundRate(tool: BackgroundSpec['tool'], stdout: string, o: { size: number; window?: [number, number] }): BackgroundResult {
  if (tool === 'sockperf') {
    const r = sockperf.parseThroughput(stdout, { size: o.size });
    if (!r.ok) return { problem: `${r.failure.kind}: ${r.failure.message}` };
    return { sentPps: r.value.messagesPerSecond };
  }
  const r = iperf3.parseOutput(stdout, {});
  if (!r.ok) return { problem: `${r.failure.kind}: ${r.failure.message}` };
  const m = iperf3.metrics(r.value);
  const out: BackgroundResult = {};
  const dur = r.value.intervals.length > 0 ? r.value.intervals[r.value.intervals.length - 1]!.end : undefined;
  if (m.packets !== undefined && dur) {
    out.receivedPps = (m.packets - (m.lost_packets ?? 0)) / dur;
    out.sentPps = m.packets / dur;
  }
  if (m.lost_pct !== undefined) out.lostPct = m.lost_pct;
  if (o.window) {
    const [a, b] = o.window;
    let packets = 0;
    let seconds = 0;
    for (const iv of r.value.intervals) {
      const overlap = Math.min(b, iv.end) - Math.max(a, iv.start);
      if (overlap <= 0) continue;
      packets += (iv.bitsPerSecond / 8 / o.size) * overlap;
      seconds += overlap;
    }
    if (seconds > 0) out.sentPps = packets / seconds;
  }
  return out;
}
