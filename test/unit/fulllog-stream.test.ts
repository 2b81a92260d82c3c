// The streaming full-log reader: bytes in any chunks, exact integer latencies, the same metrics as sockperf's
// summary on every captured log, clear errors for cut or broken rows, the warm-up and row limit.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as sp from '../../src/tools/sockperf/parse.js';
import { FullLogParser, parseFullLogBytes, latencyUs, type FullLogOptions } from '../../src/tools/sockperf/fulllog.js';

const CAP = 'test/fixtures/sockperf/captured';
const EMPTY = 'pp_udp_m64_t1_fulllog_nordtsc';
const logs = readdirSync(CAP).filter((f) => f.endsWith('.csv') && !f.startsWith(EMPTY)).map((f) => f.replace(/\.csv$/, ''));
const bytes = (name: string) => readFileSync(join(CAP, `${name}.csv`));

/** Feed `data` cut at the given offsets. */
function streamed(data: Buffer, cuts: number[], opts: FullLogOptions = {}) {
  const p = new FullLogParser(opts);
  let at = 0;
  for (const c of [...cuts, data.length]) {
    p.push(data.subarray(at, c));
    at = c;
  }
  return p.end();
}

const sorted = (a: Uint32Array) => Uint32Array.from(a).sort();

describe('streaming full-log reader', () => {
  it.each(logs)('%s: the sorted integer column gives exactly the metrics of the text, equal to sockperf\'s summary', (name) => {
    const r = parseFullLogBytes(bytes(name));
    if (!r.ok) throw new Error(r.failure.message);
    const fromText = sp.parseFullLog(bytes(name).toString('utf8'));
    if (!fromText.ok) throw new Error('fixture');
    expect(sp.sortedLatencyMetrics(sorted(r.value.latency), r.value.unitNs)).toEqual(sp.latencyMetrics(fromText.value));
    // Each value is the decimal sockperf printed, as a number: 56.439 µs is 56439 ns.
    const firstRow = /^0, [\d.]+, [\d.]+, ([\d.]+)$/m.exec(bytes(name).toString('utf8'))![1]!;
    expect(latencyUs(r.value.latency[0]!, r.value.unitNs)).toBe(Number(firstRow));
    const summary = sp.parseSummary(readFileSync(join(CAP, `${name}.stdout`), 'utf8'));
    if (!summary.ok) throw new Error('fixture');
    expect(r.value.latency.length).toBe(summary.value.observations);
  });

  it('reads the same whatever the chunks: every split in the first 600 bytes of the table, and bytes one by one', () => {
    const data = bytes('pp_udp_m64_t2_fulllog');
    const whole = parseFullLogBytes(data, { times: 'rx-us' });
    if (!whole.ok) throw new Error('fixture');
    const table = data.indexOf('packet, txTime');
    for (let cut = table - 100; cut < table + 600; cut++) {
      const r = streamed(data, [cut], { times: 'rx-us' });
      expect(r.ok && [...r.value.latency], `cut at ${cut}`).toEqual([...whole.value.latency]);
      expect(r.ok && [...r.value.rxUs!], `cut at ${cut}`).toEqual([...whole.value.rxUs!]);
    }
    const small = data.subarray(0, data.indexOf('\n', table + 2000) + 1);
    const one = streamed(small, Array.from({ length: small.length - 1 }, (_, i) => i + 1));
    const ref = parseFullLogBytes(small);
    expect(one.ok && ref.ok && [...one.value.latency]).toEqual(ref.ok && [...ref.value.latency]);
  });

  it('says what is wrong with a cut, broken or foreign row, with its line number', () => {
    const head = 'packet, txTime(sec), rxTime(sec), latency(usec)\n0, 2.401695522, 2.401808400, 56.439\n';
    const err = (text: string) => {
      const r = parseFullLogBytes(text);
      return r.ok ? 'ok' : `${r.failure.kind}: ${r.failure.message}`;
    };
    expect(err(`${head}1, 2.402695512, 2.4028`)).toMatch(/no-result: the full log is truncated: line 3 ends without a newline/);
    expect(err(`${head}1, 2.402695512, 2.402806547, abc\n`)).toMatch(/line 3 has no numeric latency/);
    expect(err(`${head}1, 2.402695512, 2.402806547\n`)).toMatch(/line 3 has no numeric latency/);
    expect(err(`${head}1, 2.402695512, 2.402806547, 55.517, 9\n`)).toMatch(/line 3 has more than 4 columns/);
    expect(err(`${head}1, 2.402695512, 2.402806547, 55.5171\n`)).toMatch(/more than 3 decimals/);
    expect(err(`${head}1, 2.4.02695512, 2.402806547, 55.517\n`)).toMatch(/line 3/);
    expect(err(`${head}1, 2.402695512, 2.402806547, 5000000.000\n`)).toMatch(/out of range/);
    expect(err('sockperf: nothing here\n')).toMatch(/no-result: no per-packet table/);
    expect(err(`${head}------------------------------\n`)).toBe('ok');
    // CRLF lines and a BOM, as Windows tools save them.
    expect(err(`\uFEFF${head.replace(/\n/g, '\r\n')}-----\r\n`)).toBe('ok');
  });

  it('drops the warm-up by send time as dropWarmup does, keeps arrivals as µs since the first kept send', () => {
    const data = bytes('pp_udp_m64_t2_fulllog');
    const text = sp.parseFullLog(data.toString('utf8'));
    const r = parseFullLogBytes(data, { warmupS: 0.5, times: 'rx-us' });
    if (!r.ok || !text.ok) throw new Error('fixture');
    const trimmed = sp.dropWarmup(text.value, 0.5);
    expect(Array.from(r.value.latency, (u) => latencyUs(u, r.value.unitNs))).toEqual([...trimmed.samples]);
    expect(r.value.warmupDropped).toBe(text.value.samples.length - trimmed.samples.length);
    expect(r.value.firstTx).toBe(trimmed.txTimes[0]);
    expect(r.value.rxUs![0]).toBe(Math.round((trimmed.rxTimes[0]! - trimmed.txTimes[0]!) * 1e6));
    expect(r.value.rxUs![10]).toBe(Math.round((trimmed.rxTimes[10]! - trimmed.txTimes[0]!) * 1e6));
    // A UDP reply may overtake a slow earlier one: its arrival is still after the first send.
    const overtaken = parseFullLogBytes('packet, txTime(sec), rxTime(sec), latency(usec)\n0, 1.000000000, 1.000900000, 450.000\n1, 1.000010000, 1.000050000, 20.000\n-----\n', { times: 'rx-us' });
    expect(overtaken.ok && [...overtaken.value.rxUs!]).toEqual([900, 50]);
    expect(r.value.lastRx).toBe(trimmed.rxTimes[trimmed.rxTimes.length - 1]);
  });

  it('reads the ≤3.3 two-column log as half of the exact time difference', () => {
    const r = parseFullLogBytes('txTime, rxTime\n1.000000000, 1.000100001\n2.000000000, 2.000050000\n-----\n');
    expect(r.ok && r.value.unitNs).toBe(0.5);
    expect(r.ok && Array.from(r.value.latency, (u) => latencyUs(u, 0.5))).toEqual([50.0005, 25]);
  });

  it('stops a log past its row limit with a clear failure', () => {
    const r = parseFullLogBytes(bytes('pp_udp_m64_t2_fulllog'), { maxRows: 100 });
    expect(!r.ok && r.failure).toEqual({ kind: 'too-many-samples', message: expect.stringContaining('more than 100 rows') });
  });
});
