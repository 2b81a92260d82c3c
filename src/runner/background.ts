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
