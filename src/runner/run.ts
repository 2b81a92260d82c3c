// The runner: executes a plan on the hosts, in order, one record per trial, restoring the path state on
// every exit. It is the only part of vfbench that knows about time and order.
import { writeFile, readFile } from 'node:fs/promises';
import { resolve, relative } from 'node:path';
import type { Scenario } from '../scenario/load.js';
import { parseScenario, expectedPath } from '../scenario/load.js';
import { makePlan, type Plan, type Trial } from '../scenario/plan.js';
import type { Host, BackgroundProcess } from '../hosts/host.js';
import { RunDir } from '../results/run-dir.js';
import { RECORD_SCHEMA, type TrialRecord } from '../results/record.js';
import { GuestLinkController } from '../paths/guest-link.js';
import { CommandController } from '../paths/command.js';
import { AzureNicController } from '../paths/azure-nic.js';
import { LibvirtHotplugController } from '../paths/libvirt-hotplug.js';
import { AwsEnaExpressController } from '../paths/aws-ena-express.js';
import { restoreOriginals } from '../paths/restore.js';
import type { ControllerContext } from '../paths/controller.js';
import { LocalHost } from '../hosts/local.js';
import type { PathController } from '../paths/controller.js';
import { autoCounterSource, readPathCounters, verifyPath, type CounterSnapshot, type CounterSource } from '../paths/counters.js';
import { discoverVfs } from '../paths/discovery.js';
import { toolRun } from './tool-runs.js';
import { command } from '../util/shell.js';
import { errorMessage, UserError } from '../util/errors.js';
import { connectHosts } from './connect.js';
import { hostFacts, type HostFacts } from './facts.js';
import { parseTimes } from '../hosts/host.js';
import { Barrier, startSkewMs } from './barrier.js';
import { startSampler, cpuCost, type RunningSampler } from './sampling.js';
import { parseSamples } from '../tools/proc.js';
import { backgroundPlan, backgroundRate, startBackground, BACKGROUND_TAIL_S, type RunningBackground } from './background.js';
import { summarizeSwitchover, type SwitchInstant } from './switchover.js';

export const VFBENCH_VERSION = '0.1.0';
export const MANIFEST_SCHEMA = 1;

export interface Manifest {
  schema: number;
  vfbench: string;
  id: string;
  scenarioFile: string;
  scenarioText: string;
  scenario: Omit<Scenario, 'file' | 'inventoryProblem'>;
  plan: { trials: Pick<Trial, 'id' | 'seq' | 'pointKey' | 'variant' | 'repetition'>[]; estimateSeconds: number };
  hosts: Record<string, HostFacts>;
  /** Path state found before the first switch, per controller and host: what restore puts back. */
  originalPathState: ReturnType<PathController['originals']>;
  /** Host clock minus this machine's, seconds, per host (0 when within the round trip's uncertainty). */
  clockOffsets?: Record<string, number>;
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  started: string;
  ended?: string;
  counts?: Record<string, number>;
  restoreProblems?: string[];
  error?: string;
}

export type RunEvent =
  | { type: 'start'; dir: string; total: number; skipped: number; estimateSeconds: number }
  | { type: 'trial-start'; trial: Trial; index: number; total: number }
  | { type: 'trial-end'; record: TrialRecord; index: number; total: number }
  | { type: 'log'; message: string };

export interface RunOptions {
  resultsRoot: string;
  /** Continue this run directory: trials already recorded as ok or invalid are skipped. */
  resumeDir?: string;
  acceptNewHostKeys?: boolean;
  /** Aborting (Ctrl-C) stops the trial in flight, restores every path and ends the run as interrupted. */
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
}

export interface RunResult {
  dir: RunDir;
  manifest: Manifest;
}

/** Client processes get this long beyond their own duration before they count as hung. */
const CLIENT_GRACE_MS = 30_000;
const SERVER_READY_MS = 5_000;

export async function loadForRun(file: string | undefined, resumeDir: string | undefined): Promise<{ scenario: Scenario; dir?: RunDir }> {
  if (resumeDir) {
    const dir = await RunDir.open(resumeDir);
    const m = await dir.readManifest<Manifest>();
    // The scenario as it was when the run started, so the plan (and trial ids) match.
    const scenario = parseScenario(m.scenarioText, m.scenarioFile);
    scenario.repeat = m.scenario.repeat; // `run --repeat` may have overridden the file's
    if (file && resolve(file) !== m.scenarioFile) {
      const given = parseScenario(await readFile(file, 'utf8'), resolve(file));
      if (given.name !== scenario.name) throw new UserError(`${resumeDir} is a run of "${scenario.name}", not of ${file}`);
    }
    return { scenario, dir };
  }
  if (!file) throw new UserError('name a scenario file, or --resume a run directory');
  const text = await readFile(file, 'utf8').catch((err) => {
    throw new UserError(`cannot read ${file}: ${errorMessage(err)}`);
  });
  return { scenario: parseScenario(text, resolve(file)) };
}

/** The hosts a run talks to: both ends of every pair, and hosts that command variants run on. */
export function scenarioHostNames(s: Scenario): Set<string> {
  const names = new Set(s.pairs.flatMap((p) => [p.client, p.server]));
  for (const v of Object.values(s.variants)) {
    if (v.controller === 'command' && v.on !== 'both' && v.on !== 'local') names.add(v.on);
    if (v.controller === 'libvirt-hotplug') names.add(v.hypervisor);
  }
  return names;
}

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<RunResult> {
  if (scenario.inventoryProblem) throw new UserError(scenario.inventoryProblem);
  const plan = makePlan(scenario);
  const emit = opts.onEvent ?? (() => {});
  const hosts = await connectHosts(scenario, scenarioHostNames(scenario), { acceptNewHostKeys: opts.acceptNewHostKeys });
  const scratch = new Map<string, string>();
  const autoVerify = new Map<string, CounterSource>();
  // Controllers need the run directory (to keep their commands' output): made once it exists.
  let controllers = new Map<string, PathController>();
  let dir: RunDir | undefined;
  let manifest: Manifest | undefined;
  const inFlight = new Set<{ host: Host; proc: BackgroundProcess }>();
  // Stopping what runs must finish before the connections close, or a tool would outlive the run.
  const stopping: Promise<unknown>[] = [];
  const stopInFlight = () => {
    for (const f of inFlight) stopping.push(f.host.stop(f.proc.pid).catch(() => {}));
  };
  opts.signal?.addEventListener('abort', stopInFlight);
  try {
    const facts: Record<string, HostFacts> = {};
    // A tool missing on a host fails only the trials that need it (recorded as tool-missing).
    await Promise.all([...hosts].map(async ([name, h]) => (facts[name] = await hostFacts(h))));
    // Without `verify:`, prove the path from what discovery finds (hv_netvsc with its VF); else say so.
    if (!scenario.verify) {
      for (const name of new Set(scenario.pairs.flatMap((p) => [p.client, p.server]))) {
        const drivers = Object.fromEntries(facts[name]!.interfaces.map((i) => [i.name, i.driver]));
        const src = autoCounterSource(await discoverVfs(hosts.get(name)!).catch(() => []), drivers);
        if (src) autoVerify.set(name, src);
      }
      const all = [...new Set(scenario.pairs.flatMap((p) => [p.client, p.server]))].every((n) => autoVerify.has(n));
      if (!all) autoVerify.clear();
      emit({
        type: 'log',
        message: all
          ? `verification: from hv_netvsc counters (${[...autoVerify].map(([h, s]) => `${h}: ethtool -S ${s.synthetic}`).join(', ')})`
          : 'warning: trials will not be verified: name the counters with `verify:` (no hv_netvsc VF found on every host)',
      });
    }
    let done = new Set<string>();
    if (opts.resumeDir) {
      dir = await RunDir.open(opts.resumeDir);
      manifest = await dir.readManifest<Manifest>();
      done = new Set((await dir.latestRecords()).filter((r) => r.status !== 'failed').map((r) => r.trial));
      manifest.status = 'running';
      manifest.hosts = facts;
      delete manifest.ended;
    } else {
      dir = await RunDir.create(opts.resultsRoot, scenario.name);
      const { file, inventoryProblem, ...rest } = scenario;
      void inventoryProblem;
      manifest = {
        schema: MANIFEST_SCHEMA,
        vfbench: VFBENCH_VERSION,
        id: dir.id,
        scenarioFile: file,
        scenarioText: await readFile(file, 'utf8'),
        scenario: rest,
        plan: {
          trials: plan.trials.map(({ id, seq, pointKey, variant, repetition }) => ({ id, seq, pointKey, variant, repetition })),
          estimateSeconds: plan.estimateSeconds,
        },
        hosts: facts,
        originalPathState: [],
        status: 'running',
        started: new Date().toISOString(),
      };
    }
    const runDir = dir;
    const ctx: ControllerContext = {
      hosts,
      local: new LocalHost('local', scenario.ssh.command_timeout * 1000),
      keep: (label, out) => runDir.keepControllerOutput(label, out),
    };
    if (opts.resumeDir && manifest.originalPathState.length > 0) {
      // The previous session may have died with a pair switched: put the recorded originals back first,
      // so that what this session records as "original" really is.
      const problems = await restoreOriginals(manifest.originalPathState, ctx);
      if (problems.length > 0) throw new UserError(`cannot restore the recorded path state before resuming: ${problems.join('; ')}`);
    }
    controllers = new Map<string, PathController>([
      ['guest-link', new GuestLinkController()],
      ['command', new CommandController(ctx)],
      ['azure-nic', new AzureNicController(ctx)],
      ['libvirt-hotplug', new LibvirtHotplugController(ctx)],
      ['aws-ena-express', new AwsEnaExpressController(ctx)],
    ]);
    const m = manifest;
    const persistOriginals = async () => {
      m.originalPathState = [...controllers.values()].flatMap((c) => c.originals());
      await runDir.writeManifest(m);
    };
    await dir.writeManifest(manifest);
    for (const [name, h] of hosts) scratch.set(name, await h.mkdtemp(`vfbench.${dir.id}`));

    const todo = plan.trials.filter((t) => !done.has(t.id));
    const estimate = (plan.estimateSeconds * todo.length) / Math.max(1, plan.trials.length);
    emit({ type: 'start', dir: dir.path, total: todo.length, skipped: plan.trials.length - todo.length, estimateSeconds: estimate });

    const current = new Map<number, string>(); // pair index -> variant applied
    const clockOffset = await clockOffsets(hosts);
    manifest.clockOffsets = Object.fromEntries(clockOffset);
    const base = { scenario, plan, hosts, facts, scratch, controllers, current, dir, inFlight, persistOriginals, autoVerify, clockOffset, signal: opts.signal };
    for (let index = 0; index < todo.length; ) {
      if (opts.signal?.aborted) break;
      // A batch: the consecutive trials of one (point, variant, repetition) on every pair, run at once.
      const first = todo[index]!;
      let n = 1;
      while (first.batch !== undefined && todo[index + n]?.batch === first.batch) n++;
      const batch = todo.slice(index, index + n);
      for (const [k, trial] of batch.entries()) emit({ type: 'trial-start', trial, index: index + k, total: todo.length });
      let records: TrialRecord[];
      if (n === 1 && first.batch === undefined) {
        records = [await runTrial({ ...base, trial: first })];
      } else {
        // Switch every pair first (one at a time: each persists the originals), then start together.
        const switched = new Map<string, Record<string, number>>();
        for (const t of batch) switched.set(t.id, await ensureVariant({ ...base, trial: t }, t.point.pair, t.variant));
        const barrier = new Barrier(batch.length, BARRIER_MARGIN_S);
        records = await Promise.all(batch.map((t) => runTrial({ ...base, trial: t, barrier, switched: switched.get(t.id) })));
        const skew = startSkewMs(records.flatMap((r) => (r.batch?.start !== undefined ? [r.batch.start] : [])));
        for (const r of records) if (r.batch && skew !== undefined) r.batch.skewMs = skew;
      }
      let stop = false;
      for (const [k, record] of records.entries()) {
        if (opts.signal?.aborted && record.status === 'failed') {
          stop = true; // the abort killed it: not a result
          continue;
        }
        await dir.appendRecord(record);
        emit({ type: 'trial-end', record, index: index + k, total: todo.length });
      }
      manifest.originalPathState = [...controllers.values()].flatMap((c) => c.originals());
      await dir.writeManifest(manifest);
      if (stop) break;
      index += n;
    }
    manifest.status = opts.signal?.aborted ? 'interrupted' : 'complete';
  } catch (err) {
    if (manifest) {
      manifest.status = 'failed';
      manifest.error = errorMessage(err);
    }
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', stopInFlight);
    stopInFlight();
    await Promise.allSettled(stopping);
    const problems: string[] = [];
    for (const c of controllers.values()) problems.push(...(await c.restore()));
    for (const [name, h] of hosts) {
      const d = scratch.get(name);
      if (d) await h.exec(['rm', '-rf', '--', d]).catch(() => {});
      await h.close();
    }
    if (dir && manifest) {
      manifest.originalPathState = [...controllers.values()].flatMap((c) => c.originals());
      manifest.ended = new Date().toISOString();
      if (problems.length > 0) manifest.restoreProblems = problems;
      const records = await dir.latestRecords();
      manifest.counts = { planned: plan.trials.length, ok: 0, invalid: 0, failed: 0 };
      for (const r of records) manifest.counts[r.status] = (manifest.counts[r.status] ?? 0) + 1;
      await dir.writeManifest(manifest);
    }
    for (const p of problems) emit({ type: 'log', message: `RESTORE PROBLEM: ${p}` });
  }
  return { dir: dir!, manifest: manifest! };
}

interface TrialContext {
  scenario: Scenario;
  plan: Plan;
  trial: Trial;
  hosts: Map<string, Host>;
  facts: Record<string, HostFacts>;
  scratch: Map<string, string>;
  controllers: Map<string, PathController>;
  current: Map<number, string>;
  dir: RunDir;
  inFlight: Set<{ host: Host; proc: BackgroundProcess }>;
  /** Counters found per host when the scenario has no `verify:` (empty: not verified). */
  autoVerify: Map<string, CounterSource>;
  /** Write the recorded original path state to the manifest (before anything is switched). */
  persistOriginals: () => Promise<void>;
  /** Host clock minus local clock, seconds, per host (for the barrier's common start). */
  clockOffset: Map<string, number>;
  /** Set when the trial runs together with other pairs' trials. */
  barrier?: Barrier;
  /** The pair was switched before the batch started: the switch's metrics. */
  switched?: Record<string, number>;
  signal?: AbortSignal;
}

/** Seconds a tool needs from process start to its first measured message (sockperf's fixed sleep). */
const TOOL_STARTUP_S: Record<string, number> = { sockperf: 2.3, netperf: 0.3, iperf3: 0.5 };
/** How far ahead the barrier puts the common start: every start command must reach its host first. */
const BARRIER_MARGIN_S = 1;

/** Put the pair into the variant if it is not there yet; returns the switch's timings as metrics. */
async function ensureVariant(ctx: TrialContext, pairIndex: number, variantName: string): Promise<Record<string, number>> {
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
  ctx.current.set(pairIndex, variantName);
  return metrics;
}

async function runTrial(ctx: TrialContext): Promise<TrialRecord> {
  let arrived = false;
  try {
    return await trialBody(ctx, () => (arrived = true));
  } finally {
    if (!arrived) ctx.barrier?.leave();
  }
}

async function trialBody(ctx: TrialContext, arriving: () => void): Promise<TrialRecord> {
  const { scenario, trial, dir } = ctx;
  const test = scenario.tests[trial.point.test]!;
  const pairSpec = scenario.pairs[trial.point.pair]!;
  const client = ctx.hosts.get(pairSpec.client)!;
  const server = ctx.hosts.get(pairSpec.server)!;
  const variant = scenario.variants[trial.variant]!;
  const raw: string[] = [];
  const base: Omit<TrialRecord, 'status' | 'ended' | 'metrics'> = {
    schema: RECORD_SCHEMA,
    run: dir.id,
    trial: trial.id,
    seq: trial.seq,
    pointKey: trial.pointKey,
    point: trial.point,
    variant: trial.variant,
    repetition: trial.repetition,
    started: new Date().toISOString(),
    tool: { name: test.tool, command: '' },
    raw,
  };
  /** Fetch remote files in one round trip, keep each in raw/ as <trial>.<suffix>, return their text. */
  const keep = async (host: Host, files: Record<string, string>, stopFirst: number[] = []): Promise<Record<string, string | undefined>> => {
    const got = await host.readFiles(Object.values(files), { stopFirst });
    const text: Record<string, string | undefined> = {};
    for (const [suffix, remote] of Object.entries(files)) {
      const buf = got.get(remote);
      if (!buf) continue;
      const local = dir.rawPath(trial.id, suffix);
      await writeFile(local, buf);
      raw.push(relative(dir.path, local));
      text[suffix] = buf.toString('utf8');
    }
    return text;
  };
  const failed = (kind: string, message: string): TrialRecord => ({
    ...base,
    status: 'failed',
    ended: new Date().toISOString(),
    metrics: {},
    failure: { kind, message },
  });

  const clientDir = ctx.scratch.get(pairSpec.client)!;
  const serverDir = ctx.scratch.get(pairSpec.server)!;
  const groupMps = pairSpec.group ? scenario.groups?.[pairSpec.group]?.mps : undefined;
  const run = toolRun(test, trial.point, { serverAddress: scenario.hosts[pairSpec.server]!.data, clientDir, trialId: trial.id, mps: groupMps });
  base.tool.command = command(run.client.argv);
  const bgSpec = test.tool !== 'iperf3' ? test.background : undefined;
  const bgRate = bgSpec ? (trial.point.rate ?? 0) : 0;
  const bgSize = bgSpec?.size ?? trial.point.size;
  const bgPlan = bgSpec && bgRate > 0
    ? backgroundPlan(bgSpec, {
        address: scenario.hosts[pairSpec.server]!.data,
        rate: bgRate,
        size: bgSize,
        // The load outlasts the measured client: its lead, the client's whole run, a tail.
        seconds: bgSpec.lead + TOOL_STARTUP_S[test.tool]! + run.client.seconds + BACKGROUND_TAIL_S,
      })
    : undefined;
  for (const [host, binary] of [[client, run.needs.client], [server, run.needs.server], ...(bgPlan ? [[client, bgPlan.needs], [server, bgPlan.needs]] : [])] as [Host, string][]) {
    if (!ctx.facts[host.name]?.tools[binary]) {
      return failed('tool-missing', `${binary} is not installed on ${host.name} (${host.describe()}): vfbench doctor --install installs it`);
    }
  }
  const unsupported = unsupportedVersion(test.tool, ctx.facts[client.name]!.tools[run.needs.client]!);
  if (unsupported) return failed('tool-unsupported', unsupported);

  const started: { host: Host; proc: BackgroundProcess }[] = [];
  /** Already stopped (or known to have ended): not stopped again at the end. */
  const stopped = new Set<BackgroundProcess>();
  const track = (host: Host, proc: BackgroundProcess) => {
    const entry = { host, proc };
    started.push(entry);
    ctx.inFlight.add(entry);
  };
  let serverProc: BackgroundProcess | undefined;
  let switchMetrics: Record<string, number> = ctx.switched ?? {};
  try {
    if (!ctx.barrier) switchMetrics = await ensureVariant(ctx, trial.point.pair, trial.variant);
    const { protocol, port } = run.server.ready;
    // The samplers start with the server, in the same round trips' time.
    const sampling = scenario.sampling;
    const samplerMaxS = run.client.seconds + TOOL_STARTUP_S[test.tool]! + CLIENT_GRACE_MS / 1000 + (bgSpec?.lead ?? 0) + 15;
    const starting = await Promise.allSettled([
      server.start(run.server.argv, serverDir, `${trial.id}.server`, { ready: { protocol, port, timeoutMs: SERVER_READY_MS } }).then((p) => {
        // Known at once, so that whatever fails next still stops it.
        serverProc = p;
        ctx.inFlight.add({ host: server, proc: p });
        return p;
      }),
      ...(sampling
        ? ([[client, 'client'], [server, 'server']] as const).map(async ([h, role]) => {
            const s = await startSampler(h, role, role === 'client' ? clientDir : serverDir, `${trial.id}.${role}-sampler`, sampling.interval, samplerMaxS);
            track(h, s.proc);
            return s;
          })
        : []),
    ]);
    const refused = starting.find((x) => x.status === 'rejected');
    if (refused) throw refused.reason;
    const srv = (starting[0] as PromiseFulfilledResult<BackgroundProcess & { ready?: boolean }>).value;
    const samplers = starting.slice(1).map((x) => (x as PromiseFulfilledResult<RunningSampler>).value);
    if (!srv.ready) {
      const out = (await server.exec(['cat', '--', srv.stdoutPath, srv.stderrPath])).stdout;
      const busy = /Address already in use|bind|in use/i.test(out);
      return failed(busy ? 'server-busy' : 'server-unreachable', `${run.needs.server} did not listen on ${protocol} port ${port} within ${SERVER_READY_MS} ms${busy ? ' (port in use)' : ''}`);
    }
    if (ctx.signal?.aborted) return failed('interrupted', 'run interrupted');

    // Background load first, confirmed running, so that the measured test sees it from its first message.
    let bg: RunningBackground | undefined;
    if (bgPlan && bgSpec) {
      const lead = bgSpec.lead + (bgSpec.tool === 'sockperf' ? TOOL_STARTUP_S.sockperf! : 0);
      const r = await startBackground(client, server, bgPlan, { client: clientDir, server: serverDir }, trial.id, lead, track);
      if ('problem' in r) return failed('background-failed', r.problem);
      bg = r;
    }

    const sourceOf = (h: Host): CounterSource | undefined => scenario.verify ?? ctx.autoVerify.get(h.name);
    const switchover = test.tool === 'sockperf' ? test.switchover : undefined;
    const verifying = !!(sourceOf(client) && sourceOf(server)) && !switchover;
    const snap = async () =>
      Object.fromEntries(await Promise.all([client, server].map(async (h) => [h.name, await readPathCounters(h, sourceOf(h)!)] as const))) as Record<
        string,
        CounterSnapshot
      >;
    const before = verifying ? await snap() : undefined;

    let at: number | undefined;
    if (ctx.barrier) {
      arriving();
      at = await ctx.barrier.arrive();
    }
    const hostAt = at !== undefined ? at + (ctx.clockOffset.get(client.name) ?? 0) : undefined;
    const proc = await client.start(run.client.argv, clientDir, `${trial.id}.client`, { exitCode: true, stamp: true, at: hostAt });
    const localStart = hostAt !== undefined ? Math.max(Date.now() / 1000, at!) : Date.now() / 1000;
    const entry = { host: client, proc };
    ctx.inFlight.add(entry);
    const switches: SwitchInstant[] = [];
    let switchProblem: string | undefined;
    const switching = switchover
      ? (async () => {
          const measureStart = localStart + TOOL_STARTUP_S.sockperf! + (test.tool === 'sockperf' ? test.warmup : 0);
          for (const step of switchover.steps) {
            const wait = measureStart + step.at - Date.now() / 1000;
            if (wait > 0) await new Promise((r) => setTimeout(r, wait * 1000));
            if (ctx.signal?.aborted) return;
            const stamp = async () => Number((await client.run(['date', '+%s.%N'])).trim());
            const begin = await stamp();
            try {
              await ensureVariant(ctx, trial.point.pair, step.variant);
            } catch (err) {
              switchProblem = `switch to ${step.variant} at ${step.at}s failed: ${errorMessage(err)}`;
              return;
            }
            switches.push({ variant: step.variant, at: step.at, begin, end: await stamp() });
          }
        })()
      : Promise.resolve();
    let waited: { timedOut: boolean };
    try {
      waited = await client.waitExit(proc, run.client.seconds * 1000 + CLIENT_GRACE_MS + (hostAt !== undefined ? BARRIER_MARGIN_S * 2000 : 0));
      if (waited.timedOut) await client.stop(proc.pid);
    } finally {
      ctx.inFlight.delete(entry);
    }
    await switching;
    // The samplers are stopped and read in the same round trips as the client's files.
    const clientSampler = samplers.find((x) => x.role === 'client');
    const serverSampler = samplers.find((x) => x.role === 'server');
    const [files, serverFiles, after] = await Promise.all([
      keep(
        client,
        {
          'client.stdout': proc.stdoutPath,
          'client.stderr': proc.stderrPath,
          'client.rc': proc.rcPath!,
          'client.times': proc.timesPath!,
          ...run.client.files,
          ...(clientSampler ? { 'client.samples': clientSampler.proc.stdoutPath } : {}),
        },
        clientSampler ? [clientSampler.proc.pid] : [],
      ),
      serverSampler ? keep(server, { 'server.samples': serverSampler.proc.stdoutPath }, [serverSampler.proc.pid]) : {},
      verifying ? snap() : undefined,
    ]);
    for (const x of samplers) stopped.add(x.proc);
    const sampled = samplers.map((x) => {
      const text = x.role === 'client' ? files['client.samples'] : (serverFiles as Record<string, string | undefined>)['server.samples'];
      const parsed = text !== undefined ? parseSamples(text) : undefined;
      return parsed?.ok ? { name: x.host.name, role: x.role, samples: parsed.value } : undefined;
    });
    let bgText: string | undefined;
    let bgStart: number | undefined;
    if (bg) {
      if (!(await client.waitExit(bg.client, (BACKGROUND_TAIL_S + 10) * 1000)).timedOut) stopped.add(bg.client);
      const got = await keep(client, { 'bg-client.stdout': bg.client.stdoutPath, 'bg-client.stderr': bg.client.stderrPath, 'bg-client.times': bg.client.timesPath! });
      bgText = got['bg-client.stdout'];
      bgStart = parseTimes(got['bg-client.times']).start;
    }
    if (waited.timedOut) return failed('tool-error', `${test.tool} client did not finish within ${run.client.seconds}s + ${CLIENT_GRACE_MS / 1000}s`);
    if (switchProblem) return failed('switch-failed', switchProblem);
    const rc = files['client.rc']?.trim();
    const exitCode = rc && /^\d+$/.test(rc) ? Number(rc) : null;
    if (exitCode === 127) return failed('tool-missing', `${run.needs.client} was not found on ${client.name}`);
    const parsed = run.parse({ stdout: files['client.stdout'] ?? '', stderr: files['client.stderr'] ?? '', exitCode, files });
    if (!parsed.ok) return failed(parsed.failure.kind, parsed.failure.message);
    const outcome = parsed.value;
    base.tool.version = outcome.version ?? ctx.facts[client.name]!.tools[run.needs.client] ?? undefined;
    base.tool.summary = outcome.summary;
    const times = parseTimes(files['client.times']);
    const metrics: Record<string, number> = { ...outcome.metrics, ...switchMetrics };

    if (at !== undefined) {
      base.batch = { id: trial.batch!, at, pairs: ctx.barrier!.size, start: times.start !== undefined ? times.start - (ctx.clockOffset.get(client.name) ?? 0) : undefined };
    }
    // The measured window in the client's clock: from the first measured message to the client's end.
    const window = times.start !== undefined ? { from: times.start + (outcome.measuredFrom ?? 0), to: times.end } : {};
    const series = sampled.filter((x) => x !== undefined);
    if (sampling && series.length > 0) {
      // The server's samples are in its own clock: shift the window by the two hosts' offset.
      const cost = cpuCost(series, window, metrics, (name) => (ctx.clockOffset.get(name) ?? 0) - (ctx.clockOffset.get(client.name) ?? 0));
      if (cost) {
        Object.assign(metrics, cost.metrics);
        base.sampling = { intervalS: sampling.interval, sharedKernel: cost.sharedKernel, hosts: cost.hosts };
      }
    }
    if (bgSpec) {
      let measured: ReturnType<typeof backgroundRate> = {};
      if (bgText !== undefined) {
        const win = bgStart !== undefined && window.from !== undefined && window.to !== undefined ? ([window.from - bgStart, window.to - bgStart] as [number, number]) : undefined;
        measured = backgroundRate(bgSpec.tool, bgText, { size: bgSize, window: win });
        if (measured.problem) return failed('background-failed', `the background load's output: ${measured.problem}`);
      }
      base.background = { tool: bgSpec.tool, targetPps: bgRate, size: bgSize, streams: bgSpec.streams, ...measured };
      metrics.background_target_pps = bgRate;
      metrics.background_pps = measured.sentPps ?? 0;
      if (measured.lostPct !== undefined) metrics.background_lost_pct = measured.lostPct;
    }
    if (switchover && outcome.fullLog && times.start !== undefined) {
      const log = outcome.fullLog;
      const rx = log.rxTimes.map((t) => times.start! + t);
      const clientSamples = series.find((x) => x.role === 'client')?.samples;
      const src = sourceOf(client);
      const ifaces = src ? [src.accelerated, src.synthetic].filter((x): x is string => !!x) : [];
      const sum = summarizeSwitchover(rx, log.samples, outcome.lost ?? 0, trial.variant, switches, clientSamples, ifaces);
      base.switchover = { switches, clientStart: times.start, ...sum };
      metrics.gap_ms = sum.gapMs;
      metrics.lost_messages = sum.lost;
    }

    let verification: TrialRecord['verification'];
    if (verifying && before && after) {
      const rule = scenario.verify ?? { ...sourceOf(client)!, share: 0.95, min_packets: 100 };
      const v = verifyPath(expectedPath(variant), rule, {
        [client.name]: { before: before[client.name]!, after: after[client.name]!, source: sourceOf(client) },
        [server.name]: { before: before[server.name]!, after: after[server.name]!, source: sourceOf(server) },
      });
      verification = { expected: v.expected, observed: v.observed, ok: v.ok, reason: v.reason, hosts: v.hosts };
    }
    return {
      ...base,
      status: verification && !verification.ok ? 'invalid' : 'ok',
      ended: new Date().toISOString(),
      metrics,
      latencyKind: outcome.latencyKind,
      verification,
    };
  } catch (err) {
    return failed('tool-error', errorMessage(err));
  } finally {
    // Everything this trial started stops at once: samplers, background load, server.
    await Promise.all([
      ...started.map(async (f) => {
        if (!stopped.has(f.proc)) await f.host.stop(f.proc.pid).catch(() => {});
        ctx.inFlight.delete(f);
      }),
      (async () => {
        if (!serverProc) return;
        const proc = serverProc;
        await server.stop(proc.pid).catch(() => {});
        for (const f of ctx.inFlight) if (f.proc === proc) ctx.inFlight.delete(f);
        await keep(server, { 'server.stdout': proc.stdoutPath, 'server.stderr': proc.stderrPath }).catch(() => {});
      })(),
    ]);
  }
}

/**
 * Host clock minus local clock (s) per host, from one `date` each, taken at the round trip's middle.
 * The barrier's common start is converted with it; pairs on NTP-synced hosts need no more.
 */
async function clockOffsets(hosts: Map<string, Host>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    [...hosts].map(async ([name, h]) => {
      const t0 = Date.now() / 1000;
      const remote = Number((await h.run(['date', '+%s.%N'])).trim());
      const t1 = Date.now() / 1000;
      const offset = Number.isFinite(remote) ? remote - (t0 + t1) / 2 : 0;
      // An offset within the round trip's half cannot be told from zero (the lab's hosts share one clock).
      out.set(name, Math.abs(offset) > (t1 - t0) / 2 ? offset : 0);
    }),
  );
  return out;
}

/** Versions whose output vfbench cannot read correctly; undefined when fine. */
export function unsupportedVersion(tool: string, version: string): string | undefined {
  const [maj = 0, min = 0] = version.split(/[.-]/).map((x) => Number(x));
  if (tool === 'netperf' && (maj < 2 || (maj === 2 && min < 5))) {
    return `netperf ${version} has no omni latency selectors (needs 2.5.0 or newer)`;
  }
  if (tool === 'iperf3' && maj < 3) return `iperf ${version} is not iperf3`;
  return undefined;
}
