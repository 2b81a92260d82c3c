// Live switchover (FlexVF Fig. 6): the switches run while the client measures (they are the experiment),
// each stamped with the client host's clock; analysis/switchover-segments.ts tells what each part showed.
import { setTimeout as sleep } from 'node:timers/promises';
import { ops, type Host } from '../hosts/host.js';
import { errorMessage } from '../util/errors.js';
import { faultPoint } from '../util/faults.js';

import type { SwitchInstant } from '../analysis/switchover-segments.js';

export type { SwitchInstant };

/**
 * Switch the pair at each step's instant (seconds after `measureStartHost`, the client host's clock),
 * stamping the client's clock just before and after each switch (read by its agent: nothing spawned).
 */
export async function runSwitches(
  o: { signal?: AbortSignal; clockOffset: Map<string, number> },
  client: Host,
  steps: { at: number; variant: string }[],
  measureStartHost: number,
  switchTo: (variant: string) => Promise<unknown>,
): Promise<{ switches: SwitchInstant[]; problem?: string }> {
  const switches: SwitchInstant[] = [];
  const local = measureStartHost - (o.clockOffset.get(client.name) ?? 0);
  const stamp = async () => (await client.call(ops.time())).time;
  for (const step of steps) {
    const wait = local + step.at - Date.now() / 1000;
    // Abortable: the trial may end (a lost host, Ctrl-C) before a switch is due, and none may follow it.
    if (wait > 0) await sleep(wait * 1000, undefined, { signal: o.signal }).catch(() => undefined);
    if (o.signal?.aborted) break;
    try {
      faultPoint('switchover');
      const begin = await stamp();
      await switchTo(step.variant);
      switches.push({ variant: step.variant, at: step.at, begin, end: await stamp() });
    } catch (err) {
      return { switches, problem: `switch to ${step.variant} at ${step.at}s failed: ${errorMessage(err)}` };
    }
  }
  return { switches };
}
