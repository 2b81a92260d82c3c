// The path controller contract (DESIGN.md): apply a variant to a pair, restore the original state.
// Verification from counters is shared by all controllers (counters.ts).
import type { Host } from '../hosts/host.js';
import type { VariantSpec } from '../scenario/schema.js';

export interface PairHosts {
  client: Host;
  server: Host;
}

/** What a controller recorded before touching a host, so that `restore` (or a later `vfbench restore`) can undo it. */
export interface OriginalState {
  controller: string;
  host: string;
  /** Controller-specific, JSON-serialisable (e.g. { interface: "vf0", up: true }). */
  state: Record<string, unknown>;
}

export interface PathController {
  readonly name: string;
  /** Put both hosts of the pair into the variant; records each host's original state on first touch. */
  apply(pair: PairHosts, variant: VariantSpec): Promise<void>;
  /** Original states recorded so far (written to the manifest). */
  originals(): OriginalState[];
  /** Put every touched host back as it was. Never throws; returns the problems it met. */
  restore(): Promise<string[]>;
}
