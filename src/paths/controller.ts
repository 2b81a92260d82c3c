// The path controller contract (DESIGN.md): record what to restore, apply a variant to a pair, restore.
// Verification from counters is shared by all controllers (counters.ts).
import type { Host } from '../hosts/host.js';
import type { VariantSpec } from '../scenario/schema.js';

export interface PairHosts {
  client: Host;
  server: Host;
}

/** What a controller recorded before touching anything, so that restore (or a later `vfbench restore`) can undo it. */
export interface OriginalState {
  controller: string;
  /** The scenario host (or "local") the state belongs to. */
  host: string;
  /** Controller-specific, JSON-serialisable (e.g. { interface: "vf0", up: true }). */
  state: Record<string, unknown>;
}

export interface ControllerContext {
  /** The scenario's connected hosts by name. */
  hosts: Map<string, Host>;
  /** This machine, for commands that run locally. */
  local: Host;
  /** Keep a controller command's output in the run directory. */
  keep(label: string, output: { stdout: string; stderr: string; code: number | null }): Promise<void>;
}

export interface PathController {
  readonly name: string;
  /** Read and record the state to restore, changing nothing; the runner persists it before apply. */
  prepare(pair: PairHosts, variant: VariantSpec): Promise<void>;
  /** Put the pair into the variant (and wait until it is in effect); may return timings, kept as metrics. */
  apply(pair: PairHosts, variant: VariantSpec): Promise<Record<string, number> | void>;
  /** Original states recorded so far (written to the manifest). */
  originals(): OriginalState[];
  /** Put every touched host back as it was. Never throws; returns the problems it met. */
  restore(): Promise<string[]>;
}

/** The commands a variant's switch runs, for --dry-run: "host: command". */
export type DescribeApply = (pair: { client: string; server: string }, variant: VariantSpec) => string[];
