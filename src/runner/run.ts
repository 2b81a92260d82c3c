// The runner: executes a plan on the hosts, in order, one record per trial, restoring the path state on
// every exit. It is the only part of vfbench that knows about time and order.
import { readFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Scenario } from '../scenario/load.js';
import { parseScenario } from '../scenario/load.js';
import { makePlan, type Plan, type Trial } from '../scenario/plan.js';
import { ops, nowS, type Host, type HostEvent } from '../hosts/host.js';
import { RunDir } from '../results/run-dir.js';
import { MANIFEST_SCHEMA, type Manifest } from '../results/manifest.js';
import type { TrialRecord } from '../results/record.js';
import { CONTROLLERS, controllerOf, controllerOfState } from '../paths/registry.js';
import { checkStoredCommands, restoreOriginals } from '../paths/restore.js';
import type { ControllerContext, OriginalState, PathController } from '../paths/controller.js';
import { LocalHost } from '../hosts/local.js';
import { autoCounterSource, type CounterSource } from '../paths/counters.js';
import { discoverVfs } from '../paths/discovery.js';
import { EnvironmentError, errorMessage, UserError } from '../util/errors.js';
import { VFBENCH_VERSION } from '../util/version.js';
import { checkSecrets, redactComments } from '../util/secrets.js';
import { faultPoint, injectedFault } from '../util/faults.js';
import { hostname, userInfo } from 'node:os';
import { lockRunDir } from '../results/run-lock.js';
import { connectHosts } from './connect.js';
import { factLabels, hostFacts, type HostFacts } from './facts.js';
import { Barrier, startMarginS, startSkewMs } from './barrier.js';
import { backgroundLeadS, ensureVariant, runTrial, type RunContext } from './trial.js';
import { cleanupRun } from './cleanup.js';


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
  /** --ssh-config: read instead of the scenario's ssh.config or ~/.ssh/config. */
  sshConfig?: string;
  /** --label k=v: over the scenario's labels and the hosts' facts. */
  labels?: Record<string, string>;
  /** Aborting (Ctrl-C) stops the trial in flight, restores every path and ends the run as interrupted. */
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
}

export interface RunResult {
  dir: RunDir;
  manifest: Manifest;
}

/**
 * A run directory made by someone else (another machine or user, or an older vfbench that did not say)
 * holds commands that would run here: resuming or restoring it needs --trust.
 */
export function checkProvenance(path: string, m: Pick<Manifest, 'madeOn'>, trust: boolean | undefined): void {
  const here = { host: hostname(), user: userInfo().username };
  if (trust) return;
  // What the manifest says of itself is only believed of a file nobody else could have written.
  const st = statSync(join(path, 'manifest.json'));
  const others = st.uid !== process.getuid?.() ? `uid ${st.uid}` : (st.mode & 0o022) !== 0 ? 'anyone in its group or everyone (its manifest is writable by them)' : undefined;
  if (!others && m.madeOn && m.madeOn.host === here.host && m.madeOn.user === here.user) return;
  const who = others ?? (m.madeOn ? `${m.madeOn.user} on ${m.madeOn.host}` : 'an unknown user and machine');
  throw new UserError(`${path} was made by ${who}: its commands would run here as ${here.user}; check them (vfbench restore ${path} --dry-run, or its manifest), then pass --trust`);
}

export async function loadForRun(file: string | undefined, resumeDir: string | undefined, trust?: boolean): Promise<{ scenario: Scenario; dir?: RunDir }> {
  if (resumeDir) {
    const dir = await RunDir.open(resumeDir);
    const m = await dir.readManifest();
    checkProvenance(resumeDir, m, trust);
    // The scenario as it was when the run started, so the plan (and trial ids) match.
    const scenario = parseScenario(m.scenarioText, m.scenarioFile);
    // What the resume first re-runs (the recorded originals) must be the scenario's own commands.
    checkStoredCommands(m.originalPathState, scenario);
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

/** The hosts a run talks to: both ends of every pair, and those its variants' controllers need (a hypervisor, a command's host). */
export function scenarioHostNames(s: Scenario): Set<string> {
  const names = new Set(s.pairs.flatMap((p) => [p.client, p.server]));
  for (const v of Object.values(s.variants)) for (const h of controllerOf(v).extraHosts?.(v) ?? []) names.add(h);
  return names;
}

/** A run once its hosts are connected: what every exit path needs to put things back and close. */
interface Session {
  scenario: Scenario;
  opts: RunOptions;
  plan: Plan;
  dir: RunDir;
  emit: (e: RunEvent) => void;
  log: (message: string) => void;
  hosts: Map<string, Host>;
  local: Host;
  /** Releases the run directory's lock (set once it is held). */
  unlockDir?: () => Promise<void>;
  /** Pair index -> variant applied. */
  current: Map<number, string>;
  /** Made once the run directory exists (they keep their commands' output there). */
  controllers: Map<string, PathController>;
  /** Set as soon as there is one, so that every exit records how the run ended. */
  manifest?: Manifest;
  inFlight: RunContext['inFlight'];
}

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<RunResult> {
  const s = await openRun(scenario, opts);
  // Stopping what runs must finish before the connections close, or a tool would outlive the run.
  const stopping: Promise<unknown>[] = [];
  const stopInFlight = () => {
    for (const f of s.inFlight) stopping.push(f.host.call(ops.stop(f.jobs)).catch(() => {}));
  };
  opts.signal?.addEventListener('abort', stopInFlight);
  try {
    await runSession(s);
    s.manifest!.status = opts.signal?.aborted ? 'interrupted' : 'complete';
  } catch (err) {
    if (s.manifest) {
      s.manifest.status = 'failed';
      s.manifest.error = errorMessage(err);
    }
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', stopInFlight);
    stopInFlight();
    await Promise.allSettled(stopping);
    await closeRun(s);
  }
  return { dir: s.dir, manifest: s.manifest! };
}

/** Check what can be checked here, then connect and lock the hosts (undone on failure). */
async function openRun(scenario: Scenario, opts: RunOptions): Promise<Session> {
  if (scenario.inventoryProblem) throw new EnvironmentError(scenario.inventoryProblem);
  injectedFault(); // a malformed VFBENCH_FAULT stops the run here, not in its first trial
  // Every ${env:NAME} the commands use must be set before anything is switched.
  checkSecrets(Object.values(scenario.variants).flatMap((v) => controllerOf(v).secretRefs?.(v) ?? []));
  const plan = makePlan(scenario);
  const emit = opts.onEvent ?? (() => {});
  const log = (message: string) => emit({ type: 'log', message });
  const dir = opts.resumeDir ? await RunDir.open(opts.resumeDir) : RunDir.plan(opts.resultsRoot, scenario.name);
  // One vfbench per run directory (a resume while the run still goes on is refused).
  const unlockDir = opts.resumeDir ? await lockRunDir(dir.path, 'run --resume') : undefined;
  const current = new Map<number, string>();
  const hosts = await connectHosts(scenario, scenarioHostNames(scenario), { acceptNewHostKeys: opts.acceptNewHostKeys, sshConfig: opts.sshConfig, label: dir.id, onEvent: (e) => hostEvent(e, scenario, current, log) }).catch(async (err) => {
    await unlockDir?.();
    throw err;
  });
  const undo = async (err: unknown) => {
    await Promise.all([...hosts.values()].map((h) => h.close()));
    await unlockDir?.();
    throw err;
  };
  await lockHosts(hosts, dir.id).catch(undo);
  const local = await LocalHost.start('local', scenario.ssh.command_timeout * 1000, dir.id).catch(undo);
  return { scenario, opts, plan, dir, emit, log, hosts, local, unlockDir, current, controllers: new Map(), inFlight: new Set() };
}

/** Host facts, the manifest (new, or the resumed run's with its path state put back), then the trials. */
async function runSession(s: Session): Promise<void> {
  const { scenario, plan, dir, hosts, opts } = s;
  const facts: Record<string, HostFacts> = {};
  // A tool missing on a host fails only the trials that need it (recorded as tool-missing).
  await Promise.all([...hosts].map(async ([name, h]) => (facts[name] = await h.retrying(() => hostFacts(h)))));
  const autoVerify = await findAutoVerify(scenario, hosts, facts, s.log);
  const done = opts.resumeDir ? await resumeManifest(s, facts) : await createManifest(s, facts);
  const manifest = s.manifest!;
  const ctx: ControllerContext = { hosts, local: s.local, keep: (label, out) => dir.keepControllerOutput(label, out) };
  if (opts.resumeDir && manifest.originalPathState.length > 0) {
    // The previous session may have died with a pair switched: put the recorded originals back first,
    // so that what this session records as "original" really is.
    faultPoint('resume-restore');
    const problems = await restoreOriginals(manifest.originalPathState, ctx);
    if (problems.length > 0) throw new EnvironmentError(`cannot restore the recorded path state before resuming: ${problems.join('; ')}`);
  }
  const controllers = (s.controllers = makeControllers(ctx));
  const persistOriginals = async () => {
    manifest.originalPathState = mergeOriginals(manifest.originalPathState, controllers);
    await dir.writeManifest(manifest);
  };
  await dir.writeManifest(manifest);

  const todo = plan.trials.filter((t) => !done.has(t.id));
  const estimate = (plan.estimateSeconds * todo.length) / Math.max(1, plan.trials.length);
  s.emit({ type: 'start', dir: dir.path, total: todo.length, skipped: plan.trials.length - todo.length, estimateSeconds: estimate });
  const clockOffset = new Map(await Promise.all([...hosts].map(async ([name, h]) => [name, await h.retrying(() => h.clockOffset())] as const)));
  manifest.clockOffsets = Object.fromEntries(clockOffset);
  const run: RunContext = { scenario, plan, hosts, facts, controllers, current: s.current, dir, inFlight: s.inFlight, garbage: new Map(), persistOriginals, autoVerify, clockOffset, log: s.log, signal: opts.signal };
  await runTrials(run, todo, manifest, s.emit);
}

/** A new run: its directory, locked, and its manifest. Nothing is done yet. */
async function createManifest(s: Session, facts: Record<string, HostFacts>): Promise<Set<string>> {
  await s.dir.create();
  s.unlockDir = await lockRunDir(s.dir.path, 'run');
  s.manifest = await newManifest(s.scenario, s.plan, s.dir, facts, s.opts.labels);
  return new Set();
}

/** A resumed run: its manifest, a torn last record set aside, what the killed session left cleaned up. Returns the trials done. */
async function resumeManifest(s: Session, facts: Record<string, HostFacts>): Promise<Set<string>> {
  const { dir, hosts } = s;
  const manifest = await dir.readManifest();
  s.manifest = manifest;
  const torn = await dir.setAsideTorn();
  if (torn) s.log(torn);
  const done = new Set((await dir.latestRecords()).filter((r) => r.status !== 'failed').map((r) => r.trial));
  manifest.status = 'running';
  manifest.hosts = facts;
  delete manifest.ended;
  // What the killed session left on the hosts: its agents, their jobs, their folders.
  for (const [name, h] of hosts) for (const line of await h.retrying(() => cleanupRun(h, dir.id))) s.log(`${name}: ${line}`);
  // The killed session's agents shared this run's host locks and gave them up as they ended: take them.
  await lockHosts(hosts, dir.id);
  return done;
}

/** Every exit: restore every path, close the connections, finish the manifest, give the directory up. */
async function closeRun(s: Session): Promise<void> {
  const problems = await restoreAll(s.controllers, s.hosts);
  await Promise.all([...s.hosts.values(), s.local].map((h) => h.close()));
  if (s.manifest) await finishManifest(s.dir, s.manifest, s.plan, s.controllers, problems);
  await s.unlockDir?.();
  for (const p of problems) s.emit({ type: 'log', message: `RESTORE PROBLEM: ${p}` });
}

/**
 * Hold every host for this run (a lock file per host, released when its agent ends): a second run on the
 * same hosts would take this one's switched state for the original one and share its ports.
 */
export async function lockHosts(hosts: Map<string, Host>, run: string): Promise<void> {
  const refused: string[] = [];
  await Promise.all([...hosts].map(([name, h]) => h.call(ops.lock(run)).catch((err: Error) => refused.push(`${name}: ${err.message.replace(/^[^:]+: lock: /, '')}`))));
  if (refused.length > 0) throw new EnvironmentError(`the hosts are busy: ${refused.sort().join('; ')}`);
}

/** Log what happens to a connection; a host whose agent was replaced has an unknown path state. */
function hostEvent(e: HostEvent, scenario: Scenario, current: Map<number, string>, log: (m: string) => void): void {
  if (e.type === 'lost') log(`${e.host}: connection lost (${e.cause}); reconnecting`);
  else if (e.type === 'down') log(`${e.host}: unreachable: ${e.cause}`);
  else {
    log(`${e.host}: reconnected after ${(e.afterMs / 1000).toFixed(1)} s; ${e.adopted ? 'its agent kept running' : 'a new agent started (the old one and its processes were gone)'}`);
    if (!e.adopted) scenario.pairs.forEach((p, i) => (p.client === e.host || p.server === e.host) && current.delete(i));
  }
}

function makeControllers(ctx: ControllerContext): Map<string, PathController> {
  return new Map<string, PathController>(CONTROLLERS.map((c) => [c.name, c.create(ctx)]));
}

async function newManifest(scenario: Scenario, plan: Plan, dir: RunDir, facts: Record<string, HostFacts>, labels: Record<string, string> = {}): Promise<Manifest> {
  const { file, inventoryProblem, ...rest } = scenario;
  void inventoryProblem;
  return {
    schema: MANIFEST_SCHEMA,
    vfbench: VFBENCH_VERSION,
    id: dir.id,
    scenarioFile: file,
    scenarioText: redactComments(await readFile(file, 'utf8')),
    madeOn: { host: hostname(), user: userInfo().username },
    scenario: rest,
    plan: {
      trials: plan.trials.map(({ id, seq, pointKey, variant, repetition }) => ({ id, seq, pointKey, variant, repetition })),
      estimateSeconds: plan.estimateSeconds,
    },
    hosts: facts,
    labels: { ...factLabels(facts, [...new Set(scenario.pairs.flatMap((p) => [p.client, p.server]))]), ...scenario.labels, ...labels },
    originalPathState: [],
    status: 'running',
    started: new Date().toISOString(),
  };
}

/** Without `verify:`, prove the path from what discovery finds (hv_netvsc with its VF); else say so. */
async function findAutoVerify(scenario: Scenario, hosts: Map<string, Host>, facts: Record<string, HostFacts>, log: (m: string) => void): Promise<Map<string, CounterSource>> {
  const autoVerify = new Map<string, CounterSource>();
  if (scenario.verify) return autoVerify;
  const names = [...new Set(scenario.pairs.flatMap((p) => [p.client, p.server]))];
  for (const name of names) {
    const drivers = Object.fromEntries(facts[name]!.interfaces.map((i) => [i.name, i.driver]));
    const h = hosts.get(name)!;
    const src = autoCounterSource(await h.retrying(() => discoverVfs(h)).catch(() => []), drivers);
    if (src) autoVerify.set(name, src);
  }
  const all = names.every((n) => autoVerify.has(n));
  if (!all) autoVerify.clear();
  log(
    all
      ? `verification: from hv_netvsc counters (${[...autoVerify].map(([h, s]) => `${h}: ethtool -S ${s.synthetic}`).join(', ')})`
      : 'warning: trials will not be verified: name the counters with `verify:` (no hv_netvsc VF found on every host)',
  );
  return autoVerify;
}

/** The trials in order; a batch (one point on every pair, `pairs_run: together`) starts at one instant. */
async function runTrials(run: RunContext, todo: Trial[], manifest: Manifest, emit: (e: RunEvent) => void): Promise<void> {
  let extraMarginS = 0;
  for (let index = 0; index < todo.length; ) {
    if (run.signal?.aborted) break;
    const first = todo[index]!;
    let n = 1;
    while (first.batch !== undefined && todo[index + n]?.batch === first.batch) n++;
    const batch = todo.slice(index, index + n);
    for (const [k, trial] of batch.entries()) emit({ type: 'trial-start', trial, index: index + k, total: todo.length });
    let records: TrialRecord[];
    if (n === 1 && first.batch === undefined) {
      records = [await runTrial({ ...run, trial: first })];
    } else {
      // Switch every pair first (one at a time: each persists the originals), then start together.
      const switched = new Map<string, Record<string, number> | Error>();
      for (const t of batch) switched.set(t.id, await ensureVariant(run, t.point.pair, t.variant).catch((err: Error) => err));
      const clients = batch.map((t) => run.hosts.get(run.scenario.pairs[t.point.pair]!.client)!);
      // Room for the requests to arrive, and for a background load to run its lead before the instant.
      const lead = backgroundLeadS(run.scenario.tests[first.point.test]!, first.point);
      const barrier = new Barrier(batch.length, () => startMarginS(clients.map((h) => h.deliveryMs()), extraMarginS) + lead, nowS);
      records = await Promise.all(batch.map((t) => runTrial({ ...run, trial: t, barrier, switched: switched.get(t.id) })));
      const skew = startSkewMs(records.flatMap((r) => (r.batch?.start !== undefined ? [r.batch.start] : [])));
      for (const r of records) if (r.batch && skew !== undefined) r.batch.skewMs = skew;
      // A start request that reached its host after the instant says the margin was short: leave more.
      const late = Math.max(0, ...records.map((r) => r.batch?.arrivedLateMs ?? 0)) / 1000;
      if (late > 0) extraMarginS = Math.min(1, extraMarginS + 2 * late);
    }
    let stop = false;
    for (const [k, record] of records.entries()) {
      if (run.signal?.aborted && record.status === 'failed') {
        stop = true; // the abort killed it: not a result
        continue;
      }
      await run.dir.appendRecord(record);
      emit({ type: 'trial-end', record, index: index + k, total: todo.length });
    }
    manifest.originalPathState = mergeOriginals(manifest.originalPathState, run.controllers);
    await run.dir.writeManifest(manifest);
    if (stop) break;
    index += n;
  }
}

/**
 * The originals to keep: those recorded before (an earlier session's, the true state before any switch)
 * and those this session's controllers recorded for hosts not yet in them. Only ever added to: a session
 * that failed before its controllers recorded anything never erases what `vfbench restore` needs.
 */
export function mergeOriginals(recorded: OriginalState[], controllers: Map<string, PathController>): OriginalState[] {
  const key = (o: OriginalState) => `${o.controller}\0${o.host}\0${JSON.stringify(identityOf(o))}`;
  const have = new Set(recorded.map(key));
  return [...recorded, ...[...controllers.values()].flatMap((c) => c.originals()).filter((o) => !have.has(key(o)))];
}

/**
 * What a recorded state is about (its interface, NIC, ENI, domain …), without the value that was found nor
 * how to reach it: each controller's `restore.identity` (a command records one restore per host).
 */
function identityOf(o: OriginalState): Record<string, unknown> {
  const fields = controllerOfState(o)?.restore.identity;
  return fields ? Object.fromEntries(fields.map((k) => [k, o.state[k]])) : o.state;
}

/** Restore every controller on every host, whatever happened; a host that dropped is reconnected first. */
async function restoreAll(controllers: Map<string, PathController>, hosts: Map<string, Host>): Promise<string[]> {
  const touched = new Set([...controllers.values()].flatMap((c) => c.originals().map((o) => o.host)));
  await Promise.all(
    [...hosts].filter(([name, h]) => touched.has(name) && !h.connected).map(([, h]) => h.reconnect().catch(() => {})),
  );
  const problems: string[] = [];
  for (const c of controllers.values()) problems.push(...(await c.restore()));
  return problems;
}

async function finishManifest(dir: RunDir, manifest: Manifest, plan: Plan, controllers: Map<string, PathController>, problems: string[]): Promise<void> {
  manifest.originalPathState = mergeOriginals(manifest.originalPathState, controllers);
  manifest.ended = new Date().toISOString();
  if (problems.length > 0) manifest.restoreProblems = problems;
  const records = await dir.latestRecords();
  manifest.counts = { planned: plan.trials.length, ok: 0, invalid: 0, failed: 0 };
  for (const r of records) manifest.counts[r.status] = (manifest.counts[r.status] ?? 0) + 1;
  await dir.writeManifest(manifest);
}
