// What a live switchover showed between its switches (pure): per segment its messages, latency and the
// interface that carried it; the longest gap without a reply. Times are epochs of the client host's clock.
import { nearestRank } from '../util/samples.js';
import type { Samples } from '../tools/proc.js';

/** A switch during the trial: asked at `at` s into the measurement, done between `begin` and `end`. */
export interface SwitchInstant {
  variant: string;
  /** Seconds after the measurement start it was asked for. */
  at: number;
  /** Client clock just before and just after the controller switched (the switch lies between). */
  begin: number;
  end: number;
}

export interface Segment {
  /** The variant in effect (the start variant, then each step's). */
  variant: string;
  from: number;
  to: number;
  messages: number;
  p50_us?: number;
  p99_us?: number;
  /** Packets (rx + tx) on each data interface of the client in this segment, from the sampler. */
  packets: Record<string, number>;
  /** The interface that carried most packets in this segment. */
  observed?: string;
}

export interface SwitchoverSummary {
  /** Longest interval without a reply, ms, and when it began (s after the first reply). */
  gapMs: number;
  gapAt: number;
  /** Messages sent but not answered. */
  lost: number;
  segments: Segment[];
}

/**
 * `rx`/`latency`: per reply, its arrival (epoch) and latency (µs), in order. Segments are split at the
 * middle of each switch's [begin, end].
 */
export function summarizeSwitchover(
  rx: Float64Array,
  latency: Float64Array,
  lost: number,
  start: string,
  switches: SwitchInstant[],
  client: Samples | undefined,
  interfaces: string[],
): SwitchoverSummary {
  let gapMs = 0;
  let gapAt = 0;
  for (let i = 1; i < rx.length; i++) {
    const d = (rx[i]! - rx[i - 1]!) * 1000;
    if (d > gapMs) {
      gapMs = d;
      gapAt = rx[i - 1]! - rx[0]!;
    }
  }
  const cuts = switches.map((s) => (s.begin + s.end) / 2);
  const bounds = [rx.length > 0 ? rx[0]! : 0, ...cuts, rx.length > 0 ? rx[rx.length - 1]! : 0];
  const segments: Segment[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const [from, to] = [bounds[k]!, bounds[k + 1]!];
    const lat: number[] = [];
    for (let i = 0; i < rx.length; i++) if (rx[i]! >= from && (rx[i]! < to || (k === bounds.length - 2 && rx[i]! <= to))) lat.push(latency[i]!);
    lat.sort((a, b) => a - b);
    const packets: Record<string, number> = {};
    if (client) {
      // Counter deltas of the samples that lie inside the segment.
      const inside = client.samples.filter((s) => s.time >= from && s.time <= to);
      for (const name of interfaces) {
        const a = inside[0]?.interfaces[name];
        const b = inside[inside.length - 1]?.interfaces[name];
        if (a && b) packets[name] = b.rxPackets - a.rxPackets + (b.txPackets - a.txPackets);
      }
    }
    const best = Object.entries(packets).sort((a, b) => b[1] - a[1])[0];
    segments.push({
      variant: k === 0 ? start : switches[k - 1]!.variant,
      from,
      to,
      messages: lat.length,
      p50_us: lat.length > 0 ? nearestRank(lat, 50) : undefined,
      p99_us: lat.length > 0 ? nearestRank(lat, 99) : undefined,
      packets,
      observed: best && best[1] > 0 ? best[0] : undefined,
    });
  }
  return { gapMs, gapAt, lost, segments };
}
