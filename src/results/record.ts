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
  pair: number;
  group?: string;
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
  /** Raw files of this trial, relative to the run directory. */
  raw: string[];
}
