// Shared by the benchmarks: a lab of their own, vfbench as a child process, small statistics, a table.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, labLayout, type LabOptions } from '../src/lab/lab.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Run `body` with a lab of its own (its own prefix, block and VFBENCH_HOME), removed afterwards. */
export async function withLab<T>(o: Omit<LabOptions, 'home' | 'rules'> & { rules?: number }, body: (lab: LabOptions & { inventory: string; home: string }) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), 'vfbench-bench-'));
  const lab: LabOptions = { rules: 2000, ...o, home };
  await labUp(lab);
  try {
    return await body({ ...lab, home, inventory: labLayout(lab).inventoryPath });
  } finally {
    await labDown(lab);
    await rm(home, { recursive: true, force: true });
  }
}

/** `vfbench run` as a user runs it; returns its wall time and output (throws on a failed run). */
export async function vfbenchRun(args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; output: string }> {
  const t0 = performance.now();
  const r = await execa(process.execPath, [CLI, 'run', ...args], { reject: false, all: true, env });
  if (r.exitCode !== 0) throw new Error(`vfbench run ${args.join(' ')} failed (exit ${r.exitCode}):\n${r.all}`);
  return { seconds: (performance.now() - t0) / 1000, output: r.all ?? '' };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** A plain-text table, columns padded to their widest cell. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Run a benchmark's main, printing its error and exiting 1 on failure. */
export function main(f: () => Promise<void>): void {
  f().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
