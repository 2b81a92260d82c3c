// Per-trial sampling on both hosts of a pair: CPU by mode, interrupts, context switches and NIC
// counters, every `interval`, from just before the client starts until it has ended. The sampler is a
// timer of the host's agent that reads /proc itself: it spawns nothing while the tool measures.
import { ops, type Op } from '../hosts/host.js';

/** Start a sampler; it stops by itself after `maxSeconds` of samples even if the stop never comes. */
export function samplerStart(name: string, intervalS: number, maxSeconds: number): Op<{ started: boolean }> {
  return ops.samplerStart(name, intervalS, Math.max(2, Math.ceil(maxSeconds / intervalS) + 2));
}
