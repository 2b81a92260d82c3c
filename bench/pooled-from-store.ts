// Pooled nearest-rank percentiles from sample-store files, as `vfbench report` computes them for a point
// (results/sample-store.ts pooledPercentiles): used by bench/fulllog.ts as a process of its own, so that its
// time and peak RSS are those of a cold re-analysis.
//   node dist-bench/bench/pooled-from-store.js A.sorted.arrow [B.sorted.arrow ...] P [P ...]
import { pooledPercentiles } from '../src/results/sample-store.js';

const files = process.argv.slice(2).filter((a) => a.endsWith('.arrow'));
const ps = process.argv.slice(2).filter((a) => !a.endsWith('.arrow')).map(Number);
const pooled = await pooledPercentiles(files, ps);
process.stdout.write(`${JSON.stringify({ count: pooled.count, values: Object.fromEntries(ps.map((p) => [String(p), pooled.values.get(p)])) })}\n`);
