// Put hosts back into the path state a run recorded before it switched anything: what `vfbench restore
// RUN_DIR` does after a run was killed (kill -9, a lost machine), and what a resume does first. Each
// controller says how (its `restore` in src/paths/<controller>/index.ts).
import type { ControllerContext, OriginalState } from './controller.js';
import { restoreEach } from './controller.js';
import { CONTROLLERS, controllerOfState } from './registry.js';
import { UserError } from '../util/errors.js';
import type { Scenario } from '../scenario/load.js';

/** Describe what restoring would run, for --dry-run. */
export function describeRestore(originals: OriginalState[]): string[] {
  return originals.map((o) => controllerOfState(o)?.restore.describe(o) ?? `${o.host}: (unknown controller ${o.controller})`);
}

/**
 * Apply every recorded original state; never throws, returns the problems. Platform settings go back first,
 * one controller after the other (a guest may need its device back); then the guests' states, all at once.
 */
export async function restoreOriginals(originals: OriginalState[], ctx: ControllerContext): Promise<string[]> {
  const problems: string[] = [];
  const of = (name: string) => originals.filter((o) => o.controller === name);
  for (const c of CONTROLLERS.filter((c) => c.restore.stage === 'platform')) problems.push(...(await c.restore.run(ctx, of(c.name))));
  const unknown = originals.filter((o) => !controllerOfState(o));
  const guests = await Promise.all([
    ...CONTROLLERS.filter((c) => c.restore.stage === 'guest').map((c) => c.restore.run(ctx, of(c.name))),
    restoreEach(ctx, unknown, async (_host, o) => {
      throw new Error(`unknown controller ${o.controller}`);
    }),
  ]);
  problems.push(...guests.flat());
  return problems;
}

/** `${env:NAME}` references in the stored states that must be set before restoring them. */
export function storedSecretRefs(originals: OriginalState[]): string[] {
  return originals.flatMap((o) => controllerOfState(o)?.restore.secretRefs?.(o) ?? []);
}

/**
 * The manifest's stored states are re-checked against its scenario before anything runs: a restore command
 * that is not one of the scenario's, or an interface it does not name, means the file was edited.
 */
export function checkStoredCommands(originals: OriginalState[], scenario: Pick<Scenario, 'variants'>): void {
  const variants = Object.values(scenario.variants);
  for (const o of originals) {
    const wrong = controllerOfState(o)?.restore.checkStored?.(o, variants);
    if (wrong) throw new UserError(wrong);
  }
}
