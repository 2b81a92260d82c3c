// The contract of a measuring tool (sockperf, netperf, iperf3, ping …): everything vfbench knows of a
// tool lives in its folder, src/tools/<tool>/, behind this interface; registry.ts lists the tools. The
// schema, the plan, the runner, doctor, the dry run and `vfbench parse` iterate over the registry.
import type { z } from 'zod';
import type { Arg } from '../util/shell.js';
import type { ParseResult } from './failure.js';
import type { BackgroundSpec, SwitchoverSpec } from '../scenario/fields.js';
import type { IngestedLog } from '../results/full-log-ingest.js';

/** What every test has, whatever its tool; the plan and the runner read only these. */
export interface TestBase {
  tool: string;
  name?: string;
  /** Seconds measured (the tool's -t). */
  duration: number;
  /** Background load at set packet rates (tools whose schema allows it). */
  background?: BackgroundSpec;
  /** A live switchover during one long trial (tools whose schema allows it). */
  switchover?: SwitchoverSpec;
}

/** A measured configuration of a test, before pairs, background rates, variants and repetitions. */
export interface PointShape {
  /** Tool-specific: sockperf ping-pong | under-load | throughput; netperf TCP_RR …; iperf3 forward …. */
  mode: string;
  /** udp, tcp, icmp …: what the tool sends. */
  protocol: string;
  /** Message, request or buffer size in bytes; 0 = the tool's default. */
  size: number;
  /** Parallel streams; 1 where the tool has none. */
  streams: number;
}

/** The point a trial measures, as the tool sees it. */
export interface ToolPoint extends PointShape {
  /** Background load in packets/s (0 = none); absent when the test has no `background`. */
  rate?: number;
}

export interface ToolContext {
  serverAddress: string;
  /** The client agent's folder for the files the client writes. */
  clientDir: string;
  trialId: string;
  /** Messages/s for this pair's group, overriding the test's rate (sockperf). */
  mps?: number;
}

export interface TrialOutcome {
  metrics: Record<string, number>;
  latencyKind?: 'rtt' | 'half-rtt';
  version?: string;
  /** The tool's own summary, kept in the record for reference. */
  summary?: Record<string, unknown>;
  /** Seconds after the client process started when the measurement began (start-up, warm-up, omit). */
  measuredFrom?: number;
  /** sockperf: the stored per-message samples (arrival order with times; sorted), for the switchover. */
  store?: IngestedLog['store'];
  /** sockperf: the first kept message's send time on sockperf's clock (s after the process started). */
  firstTx?: number;
  /** Messages sent without an answer. */
  lost?: number;
}

export interface ClientOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Extra files by suffix (small ones, as text). */
  files: Record<string, string | undefined>;
  /** The full log, parsed and stored as it arrived (sockperf latency modes). */
  fullLog?: ParseResult<IngestedLog>;
}

/** One trial's processes: the server (none for ICMP) and how to tell it listens, the client and its files. */
export interface ToolRun {
  /** Binaries that must exist on the client and on the server host (server: none when nothing listens). */
  needs: { client: string; server?: string };
  server?: { argv: Arg[]; ready: { protocol: 'tcp' | 'udp'; port: number } };
  client: {
    argv: Arg[];
    /** Seconds the client runs after its start-up (duration plus warm-up or omitted seconds). */
    seconds: number;
    files: Record<string, string>;
    /** The file (by suffix) that is a sockperf full log, parsed as it arrives and kept in the sample store;
     * `arrivals`: keep each reply's arrival time too (a live switchover's timeline). */
    fullLog?: { suffix: string; warmupS: number; maxRows: number; arrivals: boolean };
  };
  parse(out: ClientOutput): ParseResult<TrialOutcome>;
}

export interface ThroughputInterval {
  /** Seconds after the client started. */
  start: number;
  end: number;
  bitsPerSecond: number;
  /** Within the omitted start (iperf3 -O). */
  omitted: boolean;
}

/** What `vfbench parse` made of a saved output. */
export interface Parsed {
  tool: string;
  version?: string;
  latencyKind?: 'rtt' | 'half-rtt';
  /** Where the numbers came from: the per-message full log, the tool's summary, a table … */
  source: string;
  metrics: Record<string, number>;
}

export interface SavedOptions {
  /** netperf: the test the output is of (TCP_RR …). */
  test?: string;
  /** sockperf throughput: the message size, to turn messages/s into bits/s. */
  size?: number;
}

/** Report a problem at a path inside the test (e.g. ['warmup']) that the schema cannot express. */
export type TestProblem = (path: (string | number)[], message: string) => void;

/** What a tool's checks may know of the rest of the scenario. */
export interface ScenarioFacts {
  groups?: Record<string, { mps?: number }>;
}

export type PackageManager = 'apt' | 'dnf' | 'yum' | 'zypper';

export interface ToolDefinition<T extends TestBase = TestBase> {
  readonly name: string;
  /** The test's schema: a strict zod object whose `tool` is z.literal(name) (the scenario's union of tests is made of them). */
  readonly schema: z.ZodType<T>;
  /** Binaries on the client and the server host (server absent: nothing to start there). */
  readonly binaries: { client: string; server?: string };
  /** Package that brings a binary, per package manager ('*' for all). */
  readonly packages: Record<string, Partial<Record<PackageManager | '*', string>>>;
  /** A shell line that enables the repository its packages live in, per package manager (run before installing). */
  readonly repository?: Partial<Record<PackageManager, string>>;
  /** Shell lines, run once per host in its facts, that print `tool <binary> <version|present>` for each binary it has. */
  readonly versionProbe: string[];
  /** Why a version's output cannot be read correctly; undefined when it can. */
  unsupportedVersion(binary: string, version: string): string | undefined;
  /** Seconds from the client's start to its first measured message (sockperf sleeps a fixed 2 s). */
  readonly startupS: number;
  /** The mode left out of point keys (sockperf's ping-pong): keys of old runs stay as they were. */
  readonly keyDefaultMode?: string;
  /** The test's name when it has none. */
  defaultName(test: T): string;
  /** The points a test expands to, before background rates. */
  points(test: T): PointShape[];
  /** How many points, counted without building them (the plan limit is checked before a plan of millions is built). */
  pointCount(test: T): number;
  /** Seconds the client runs before it measures, besides its start-up (sockperf's warm-up, iperf3's omit). */
  warmupS(test: T): number;
  /** Checks across fields that the schema cannot express. */
  check(test: T, problem: TestProblem, scenario: ScenarioFacts): void;
  /** The trial's processes and how their output becomes metrics. */
  run(test: T, point: ToolPoint, ctx: ToolContext): ToolRun;
  /** `vfbench parse`: metrics from an output saved by hand (small outputs, read whole). */
  parseSaved(text: string, opts: SavedOptions): ParseResult<Parsed>;
  /** `vfbench parse` on a file too large to read whole (sockperf's full log); undefined: read it whole. */
  parseSavedFile?(path: string, head: string, size: number): Promise<ParseResult<Parsed> | undefined>;
  /** The client's per-interval throughput (iperf3's 1-s intervals), for the time series; absent: none. */
  intervals?(stdout: string): ThroughputInterval[] | undefined;
  /** The metrics a trial records, name → meaning with its unit (docs and `vfbench parse --help`). */
  readonly metrics: Record<string, string>;
}
