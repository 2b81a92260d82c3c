// `vfbench doctor [SCENARIO]`: check the hosts (src/cli/doctor.ts does the work); --install brings tools.
import { command, out, HOST_OPTIONS } from '../command.js';
import { EXIT } from '../../util/errors.js';
import type { DoctorResult } from '../doctor.js';

function printChecks(checks: DoctorResult[]): void {
  for (const c of checks) {
    out(`${c.host} (${c.ssh}): ${c.problems.length === 0 ? 'ok' : `${c.problems.length} problem${c.problems.length > 1 ? 's' : ''}`}`);
    for (const p of c.problems) out(`  ✗ ${p}`);
    for (const n of c.notes) out(`  · ${n}`);
    if (!c.install) continue;
    for (const cmd of c.install.commands) out(`  ${c.install.ran ? 'ran' : 'would run'}: ${cmd}`);
    if (c.install.commands.length === 0) out('  nothing to install');
    if (c.install.error) out(`  ✗ ${c.install.error}`);
  }
}

export default command({
  command: 'doctor [scenario]',
  describe: 'check the hosts: tools and versions, interfaces, VFs; --install brings missing tools',
  builder: (y) =>
    y
      .positional('scenario', { type: 'string', describe: 'check the hosts and needs of this scenario' })
      .option('host', { type: 'string', array: true, describe: 'check user@host[:port] (or "local") instead' })
      .option('key', { type: 'string', describe: 'SSH key for --host' })
      .option('known-hosts', { type: 'string', describe: 'known_hosts for --host' })
      .options(HOST_OPTIONS)
      .option('install', { type: 'boolean', default: false, describe: 'install missing tools with the host\'s package manager' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'with --install: print the commands only' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
      .example('$0 doctor scenarios/azure-example.yaml --install', 'check both VMs, install the missing tools; exit 4 while a problem remains'),
  handler: async (argv) => {
    const r = await (await import('../doctor.js')).doctor({
      scenarioFile: argv.scenario,
      hosts: argv.host,
      key: argv.key,
      knownHosts: argv['known-hosts'],
      acceptNewHostKeys: argv['accept-new-host-keys'],
      sshConfig: argv['ssh-config'],
      install: argv.install,
      dryRun: argv['dry-run'],
    });
    if (argv.json) out(JSON.stringify(r, null, 2));
    else printChecks(r);
    return r.some((c) => c.problems.length > 0 || c.install?.error) ? EXIT.environment : EXIT.ok;
  },
});
