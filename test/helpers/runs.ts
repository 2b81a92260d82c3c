// Synthetic run directories: records as the runner writes them, with chosen metric values.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORD_SCHEMA, type TrialRecord } from '../../src/results/record.js';
import { MANIFEST_SCHEMA } from '../../src/results/manifest.js';

export interface SyntheticPoint {
  size: number;
  /** Background load in packets/s (a sockperf under-load point, FlexVF Fig. 5); none: a ping-pong point. */
  rate?: number;
  /** Per variant, the p50 of each repetition; p99 is twice it. */
  p50: Record<string, number[]>;
  /** The pair measured (default 0) and its group (FlexVF Fig. 7). */
  pair?: number;
  group?: string;
}

export async function writeRun(root: string, id: string, points: SyntheticPoint[], scenario = 'synthetic', started = '2026-11-23T00:00:00Z'): Promise<string> {
  const dir = join(root, id);
  await mkdir(join(dir, 'raw'), { recursive: true });
  const variants = Object.keys(points[0]!.p50);
  const records: TrialRecord[] = [];
  for (const p of points) {
    for (const v of variants) {
      p.p50[v]!.forEach((value, rep) => {
        const bg = p.rate !== undefined;
        const pair = p.pair ?? 0;
        const pointKey = `t0-${bg ? 'under-load-' : ''}udp-m${p.size}${bg ? `-bg${p.rate}` : ''}-p${pair}`;
        const mode = bg ? 'under-load' : 'ping-pong';
        records.push({
          schema: RECORD_SCHEMA,
          run: id,
          trial: `${pointKey}-${v}-r${rep + 1}`,
          seq: records.length,
          pointKey,
          point: { test: 0, testName: `sockperf-${mode}`, tool: 'sockperf', mode, protocol: 'udp', size: p.size, streams: 1, ...(bg ? { rate: p.rate } : {}), pair, ...(p.group ? { group: p.group } : {}) },
          variant: v,
          repetition: rep,
          status: 'ok',
          started: '2026-11-23T00:00:00Z',
          ended: '2026-11-23T00:00:05Z',
          metrics: { p50_us: value, p99_us: value * 2, count: 1000 },
          latencyKind: 'half-rtt',
          tool: { name: 'sockperf', command: `sockperf ${mode} …` },
          raw: [],
        });
      });
    }
  }
  await writeFile(join(dir, 'records.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // A manifest as the runner writes it (checked on read: results/manifest.ts), reduced to what these runs need.
  const manifest = {
    schema: MANIFEST_SCHEMA,
    vfbench: 'test',
    id,
    scenarioFile: `/synthetic/${scenario}.yaml`,
    scenarioText: `name: ${scenario}\n`,
    status: 'complete',
    started,
    ended: '2026-11-23T00:10:00Z',
    scenario: {
      name: scenario,
      baseline: variants[0],
      variants: Object.fromEntries(variants.map((v, i) => [v, { controller: 'guest-link', interface: 'vf0', state: i === 0 ? 'down' : 'up', settle: 0.5 }])),
      order: 'interleaved',
      repeat: Math.max(...Object.values(points[0]!.p50).map((r) => r.length)),
      hosts: { vm1: { ssh: 'local', data: '10.0.0.1' }, vm2: { ssh: 'local', data: '10.0.0.2' } },
      pairs: [{ client: 'vm1', server: 'vm2' }],
      tests: [{ tool: 'sockperf', mode: 'ping-pong', protocol: ['udp'], sizes: points.map((p) => p.size) }],
    },
    plan: { trials: [], estimateSeconds: 0 },
    hosts: {},
    originalPathState: [],
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
