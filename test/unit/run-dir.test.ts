// records.jsonl survives a crash at any byte: a torn last line is ignored by readers, set aside on resume
// (its trial runs again), and the next record always starts on a line of its own.
import { describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../src/results/run-dir.js';
import { RECORD_SCHEMA, type TrialRecord } from '../../src/results/record.js';

const rec = (trial: string, seq: number) => ({ schema: RECORD_SCHEMA, run: 'r', trial, seq, status: 'ok', metrics: {}, raw: [] }) as unknown as TrialRecord;

describe('records.jsonl under crashes', () => {
  it('ignores a torn last line, sets it aside on resume, and appends on a fresh line', async () => {
    const dir = new RunDir(await mkdtemp(join(tmpdir(), 'vfb-rundir-')));
    const file = join(dir.path, 'records.jsonl');
    await dir.appendRecord(rec('t1', 0));
    await dir.appendRecord(rec('t2', 1));
    const torn = JSON.stringify(rec('t3', 2)).slice(0, 40); // a crash 40 bytes into the third record
    await appendFile(file, torn);
    expect((await dir.readRecords()).map((r) => r.trial)).toEqual(['t1', 't2']);
    // Resume: the torn line goes to records.jsonl.torn, t3 is not recorded, so it runs again.
    expect(await dir.setAsideTorn()).toMatch(/its last line was torn .* kept in records\.jsonl\.torn; that trial runs again/);
    expect(await readFile(`${file}.torn`, 'utf8')).toBe(`${torn}\n`);
    expect(await readFile(file, 'utf8')).toBe(`${JSON.stringify(rec('t1', 0))}\n${JSON.stringify(rec('t2', 1))}\n`);
    expect(await dir.setAsideTorn()).toBeUndefined(); // nothing more to do
    await dir.appendRecord(rec('t3', 2));
    expect((await dir.readRecords()).map((r) => r.trial)).toEqual(['t1', 't2', 't3']);
    // Even without the repair, an append never glues itself to a torn line.
    await appendFile(file, '{"schema":1,"tri');
    await dir.appendRecord(rec('t4', 3));
    expect((await readFile(file, 'utf8')).split('\n').slice(-3)).toEqual(['{"schema":1,"tri', JSON.stringify(rec('t4', 3)), '']);
  });

  it('finds the torn line from the end of a large file, across its 64 kB read steps', async () => {
    const dir = new RunDir(await mkdtemp(join(tmpdir(), 'vfb-rundir-')));
    const file = join(dir.path, 'records.jsonl');
    const big = (trial: string, seq: number) => ({ ...rec(trial, seq), note: 'x'.repeat(90_000) }) as unknown as TrialRecord;
    for (let i = 0; i < 3; i++) await dir.appendRecord(big(`t${i}`, i));
    const whole = await readFile(file, 'utf8');
    // A torn line longer than one read step, then one that ends in several newlines but is not JSON.
    const torn = JSON.stringify(big('t3', 3)).slice(0, 70_000);
    await appendFile(file, torn);
    expect(await dir.setAsideTorn()).toMatch(/its last line was torn/);
    expect(await readFile(file, 'utf8')).toBe(whole);
    expect(await readFile(`${file}.torn`, 'utf8')).toBe(`${torn}\n`);
    await appendFile(file, '{"schema":1\n\n\n');
    expect(await dir.setAsideTorn()).toMatch(/its last line was torn/);
    expect(await readFile(file, 'utf8')).toBe(whole);
    // Whole records, however long, are left alone.
    expect(await dir.setAsideTorn()).toBeUndefined();
    expect((await dir.readRecords()).map((r) => r.trial)).toEqual(['t0', 't1', 't2']);
  });
});
