// netperf (TCP_RR, UDP_RR, TCP_CRR, streams) against netserver: its scenario schema, points, runs, parsers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { backgroundSchema, duration, name, oneOrMany, testPort } from '../../scenario/fields.js';
import type { ToolDefinition, ToolRun, ToolPoint, ToolContext, Parsed, TestProblem } from '../tool.js';
import type { ParseResult } from '../failure.js';
import * as netperf from './parse.js';

export const netperfTestSchema = z
  .object({
    tool: z.literal('netperf'),
    name: name('test name').optional(),
    test: oneOrMany(z.enum(netperf.NETPERF_TESTS)),
    /** Request sizes (RR, CRR) or send sizes (streams); omitted = netperf's defaults. */
    sizes: z.array(z.number().int().min(1).max(65507)).min(1).optional(),
    /** Response size for RR/CRR; default: the request size. */
    response_size: z.number().int().min(1).max(65507).optional(),
    duration: duration(1, 36000).default(10),
    /** Local and remote CPU utilisation (-c -C). */
    cpu: z.boolean().default(true),
    /** netserver's control port. */
    port: testPort.default(12865),
    /** The data connection's port on the server (netperf -- -P ,PORT), for a firewall that opens only known ports. */
    data_port: testPort.optional(),
    background: backgroundSchema.optional(),
  })
  .strict();

/**
 * scripts/enable-netperf-repo.sh, shipped with vfbench (package.json "files"): the one scripts/setup.sh runs
 * here; it picks Debian's non-free or Ubuntu's multiverse from /etc/os-release.
 */
const ENABLE_NETPERF_REPO = readFileSync(fileURLToPath(new URL('../../../scripts/enable-netperf-repo.sh', import.meta.url)), 'utf8')
  .split('\n')
  .filter((l) => !l.startsWith('#'))
  .join('\n')
  .trim();

export type NetperfTestSpec = z.output<typeof netperfTestSchema>;

function check(t: NetperfTestSpec, problem: TestProblem): void {
  if (t.response_size !== undefined && !t.test.some((x) => netperf.isRequestResponse(x))) {
    problem(['response_size'], 'response_size applies to TCP_RR, UDP_RR and TCP_CRR');
  }
}

function run(test: NetperfTestSpec, point: ToolPoint, ctx: ToolContext): ToolRun {
  const which = point.mode as netperf.NetperfTest;
  const argv = netperf.clientArgv({
    address: ctx.serverAddress,
    port: test.port,
    test: which,
    seconds: test.duration,
    size: point.size,
    responseSize: test.response_size,
    cpu: test.cpu,
    dataPort: test.data_port,
  });
  return {
    needs: { client: 'netperf', server: 'netserver' },
    server: { argv: netperf.serverArgv({ address: ctx.serverAddress, port: test.port }), ready: { protocol: 'tcp', port: test.port } },
    client: { argv, seconds: test.duration, files: {} },
    parse(out) {
      const r = netperf.parseOutput(out.stdout, { stderr: out.stderr, exitCode: out.exitCode, requested: netperf.selectorsFor(which) });
      if (!r.ok) return r;
      const metrics = netperf.metrics(r.value, which);
      return {
        ok: true,
        value: { metrics, latencyKind: netperf.isRequestResponse(which) ? 'rtt' : undefined, summary: { ...r.value.keys }, measuredFrom: 0 },
      };
    },
  };
}

function parseSaved(text: string, opts: { test?: string }): ParseResult<Parsed> {
  const r = netperf.parseOutput(text, { test: opts.test });
  if (!r.ok) return r;
  return { ok: true, value: { tool: 'netperf', latencyKind: 'rtt', source: 'netperf results', metrics: netperf.metrics(r.value, opts.test) } };
}

export const netperfTool = {
  name: 'netperf',
  schema: netperfTestSchema,
  binaries: { client: 'netperf', server: 'netserver' },
  packages: { netperf: { '*': 'netperf' }, netserver: { '*': 'netperf' } },
  repository: { apt: ENABLE_NETPERF_REPO },
  versionProbe: [
    'v=$(netperf -V 2>/dev/null | sed -n "s/^Netperf version //p"); command -v netperf >/dev/null && echo "tool netperf ${v:-present}"',
    'v=$(netserver -V 2>/dev/null | sed -n "s/^Netperf version //p"); command -v netserver >/dev/null && echo "tool netserver ${v:-present}"',
  ],
  // netserver comes with netperf: the same version rule for both.
  unsupportedVersion(_binary, version) {
    const [maj = 0, min = 0] = version.split(/[.-]/).map((x) => Number(x));
    return (maj < 2 || (maj === 2 && min < 5)) ? `netperf ${version} has no omni latency selectors (needs 2.5.0 or newer)` : undefined;
  },
  startupS: 0.3,
  defaultName: () => 'netperf',
  points: (t) => t.test.flatMap((test) => (t.sizes ?? [0]).map((size) => ({ mode: test, protocol: netperf.protocolOf(test), size, streams: 1 }))),
  pointCount: (t) => t.test.length * (t.sizes?.length ?? 1),
  warmupS: () => 0,
  check,
  run,
  parseSaved,
  metrics: {
    transactions_per_s: 'RR/CRR: transactions per second',
    p50_us: 'RR/CRR: median round trip, µs (netperf omni P50; also p90, p99, mean_us, min_us, max_us, stddev_us)',
    throughput_bps: 'streams: bits/s',
    local_cpu_pct: 'netperf -c: client CPU utilisation, % (remote_cpu_pct: the server\'s)',
  },
} satisfies ToolDefinition<NetperfTestSpec>;
