// `vfbench parse TOOL FILE`: metrics from an output saved by hand, in the shape of a record's metrics.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import * as sockperf from '../tools/sockperf.js';
import { FullLogParser } from '../tools/sockperf-fulllog.js';
import * as netperf from '../tools/netperf.js';
import * as iperf3 from '../tools/iperf3.js';
import type { ParseResult } from '../tools/failure.js';

export interface Parsed {
  tool: string;
  version?: string;
  latencyKind?: 'rtt' | 'half-rtt';
  /** Where the numbers came from: the per-message full log, the tool's summary, a table … */
  source: string;
  metrics: Record<string, number>;
}

export const PARSE_TOOLS = ['sockperf', 'netperf', 'iperf3'] as const;

/**
 * `vfbench parse` on a file: a sockperf full log is streamed through the parser (any size, memory for its
 * latency column only); other outputs are small and read whole.
 */
export async function parseSavedFile(tool: (typeof PARSE_TOOLS)[number], path: string, opts: { test?: string; size?: number } = {}): Promise<ParseResult<Parsed>> {
  const head = Buffer.alloc(1 << 20);
  const fh = await open(path);
  let bytesRead: number;
  let size: number;
  try {
    ({ bytesRead } = await fh.read(head, 0, head.length, 0));
    size = (await fh.stat()).size;
  } finally {
    await fh.close();
  }
  const start = head.subarray(0, bytesRead).toString('utf8');
  const big = size > bytesRead;
  if (tool !== 'sockperf' || !/^(packet, txTime\(sec\)|txTime, rxTime)/m.test(start)) {
    if (big) return { ok: false, failure: { kind: 'bad-arguments', message: `${path} is over 1 MB and not a sockperf full log` } };
    return parseSaved(tool, start, opts);
  }
  const parser = new FullLogParser();
  parser.sizeHint(size);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) parser.push(chunk as Buffer);
  const log = parser.end();
  if (!log.ok) return log;
  const summary = sockperf.parseSummary(start);
  const sorted = log.value.latency.sort();
  return {
    ok: true,
    value: { tool, version: summary.ok ? summary.value.version : undefined, latencyKind: log.value.latencyKind, source: 'full log (pooled per-message samples)', metrics: sockperf.sortedLatencyMetrics(sorted, log.value.unitNs) },
  };
}

export function parseSaved(tool: (typeof PARSE_TOOLS)[number], text: string, opts: { test?: string; size?: number } = {}): ParseResult<Parsed> {
  if (tool === 'sockperf') {
    if (/Message Rate is/.test(text)) {
      if (!opts.size) return { ok: false, failure: { kind: 'bad-arguments', message: 'sockperf throughput output: give --size (the message size) to turn messages/s into bits/s' } };
      const tp = sockperf.parseThroughput(text, { size: opts.size });
      if (!tp.ok) return tp;
      return { ok: true, value: { tool, version: tp.value.version, source: 'throughput summary', metrics: { messages_per_s: tp.value.messagesPerSecond, sent_bps: tp.value.bitsPerSecond } } };
    }
    const summary = sockperf.parseSummary(text);
    const log = sockperf.parseFullLog(text);
    if (log.ok) {
      return { ok: true, value: { tool, version: summary.ok ? summary.value.version : undefined, latencyKind: log.value.latencyKind, source: 'full log (pooled per-message samples)', metrics: sockperf.latencyMetrics(log.value) } };
    }
    if (!summary.ok) return summary;
    return { ok: true, value: { tool, version: summary.value.version, latencyKind: summary.value.latencyKind, source: 'sockperf summary', metrics: sockperf.summaryMetrics(summary.value) } };
  }
  if (tool === 'netperf') {
    const r = netperf.parseOutput(text, { test: opts.test });
    if (!r.ok) return r;
    return { ok: true, value: { tool, latencyKind: 'rtt', source: 'netperf results', metrics: netperf.metrics(r.value, opts.test) } };
  }
  const r = iperf3.parseOutput(text);
  if (!r.ok) return r;
  return { ok: true, value: { tool, version: r.value.version, source: r.value.format === 'json' ? 'iperf3 JSON' : 'iperf3 text report', metrics: iperf3.metrics(r.value) } };
}
