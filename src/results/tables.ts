// The tidy tables (docs/tables.md): every table in long form, written twice with the same columns, as CSV
// and as JSON lines, row by row (a run of 100 000 trials has millions of rows; none is held as one string).
// Every row begins with the run (run_id, scenario, one column per label) and the point's identity, so the
// tables of many runs concatenate (pandas, DuckDB `union_by_name`) without losing where a row came from.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { pointVariantKey, type MeasuredPoint } from './point.js';

export type Cell = string | number | boolean | null | undefined;
export type TableRow = Record<string, Cell>;

/** A run as the first columns of its rows: its id, its scenario, its labels (by name). */
export interface RunColumns {
  runId: string;
  scenario: string;
  labels: Record<string, string>;
}

/** Label columns in name order, so every table of a run has them in the same place. */
export const labelColumns = (labels: Record<string, string>): string[] => Object.keys(labels).sort();

export const runCells = (run: RunColumns): TableRow => ({ run_id: run.runId, scenario: run.scenario, ...run.labels });

/** The point's identity: the same columns, in this order, in every table (units in the names). */
export const POINT_COLUMNS = ['point', 'test', 'tool', 'mode', 'protocol', 'size_bytes', 'streams', 'pair', 'group', 'bg_rate_pkt_s'];

/** The `point` string of the tables: results/point.ts's key without its variant (the variant is a column). */
export function tablePoint(p: MeasuredPoint): string {
  const key = pointVariantKey(p, '');
  return key.slice(0, -1);
}

export function pointCells(p: MeasuredPoint): TableRow {
  return {
    point: tablePoint(p),
    test: p.test,
    tool: p.tool,
    mode: p.mode,
    protocol: p.protocol,
    size_bytes: p.size,
    streams: p.streams ?? 1,
    pair: p.pair,
    group: p.group,
    bg_rate_pkt_s: p.rate,
  };
}

/**
 * The point of a pointVariantKey (test|tool|mode|protocol|size|streams|[group.]pair<n>|[bg<rate>|]variant):
 * compare and baseline files know their points only by it. A key vfbench 0.1 gave a grouped point (the group
 * without the pair) has no pair.
 */
export function pointOfKey(key: string, variant: string): TableRow {
  const parts = key.endsWith(`|${variant}`) ? key.slice(0, -variant.length - 1).split('|') : key.split('|');
  const [test, tool, mode, protocol, size, streams, slot, bg] = parts;
  const pair = /^(?:(.+)\.)?pair(\d+)$/.exec(slot ?? '');
  const rate = /^bg(\d+(?:\.\d+)?)$/.exec(bg ?? '');
  return {
    point: parts.join('|'),
    test,
    tool,
    mode,
    protocol,
    size_bytes: size === undefined ? undefined : Number(size),
    streams: streams === undefined ? undefined : Number(streams),
    pair: pair ? Number(pair[2]) : undefined,
    group: pair ? pair[1] : slot,
    bg_rate_pkt_s: rate ? Number(rate[1]) : undefined,
  };
}

const csvCell = (v: Cell): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const jsonCell = (v: Cell): Cell => (v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v);

/** A stream that waits when the disk is slower than the rows come (bounded memory), written in chunks. */
class LineSink {
  private buf: string[] = [];
  private size = 0;
  private readonly out: WriteStream;
  constructor(path: string) {
    this.out = createWriteStream(path);
  }
  /** A promise only when the chunk went to the stream (awaiting every line costs more than writing it). */
  push(line: string): Promise<void> | undefined {
    this.buf.push(line);
    this.size += line.length;
    return this.size >= 1 << 16 ? this.flush() : undefined;
  }
  private async flush(): Promise<void> {
    if (!this.out.write(this.buf.join(''))) await once(this.out, 'drain');
    [this.buf, this.size] = [[], 0];
  }
  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await finished(this.out);
  }
}

/**
 * NAME.csv and NAME.jsonl in dir: the same columns (every row has every key; missing is empty in CSV, null in
 * JSON) in the order given. Returns the number of rows.
 */
export async function writeTable(dir: string, name: string, columns: string[], rows: Iterable<TableRow> | AsyncIterable<TableRow>): Promise<number> {
  const csv = new LineSink(join(dir, `${name}.csv`));
  const jsonl = new LineSink(join(dir, `${name}.jsonl`));
  // Each row's JSON built by column (its keys quoted once): a run of 100 000 trials has millions of rows.
  const keys = columns.map((c, i) => `${i ? ',' : '{'}${JSON.stringify(c)}:`);
  const emit = (row: TableRow): Promise<unknown> | undefined => {
    let [c, j] = ['', ''];
    for (let i = 0; i < columns.length; i++) {
      const v = row[columns[i]!];
      c += (i ? ',' : '') + csvCell(v);
      j += keys[i] + JSON.stringify(jsonCell(v));
    }
    const [wc, wj] = [csv.push(c + '\n'), jsonl.push(j + '}\n')];
    return wc || wj ? Promise.all([wc, wj]) : undefined;
  };
  let n = 0;
  try {
    csv.push(columns.map(csvCell).join(',') + '\n');
    // A sync source is iterated synchronously: awaiting each of millions of rows costs more than writing it.
    if (Symbol.asyncIterator in rows) {
      for await (const row of rows) {
        await emit(row);
        n++;
      }
    } else {
      for (const row of rows) {
        const wait = emit(row);
        if (wait) await wait;
        n++;
      }
    }
  } finally {
    await Promise.all([csv.close(), jsonl.close()]);
  }
  return n;
}

/** A small CSV in one string (a figure's data): the fixed columns first, then every other key seen, sorted. */
export function toCsv(rows: TableRow[], fixed: string[]): string {
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !fixed.includes(k)).sort();
  const columns = [...fixed, ...extra];
  return stringify(rows, { header: true, columns, cast: { number: (n) => (Number.isFinite(n) ? String(n) : '') } });
}
