// The record of one trial, one JSON line in records.jsonl. Bump RECORD_SCHEMA on any incompatible change.
export const RECORD_SCHEMA = 1;

export type TrialStatus = 'ok' | 'invalid' | 'failed';

export interface PointRef {
  test: number;
  testName: string;
  tool: string;
  mode: string;
  protocol: string;
  size: number;
  /** Parallel streams (iperf3); absent means 1. */
  streams?: number;
  /** Background load in packets/s (0 = none); absent when the test has none. */
  rate?: number;
  pair: number;
  group?: string;
}

/**
 * The instants and facts a trial's derived values need besides its raw files (vfbench ≥ 0.2 records it;
 * analyze derives them again from raw/ with it). Times are epochs in the client host's clock.
 */
export interface TrialEvidence {
  /** The client process's start. */
  clientStart: number;
  /** The measured window: from the first measured message to the client's end. */
  window: { from: number; to?: number };
  /** The pair's hosts by role (their samplers are raw/<trial>.<role>.samples). */
  hosts: { client: string; server: string };
  /** Per host name: seconds to add to a client-clock instant to get that host's clock. */
  shiftS: Record<string, number>;
  /** The background load's client start. */
  bgStart?: number;
  /** Client and server share one kernel (sampled once). */
  sharedKernel: boolean;
  /** A live switchover: its switches, and the client's data interfaces whose counters tell the path. */
  switches?: { variant: string; at: number; begin: number; end: number }[];
  interfaces?: string[];
}

export interface TrialRecord {
  schema: typeof RECORD_SCHEMA;
  run: string;
  trial: string;
  seq: number;
  pointKey: string;
  point: PointRef;
  variant: string;
  repetition: number;
  /** ok: measured on the intended path; invalid: measured, but the counters show another path; failed: no measurement. */
  status: TrialStatus;
  started: string;
  ended: string;
  /** Flat metrics (µs for latency, count of samples). Units are in the name. */
  metrics: Record<string, number>;
  /** sockperf reports RTT/2 unless --full-rtt; never compare the two kinds. */
  latencyKind?: 'rtt' | 'half-rtt';
  tool: { name: string; version?: string; command: string; summary?: Record<string, unknown> };
  verification?: {
    expected: string;
    observed: string;
    ok: boolean;
    reason?: string;
    hosts: Record<string, unknown>;
  };
  failure?: { kind: string; message: string };
  /**
   * Pairs run together: the batch, its common start (local clock), this pair's actual start, the batch's
   * skew, and how late this pair's start request reached its host (0: in time).
   */
  batch?: { id: string; at: number; start?: number; skewMs?: number; pairs: number; arrivedLateMs?: number };
  /** Sampling on both hosts over the measured window: per host, the counter deltas per interface. */
  sampling?: {
    intervalS: number;
    /** Both hosts run on one kernel (the lab): CPU counted once. */
    sharedKernel: boolean;
    hosts: Record<string, { role: string; ncpu: number; seconds: number; samples: number; interfaces: Record<string, { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number }> }>;
  };
  /** The background load as asked and as measured. */
  background?: { tool: string; targetPps: number; size: number; streams: number; sentPps?: number; receivedPps?: number; lostPct?: number };
  /** Live switchover: the switch instants (client clock) and what each segment between them showed. */
  switchover?: {
    switches: { variant: string; at: number; begin: number; end: number }[];
    gapMs: number;
    gapAt: number;
    lost: number;
    /** Epoch (client clock) of the client process start: the full log's times are relative to it. */
    clientStart: number;
    segments: { variant: string; from: number; to: number; messages: number; p50_us?: number; p99_us?: number; packets: Record<string, number>; observed?: string }[];
  };
  /** What the derived values (CPU cost, background rate, switchover segments) are computed from, with raw/. */
  evidence?: TrialEvidence;
  /** Requests vfbench sent each host for this trial once its pair was switched (2 per host when all went well). */
  roundTrips?: Record<string, number>;
  /** Raw files of this trial, relative to the run directory. */
  raw: string[];
  /** The per-message samples (sockperf), relative to the run directory: arrival order, and sorted. */
  samples?: { series: string; sorted: string };
}
