// Once per test run: build the CLI (integration tests run it as a child process), start a throwaway
// PostgreSQL cluster (the history tests' server), and bring up a lab of its own (its own prefix and address
// block, a temporary VFBENCH_HOME), so neither a user's lab from `npm run demo` nor another test run on the
// same machine is touched.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { labDown, labUp, type LabOptions } from '../src/lab/lab.js';
import { startCluster, type Cluster, type PostgresContext } from './helpers/postgres.js';

export interface LabContext {
  available: boolean;
  reason?: string;
  options?: LabOptions;
  inventoryPath?: string;
  /** A second lab of 4 pairs for groups run together (FlexVF Fig. 7). */
  groups?: { options: LabOptions; inventoryPath: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabContext;
    postgres: PostgresContext;
  }
}

let options: LabOptions | undefined;
let groupOptions: LabOptions | undefined;
let home: string | undefined;
let cluster: Cluster | undefined;
let browser: Promise<void> | undefined;

export async function setup(project: TestProject): Promise<void> {
  await execa('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  // The cluster's initdb and start run while the labs come up.
  const [labs, pg] = await Promise.allSettled([setupLabs(project), startCluster()]);
  if (pg.status === 'fulfilled') {
    cluster = pg.value;
    project.provide('postgres', cluster.context);
  }
  const failed = [labs, pg].find((r) => r.status === 'rejected');
  if (failed) {
    // A setup that fails gets no teardown: what did come up goes now.
    await teardown();
    throw failed.reason;
  }
}

async function setupLabs(project: TestProject): Promise<void> {
  if (process.env.VFBENCH_SKIP_LAB === '1') {
    project.provide('lab', { available: false, reason: 'VFBENCH_SKIP_LAB=1' });
    return;
  }
  if (process.getuid?.() !== 0) {
    project.provide('lab', { available: false, reason: 'the lab needs root (run the tests as root, or set VFBENCH_SKIP_LAB=1 to skip the lab tests)' });
    return;
  }
  home = await mkdtemp(join(tmpdir(), 'vfbench-test-home-'));
  // Three blocks per run: the lab, the partial-lab test's, the groups lab; skipping blocks in use.
  const used = new Set(((JSON.parse((await execa('ip', ['-j', 'netns', 'list'])).stdout || '[]') as { name: string }[]).map((n) => n.name)));
  let block = 1 + 3 * (process.pid % 20);
  while ([0, 1, 2].some((k) => used.has(`t${block + k}-vm1`) || used.has(`t${block}g-vm1`))) block = block + 3 > 58 ? 1 : block + 3;
  options = { prefix: `t${block}`, block, rules: 2000, home };
  groupOptions = { prefix: `t${block}g`, block: block + 2, rules: 2000, home, pairs: 4 };
  // Chromium (report.html's test) started once while the labs come up: its first start in a fresh CI
  // checkout took 13.7 s (0.2-1 s after), which the test would otherwise pay. Nothing is asserted here.
  // Not awaited here: it goes on while the unit tests run (the report test is in the lab phase, later).
  browser = warmBrowser();
  await labUp(options);
  await labUp(groupOptions);
  project.provide('lab', {
    available: true,
    options,
    inventoryPath: join(home, 'lab', options.prefix, 'inventory.json'),
    groups: { options: groupOptions, inventoryPath: join(home, 'lab', groupOptions.prefix, 'inventory.json') },
  });
}

async function warmBrowser(): Promise<void> {
  try {
    const { chromium } = await import('playwright-core');
    const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    await b.close();
  } catch {
    // No Chromium here: the report test says so itself.
  }
}

export async function teardown(): Promise<void> {
  await browser; // closed by itself; nothing of it left running
  await cluster?.stop();
  cluster = undefined;
  if (options) await labDown(options);
  if (groupOptions) await labDown(groupOptions);
  if (home) await rm(home, { recursive: true, force: true });
}
