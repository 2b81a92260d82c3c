// Access to the test lab brought up by global-setup.ts, and small helpers to look inside it.
import { inject } from 'vitest';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/**
 * Lab tests run unless VFBENCH_SKIP_LAB=1 says to skip them: without root (or namespaces) they fail with
 * the reason, rather than pass silently on a machine that cannot run them.
 */
export const labAvailable = (): boolean => process.env.VFBENCH_SKIP_LAB !== '1';

/** Put the shared lab's data links back as `lab up` made them (vf0 present and up), whatever a test did. */
export async function restoreLabLinks(namespaces: string[]): Promise<void> {
  for (const ns of namespaces) {
    await execa('ip', ['-n', ns, 'link', 'set', 'vfgone0', 'name', 'vf0'], { reject: false });
    await execa('ip', ['-n', ns, 'link', 'set', 'vf0', 'up'], { reject: false });
    await execa('ip', ['-n', ns, 'link', 'set', 'pv0', 'up'], { reject: false });
  }
}

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

/** Logins so far to the lab VM with this management address (the lab's login script logs each). */
export async function loginsTo(address: string): Promise<number> {
  const log = await readFile(labLayout(testLab().options).loginLogPath, 'utf8').catch(() => '');
  return log.split('\n').filter((l) => l.split(' ')[2] === address).length;
}

/**
 * Kill the per-connection sshd processes in a namespace (what a crashed or restarted sshd does to its
 * sessions), not the listeners; with `listenerPid`, only that listener's sessions. Returns how many.
 */
export async function killSessions(ns: string, listenerPid?: number): Promise<number> {
  const r = await execa('ip', ['netns', 'pids', ns], { reject: false });
  const info = (pid: number) => {
    try {
      return { cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '), ppid: Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) };
    } catch {
      return undefined;
    }
  };
  const under = (pid: number): boolean => {
    for (let p: number | undefined = pid, i = 0; p && p > 1 && i < 10; i++) {
      if (p === listenerPid) return true;
      p = info(p)?.ppid;
    }
    return false;
  };
  let n = 0;
  for (const pid of r.stdout.split(/\s+/).filter(Boolean).map(Number)) {
    const cmd = info(pid)?.cmd ?? '';
    if (!cmd.startsWith('sshd: ') || cmd.includes('[listener]') || (listenerPid !== undefined && !under(pid))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      /* gone */
    }
  }
  if (n === 0) throw new Error(`no SSH session to kill in ${ns}`);
  return n;
}

/** The shared lab as vfbench must leave it: vf0 up in both VMs, no tool (nor agent) running in them. */
export async function expectLabAsFound(ns: { vm1: string; vm2: string }): Promise<void> {
  const { expect } = await import('vitest');
  expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
  expect(await linkUp(ns.vm2, 'vf0')).toBe(true);
  expect(await processesIn(ns.vm1)).toEqual([]);
  expect(await processesIn(ns.vm2)).toEqual([]);
}

/** Stop an sshd a test started, by its pid file (nothing to do if it never started). */
export async function stopSshd(pidFile: string): Promise<void> {
  const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
  if (pid > 0) {
    try {
      process.kill(pid);
    } catch {
      /* already gone */
    }
  }
}
