// `vfbench doctor`: what each host has (tools, versions, interfaces, VFs), what a scenario needs of it,
// and with --install the package-manager commands that bring the missing tools.
import type { Host } from '../hosts/host.js';
import { quote, raw } from '../util/shell.js';
import { errorMessage } from '../util/errors.js';
import type { HostFacts } from './facts.js';
import { hostFacts } from './facts.js';
import { discoverVfs } from '../paths/discovery.js';
import { TOOL_LIST, toolOf } from '../tools/registry.js';
import type { PackageManager } from '../tools/tool.js';

/** Binaries a tool needs on a host (netperf's server is netserver; ping has no server). */
/** A host's part in the scenario's pairs: it needs the tools' client binaries, server binaries, or both. */
export type HostRoles = ReadonlySet<'client' | 'server'>;
export const BOTH_ROLES: HostRoles = new Set(['client', 'server']);

const binariesOf = (tool: string, roles: HostRoles): string[] => {
  const b = toolOf(tool).binaries;
  return [...new Set([...(roles.has('client') ? [b.client] : []), ...(roles.has('server') && b.server ? [b.server] : [])])];
};

/** The package that brings a binary with a package manager, as its tool says (else the binary's name). */
function packageOf(binary: string, pm: PackageManager): string {
  const p = TOOL_LIST.map((t) => t.packages[binary]).find((x) => x !== undefined);
  return p?.[pm] ?? p?.['*'] ?? binary;
}

export type { PackageManager };

export interface HostCheck {
  host: string;
  ssh: string;
  facts?: HostFacts;
  problems: string[];
  notes: string[];
  missing: string[];
}

/** Pure: what is wrong with a host for the given tools and interfaces. */
export function checkFacts(name: string, facts: HostFacts, tools: string[], interfaces: string[], roles: HostRoles = BOTH_ROLES): HostCheck {
  const c: HostCheck = { host: name, ssh: facts.ssh, facts, problems: [], notes: [], missing: [] };
  for (const tool of tools) {
    for (const bin of binariesOf(tool, roles)) {
      const v = facts.tools[bin];
      if (!v) {
        c.problems.push(`${bin} is not installed`);
        c.missing.push(bin);
      } else {
        const bad = toolOf(tool).unsupportedVersion(bin, v);
        if (bad) c.problems.push(bad);
        else c.notes.push(`${bin} ${v}`);
      }
    }
  }
  for (const i of interfaces) {
    const f = facts.interfaces.find((x) => x.name === i);
    if (!f) c.problems.push(`interface ${i} does not exist (interfaces: ${facts.interfaces.map((x) => x.name).join(', ')})`);
    else c.notes.push(`interface ${i}: ${f.state}, mtu ${f.mtu}${f.driver ? `, driver ${f.driver}` : ''}${f.bus ? ` at ${f.bus}` : ''}`);
  }
  for (const vf of facts.vfs) c.notes.push(`VF ${vf.name}: driver ${vf.driver}${vf.bus ? `, PCI ${vf.bus}` : ''}, ${vf.state}`);
  // A synthetic NIC paired with its VF (hv_netvsc, virtio failover) shows it as lower_*; bridges and bonds do too, for their ports.
  for (const i of facts.interfaces.filter((x) => x.lower?.length && !['bridge', 'bonding', 'team', 'openvswitch'].includes(x.driver ?? ''))) {
    c.notes.push(`${i.name} is paired with ${i.lower!.join(', ')} (lower_* in sysfs)`);
  }
  if (facts.vfs.length === 0) c.notes.push('no VF device found (no interface with a known VF driver)');
  return c;
}

/** Shell lines a tool needs before its packages install with `pm` (a repository to enable). */
function repositoryLines(missing: string[], pm: PackageManager): string[] {
  const tools = TOOL_LIST.filter((t) => missing.some((m) => m in t.packages));
  return [...new Set(tools.flatMap((t) => t.repository?.[pm] ?? []))];
}

/**
 * Shell commands that install the missing binaries with the host's package manager, enabling the
 * repository a tool's package lives in where needed (Debian non-free, Ubuntu multiverse, EPEL on RHEL-likes).
 */
export function installCommands(pm: PackageManager, missing: string[], os: { fedora?: boolean } = {}): string[] {
  const pkgs = [...new Set(missing.map((m) => packageOf(m, pm)))].sort();
  if (pkgs.length === 0) return [];
  const list = pkgs.join(' ');
  if (pm === 'apt') {
    const cmds = ['apt-get update -q'];
    cmds.push(...repositoryLines(missing, pm));
    cmds.push(`DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${list}`);
    return cmds;
  }
  if (pm === 'dnf' || pm === 'yum') {
    // sockperf and netperf come from EPEL on RHEL, Rocky and Alma; Fedora has them in its own repositories.
    return [...(os.fedora ? [] : [`${pm} install -y epel-release`]), `${pm} install -y ${list}`];
  }
  return [`zypper --non-interactive install ${list}`];
}

const DETECT =
  'for p in apt-get dnf yum zypper; do command -v $p >/dev/null && { echo "pm $p"; break; }; done; ' +
  '. /etc/os-release 2>/dev/null; echo "os ${ID:-unknown} ${ID_LIKE:-}"; echo "uid $(id -u)"';

export async function detectPackageManager(host: Host): Promise<{ pm?: PackageManager; fedora: boolean; root: boolean }> {
  const out = await host.run([raw(DETECT)]);
  const pm = /^pm (\S+)/m.exec(out)?.[1];
  const os = /^os (.*)$/m.exec(out)?.[1] ?? '';
  return {
    pm: pm === 'apt-get' ? 'apt' : (pm as PackageManager | undefined),
    fedora: /^fedora\b/.test(os),
    root: /^uid 0$/m.test(out),
  };
}

export interface InstallReport {
  commands: string[];
  ran: boolean;
  output?: string;
  error?: string;
}

/** Install what `missing` names on the host (sudo -n when not root). dryRun: only say what would run. */
export async function installMissing(host: Host, missing: string[], dryRun: boolean): Promise<InstallReport> {
  const d = await detectPackageManager(host);
  if (!d.pm) return { commands: [], ran: false, error: 'no known package manager (apt-get, dnf, yum, zypper) on this host' };
  const commands = installCommands(d.pm, missing, d).map((c) => (d.root ? c : `sudo -n sh -c ${quote(c)}`));
  if (dryRun || commands.length === 0) return { commands, ran: false };
  const r = await host.exec([raw(commands.join(' && '))], { timeoutMs: 15 * 60_000 });
  if (r.code !== 0) return { commands, ran: true, output: r.stdout + r.stderr, error: `installing failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  return { commands, ran: true, output: r.stdout };
}

export async function checkHost(name: string, host: Host, tools: string[], interfaces: string[], roles: HostRoles = BOTH_ROLES): Promise<HostCheck> {
  try {
    const c = checkFacts(name, await hostFacts(host), tools, interfaces, roles);
    for (const p of await discoverVfs(host)) {
      c.notes.push(`VF ${p.vf} paired with ${p.synthetic} (${p.by === 'lower' ? 'sysfs lower_*' : 'same MAC'})${p.model ? `: ${p.model}` : ''}${p.pciId ? ` [${p.pciId}]` : ''}${p.driver ? `, driver ${p.driver}` : ''}${p.pci ? ` at ${p.pci}` : ''}`);
    }
    return c;
  } catch (err) {
    return { host: name, ssh: host.describe(), problems: [`cannot read facts: ${errorMessage(err)}`], notes: [], missing: [] };
  }
}
