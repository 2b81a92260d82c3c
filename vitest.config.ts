import { defineConfig } from 'vitest/config';

const timeouts = { testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    // Once per test run (both projects): build the CLI, bring the test labs up.
    globalSetup: ['test/global-setup.ts'],
    projects: [
      // Unit tests need no lab: first, on every core.
      { test: { ...timeouts, name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      // The lab is one shared piece of the machine: integration files run one after another, after the
      // unit tests (nothing else competes for the CPU while they measure).
      { test: { ...timeouts, name: 'lab', include: ['test/integration/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
