// Load a scenario: YAML with source positions, schema validation, semantic checks, inventory.
// Every problem is reported at once, each as file:line:column, the field and what is wrong.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { scenarioSchema, inventorySchema, testSchema, type HostSpec, type PairSpec, type ScenarioParsed, type TestSpec, type VariantSpec, type VerifySpec } from './schema.js';
import { defaultLabPrefix, labDir } from '../util/home.js';
import { MAX_TRIALS, pointCount } from './plan.js';
import { toolOf } from '../tools/registry.js';
import type { ScenarioFacts } from '../tools/tool.js';
import { controllerOf } from '../paths/registry.js';

export interface Problem {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

export class ScenarioError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
  }
}

export interface Scenario extends Omit<ScenarioParsed, 'hosts' | 'pairs' | 'verify' | 'tests'> {
  file: string;
  tests: TestSpec[];
  hosts: Record<string, HostSpec>;
  pairs: PairSpec[];
  verify?: VerifySpec;
  /** Set when `inventory:` names something that is not there (e.g. the lab is down). */
  inventoryProblem?: string;
}

type PathKey = string | number;

export function fieldName(path: readonly PathKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '');
}

/** Position of the node at `path`, or of the closest ancestor that exists (for missing fields). */
function locate(doc: Document, lc: LineCounter, path: readonly PathKey[], key?: string): { line: number; column: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && node.range) {
      let offset = node.range[0];
      if (key !== undefined && isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === key);
        if (pair && isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      }
      const pos = lc.linePos(offset);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

function zodProblems(file: string, doc: Document, lc: LineCounter, error: z.ZodError): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ file, ...locate(doc, lc, path, key), field: fieldName([...path, key]), message: 'unknown field' });
      }
      continue;
    }
    const present = doc.hasIn(path);
    // A bad key of a record (a host or variant name): say what is wrong with it, not "Invalid key".
    const inner = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') : undefined;
    const message = inner || (!present && path.length > 0 ? 'required field is missing' : issue.message);
    out.push({ file, ...locate(doc, lc, path), field: fieldName(path), message });
  }
  return out;
}

/** The data of an inventory file (a lab's, or one the user wrote), checked like a scenario's own hosts. */
type Inventory = z.output<typeof inventorySchema>;

function inventoryPath(value: string, scenarioFile: string): string {
  if (value === 'lab') return join(labDir(defaultLabPrefix()), 'inventory.json');
  return resolve(dirname(scenarioFile), value);
}

function readInventory(path: string): Inventory | string {
  if (!existsSync(path)) {
    return path.endsWith('/inventory.json') && path.includes('/lab/')
      ? `the lab is not up (no ${path}): run \`vfbench lab up\` first`
      : `inventory file ${path} does not exist`;
  }
  try {
    // JSON is YAML: parsed with positions, so a problem names its line and column.
    return parseYamlWith(inventorySchema, readFileSync(path, 'utf8'), path);
  } catch (err) {
    return `inventory file ${path} is not a valid inventory:\n${(err as Error).message}`;
  }
}

type ProblemAt = (path: PathKey[], message: string, key?: string) => void;

/** Checks of one test that the schema cannot express: the runner's, then its tool's own. */
function checkTest(t: TestSpec, i: number, s: ScenarioFacts, problem: ProblemAt): void {
  // Every tool takes whole seconds (-t, -w, -l).
  if (!Number.isInteger(t.duration)) problem(['tests', i, 'duration'], `${t.tool} runs whole seconds; got ${t.duration}s`);
  toolOf(t).check(t, (path, message) => problem(['tests', i, ...path], message), s);
  checkBackground(t, i, problem);
}

/** A live switchover: its variants exist, change the path at increasing instants inside the measurement. */
function checkSwitchover(t: TestSpec, i: number, s: ScenarioParsed, problem: ProblemAt): void {
  const sw = t.switchover;
  if (!sw) return;
  const variantNames = Object.keys(s.variants);
  if (!variantNames.includes(sw.start)) problem(['tests', i, 'switchover', 'start'], `unknown variant "${sw.start}" (variants: ${variantNames.join(', ')})`);
  let state = sw.start;
  sw.steps.forEach((step, k) => {
    const at = ['tests', i, 'switchover', 'steps', k];
    if (!variantNames.includes(step.variant)) problem([...at, 'variant'], `unknown variant "${step.variant}" (variants: ${variantNames.join(', ')})`);
    else if (step.variant === state) problem([...at, 'variant'], `the path is already "${state}" here: a step must change it`);
    if (step.at >= t.duration) problem([...at, 'at'], `switch at ${step.at}s is not inside the ${t.duration}s measurement`);
    if (k > 0 && step.at <= sw.steps[k - 1]!.at) problem([...at, 'at'], 'steps must be in increasing time order');
    state = step.variant;
  });
  const kinds = new Set([sw.start, ...sw.steps.map((x) => x.variant)].map((v) => s.variants[v]?.controller));
  if (kinds.size > 1) problem(['tests', i, 'switchover'], 'all variants of a switchover must use the same controller');
  if (s.pairs_run === 'together') problem(['pairs_run'], 'switchover tests run one pair at a time: use pairs_run: one-by-one');
  if (s.sampling === false) problem(['sampling'], 'a switchover needs sampling: its counters show which path carried each interval');
}

/** Background load: a port of its own, and datagrams of a size it can send. */
function checkBackground(t: TestSpec, i: number, problem: ProblemAt): void {
  const bg = t.background;
  if (!bg) return;
  if (bg.tool === 'sockperf' && bg.streams > 1) problem(['tests', i, 'background', 'streams'], 'sockperf background runs one stream: use tool: iperf3 for several');
  const port = (t as { port?: number }).port;
  if (bg.port === port) problem(['tests', i, 'background', 'port'], `the background load needs a port of its own (the test uses ${port})`);
  // (Not for a test whose points the plan limit refuses anyway.)
  const sizes = toolOf(t).pointCount(t) <= MAX_TRIALS ? toolOf(t).points(t).map((p) => p.size) : [];
  if (bg.size === undefined && sizes.some((x) => x > 0 && x < 16)) problem(['tests', i, 'background', 'size'], 'give a size: the test has sizes below 16 bytes');
  if (bg.size === undefined && sizes.includes(0)) problem(['tests', i, 'background', 'size'], `give a size: the test uses ${t.tool}'s default size`);
}

/** Parse YAML text against a schema; every problem is reported at once with its position. */
export function parseYamlWith<T extends z.ZodTypeAny>(schema: T, text: string, file: string): z.output<T> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ScenarioError(yamlProblems(file, doc, lc));
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) throw new ScenarioError(zodProblems(file, doc, lc, parsed.error));
  return parsed.data;
}

function yamlProblems(file: string, doc: Document, lc: LineCounter): Problem[] {
  return doc.errors.map((e) => {
    const pos = lc.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, field: '', message: `YAML: ${e.message.split('\n')[0]}` };
  });
}

/** Reads an inventory file: its data, or why there is none (so that parsing itself touches no file, tests pass their own). */
export type InventoryReader = (path: string) => Inventory | string;

/** Parse scenario text; `file` is used in messages and to resolve relative paths. */
export function parseScenario(text: string, file: string, read: InventoryReader = readInventory): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ScenarioError(yamlProblems(file, doc, lc));
  const data = doc.toJS() as unknown;
  const problems: Problem[] = [];
  const problem: ProblemAt = (path, message, key) =>
    problems.push({ file, ...locate(doc, lc, path, key), field: fieldName(key ? [...path, key] : path), message });
  const parsed = scenarioSchema.safeParse(data);
  if (!parsed.success) {
    // Also check the tests that are well-formed on their own, so one run lists every problem.
    const tests = (data as { tests?: unknown })?.tests;
    if (Array.isArray(tests)) {
      tests.forEach((raw, i) => {
        const t = testSchema.safeParse(raw);
        if (t.success) checkTest(t.data, i, {}, problem);
      });
    }
    throw new ScenarioError([...zodProblems(file, doc, lc, parsed.error), ...problems]);
  }
  const s = parsed.data;
  const where = resolveHosts(s, file, read, problem, (field, message) => problems.push({ file, line: 1, column: 1, field, message }));
  if (!where.inventoryProblem) checkPairsAndVariants(s, where, problem);
  checkScenario(s, problem);
  s.tests.forEach((t, i) => checkTest(t, i, s, problem));
  s.tests.forEach((t, i) => checkSwitchover(t, i, s, problem));
  checkGroupsAndSize(s, where, problem);
  if (problems.length > 0) throw new ScenarioError(problems);
  return { ...s, file, ...where };
}

type Hosts = Pick<Scenario, 'hosts' | 'pairs' | 'verify' | 'inventoryProblem'>;

/** The hosts and pairs: the scenario's own, or its inventory's (whose interfaces give the verify rule). */
function resolveHosts(s: ScenarioParsed, file: string, read: InventoryReader, problem: ProblemAt, missing: (field: string, message: string) => void): Hosts {
  const out: Hosts = { hosts: s.hosts ?? {}, pairs: s.pairs ?? [], verify: s.verify };
  if (s.inventory !== undefined && s.hosts !== undefined) {
    problem(['hosts'], 'give either `hosts` or `inventory`, not both');
  } else if (s.inventory !== undefined) {
    const inv = read(inventoryPath(s.inventory, file));
    if (typeof inv === 'string') return { ...out, inventoryProblem: `${file}: inventory: ${inv}` };
    out.hosts = inv.hosts;
    if (s.pairs === undefined) out.pairs = inv.pairs;
    if (inv.ssh_config && s.ssh.config === undefined) s.ssh.config = inv.ssh_config;
    if (out.verify === undefined && inv.interfaces) out.verify = { source: 'sysfs', ...inv.interfaces, share: 0.95, min_packets: 100 };
  } else if (s.hosts === undefined) {
    missing('hosts', 'required field is missing (give `hosts` or `inventory: lab`)');
  }
  if (s.pairs === undefined && s.inventory === undefined) missing('pairs', 'required field is missing');
  return out;
}

/** Every pair names two different known hosts; every variant's controller finds what it names. */
function checkPairsAndVariants(s: ScenarioParsed, where: Hosts, problem: ProblemAt): void {
  const { hosts, pairs } = where;
  pairs.forEach((p, i) => {
    for (const role of ['client', 'server'] as const) {
      if (!Object.hasOwn(hosts, p[role])) {
        // A lab VM beyond the lab's size: say how to build a bigger one.
        const hint = s.inventory === 'lab' && /^vm\d+$/.test(p[role]) ? `; \`vfbench lab up --pairs ${Math.ceil(Number(p[role].slice(2)) / 2)}\` builds a lab with it` : '';
        problem(['pairs', i, role], `unknown host "${p[role]}" (hosts: ${Object.keys(hosts).join(', ') || 'none'}${hint})`);
      }
    }
    if (p.client === p.server) problem(['pairs', i, 'server'], 'client and server must be different hosts');
  });
  const scope = { hosts, guests: [...new Set(pairs.flatMap((p) => [p.client, p.server]))] };
  for (const [name, v] of Object.entries(s.variants)) controllerOf(v).check?.(v, scope, (path, message) => problem(['variants', name, ...path], message));
}

/** Fields of the scenario itself: verify, reserved names, host-key policy, variants and baseline. */
function checkScenario(s: ScenarioParsed, problem: ProblemAt): void {
  if (s.verify && s.verify.source === 'sysfs' && !s.verify.accelerated) problem(['verify'], 'source: sysfs needs `accelerated:` (the VF interface)');
  // `on: local` means this machine: a host of that name would be ambiguous.
  if (s.hosts && Object.hasOwn(s.hosts, 'local')) problem(['hosts', 'local'], 'a host cannot be named "local" (`on: local` means this machine): rename it');
  if (s.ssh.accept_new_host_keys === true) {
    problem(['ssh', 'accept_new_host_keys'], 'not taken from a scenario file (it would turn host-key checking down for whoever runs it): pass --accept-new-host-keys on the command line');
  }
  const variantNames = Object.keys(s.variants);
  if (variantNames.length < 2) problem(['variants'], 'name at least two variants (e.g. vf and pv) to compare');
  if (!variantNames.includes(s.baseline)) {
    problem(['baseline'], `baseline "${s.baseline}" is not one of the variants (${variantNames.join(', ')})`);
  }
}

/** Every group has a pair; the plan stays within its limit. */
function checkGroupsAndSize(s: ScenarioParsed, where: Hosts, problem: ProblemAt): void {
  const used = new Set(where.pairs.map((p) => p.group).filter((g) => g !== undefined));
  for (const g of Object.keys(s.groups ?? {})) {
    if (!where.inventoryProblem && !used.has(g)) problem(['groups', g], `no pair is in group "${g}" (groups of pairs: ${[...used].join(', ') || 'none'})`);
  }
  // A plan is bounded: sizes × rates × pairs × variants × repeats can reach millions of trials by mistake.
  const variants = Object.keys(s.variants).length;
  const tests: TestSpec[] = s.tests;
  const trials = tests.reduce((n, t) => n + pointCount(t) * Math.max(1, where.pairs.length) * (t.switchover ? 1 : variants), 0) * s.repeat;
  if (trials > MAX_TRIALS) {
    problem(['repeat'], `the plan has ${trials} trials (points × pairs × variants × ${s.repeat} repetitions), more than ${MAX_TRIALS}: fewer sizes, rates or repetitions`);
  }
}

export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError([{ file, line: 1, column: 1, field: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseScenario(text, file);
}

/** The path a variant is expected to use. */
export function expectedPath(v: VariantSpec): 'accelerated' | 'synthetic' {
  return controllerOf(v).expectedPath(v);
}
