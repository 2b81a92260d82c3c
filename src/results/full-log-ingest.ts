// A sockperf full log as it comes off the host: parsed on the fly (tools/sockperf-fulllog.ts), kept for
// audit as gzip in raw/, and stored as exact sample columns in samples/ (results/sample-store.ts). Neither
// the text nor an array of lines is ever held: a log of tens of millions of rows costs one column of
// 4 bytes per row (and 4 more for arrival times), not gigabytes.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { FileConsumer } from '../hosts/host.js';
import { FullLogParser } from '../tools/sockperf/fulllog.js';
import { writeSamples } from './sample-store.js';
import { fail, type ParseResult } from '../tools/failure.js';

export interface IngestedLog {
  latencyKind: 'rtt' | 'half-rtt';
  /** The kept latencies, sorted ascending (exact integers in units of `unitNs` ns). */
  sorted: Uint32Array;
  unitNs: number;
  warmupDropped: number;
  firstTx: number;
  lastRx: number;
  parameters?: string;
  /** The sample store's files (arrival order with arrival times; sorted). */
  store: { series: string; sorted: string };
}

export class FullLogIngest implements FileConsumer {
  private readonly parser: FullLogParser;
  private readonly gzip?: Gzip;
  /** The audit copy written through; settles at its end, or with the first error of either stream. */
  private readonly audited: Promise<void>;
  private failure?: string;
  result?: ParseResult<IngestedLog>;

  constructor(
    /** `audit`: where the gzip copy goes (none for a log already kept in raw/). */
    private readonly paths: { audit?: string; series: string; sorted: string },
    opts: { warmupS: number; maxRows: number; arrivals: boolean },
  ) {
    this.parser = new FullLogParser({ warmupS: opts.warmupS, times: opts.arrivals ? 'rx-us' : 'none', maxRows: opts.maxRows });
    if (paths.audit) this.gzip = createGzip({ level: 1 });
    this.audited = this.gzip ? pipeline(this.gzip, createWriteStream(paths.audit!)).catch((err: Error) => void (this.failure ??= `cannot write ${paths.audit}: ${err.message}`)) : Promise.resolve();
  }

  size(bytes: number): void {
    this.parser.sizeHint(bytes);
  }

  write(data: Buffer): void | Promise<void> {
    if (this.failure) return;
    this.parser.push(data);
    // The audit copy is compressed off the main thread; the transfer waits when it falls behind.
    if (this.gzip && !this.gzip.write(data)) return Promise.race([once(this.gzip, 'drain').then(() => {}), this.audited]);
  }

  async end(): Promise<void> {
    this.gzip?.end();
    await this.audited;
    if (this.failure) return this.abort(this.failure);
    const r = this.parser.end();
    if (!r.ok) {
      this.result = r;
      return;
    }
    const v = r.value;
    const meta = { unitNs: v.unitNs, latencyKind: v.latencyKind, count: v.latency.length, firstTx: v.firstTx };
    const sorted = await writeSamples({ series: this.paths.series, sorted: this.paths.sorted }, v.latency, v.rxUs, meta);
    this.result = {
      ok: true,
      value: { latencyKind: v.latencyKind, sorted, unitNs: v.unitNs, warmupDropped: v.warmupDropped, firstTx: v.firstTx, lastRx: v.lastRx, parameters: v.parameters, store: { series: this.paths.series, sorted: this.paths.sorted } },
    };
  }

  /** Nothing half-written stays: not the audit copy, not the store. */
  async abort(why: string): Promise<void> {
    this.failure ??= why;
    this.gzip?.destroy();
    await this.audited;
    await Promise.all(Object.values(this.paths).map((p) => p && rm(p, { force: true })));
    this.result = fail('fetch-failed', `the full log did not come back whole: ${why}`);
  }
}

/** A full log saved whole in raw/ (by runs made before the sample store): stored now, as a run would. */
export async function ingestSavedLog(log: string, store: { series: string; sorted: string }, opts: { warmupS: number; arrivals: boolean }): Promise<ParseResult<IngestedLog>> {
  const ingest = new FullLogIngest(store, { ...opts, maxRows: Number.MAX_SAFE_INTEGER });
  ingest.size((await stat(log)).size);
  for await (const chunk of createReadStream(log, { highWaterMark: 1 << 20 })) await ingest.write(chunk as Buffer);
  await ingest.end();
  return ingest.result!;
}
