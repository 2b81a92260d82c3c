// What a trial's record derives from its raw outputs (pure): CPU cost from the hosts' samplers, the
// background load's measured rate, a live switchover's segments. One function for the runner (at record
// time, for its progress line) and for analyze (again from raw/: a fixed derivation applies to old runs).
import type { TrialRecord, TrialEvidence } from '../results/record.js';
import { parseSamples, type Samples } from '../tools/proc.js';
import { cpuCost } from './cpu-cost.js';
import { backgroundRate } from './background-rate.js';
import { summarizeSwitchover } from './switchover-segments.js';

export interface DerivationInputs {
  evidence: TrialEvidence;
  /** The tool's own metrics (throughput and transaction rates divide the CPU cost). */
  toolMetrics: Record<string, number>;
  /** Sampler outputs (raw/<trial>.<role>.samples) by host. */
  samplers: { name: string; role: 'client' | 'server'; text: string }[];
  /** Sampling interval; undefined: the scenario sampled nothing. */
  samplingIntervalS?: number;
  /** The background load as asked, and what its client printed (raw/<trial>.bg-client.stdout). */
  background?: { spec: NonNullable<TrialRecord['background']>; stdout?: string };
  /** A live switchover: its arrivals (epochs, client clock) and latencies (µs), from the sample store. */
  switchover?: { rx: Float64Array; latency: Float64Array; lost: number; start: string };
}

export interface Derived {
  metrics: Record<string, number>;
  sampling?: TrialRecord['sampling'];
  background?: TrialRecord['background'];
  switchover?: TrialRecord['switchover'];
  /** The background load's output could not be read (the trial fails with it). */
  problem?: string;
}

/** Metric names a derivation writes (analyze replaces them; the tool's own stay). */
export function isDerivedMetric(name: string): boolean {
  return /^(cpu_|client_|server_|background_)/.test(name) || name === 'gap_ms' || name === 'lost_messages';
}

export function deriveTrial(i: DerivationInputs): Derived {
  const { evidence: ev } = i;
  const out: Derived = { metrics: {} };
  const series = i.samplers.flatMap(({ name, role, text }) => {
    const p = parseSamples(text);
    return p.ok ? [{ name, role, samples: p.value }] : [];
  });
  if (i.samplingIntervalS !== undefined && series.length > 0) {
    // The server's samples are in its own clock: shift the window by the two hosts' offset.
    const cost = cpuCost(series, ev.window, i.toolMetrics, (name) => ev.shiftS[name] ?? 0);
    if (cost) {
      Object.assign(out.metrics, cost.metrics);
      out.sampling = { intervalS: i.samplingIntervalS, sharedKernel: cost.sharedKernel || ev.sharedKernel, hosts: cost.hosts };
    }
  }
  if (i.background) Object.assign(out, deriveBackground(i.background, ev, out.metrics));
  if (i.switchover && ev.switches) {
    const client = series.find((x) => x.role === 'client')?.samples;
    out.switchover = switchoverOf(i.switchover, ev, client);
    out.metrics.gap_ms = out.switchover.gapMs;
    out.metrics.lost_messages = out.switchover.lost;
  }
  return out;
}

function deriveBackground(bg: NonNullable<DerivationInputs['background']>, ev: TrialEvidence, metrics: Record<string, number>): Pick<Derived, 'background' | 'problem'> {
  const { spec } = bg;
  let measured: ReturnType<typeof backgroundRate> = {};
  if (bg.stdout !== undefined) {
    const win = ev.bgStart !== undefined && ev.window.to !== undefined ? ([ev.window.from - ev.bgStart, ev.window.to - ev.bgStart] as [number, number]) : undefined;
    measured = backgroundRate(spec.tool as 'iperf3' | 'sockperf', bg.stdout, { size: spec.size, window: win });
    if (measured.problem) return { problem: `the background load's output: ${measured.problem}` };
  }
  metrics.background_target_pps = spec.targetPps;
  metrics.background_pps = measured.sentPps ?? 0;
  if (measured.lostPct !== undefined) metrics.background_lost_pct = measured.lostPct;
  const { problem: _, ...rates } = measured;
  return { background: { tool: spec.tool, targetPps: spec.targetPps, size: spec.size, streams: spec.streams, ...rates } };
}

function switchoverOf(s: NonNullable<DerivationInputs['switchover']>, ev: TrialEvidence, client: Samples | undefined): NonNullable<TrialRecord['switchover']> {
  const sum = summarizeSwitchover(s.rx, s.latency, s.lost, s.start, ev.switches!, client, ev.interfaces ?? []);
  return { switches: ev.switches!, clientStart: ev.clientStart, ...sum };
}
