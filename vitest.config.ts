import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const timeouts = { testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    // Once per test run (both projects): build the CLI, bring the test labs up.
    globalSetup: ['test/global-setup.ts'],
    projects: [
      // Unit tests need no lab: first, on every core (vitest's default leaves one core idle: on a 2-core CI
      // machine that ran them one file at a time).
      { test: { ...timeouts, name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers: availableParallelism(), sequence: { groupOrder: 0 } } },
      // The lab is one shared piece of the machine: integration files run one after another, after the
      // unit tests (nothing else competes for the CPU while they measure).
      { test: { ...timeouts, name: 'lab', include: ['test/integration/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
