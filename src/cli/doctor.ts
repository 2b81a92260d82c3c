// The doctor command's plumbing: which hosts to check, with which needs, and installing.
import { TOOL_NAMES } from '../tools/registry.js';
import { controllerOf } from '../paths/registry.js';
import { resolve } from 'node:path';
import { loadScenario } from '../scenario/load.js';
import { connectHosts, type HostSource } from '../runner/connect.js';
import { BOTH_ROLES, checkHost, installMissing, type HostCheck, type HostRoles, type InstallReport } from '../runner/doctor.js';
import { EnvironmentError, UserError } from '../util/errors.js';

export interface DoctorOptions {
  scenarioFile?: string;
  hosts?: string[];
  key?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  sshConfig?: string;
  install?: boolean;
  dryRun?: boolean;
}

export type DoctorResult = HostCheck & { install?: InstallReport };

/** The --host targets as a host source, so they connect exactly like a scenario's hosts. */
function adHocHosts(targets: string[], o: DoctorOptions): HostSource {
  return {
    file: resolve('doctor'),
    hosts: Object.fromEntries(targets.map((t, i) => [`host${i + 1}`, { ssh: t, data: '127.0.0.1', key: o.key, known_hosts: o.knownHosts }])),
    ssh: { command_timeout: 600, reconnect_timeout: 60, compress: 'auto', key: o.key, known_hosts: o.knownHosts },
  };
}

export async function doctor(o: DoctorOptions): Promise<DoctorResult[]> {
  if (!o.scenarioFile && !o.hosts?.length) throw new UserError('name a scenario, or --host user@host (or --host local)');
  let source: HostSource;
  let names: string[];
  // What a scenario needs of its hosts; --host targets are checked for every tool.
  let tools = TOOL_NAMES;
  let interfaces: string[] = [];
  let rolesOf = (_name: string): HostRoles => BOTH_ROLES;
  if (o.scenarioFile) {
    const s = await loadScenario(o.scenarioFile);
    if (s.inventoryProblem) throw new EnvironmentError(s.inventoryProblem);
    source = s;
    names = [...new Set(s.pairs.flatMap((p) => [p.client, p.server]))];
    // The tests' tools and their background loads' (iperf3 or sockperf, on both hosts of a pair).
    tools = [...new Set(s.tests.flatMap((t) => [t.tool, ...(t.background ? [t.background.tool] : [])]))];
    // A client needs the tools' client binaries, a server their servers (ping's server needs nothing).
    rolesOf = (name) => new Set(s.pairs.flatMap((p) => [...(p.client === name ? (['client'] as const) : []), ...(p.server === name ? (['server'] as const) : [])]));
    interfaces = [...new Set([...Object.values(s.variants).flatMap((v) => controllerOf(v).guestInterfaces?.(v) ?? []), ...(s.verify ? [s.verify.accelerated, s.verify.synthetic].filter((x): x is string => !!x) : [])])];
  } else {
    source = adHocHosts(o.hosts!, o);
    names = Object.keys(source.hosts);
  }
  const hosts = await connectHosts(source, names, { acceptNewHostKeys: o.acceptNewHostKeys, sshConfig: o.sshConfig });
  const results: DoctorResult[] = [];
  try {
    for (const [name, host] of hosts) {
      const c: DoctorResult = await checkHost(name, host, tools, interfaces, rolesOf(name));
      if (o.install) {
        c.install = await installMissing(host, c.missing, o.dryRun ?? false);
        if (c.install.ran && !c.install.error) {
          // Check again: what the package manager brought is what counts.
          const again = await checkHost(name, host, tools, interfaces, rolesOf(name));
          Object.assign(c, { ...again, install: c.install });
        }
      }
      results.push(c);
    }
  } finally {
    await Promise.all([...hosts.values()].map((h) => h.close()));
  }
  return results;
}
