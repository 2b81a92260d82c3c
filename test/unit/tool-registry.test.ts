// The contract every registered tool keeps: what the plan, runner, doctor and facts rely on.
import { describe, expect, it } from 'vitest';
import { TOOL_LIST, TOOL_NAMES } from '../../src/tools/registry.js';
import { testSchema } from '../../src/scenario/schema.js';

/** A test of each tool with several points (a new tool adds its sample here). */
const SAMPLES: Record<string, unknown> = {
  sockperf: { tool: 'sockperf', protocol: ['udp', 'tcp'], sizes: [64, 1024] },
  netperf: { tool: 'netperf', test: ['TCP_RR', 'TCP_STREAM'], sizes: [1, 1024] },
  iperf3: { tool: 'iperf3', direction: ['forward', 'reverse'], streams: [1, 4] },
  ping: { tool: 'ping', sizes: [56, 1400] },
};

describe('the tool registry', () => {
  it('has a sample for every tool, and nothing else', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...TOOL_NAMES].sort());
    expect(new Set(TOOL_NAMES).size).toBe(TOOL_NAMES.length);
  });

  for (const def of TOOL_LIST) {
    it(`${def.name}: schema, points, binaries, packages, version probe and run agree`, () => {
      const test = testSchema.parse(SAMPLES[def.name]);
      expect(test.tool).toBe(def.name);
      const points = def.points(test);
      expect(points.length).toBeGreaterThan(1);
      expect(def.pointCount(test)).toBe(points.length);
      expect(def.defaultName(test)).toMatch(/^[a-z0-9-]+$/);
      if (def.keyDefaultMode) expect(points.map((p) => p.mode)).toContain(def.keyDefaultMode);
      const binaries = [def.binaries.client, ...(def.binaries.server ? [def.binaries.server] : [])];
      for (const b of binaries) {
        // Facts print `tool <binary> <version|present>` for what the host has; doctor installs its package.
        expect(def.versionProbe.join('\n')).toContain(`echo "tool ${b} `);
        expect(def.packages[b], b).toBeDefined();
      }
      for (const p of points) {
        const run = def.run(test, p, { serverAddress: '198.18.1.2', clientDir: '/tmp/vfbench.x', trialId: 't' });
        expect(run.needs.client).toBe(def.binaries.client);
        expect(run.needs.server).toBe(def.binaries.server);
        expect(run.server === undefined).toBe(def.binaries.server === undefined);
        // The client's argv runs the tool (behind `env LC_ALL=C` where its output is locale-dependent).
        expect(run.client.argv.filter((a) => typeof a !== 'string' || !/^(env|[A-Z_]+=.*)$/.test(a))[0]).toBe(def.binaries.client);
        expect(run.client.argv).toContain('198.18.1.2');
        expect(run.client.seconds).toBeGreaterThanOrEqual(test.duration);
      }
      expect(Object.keys(def.metrics).length).toBeGreaterThan(0);
    });
  }
});
