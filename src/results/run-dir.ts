// The run directory (DESIGN.md): manifest.json, records.jsonl (append-only, flushed per trial), raw/,
// analysis/, figures/, report.html.
import { mkdir, open, readFile, rename, writeFile, stat, type FileHandle } from 'node:fs/promises';
import { join, basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { VFBENCH_VERSION } from '../util/version.js';
import type { TrialRecord } from './record.js';
import { RECORD_SCHEMA } from './record.js';
import { UserError } from '../util/errors.js';
import { redact } from '../util/secrets.js';
import { faultPoint } from '../util/faults.js';
import { readManifest, type Manifest } from './manifest.js';

export const MANIFEST = 'manifest.json';
export const RECORDS = 'records.jsonl';

export class RunDir {
  constructor(readonly path: string) {}

  get id(): string {
    return basename(this.path);
  }
  get rawDir(): string {
    return join(this.path, 'raw');
  }
  get analysisDir(): string {
    return join(this.path, 'analysis');
  }
  get figuresDir(): string {
    return join(this.path, 'figures');
  }

  /** results/<scenario>/<UTC timestamp>-<short id>/ */
  static async create(root: string, scenarioName: string, now = new Date()): Promise<RunDir> {
    const dir = RunDir.plan(root, scenarioName, now);
    await dir.create();
    return dir;
  }

  /** The run directory a new run will use (its id names the run's folders on the hosts); not made yet. */
  static plan(root: string, scenarioName: string, now = new Date()): RunDir {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return new RunDir(join(root, scenarioName, `${stamp}-${randomBytes(3).toString('hex')}`));
  }

  async create(): Promise<void> {
    await mkdir(join(this.path, 'raw'), { recursive: true });
  }

  static async open(path: string): Promise<RunDir> {
    const s = await stat(join(path, MANIFEST)).catch(() => undefined);
    if (!s) throw new UserError(`${path} is not a vfbench run directory (no ${MANIFEST})`);
    return new RunDir(path);
  }

  /** Keep the output of a path controller's command in raw/controller/<label>.{stdout,stderr}. */
  async keepControllerOutput(label: string, out: { stdout: string; stderr: string }): Promise<void> {
    await mkdir(join(this.rawDir, 'controller'), { recursive: true });
    // A command may print what it was given (a token): kept redacted.
    await writeFile(join(this.rawDir, 'controller', `${label}.stdout`), redact(out.stdout));
    await writeFile(join(this.rawDir, 'controller', `${label}.stderr`), redact(out.stderr));
  }

  rawPath(trialId: string, suffix: string): string {
    return join(this.rawDir, `${trialId}.${suffix}`);
  }

  get samplesDir(): string {
    return join(this.path, 'samples');
  }

  /** A trial's sample store files (results/sample-store.ts): `arrow` (arrival order) or `sorted.arrow`. */
  samplesPath(trialId: string, suffix: 'arrow' | 'sorted.arrow'): string {
    return join(this.samplesDir, `${trialId}.${suffix}`);
  }

  /**
   * Append one record and fsync it before returning (a crash loses at most the trial in flight); always on
   * a fresh line, so a torn line before it cannot swallow it.
   */
  async appendRecord(record: TrialRecord): Promise<void> {
    const fh = await open(join(this.path, RECORDS), 'a+');
    try {
      const { size } = await fh.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await fh.read(last, 0, 1, size - 1);
      const text = (size > 0 && last[0] !== 0x0a ? '\n' : '') + JSON.stringify(record) + '\n';
      faultPoint('appending', { fd: fh.fd, text: text.slice(0, text.length >> 1) });
      await fh.write(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /**
   * A last line a crash tore (not JSON, or no newline at its end) is moved to records.jsonl.torn and cut
   * from the records, so that its trial runs again on resume. Returns what was done, for the log.
   */
  async setAsideTorn(): Promise<string | undefined> {
    const path = join(this.path, RECORDS);
    const fh = await open(path, 'r+').catch(() => undefined);
    if (!fh) return undefined;
    try {
      const { start, line, endsWithNewline } = await lastLine(fh);
      if (!line.trim() || (endsWithNewline && isJson(line))) return undefined;
      await writeFile(`${path}.torn`, `${line}\n`, { flag: 'a' });
      await fh.truncate(start);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return `${path}: its last line was torn (a crash while writing it): kept in ${basename(path)}.torn; that trial runs again`;
  }

  /**
   * All records, read line by line (the file is never held whole); a torn last line (crash mid-write) is
   * ignored. Records of another schema version are refused, naming the version this vfbench reads.
   */
  async readRecords(): Promise<TrialRecord[]> {
    const path = join(this.path, RECORDS);
    const out: TrialRecord[] = [];
    if (!existsSync(path)) return out;
    let torn: string | undefined;
    let n = 0;
    for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
      n++;
      if (!line.trim()) continue;
      // Only the last line may be torn: a bad line with a line after it is a broken file.
      if (torn) throw new UserError(torn);
      let rec: TrialRecord;
      try {
        rec = JSON.parse(line) as TrialRecord;
      } catch (err) {
        torn = `${path}:${n}: not JSON: ${(err as Error).message}`;
        continue;
      }
      if (rec.schema !== RECORD_SCHEMA) {
        throw new UserError(`${path}:${n}: a record of schema ${JSON.stringify(rec.schema)}; this vfbench (${VFBENCH_VERSION}) reads record schema ${RECORD_SCHEMA}${typeof rec.schema === 'number' && rec.schema > RECORD_SCHEMA ? ': analyze it with the vfbench that made it, or a newer one' : ''}`);
      }
      out.push(rec);
    }
    return out;
  }

  /** The latest record of each trial (a failed trial re-run on resume supersedes its earlier record). */
  async latestRecords(): Promise<TrialRecord[]> {
    const byId = new Map<string, TrialRecord>();
    for (const r of await this.readRecords()) byId.set(r.trial, r);
    return [...byId.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The manifest, checked (results/manifest.ts); `T` only for callers that still name a type. */
  async readManifest<T = Manifest>(): Promise<NoInfer<T>> {
    return (await readManifest(join(this.path, MANIFEST))) as unknown as T;
  }

  /** Write via a temporary file and rename, so a reader never sees half a manifest. */
  async writeManifest(manifest: unknown): Promise<void> {
    await writeJsonAtomic(join(this.path, MANIFEST), manifest);
  }
}

/**
 * Write via a temporary file, fsync it, rename it, fsync the folder (so the rename itself is on disk): a
 * crash at any byte leaves the old file or the new one.
 */
export async function writeJsonAtomic(path: string, data: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(JSON.stringify(data, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/**
 * The last non-empty line of a file and the byte where it starts, read back from the end in 64 kB steps
 * (a record is a few kB; records.jsonl of a long run can be hundreds of MB).
 */
async function lastLine(fh: FileHandle): Promise<{ start: number; line: string; endsWithNewline: boolean }> {
  const { size } = await fh.stat();
  let tail = Buffer.alloc(0);
  let from = size;
  let end = -1;
  let nl = -1;
  while (from > 0) {
    const n = Math.min(65536, from);
    from -= n;
    const chunk = Buffer.alloc(n);
    await fh.read(chunk, 0, n, from);
    tail = Buffer.concat([chunk, tail]);
    end = tail.length;
    while (end > 0 && tail[end - 1] === 0x0a) end--;
    nl = end > 0 ? tail.lastIndexOf(0x0a, end - 1) : -1;
    if (nl >= 0) break;
  }
  return { start: from + nl + 1, line: tail.subarray(nl + 1, Math.max(end, 0)).toString('utf8'), endsWithNewline: size > 0 && tail[tail.length - 1] === 0x0a };
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}
