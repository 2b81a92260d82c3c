// `vfbench restore RUN_DIR`: re-apply the path state a run recorded before its first switch.
import { RunDir } from '../results/run-dir.js';
import { parseScenario, type Scenario } from '../scenario/load.js';
import { LocalHost } from '../hosts/local.js';
import { checkStoredCommands, describeRestore, restoreOriginals, storedSecretRefs } from '../paths/restore.js';
import { EnvironmentError, UserError } from '../util/errors.js';
import { connectHosts } from './connect.js';
import { cleanupRun } from './cleanup.js';
import { checkProvenance, lockHosts, scenarioHostNames } from './run.js';
import type { Manifest } from '../results/manifest.js';
import { checkSecrets } from '../util/secrets.js';
import { lockRunDir } from '../results/run-lock.js';

export async function restoreRun(path: string, opts: { dryRun?: boolean; acceptNewHostKeys?: boolean; sshConfig?: string; trust?: boolean } = {}): Promise<{ lines: string[]; problems: string[] }> {
  const dir = await RunDir.open(path).catch((e: Error) => {
    throw new UserError(e.message);
  });
  const manifest = await dir.readManifest();
  const originals = manifest.originalPathState ?? [];
  if (originals.length === 0) return { lines: ['nothing to restore: the run switched nothing'], problems: [] };
  const plan = describeRestore(originals);
  if (opts.dryRun) return { lines: plan.map((l) => `would run: ${l}`), problems: [] };
  checkProvenance(path, manifest, opts.trust);
  const scenario = parseScenario(manifest.scenarioText, manifest.scenarioFile);
  if (scenario.inventoryProblem) throw new EnvironmentError(scenario.inventoryProblem);
  checkStoredCommands(originals, scenario);
  checkSecrets(storedSecretRefs(originals));
  // Not while the run itself still goes on (it restores on its own way out).
  const unlock = await lockRunDir(dir.path, 'restore');
  try {
    return await restoreHosts(dir, manifest, scenario, opts, plan);
  } finally {
    await unlock();
  }
}

async function restoreHosts(dir: RunDir, manifest: Manifest, scenario: Scenario, opts: { acceptNewHostKeys?: boolean; sshConfig?: string }, plan: string[]): Promise<{ lines: string[]; problems: string[] }> {
  const originals = manifest.originalPathState;
  const needed = new Set([...scenarioHostNames(scenario)].filter((h) => originals.some((o) => o.host === h)));
  const hosts = await connectHosts(scenario, needed, { acceptNewHostKeys: opts.acceptNewHostKeys, sshConfig: opts.sshConfig, label: `${manifest.id}-restore` });
  // Hosts another live run holds now are not this run's to switch back.
  await lockHosts(hosts, manifest.id).catch(async (err) => {
    await Promise.all([...hosts.values()].map((h) => h.close()));
    throw err;
  });
  const local = await LocalHost.start('local', scenario.ssh.command_timeout * 1000, `${manifest.id}-restore`).catch(async (err) => {
    await Promise.all([...hosts.values()].map((h) => h.close()));
    throw err;
  });
  try {
    const problems: string[] = [];
    // Tools a killed run left running (its agents kept them to their deadlines), and its scratch folders.
    for (const [name, host] of hosts) {
      await cleanupRun(host, manifest.id).catch((e: Error) => problems.push(`${name}: cleanup failed: ${e.message}`));
    }
    // The killed session's agents shared the host locks and gave them up as they ended: take them.
    await lockHosts(hosts, manifest.id);
    problems.push(
      ...(await restoreOriginals(originals, { hosts, local, keep: (label, out) => dir.keepControllerOutput(label, out) })),
    );
    const m = manifest;
    m.restored = new Date().toISOString();
    m.restoreProblems = problems.length > 0 ? problems : undefined;
    if (m.status === 'running') m.status = 'interrupted';
    await dir.writeManifest(m);
    return { lines: plan.map((l) => `restored: ${l}`), problems };
  } finally {
    await Promise.all([...hosts.values(), local].map((h) => h.close()));
  }
}
