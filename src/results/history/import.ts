// `vfbench history import SRC --db DEST`: every run of one history (with its labels, points, samples and
// verdicts) copied into another, a run per transaction, a page of run ids at a time (never the whole
// history in memory); then the baselines. Runs already in the destination are skipped, not replaced: a
// shared history stays the reference, and importing again adds only what is new.
import type { History } from './store.js';

export interface ImportResult {
  imported: number;
  skipped: number;
  baselines: number;
}

const PAGE = 100;

export async function importHistory(src: History, dest: History, progress?: (done: number) => void): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, skipped: 0, baselines: 0 };
  let after = '';
  for (;;) {
    const ids = await src.runIdsAfter(after, PAGE);
    if (ids.length === 0) break;
    for (const id of ids) {
      const bundle = (await src.bundle(id))!;
      const { added } = await dest.addRun(bundle, { skipExisting: true });
      if (added) result.imported++;
      else result.skipped++;
    }
    after = ids.at(-1)!;
    progress?.(result.imported + result.skipped);
  }
  // A baseline the destination has not chosen yet (for that scenario and selection) comes along.
  // (ON CONFLICT DO NOTHING: one set meanwhile by a nightly job is not replaced.)
  for (const b of await src.baselines()) {
    if (await dest.baselineIfNone(b)) result.baselines++;
  }
  return result;
}
