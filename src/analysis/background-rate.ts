// The background load's measured rate (pure): what its client printed, prorated to the measured window.
import type { BackgroundSpec } from '../scenario/fields.js';
import * as iperf3 from '../tools/iperf3/parse.js';
import * as sockperf from '../tools/sockperf/parse.js';

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
