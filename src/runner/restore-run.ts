// `vfbench restore RUN_DIR`: re-apply the path state a run recorded before its first switch.
import { RunDir } from '../results/run-dir.js';
import { parseScenario } from '../scenario/load.js';
import { LocalHost } from '../hosts/local.js';
import { describeRestore, restoreOriginals } from '../paths/restore.js';
import { UserError } from '../util/errors.js';
import { raw } from '../util/shell.js';
import type { Host } from '../hosts/host.js';
import { connectHosts } from './connect.js';
import { scenarioHostNames, type Manifest } from './run.js';

/**
 * Stop processes whose stdout is a file in the run's scratch folder (/tmp/vfbench.<run id>.*) and remove
 * the folder. Returns a problem text, or undefined.
 */
async function cleanupRun(host: Host, runId: string): Promise<string | undefined> {
  if (!/^[0-9TZ]+-[0-9a-f]+$/.test(runId)) return `unexpected run id ${runId}`;
  const script =
    `for p in /proc/[0-9]*; do case "$(readlink $p/fd/1 2>/dev/null)" in /tmp/vfbench.${runId}.*) kill -9 "\${p#/proc/}" 2>/dev/null;; esac; done; ` +
    `rm -rf /tmp/vfbench.${runId}.*`;
  const r = await host.exec([raw(script)]);
  return r.code === 0 ? undefined : `cleanup exited ${r.code}: ${r.stderr.trim()}`;
}

export async function restoreRun(path: string, opts: { dryRun?: boolean; acceptNewHostKeys?: boolean } = {}): Promise<{ lines: string[]; problems: string[] }> {
  const dir = await RunDir.open(path).catch((e: Error) => {
    throw new UserError(e.message);
  });
  const manifest = await dir.readManifest<Manifest>();
  const originals = manifest.originalPathState ?? [];
  if (originals.length === 0) return { lines: ['nothing to restore: the run switched nothing'], problems: [] };
  const plan = describeRestore(originals);
  if (opts.dryRun) return { lines: plan.map((l) => `would run: ${l}`), problems: [] };
  const scenario = parseScenario(manifest.scenarioText, manifest.scenarioFile);
  if (scenario.inventoryProblem) throw new UserError(scenario.inventoryProblem);
  const needed = new Set([...scenarioHostNames(scenario)].filter((h) => originals.some((o) => o.host === h)));
  const hosts = await connectHosts(scenario, needed, { acceptNewHostKeys: opts.acceptNewHostKeys });
  try {
    const problems = await restoreOriginals(originals, {
      hosts,
      local: new LocalHost('local', scenario.ssh.command_timeout * 1000),
      keep: (label, out) => dir.keepControllerOutput(label, out),
    });
    // Tools a killed run left running, and its scratch folders: found by where their output goes.
    for (const [name, host] of hosts) {
      const left = await cleanupRun(host, manifest.id).catch((e: Error) => `cleanup failed: ${e.message}`);
      if (left) problems.push(`${name}: ${left}`);
    }
    const m = manifest as Manifest & { restored?: string };
    m.restored = new Date().toISOString();
    m.restoreProblems = problems.length > 0 ? problems : undefined;
    if (m.status === 'running') m.status = 'interrupted';
    await dir.writeManifest(m);
    return { lines: plan.map((l) => `restored: ${l}`), problems };
  } finally {
    await Promise.all([...hosts.values()].map((h) => h.close()));
  }
}
