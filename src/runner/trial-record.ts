// The record of a finished trial, from what its two round trips per host brought back: the tool's output
// parsed, CPU over the measured window, the background load's measured rate, the switchover segments, and
// the verdict of the path counters.
import type { TrialRecord } from '../results/record.js';
import type { Host } from '../hosts/host.js';
import { expectedPath } from '../scenario/load.js';
import { verifyPath, type CounterSource } from '../paths/counters.js';
import type { TestSpec } from '../scenario/schema.js';
import type { ToolRun } from '../tools/tool.js';
import { cpuCost } from './sampling.js';
import { parseSamples } from '../tools/proc.js';
import { backgroundRate, type BackgroundPlan } from './background.js';
import { summarizeSwitchover, type SwitchInstant } from './switchover.js';
import type { TrialContext } from './trial.js';
import type { BackgroundSpec } from '../scenario/schema.js';
import type { JobInfo } from '../hosts/host.js';
import type { ParseResult } from '../tools/failure.js';
import type { IngestedLog } from './full-log-ingest.js';
import { readArrivals } from '../results/sample-store.js';
import type { CounterSnapshot } from '../paths/counters.js';

/** Client processes get this long beyond their own duration before they count as hung. */
export const CLIENT_GRACE_S = 30;

/** A failure that ends the trial with its kind. */
export class TrialFailure extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the last round trip to a host brought back. */
export interface HostEnd {
  /** The client job as it ended (client host). */
  job?: JobInfo;
  /** The background load's client as it ended (client host). */
  bgJob?: JobInfo;
  samples?: string;
  before?: CounterSnapshot;
  after?: CounterSnapshot;
  files: Record<string, string | undefined>;
  /** The full log, parsed and stored on its way (client host, sockperf latency modes). */
  fullLog?: ParseResult<IngestedLog>;
}

export interface TrialEvidence {
  /** The batch's common start (local clock), for pairs run together. */
  at?: number;
  start: { start: number; lateMs?: number; arrivedLateMs?: number };
  client: HostEnd;
  server: HostEnd;
  switched?: { switches: SwitchInstant[]; problem?: string };
  switchMetrics: Record<string, number>;
}

export interface RecordInput {
  ctx: TrialContext;
  base: Omit<TrialRecord, 'status' | 'ended' | 'metrics'>;
  test: TestSpec;
  tool: ToolRun;
  /** The background load (rate 0: none asked for this point, recorded as such). */
  bg?: { spec: BackgroundSpec; plan?: BackgroundPlan; rate: number; size: number };
  client: Host;
  server: Host;
  sources: { client?: CounterSource; server?: CounterSource };
  verifying: boolean;
  /** Client and server are one machine: sampled once, its CPU counted once. */
  sharesKernel: boolean;
}

/** Build the record; throws TrialFailure for a trial that measured nothing usable. */
export async function buildRecord(r: RecordInput, ev: TrialEvidence): Promise<TrialRecord> {
  const { ctx, base, test, tool, client } = r;
  const job = ev.client.job;
  if (!job) throw new TrialFailure('tool-error', `${test.tool} client: no exit status came back`);
  if (job.timedOut || job.rc === 124) throw new TrialFailure('tool-error', `${test.tool} client did not finish within ${tool.client.seconds}s + ${CLIENT_GRACE_S}s`);
  if (ev.switched?.problem) throw new TrialFailure('switch-failed', ev.switched.problem);
  if (job.rc === 127) throw new TrialFailure('tool-missing', `${tool.needs.client} was not found on ${client.name}`);
  const files = ev.client.files;
  const parsed = tool.parse({ stdout: files['client.stdout'] ?? '', stderr: files['client.stderr'] ?? '', exitCode: job.rc, files, fullLog: ev.client.fullLog });
  if (!parsed.ok) throw new TrialFailure(parsed.failure.kind, parsed.failure.message);
  const outcome = parsed.value;
  base.tool.version = outcome.version ?? ctx.facts[client.name]!.tools[tool.needs.client] ?? undefined;
  base.tool.summary = outcome.summary;
  const metrics: Record<string, number> = { ...outcome.metrics, ...ev.switchMetrics };
  const offset = (name: string) => ctx.clockOffset.get(name) ?? 0;
  if (ev.at !== undefined) {
    base.batch = { id: ctx.trial.batch!, at: ev.at, pairs: ctx.barrier!.size, start: job.start - offset(client.name), arrivedLateMs: ev.start.arrivedLateMs };
  }
  // The measured window in the client's clock: from the first measured message to the client's end.
  const window = { from: job.start + (outcome.measuredFrom ?? 0), to: job.end ?? undefined };
  const series = [
    { end: ev.client, host: client, role: 'client' as const },
    { end: ev.server, host: r.server, role: 'server' as const },
  ].flatMap(({ end, host, role }) => {
    const p = end.samples !== undefined ? parseSamples(end.samples) : undefined;
    return p?.ok ? [{ name: host.name, role, samples: p.value }] : [];
  });
  const sampling = ctx.scenario.sampling;
  if (sampling && series.length > 0) {
    // The server's samples are in its own clock: shift the window by the two hosts' offset.
    const cost = cpuCost(series, window, metrics, (name) => offset(name) - offset(client.name));
    if (cost) {
      Object.assign(metrics, cost.metrics);
      base.sampling = { intervalS: sampling.interval, sharedKernel: cost.sharedKernel || r.sharesKernel, hosts: cost.hosts };
    }
  }
  if (r.bg) recordBackground(r, ev, window, metrics);
  if (ev.switched && outcome.store) {
    // A switchover log is minutes at a few thousand messages/s: its arrival order is read back whole.
    const { rx, latency } = await readArrivals(outcome.store.series, job.start);
    const src = r.sources.client;
    const ifaces = src ? [src.accelerated, src.synthetic].filter((x): x is string => !!x) : [];
    const sum = summarizeSwitchover(rx, latency, outcome.lost ?? 0, ctx.trial.variant, ev.switched.switches, series.find((x) => x.role === 'client')?.samples, ifaces);
    base.switchover = { switches: ev.switched.switches, clientStart: job.start, ...sum };
    metrics.gap_ms = sum.gapMs;
    metrics.lost_messages = sum.lost;
  }
  const verification = r.verifying ? verify(r, ev) : undefined;
  return {
    ...base,
    status: verification && !verification.ok ? 'invalid' : 'ok',
    ended: new Date().toISOString(),
    metrics,
    latencyKind: outcome.latencyKind,
    verification,
  };
}

function recordBackground(r: RecordInput, ev: TrialEvidence, window: { from: number; to?: number }, metrics: Record<string, number>): void {
  const bg = r.bg!;
  const text = ev.client.files['bg-client.stdout'];
  let measured: ReturnType<typeof backgroundRate> = {};
  if (text !== undefined) {
    const bgStart = ev.client.bgJob?.start;
    const win = bgStart !== undefined && window.to !== undefined ? ([window.from - bgStart, window.to - bgStart] as [number, number]) : undefined;
    measured = backgroundRate(bg.spec.tool, text, { size: bg.size, window: win });
    if (measured.problem) throw new TrialFailure('background-failed', `the background load's output: ${measured.problem}`);
  }
  r.base.background = { tool: bg.spec.tool, targetPps: bg.rate, size: bg.size, streams: bg.spec.streams, ...measured };
  metrics.background_target_pps = bg.rate;
  metrics.background_pps = measured.sentPps ?? 0;
  if (measured.lostPct !== undefined) metrics.background_lost_pct = measured.lostPct;
}

function verify(r: RecordInput, ev: TrialEvidence): TrialRecord['verification'] {
  const { ctx, client, server, sources } = r;
  const [cb, ca, sb, sa] = [ev.client.before, ev.client.after, ev.server.before, ev.server.after];
  if (!cb || !ca || !sb || !sa) {
    return { expected: expectedPath(ctx.scenario.variants[ctx.trial.variant]!), observed: 'unknown', ok: false, reason: 'the path counters could not be read before and after the trial', hosts: {} };
  }
  const rule = ctx.scenario.verify ?? { ...sources.client!, share: 0.95, min_packets: 100 };
  const v = verifyPath(expectedPath(ctx.scenario.variants[ctx.trial.variant]!), rule, {
    [client.name]: { before: cb, after: ca, source: sources.client },
    [server.name]: { before: sb, after: sa, source: sources.server },
  });
  return { expected: v.expected, observed: v.observed, ok: v.ok, reason: v.reason, hosts: v.hosts };
}
