// What a run that was killed (kill -9, a crash, a lost machine) left on a host: its agents (still waiting
// for vfbench to attach again, with the jobs they kept running), leftover processes, scratch folders.
// `run --resume` and `restore` end them before anything else.
import { ops, type Host } from '../hosts/host.js';

/** End the leftovers of run `runId` on the host; one line per folder found. */
export async function cleanupRun(host: Host, runId: string): Promise<string[]> {
  const found = await host.call(ops.cleanup(runId), 60_000);
  return found.map(
    (f) =>
      `removed ${f.dir} of an earlier session of this run` +
      (f.agent ? ` (stopped its agent, PID ${f.agent}, and the jobs it kept)` : '') +
      (f.killed.length > 0 ? `; killed ${f.killed.length} leftover process${f.killed.length > 1 ? 'es' : ''}` : ''),
  );
}
