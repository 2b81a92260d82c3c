// The record of a finished trial, from what its two round trips per host brought back: the tool's output
// parsed, CPU over the measured window, the background load's measured rate, the switchover segments, and
// the verdict of the path counters.
import type { TrialRecord } from '../results/record.js';
import type { Host } from '../hosts/host.js';
import { expectedPath } from '../scenario/load.js';
import { verifyPath, type CounterSource } from '../paths/counters.js';
import type { TestSpec } from '../scenario/schema.js';
import type { ToolRun } from '../tools/tool.js';
import type { BackgroundPlan } from './background.js';
import type { SwitchInstant } from './switchover.js';
import { deriveTrial, type DerivationInputs } from '../analysis/trial-derived.js';
import type { TrialEvidence as RecordedEvidence } from '../results/record.js';
import type { TrialContext } from './trial.js';
import type { BackgroundSpec } from '../scenario/schema.js';
import type { JobInfo } from '../hosts/host.js';
import type { ParseResult } from '../tools/failure.js';
import type { IngestedLog } from '../results/full-log-ingest.js';
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
  const evidence = evidenceOf(r, ev, job, outcome.measuredFrom ?? 0);
  const derived = deriveTrial({
    evidence,
    toolMetrics: metrics,
    samplers: samplerTexts(r, ev),
    samplingIntervalS: ctx.scenario.sampling ? ctx.scenario.sampling.interval : undefined,
    background: r.bg ? { spec: { tool: r.bg.spec.tool, targetPps: r.bg.rate, size: r.bg.size, streams: r.bg.spec.streams }, stdout: ev.client.files['bg-client.stdout'] } : undefined,
    // A switchover log is minutes at a few thousand messages/s: its arrival order is read back whole.
    switchover: ev.switched && outcome.store ? { ...(await readArrivals(outcome.store.series, job.start)), lost: outcome.lost ?? 0, start: ctx.trial.variant } : undefined,
  });
  if (derived.problem) throw new TrialFailure('background-failed', derived.problem);
  Object.assign(metrics, derived.metrics);
  Object.assign(base, { evidence, sampling: derived.sampling, background: derived.background, switchover: derived.switchover });
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

/** The instants the derived values are computed from, kept in the record for analyze. */
function evidenceOf(r: RecordInput, ev: TrialEvidence, job: JobInfo, measuredFrom: number): RecordedEvidence {
  const offset = (name: string) => r.ctx.clockOffset.get(name) ?? 0;
  const src = r.sources.client;
  return {
    clientStart: job.start,
    // The measured window in the client's clock: from the first measured message to the client's end.
    window: { from: job.start + measuredFrom, to: job.end ?? undefined },
    hosts: { client: r.client.name, server: r.server.name },
    shiftS: Object.fromEntries([r.client, r.server].map((h) => [h.name, offset(h.name) - offset(r.client.name)])),
    bgStart: ev.client.bgJob?.start,
    sharedKernel: r.sharesKernel,
    ...(ev.switched ? { switches: ev.switched.switches, interfaces: src ? [src.accelerated, src.synthetic].filter((x): x is string => !!x) : [] } : {}),
  };
}

/** The samplers' outputs of both hosts (the server's is absent when it shares the client's kernel). */
function samplerTexts(r: RecordInput, ev: TrialEvidence): DerivationInputs['samplers'] {
  return [
    { text: ev.client.samples, name: r.client.name, role: 'client' as const },
    { text: ev.server.samples, name: r.server.name, role: 'server' as const },
  ].flatMap((x) => (x.text !== undefined ? [{ ...x, text: x.text }] : []));
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
