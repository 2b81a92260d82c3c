// The path controller contract (DESIGN.md): record what to restore, apply a variant to a pair, restore.
// Verification from counters is shared by all controllers (counters.ts). Each controller is one folder,
// src/paths/<name>/, whose index.ts exports one `ControllerModule`; registry.ts lists them.
import type { z } from 'zod';
import type { Host } from '../hosts/host.js';
import type { VariantSpec } from '../scenario/schema.js';
import { errorMessage } from '../util/errors.js';

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

/** The data path a variant is expected to use. */
export type PathKind = 'accelerated' | 'synthetic';

/** What a variant's cross-field checks see of the scenario (only when its hosts are known). */
export interface VariantScope {
  /** The scenario's hosts (its own, or its inventory's), by name. */
  hosts: Readonly<Record<string, unknown>>;
  /** Both ends of every pair, each once, in the order of the pairs. */
  guests: string[];
}

/** Report a problem at a field of the variant (a path below `variants.NAME`), e.g. (['on'], 'unknown host …'). */
export type VariantProblem = (path: (string | number)[], message: string) => void;

/**
 * One path controller: everything vfbench knows of it. `V` is its variant (the schema's output): methods
 * are only ever called with a variant whose `controller` is `name`.
 */
export interface ControllerModule<N extends string = string, S extends z.ZodType = z.ZodType, V = z.output<S>> {
  /** The `controller:` value of its variants. */
  readonly name: N;
  /** Its variant schema (strict; `controller: z.literal(name)`): one arm of the scenario's variant union. */
  readonly schema: S;
  /** The path a variant of it is expected to use (verified from counters after every trial). */
  expectedPath(v: V): PathKind;
  /** Checks against the scenario's hosts that the schema cannot express (a named host must exist …). */
  check?(v: V, scope: VariantScope, problem: VariantProblem): void;
  /** Scenario hosts a run must connect to besides the pairs' (a hypervisor, a command's `on:` host). */
  extraHosts?(v: V): string[];
  /** Text whose `${env:NAME}` references must be set before anything is switched. */
  secretRefs?(v: V): string[];
  /** Guest interfaces a variant switches (doctor checks they exist on every host). */
  guestInterfaces?(v: V): string[];
  /** The controller a run uses for all variants of this kind. */
  create(ctx: ControllerContext): PathController;
  /** --dry-run: the commands a switch of `pair` to `v` runs, "host: command". */
  describeApply(pair: { client: string; server: string }, v: V): string[];
  /** --dry-run: what the run's exit would put back after switching `pair` to `v`, as [what is restored (dedup key), line]. */
  describeUndo(pair: { client: string; server: string }, v: V): [string, string][];
  /** Putting back the states its controllers recorded (OriginalState.controller === name), from a manifest. */
  readonly restore: RestoreFromManifest;
}

export interface RestoreFromManifest {
  /**
   * platform: a setting outside the guests (a NIC's, an attached device): restored first, one controller
   * after the other. guest: inside the guests (a link, the user's command; it may need the device back):
   * restored after, all at once.
   */
  readonly stage: 'platform' | 'guest';
  /**
   * The state fields that say what was switched (not the value found, nor how to reach it): two recorded
   * states with the same identity are one. Empty: one per host, whatever it holds.
   */
  readonly identity: readonly string[];
  /** What restoring one recorded state runs, for `vfbench restore --dry-run`. */
  describe(o: OriginalState): string;
  /** Put the recorded states back; never throws, returns the problems. */
  run(ctx: ControllerContext, originals: OriginalState[]): Promise<string[]>;
  /** Why a stored state is not one its scenario could have made (the run directory was edited), if it is not. */
  checkStored?(o: OriginalState, variants: readonly VariantSpec[]): string | undefined;
  /** Text of a stored state whose `${env:NAME}` references must be set before restoring. */
  secretRefs?(o: OriginalState): string[];
}

/** Restore states one by one on their own hosts (or this machine for "local"), all at once; never throws. */
export async function restoreEach(ctx: ControllerContext, originals: OriginalState[], one: (host: Host, o: OriginalState) => Promise<void>): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    originals.map(async (o) => {
      const host = o.host === 'local' ? ctx.local : ctx.hosts.get(o.host);
      if (!host) {
        problems.push(`${o.host}: not connected, cannot restore its ${o.controller} state`);
        return;
      }
      try {
        await one(host, o);
      } catch (err) {
        problems.push(`${o.host}: ${errorMessage(err)}`);
      }
    }),
  );
  return problems;
}
