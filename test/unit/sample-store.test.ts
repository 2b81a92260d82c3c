// The per-trial sample store (Arrow IPC files): what is written is read back exactly, other readers see
// its metadata, and pooled percentiles over several trials equal those of all samples put together.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { pooledPercentiles, readColumns, writeSamples } from '../../src/results/sample-store.js';
import { nearestRank } from '../../src/util/samples.js';

/** Typed arrays compared as bytes: vitest's deep equality walks millions of elements one by one, slowly. */
function sameBytes(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** A trial's latencies (ns) drawn from a seeded generator, with a heavy tail. */
function trial(n: number, seed: number): Uint32Array {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  return Uint32Array.from({ length: n }, () => Math.round(20_000 + rnd() * 30_000 + (rnd() < 0.01 ? rnd() * 900_000 : 0)));
}

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'vfb-store-'));
  dirs.push(d);
  return d;
};

describe('sample store', () => {
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps the arrival order with arrival times, and the sorted column, exactly; pyarrow-style readers see the metadata', async () => {
    const dir = await tempDir();
    const latency = trial(2_500_000, 7);
    const arrival = Uint32Array.from(latency);
    const rx = Uint32Array.from({ length: latency.length }, (_, i) => i * 30);
    const meta = { unitNs: 1, latencyKind: 'half-rtt' as const, count: latency.length, firstTx: 2.4017 };
    const paths = { series: join(dir, 't.arrow'), sorted: join(dir, 't.sorted.arrow') };
    const sorted = await writeSamples(paths, latency, rx, meta);
    const back = await readColumns(paths.series, ['latency', 'rx_us']);
    expect(back.meta).toEqual(meta);
    expect(sameBytes(back.columns.latency!, arrival)).toBe(true);
    expect(sameBytes(back.columns.rx_us!, rx)).toBe(true);
    const s = await readColumns(paths.sorted, ['latency']);
    expect(sameBytes(s.columns.latency!, Uint32Array.from(arrival).sort())).toBe(true);
    expect(sameBytes(s.columns.latency!, arrival)).toBe(false); // the comparison can tell them apart
    expect(sorted).toBe(latency); // sorted in place: one copy in memory
    // A plain Arrow reader (as pyarrow or DuckDB would) sees the columns, types and metadata.
    const t = tableFromIPC(await readFile(paths.series));
    expect(t.numRows).toBe(latency.length);
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['latency:Uint32', 'rx_us:Uint32']);
    expect(t.schema.metadata.get('unit_ns')).toBe('1');
  });

  it('pools percentiles over trials by merging them, equal to nearest rank over all samples together', async () => {
    const dir = await tempDir();
    const parts = [trial(1_300_000, 1), trial(700_000, 2), trial(5, 3), trial(2_000_000, 4)];
    const files: string[] = [];
    for (const [i, p] of parts.entries()) {
      const paths = { series: join(dir, `${i}.arrow`), sorted: join(dir, `${i}.sorted.arrow`) };
      await writeSamples(paths, Uint32Array.from(p), undefined, { unitNs: 1, latencyKind: 'half-rtt', count: p.length, firstTx: 0 });
      files.push(paths.sorted);
    }
    const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) for (const v of p) all[at++] = v / 1000;
    all.sort();
    const ps = [0, 1, 25, 50, 90, 99, 99.9, 99.99, 100];
    const pooled = await pooledPercentiles(files, ps);
    expect(pooled.count).toBe(all.length);
    for (const p of ps) expect(pooled.values.get(p), `p${p}`).toBe(p === 0 ? all[0] : nearestRank(all, p));
  });
});
