// Access to the test lab brought up by global-setup.ts, and small helpers to look inside it.
import { inject } from 'vitest';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { labLayout, type LabInventory, type LabOptions } from '../../src/lab/lab.js';

export function testLab(): { options: LabOptions; inventoryPath: string; inventory: LabInventory; ns: ReturnType<typeof labLayout>['namespaces'] } {
  const ctx = inject('lab');
  if (!ctx.available || !ctx.options || !ctx.inventoryPath) throw new Error(`test lab unavailable: ${ctx.reason}`);
  return {
    options: ctx.options,
    inventoryPath: ctx.inventoryPath,
    inventory: JSON.parse(readFileSync(ctx.inventoryPath, 'utf8')) as LabInventory,
    ns: labLayout(ctx.options).namespaces,
  };
}

export const labAvailable = (): boolean => inject('lab').available;

/** Is the interface administratively up in that namespace? */
export async function linkUp(ns: string, dev: string): Promise<boolean> {
  const r = await execa('ip', ['-n', ns, '-j', 'link', 'show', dev]);
  return (JSON.parse(r.stdout) as { flags: string[] }[])[0]!.flags.includes('UP');
}

/** Names of the processes running in a namespace (besides sshd; zombies run nothing and are left out). */
export async function processesIn(ns: string): Promise<string[]> {
  const r = await execa('ip', ['netns', 'pids', ns], { reject: false });
  const names: string[] = [];
  for (const pid of r.stdout.split(/\s+/).filter(Boolean)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z') names.push(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      /* exited meanwhile */
    }
  }
  return names.filter((n) => n !== 'sshd');
}

/** Poll `check` every 100 ms until it holds; bounded by timeoutMs. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
