// Once per test run: build the CLI (integration tests run it as a child process) and bring up a lab of
// its own (its own prefix and address block, a temporary VFBENCH_HOME), so neither a user's lab from
// `npm run demo` nor another test run on the same machine is touched.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { labDown, labUp, type LabOptions } from '../src/lab/lab.js';

export interface LabContext {
  available: boolean;
  reason?: string;
  options?: LabOptions;
  inventoryPath?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabContext;
  }
}

let options: LabOptions | undefined;
let home: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  await execa('npx', ['tsc', '-p', '.'], { stdio: 'inherit' });
  if (process.getuid?.() !== 0) {
    project.provide('lab', { available: false, reason: 'the lab needs root' });
    return;
  }
  home = await mkdtemp(join(tmpdir(), 'vfbench-test-home-'));
  // An odd block per run (the next one is left for the partial-lab test), skipping blocks in use.
  const used = new Set(((JSON.parse((await execa('ip', ['-j', 'netns', 'list'])).stdout || '[]') as { name: string }[]).map((n) => n.name)));
  let block = 1 + 2 * (process.pid % 30);
  while (used.has(`t${block}-vm1`) || used.has(`t${block + 1}-vm1`)) block = block + 2 > 61 ? 1 : block + 2;
  options = { prefix: `t${block}`, block, rules: 2000, home };
  await labUp(options);
  project.provide('lab', { available: true, options, inventoryPath: join(home, 'lab', options.prefix, 'inventory.json') });
}

export async function teardown(): Promise<void> {
  if (options) await labDown(options);
  if (home) await rm(home, { recursive: true, force: true });
}
