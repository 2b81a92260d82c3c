// One trial on its pair, in at most two round trips per host besides the path switch:
//   server host (1) sampler on, counters, server (and the background load's server) started and listening;
//               (2) servers stopped, sampler off, counters, their files fetched;
//   client host (1) sampler on, counters, the background load started, the client started (at the batch's
//               instant, or after the load's lead, only if the load still runs);
//               (2) waits for the client, sampler off, counters, its files fetched.
// Between the client's start and its end nothing is sent to either host (a live switchover excepted,
// which is the experiment): the agent blocks on the client, the sampler is a timer inside the agent.
import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Scenario } from '../scenario/load.js';
import type { Plan, Trial } from '../scenario/plan.js';
import { ops, ConnectionLost, HostDown, nowS, type Batch, type Host, type JobInfo, type Slot, type FetchedFile } from '../hosts/host.js';
import type { RunDir } from '../results/run-dir.js';
import { RECORD_SCHEMA, type TrialRecord } from '../results/record.js';
import type { PathController } from '../paths/controller.js';
import { pathCountersOp, type CounterSnapshot, type CounterSource } from '../paths/counters.js';
import type { ToolRun } from '../tools/tool.js';
import { toolOf } from '../tools/registry.js';
import { command } from '../util/shell.js';
import { errorMessage } from '../util/errors.js';
import { faultPoint } from '../util/faults.js';
import type { HostFacts } from './facts.js';
import type { Barrier } from './barrier.js';
import { samplerStart } from './sampling.js';
import { backgroundPlan, backgroundSeconds, BACKGROUND_TAIL_S, type BackgroundPlan } from './background.js';
import { buildRecord, TrialFailure, CLIENT_GRACE_S, type HostEnd, type TrialEvidence } from './trial-record.js';
import { FullLogIngest } from '../results/full-log-ingest.js';
import { runSwitches } from './switchover.js';
import type { BackgroundSpec, TestSpec } from '../scenario/schema.js';

const SERVER_READY_S = 5;
/** What a round trip may take beyond the work it waits for, before vfbench stops waiting for its answer. */
const REQUEST_SLACK_MS = 30_000;

/** What every trial of a run shares. */
export interface RunContext {
  scenario: Scenario;
  plan: Plan;
  hosts: Map<string, Host>;
  facts: Record<string, HostFacts>;
  controllers: Map<string, PathController>;
  /** Pair index → the variant it is in (absent: unknown, switch before the next trial). */
  current: Map<number, string>;
  dir: RunDir;
  /** Jobs that run now, stopped at once on Ctrl-C. */
  inFlight: Set<{ host: Host; jobs: string[] }>;
  /** Remote files fetched and verified, removed in the host's next round trip. */
  garbage: Map<Host, string[]>;
  /** Counters found per host when the scenario has no `verify:` (empty: not verified). */
  autoVerify: Map<string, CounterSource>;
  /** Write the recorded original path state to the manifest (before anything is switched). */
  persistOriginals: () => Promise<void>;
  /** Host clock minus local clock, seconds, per host (for the barrier's common start). */
  clockOffset: Map<string, number>;
  log: (message: string) => void;
  signal?: AbortSignal;
}

export interface TrialContext extends RunContext {
  trial: Trial;
  /** Set when the trial runs together with other pairs' trials. */
  barrier?: Barrier;
  /** The pair was switched before the batch started: the switch's metrics, or why it could not be. */
  switched?: Record<string, number> | Error;
}

/** Put the pair into the variant if it is not there yet; returns the switch's timings as metrics. */
export async function ensureVariant(ctx: RunContext, pairIndex: number, variantName: string): Promise<Record<string, number>> {
  if (ctx.current.get(pairIndex) === variantName) return {};
  const pairSpec = ctx.scenario.pairs[pairIndex]!;
  const pair = { client: ctx.hosts.get(pairSpec.client)!, server: ctx.hosts.get(pairSpec.server)! };
  const variant = ctx.scenario.variants[variantName]!;
  const controller = ctx.controllers.get(variant.controller)!;
  // Record what to put back, on disk, before anything changes: a kill -9 after this can be undone
  // with `vfbench restore RUN_DIR`.
  await controller.prepare(pair, variant);
  await ctx.persistOriginals();
  ctx.current.delete(pairIndex);
  // Timings of the switch (e.g. VF hot-plug) become metrics of this, the first trial after it.
  const metrics = (await controller.apply(pair, variant)) ?? {};
  faultPoint('switching');
  ctx.current.set(pairIndex, variantName);
  return metrics;
}

export async function runTrial(ctx: TrialContext): Promise<TrialRecord> {
  const t = new TrialRun(ctx);
  try {
    return await t.run();
  } finally {
    if (!t.arrived) ctx.barrier?.leave();
  }
}

interface Background {
  spec: BackgroundSpec;
  plan: BackgroundPlan;
  rate: number;
  size: number;
}

type Role = 'client' | 'server';

/** The sampler and counters of one host over the trial: started in its first batch, read in its last. */
interface Probe {
  sampler?: string;
  before?: Slot<CounterSnapshot>;
}

class TrialRun {
  readonly test: TestSpec;
  readonly client: Host;
  readonly server: Host;
  tool: ToolRun;
  readonly bg?: Background;
  readonly base: Omit<TrialRecord, 'status' | 'ended' | 'metrics'>;
  readonly raw: string[] = [];
  /** Jobs started on each host and not yet stopped or ended. */
  private readonly live = new Map<Host, Set<string>>();
  private readonly probes = new Map<Host, Probe>();
  private readonly flight: { host: Host; jobs: string[] }[] = [];
  private requests0?: Map<Host, number>;
  arrived = false;

  constructor(readonly ctx: TrialContext) {
    const { scenario, trial } = ctx;
    this.test = scenario.tests[trial.point.test]!;
    const pairSpec = scenario.pairs[trial.point.pair]!;
    this.client = ctx.hosts.get(pairSpec.client)!;
    this.server = ctx.hosts.get(pairSpec.server)!;
    this.tool = this.toolRun();
    const load = backgroundOf(this.test, trial.point);
    if (load && load.rate > 0) {
      // The load outlasts the measured client: its lead, the client's whole run, a tail.
      const seconds = backgroundSeconds(load.spec, toolOf(this.test).startupS, this.tool.client.seconds);
      this.bg = { ...load, plan: backgroundPlan(load.spec, { address: this.address, rate: load.rate, size: load.size, seconds }) };
    }
    this.base = {
      schema: RECORD_SCHEMA,
      run: ctx.dir.id,
      trial: trial.id,
      seq: trial.seq,
      pointKey: trial.pointKey,
      point: trial.point,
      variant: trial.variant,
      repetition: trial.repetition,
      started: new Date().toISOString(),
      tool: { name: this.test.tool, command: command(this.tool.client.argv) },
      raw: this.raw,
    };
  }

  private get address(): string {
    return this.ctx.scenario.hosts[this.ctx.scenario.pairs[this.ctx.trial.point.pair]!.server]!.data;
  }

  /** The tool's command lines, with its files in the client agent's folder (known once connected). */
  private toolRun(): ToolRun {
    const pairSpec = this.ctx.scenario.pairs[this.ctx.trial.point.pair]!;
    const mps = pairSpec.group ? this.ctx.scenario.groups?.[pairSpec.group]?.mps : undefined;
    return toolOf(this.test).run(this.test, this.ctx.trial.point, { serverAddress: this.address, clientDir: this.client.agent?.dir ?? '/tmp', trialId: this.ctx.trial.id, mps });
  }

  private failed(kind: string, message: string): TrialRecord {
    return { ...this.base, status: 'failed', ended: new Date().toISOString(), metrics: {}, failure: { kind, message }, roundTrips: this.roundTrips() };
  }

  /**
   * Requests the trial sent to each host once its pair was switched, up to its record (two each when all
   * went well; the removal of its fetched files follows the record).
   */
  private roundTrips(): Record<string, number> | undefined {
    if (!this.requests0) return undefined;
    return Object.fromEntries([...this.requests0].map(([h, n]) => [h.name, h.requests - n]));
  }

  private source(host: Host): CounterSource | undefined {
    return this.ctx.scenario.verify ?? this.ctx.autoVerify.get(host.name);
  }

  /** Counters are compared before/after the trial (not for a switchover, whose path changes on purpose). */
  private get verifying(): boolean {
    return !!(this.source(this.client) && this.source(this.server)) && !this.test.switchover;
  }

  /** A tool missing on a host fails only the trials that need it. */
  private precheck(): TrialRecord | undefined {
    const need: [Host, string][] = [[this.client, this.tool.needs.client]];
    if (this.tool.needs.server) need.push([this.server, this.tool.needs.server]);
    if (this.bg) need.push([this.client, this.bg.plan.needs], [this.server, this.bg.plan.needs]);
    for (const [host, binary] of need) {
      if (!this.ctx.facts[host.name]?.tools[binary]) {
        return this.failed('tool-missing', `${binary} is not installed on ${host.name} (${host.describe()}): vfbench doctor --install installs it`);
      }
    }
    const unsupported = toolOf(this.test).unsupportedVersion(this.tool.needs.client, this.ctx.facts[this.client.name]!.tools[this.tool.needs.client]!);
    return unsupported ? this.failed('tool-unsupported', unsupported) : undefined;
  }

  async run(): Promise<TrialRecord> {
    const pre = this.precheck();
    if (pre) return pre;
    // A live switchover ends with its trial, however the trial ends: no switch may come after it.
    const switchesEnd = new AbortController();
    let switching: ReturnType<typeof runSwitches> | undefined;
    try {
      for (const h of [this.client, this.server]) await h.ready();
      this.tool = this.toolRun();
      this.base.tool.command = command(this.tool.client.argv);
      const { trial } = this.ctx;
      const switchMetrics = await this.switchPath();
      this.requests0 = new Map([this.client, this.server].map((h) => [h, h.requests]));
      await this.startServer();
      faultPoint('server-start');
      if (this.ctx.signal?.aborted) return this.failed('interrupted', 'run interrupted');
      let at: number | undefined;
      if (this.ctx.barrier) {
        this.arrived = true;
        at = await this.ctx.barrier.arrive();
      }
      const start = await this.startClient(at);
      faultPoint('measuring');
      const switchover = this.test.switchover;
      const tool = toolOf(this.test);
      const signal = this.ctx.signal ? AbortSignal.any([this.ctx.signal, switchesEnd.signal]) : switchesEnd.signal;
      switching = switchover
        ? runSwitches({ ...this.ctx, signal }, this.client, switchover.steps, start.start + tool.startupS + tool.warmupS(this.test), (v) => ensureVariant(this.ctx, trial.point.pair, v))
        : undefined;
      const clientEnd = await this.collect(this.client, true);
      const switched = switching ? await switching : undefined;
      if (this.ctx.signal?.aborted) return this.failed('interrupted', 'run interrupted');
      const serverEnd = await this.collect(this.server, false);
      const evidence: TrialEvidence = { at, start, client: clientEnd, server: serverEnd, switched, switchMetrics };
      return { ...(await buildRecord(this.recordInput(), evidence)), roundTrips: this.roundTrips() };
    } catch (err) {
      if (err instanceof TrialFailure) return this.failed(err.kind, err.message);
      if (err instanceof HostDown) return this.failed('host-unreachable', err.message);
      if (err instanceof ConnectionLost) return this.failed('connection-lost', err.message);
      return this.failed('tool-error', errorMessage(err));
    } finally {
      switchesEnd.abort();
      await switching?.catch(() => undefined); // a switch under way finishes before the cleanup
      await this.cleanup();
    }
  }

  /** The pair into the trial's variant (done before the batch for pairs run together). */
  private async switchPath(): Promise<Record<string, number>> {
    const { trial, switched } = this.ctx;
    if (switched instanceof Error) throw new TrialFailure('switch-failed', switched.message);
    if (this.ctx.barrier) return switched ?? {};
    try {
      return await ensureVariant(this.ctx, trial.point.pair, trial.variant);
    } catch (err) {
      if (err instanceof HostDown || err instanceof ConnectionLost) throw err;
      throw new TrialFailure('switch-failed', errorMessage(err));
    }
  }

  private recordInput() {
    return {
      ctx: this.ctx,
      base: this.base,
      test: this.test,
      tool: this.tool,
      // A point with background rate 0 (the reference) still records the load it asked for: none.
      bg: this.bg ?? backgroundOf(this.test, this.ctx.trial.point),
      client: this.client,
      server: this.server,
      sources: { client: this.source(this.client), server: this.source(this.server) },
      verifying: this.verifying,
      sharesKernel: this.sharesKernel(),
    };
  }

  /**
   * The fetched files queued for removal on a host, taken off the queue: only those of the agent that
   * runs now (a new agent after a reconnect has a new folder; the old one's went with it).
   */
  private takeGarbage(host: Host): string[] {
    const dir = host.agent?.dir;
    return (this.ctx.garbage.get(host) ?? []).splice(0).filter((f) => dir !== undefined && f.startsWith(`${dir}/`));
  }

  /** A batch on a host that first removes the files fetched (and verified) by earlier trials. */
  private batch(host: Host): Batch {
    const b = host.batch();
    const garbage = this.takeGarbage(host);
    if (garbage.length > 0) b.add(ops.rm(garbage));
    return b;
  }

  /**
   * Jobs about to be started on a host, known before their request goes: whatever happens to it (a drop,
   * Ctrl-C, an error), they are stopped at the end of the trial or at the abort.
   */
  private starting(host: Host, jobs: string[]): void {
    if (this.ctx.signal?.aborted) throw new TrialFailure('interrupted', 'run interrupted');
    if (!this.live.has(host)) this.live.set(host, new Set());
    for (const j of jobs) this.live.get(host)!.add(j);
    const entry = { host, jobs };
    this.flight.push(entry);
    this.ctx.inFlight.add(entry);
  }

  /** After a start batch: an abort that came meanwhile stops what it started, now. */
  private async checkAbort(host: Host): Promise<void> {
    if (!this.ctx.signal?.aborted) return;
    await host.call(ops.stop([...(this.live.get(host) ?? [])])).catch(() => {});
    throw new TrialFailure('interrupted', 'run interrupted');
  }

  private samplerMaxS(): number {
    return this.tool.client.seconds + toolOf(this.test).startupS + CLIENT_GRACE_S + (this.bg?.spec.lead ?? 0) + 15;
  }

  /** Seconds a server (or the load's) may live: until the client is done and collected, whatever happens. */
  private serverLifeS(): number {
    return this.samplerMaxS() + 60;
  }

  /**
   * Client and server on one kernel (the lab's namespaces, containers): one machine, sampled once (on the
   * client's side), which is half the wakeups on that machine while the tool measures.
   */
  sharesKernel(): boolean {
    const [c, s] = [this.ctx.facts[this.client.name]?.bootId, this.ctx.facts[this.server.name]?.bootId];
    return c !== undefined && c === s;
  }

  /** The sampler and the "before" counters of a host, first in its first batch. */
  private openProbe(b: Batch, host: Host, role: Role): void {
    const probe: Probe = {};
    const sampling = this.ctx.scenario.sampling;
    if (sampling && !(role === 'server' && this.sharesKernel())) {
      probe.sampler = `${this.ctx.trial.id}.${role}-sampler`;
      b.add(samplerStart(probe.sampler, sampling.interval, this.samplerMaxS()));
    }
    const src = this.source(host);
    if (this.verifying && src) probe.before = b.add(pathCountersOp(host.name, src));
    this.probes.set(host, probe);
  }

  private job(role: 'client' | 'server' | 'bg-client' | 'bg-server'): string {
    return `${this.ctx.trial.id}.${role}`;
  }

  /** The server host's first batch: its probe, the tool's server (none for ICMP) and the load's, listening. */
  private async startServer(): Promise<void> {
    const { server, tool } = this;
    const b = this.batch(server);
    this.openProbe(b, server, 'server');
    const life = this.serverLifeS();
    const ts = tool.server;
    const srv = ts ? b.add(ops.start({ job: this.job('server'), argv: ts.argv, lifeS: life, ready: { ...ts.ready, timeoutS: SERVER_READY_S } })) : undefined;
    const bg = this.bg?.plan.server;
    const bgSrv = bg ? b.add(ops.start({ job: this.job('bg-server'), argv: bg.argv, lifeS: life, ready: { protocol: bg.protocol, port: bg.port, timeoutS: SERVER_READY_S } })) : undefined;
    this.starting(server, [...(ts ? [this.job('server')] : []), ...(bg ? [this.job('bg-server')] : [])]);
    await b.send(SERVER_READY_S * 2000 + REQUEST_SLACK_MS);
    await this.checkAbort(server);
    if (ts && !srv!.value.ready) {
      const { protocol, port } = ts.ready;
      const out = await this.collect(server, false);
      const text = `${out.files['server.stdout'] ?? ''}${out.files['server.stderr'] ?? ''}`;
      const busy = /Address already in use|bind|in use/i.test(text);
      throw new TrialFailure(busy ? 'server-busy' : 'server-unreachable', `${tool.needs.server} did not listen on ${protocol} port ${port} within ${SERVER_READY_S} s${busy ? ' (port in use)' : ''}`);
    }
    if (bgSrv && !bgSrv.value.ready) throw new TrialFailure('background-failed', `the background ${this.bg!.plan.needs} server did not listen on port ${bg!.port}`);
  }


  private async startClient(at: number | undefined): Promise<{ start: number; lateMs?: number; arrivedLateMs?: number }> {
    const { client, tool } = this;
    const b = this.batch(client);
    this.openProbe(b, client, 'client');
    // With background load, the measured client starts the load's lead after it, only if it still runs;
    // for pairs run together the load starts its lead before the common instant (the barrier left room).
    const lead = this.bg ? backgroundLeadS(this.test, this.ctx.trial.point) : undefined;
    const hostAt = at !== undefined ? at + (this.ctx.clockOffset.get(client.name) ?? 0) : undefined;
    const bgStart = this.bg
      ? b.add(ops.start({ job: this.job('bg-client'), argv: this.bg.plan.client.argv, lifeS: this.bg.plan.client.seconds + CLIENT_GRACE_S, at: hostAt !== undefined ? hostAt - lead! : undefined }))
      : undefined;
    const cli = b.add(
      ops.start({
        job: this.job('client'),
        argv: tool.client.argv,
        lifeS: this.clientLifeS(),
        at: hostAt,
        delayS: hostAt === undefined ? lead : undefined,
        requires: this.bg ? [this.job('bg-client')] : undefined,
      }),
    );
    this.starting(client, this.bg ? [this.job('bg-client'), this.job('client')] : [this.job('client')]);
    const waitS = (lead ?? 0) + (at !== undefined ? Math.max(0, at - nowS()) : 0);
    await b.send(waitS * 1000 + REQUEST_SLACK_MS);
    await this.checkAbort(client);
    const c = cli.value;
    if (!c.started) {
      this.live.get(client)!.delete(this.job('client'));
      const out = await this.collect(client, true);
      const why = (out.files['bg-client.stderr'] || out.files['bg-client.stdout'] || 'no output').trim().slice(0, 300);
      throw new TrialFailure('background-failed', `the background load ended before the test started (${c.why}): ${why}`);
    }
    // The load's instant comes first: a request late for it cut the load's lead by that much (and the run
    // leaves a wider margin for the next batch).
    const arrivedLateMs = Math.max(c.arrivedLateMs ?? 0, bgStart?.value.arrivedLateMs ?? 0);
    if (arrivedLateMs > 0) this.ctx.log(`${client.name}: the start request of ${this.ctx.trial.id} arrived ${arrivedLateMs.toFixed(1)} ms after its instant`);
    return { start: c.start!, lateMs: c.lateMs, arrivedLateMs: at !== undefined ? arrivedLateMs : c.arrivedLateMs };
  }

  private clientLifeS(): number {
    return this.tool.client.seconds + toolOf(this.test).startupS + CLIENT_GRACE_S;
  }

  /**
   * The last round trip to a host: wait for the client (`waitClient`, on its host), stop everything else
   * of the trial there, stop the sampler, read the counters, fetch the files. If the connection drops
   * meanwhile, reconnect and, when the same agent kept the trial's processes, ask again.
   */
  async collect(host: Host, waitClient: boolean): Promise<HostEnd> {
    for (let attempt = 0; ; attempt++) {
      const agent = host.agent?.dir; // unique per agent (a rebooted host may reuse a PID)
      try {
        return await this.collectOnce(host, waitClient);
      } catch (err) {
        if (!(err instanceof ConnectionLost) || attempt > 0) throw err;
        await host.ready();
        if (host.agent?.dir !== agent) throw new TrialFailure('connection-lost', `${err.message}; after reconnecting, its agent and the trial's processes were gone`);
        this.ctx.log(`${host.name}: reconnected during ${this.ctx.trial.id}; its agent kept the trial's processes: collecting them`);
      }
    }
  }

  private async collectOnce(host: Host, waitClient: boolean): Promise<HostEnd> {
    const b = this.batch(host);
    const live = this.live.get(host) ?? new Set<string>();
    const [client, bgClient] = [this.job('client'), this.job('bg-client')];
    const waited = waitClient && live.has(client) ? b.add(ops.wait(client, this.clientLifeS() + 10)) : undefined;
    const bgWaited = waited && live.has(bgClient) ? b.add(ops.wait(bgClient, BACKGROUND_TAIL_S + 10)) : undefined;
    const toStop = [...live].filter((j) => !(waited && j === client));
    const stopped = toStop.length > 0 ? b.add(ops.stop(toStop)) : undefined;
    const probe = this.probes.get(host);
    const samples = probe?.sampler ? b.add(ops.samplerStop(probe.sampler)) : undefined;
    const src = this.source(host);
    const after = probe?.before && src ? b.add(pathCountersOp(host.name, src)) : undefined;
    const suffixes = this.fileSuffixes(live);
    const remote = suffixes.map((x) => this.tool.client.files[x] ?? `${host.agent!.dir}/${this.ctx.trial.id}.${x}`);
    // The full log goes straight into its parser and the sample store; the rest to raw/ as they are.
    const fl = this.tool.client.fullLog;
    const ingest = fl && suffixes.includes(fl.suffix) ? this.ingest(fl) : undefined;
    const dests = suffixes.map((x) => (x === fl?.suffix ? ingest : this.ctx.dir.rawPath(this.ctx.trial.id, x)));
    const fetched = b.add(ops.fetch(remote, dests, suffixes.map((x) => x === fl?.suffix && host.compressesFetches())));
    await b.send(((waited ? this.clientLifeS() + 10 : 0) + (bgWaited ? BACKGROUND_TAIL_S + 10 : 0)) * 1000 + REQUEST_SLACK_MS);
    if (stopped?.ok) for (const j of toStop) live.delete(j);
    if (waited?.ok && !waited.value.timedOut) live.delete(client);
    if (samples?.ok && probe) probe.sampler = undefined;
    const files = await this.keep(host, suffixes, fetched, fl?.suffix);
    if (ingest?.result?.ok) {
      const { series, sorted } = ingest.result.value.store;
      this.base.samples = { series: relative(this.ctx.dir.path, series), sorted: relative(this.ctx.dir.path, sorted) };
    }
    const samplesText = samples?.ok ? (samples.value.text ?? undefined) : undefined;
    const role = host === this.client ? 'client' : 'server';
    if (samplesText !== undefined) await this.keepText(`${role}.samples`, samplesText);
    return {
      job: waited?.value,
      bgJob: bgWaited?.ok && !bgWaited.value.timedOut ? bgWaited.value : stopped?.ok ? stopped.value[bgClient] : undefined,
      samples: samplesText,
      before: probe?.before?.ok ? probe.before.value : undefined,
      after: after?.ok ? after.value : undefined,
      files,
      fullLog: ingest?.result,
    };
  }

  /** The consumer of a sockperf full log: raw/<trial>.fulllog.csv.gz for audit, samples/ for analysis. */
  private ingest(fl: NonNullable<ToolRun['client']['fullLog']>): FullLogIngest {
    const { dir, trial } = this.ctx;
    return new FullLogIngest(
      { audit: dir.rawPath(trial.id, `${fl.suffix}.gz`), series: dir.samplesPath(trial.id, 'arrow'), sorted: dir.samplesPath(trial.id, 'sorted.arrow') },
      { warmupS: fl.warmupS, maxRows: fl.maxRows, arrivals: fl.arrivals },
    );
  }

  /** The files of the trial's jobs on a host, by the suffix they keep in raw/. */
  private fileSuffixes(live: Set<string>): string[] {
    const out: string[] = [];
    for (const j of ['client', 'bg-client', 'server', 'bg-server'] as const) {
      if (!live.has(this.job(j))) continue;
      out.push(`${j}.stdout`, `${j}.stderr`);
      if (j.endsWith('client')) out.push(`${j}.times`);
      if (j === 'client') out.push(...Object.keys(this.tool.client.files));
    }
    return out;
  }

  /**
   * Files fetched into raw/: listed in the record, their text returned (not the full log's: it was parsed
   * on the way and kept gzipped), their remote copies queued for removal.
   */
  private async keep(host: Host, suffixes: string[], slot: Slot<(FetchedFile | undefined)[]>, streamed?: string): Promise<Record<string, string | undefined>> {
    const out: Record<string, string | undefined> = {};
    // Without its files the trial has no result: say why, rather than what the missing output lacks.
    if (slot.ok === false && host === this.client) throw new TrialFailure('fetch-failed', `the client's files did not come back from ${host.name}: ${slot.error ?? 'no answer'}`);
    if (!slot.ok) return out;
    const remote = slot.op.req.paths as string[];
    const verified: string[] = [];
    for (const [i, suffix] of suffixes.entries()) {
      if (!slot.value[i]) continue;
      verified.push(remote[i]!);
      if (suffix === streamed) {
        this.listRaw(this.ctx.dir.rawPath(this.ctx.trial.id, `${suffix}.gz`));
        continue;
      }
      const local = this.ctx.dir.rawPath(this.ctx.trial.id, suffix);
      this.listRaw(local);
      out[suffix] = await readFile(local, 'utf8');
    }
    this.ctx.garbage.set(host, [...(this.ctx.garbage.get(host) ?? []), ...verified]);
    return out;
  }

  private async keepText(suffix: string, text: string): Promise<void> {
    const local = this.ctx.dir.rawPath(this.ctx.trial.id, suffix);
    await writeFile(local, text);
    this.listRaw(local);
  }

  private listRaw(local: string): void {
    const rel = relative(this.ctx.dir.path, local);
    if (!this.raw.includes(rel)) this.raw.push(rel);
  }

  /** Whatever a failure left running stops now (one round trip per host), its output kept. */
  private async cleanup(): Promise<void> {
    for (const e of this.flight) this.ctx.inFlight.delete(e);
    const hosts = new Set([...this.live].filter(([, jobs]) => jobs.size > 0).map(([h]) => h));
    for (const [h, p] of this.probes) if (p.sampler) hosts.add(h);
    await Promise.all([...hosts].map((h) => this.collectOnce(h, false).catch(() => {})));
    // The trial's fetched and verified files leave the host now (a full log can be hundreds of MB on a
    // tmpfs /tmp): an unlink in the agent, no process. Pairs run together may still be measuring on a
    // shared host: theirs wait for the next trial's first batch, as do files whose removal failed.
    if (!this.ctx.barrier) await Promise.all([...new Set([this.client, this.server])].map((h) => this.removeFetched(h)));
  }

  private async removeFetched(host: Host): Promise<void> {
    const mine = this.takeGarbage(host);
    if (mine.length === 0) return;
    try {
      await host.call(ops.rm(mine));
    } catch {
      // Queued again: the next batch on this host, or the run's cleanup, removes them.
      this.ctx.garbage.set(host, [...(this.ctx.garbage.get(host) ?? []), ...mine]);
    }
  }
}

/** The background load a point asks for (rate 0: the test's reference point without load). */
export function backgroundOf(test: TestSpec, point: Trial['point']): { spec: BackgroundSpec; rate: number; size: number } | undefined {
  const spec = test.background;
  return spec ? { spec, rate: point.rate ?? 0, size: spec.size ?? point.size } : undefined;
}

/** Seconds the background load runs before the measured client starts (0 without load). */
export function backgroundLeadS(test: TestSpec, point: Trial['point']): number {
  const load = backgroundOf(test, point);
  if (!load || load.rate === 0) return 0;
  return load.spec.lead + (load.spec.tool === 'sockperf' ? toolOf('sockperf').startupS : 0);
}
