// Once per test run: build the CLI (integration tests run it as a child process) and bring up a lab of
// its own (prefix vfbt, block 1, a temporary VFBENCH_HOME), so a user's lab from `npm run demo` is left alone.
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
  options = { prefix: 'vfbt', block: 1, rules: 2000, home };
  const inv = await labUp(options);
  void inv;
  project.provide('lab', { available: true, options, inventoryPath: join(home, 'lab', 'vfbt', 'inventory.json') });
}

export async function teardown(): Promise<void> {
  if (options) await labDown(options);
  if (home) await rm(home, { recursive: true, force: true });
}
