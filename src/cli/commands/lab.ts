// `vfbench lab up|down|status`: the local network-namespace lab.
import { command, err, out } from '../command.js';
import { EXIT } from '../../util/errors.js';
import { DEFAULT_RULES, MAX_PAIRS } from '../../lab/limits.js';
import type { LabOptions } from '../../lab/lab.js';

const lab = () => import('../../lab/lab.js');

type LabFlags = { prefix?: string; block?: number; rules?: number; 'rate-cap'?: string; pairs?: number; 'login-delay'?: number; bastion?: boolean };

async function labOptions(argv: LabFlags): Promise<LabOptions> {
  return (await lab()).defaultLabOptions({
    ...(argv.bastion ? { bastion: true } : {}),
    ...(argv.pairs !== undefined ? { pairs: argv.pairs } : {}),
    ...(argv['login-delay'] !== undefined ? { loginDelay: argv['login-delay'] } : {}),
    ...(argv.prefix ? { prefix: argv.prefix } : {}),
    ...(argv.block !== undefined ? { block: argv.block } : {}),
    ...(argv.rules !== undefined ? { rules: argv.rules } : {}),
    ...(argv['rate-cap'] ? { rateCap: argv['rate-cap'] } : {}),
  });
}

const inventoryPath = (o: LabOptions) => `${o.home}/lab/${o.prefix}/inventory.json`;

async function status(o: LabOptions, json: boolean): Promise<number> {
  const s = await (await lab()).labStatus(o);
  if (json) out(JSON.stringify(s, null, 2));
  else {
    out(`lab ${o.prefix}: ${s.up ? 'up' : 'down'}`);
    for (const [k, v] of Object.entries(s.namespaces)) out(`  namespace ${k}: ${v ? 'present' : 'absent'}`);
    for (const [k, v] of Object.entries(s.sshd)) out(`  sshd ${k}: ${v ? 'running' : 'not running'}`);
    for (const [k, v] of Object.entries(s.links)) out(`  link ${k}: ${v}`);
    if (s.rules !== undefined) out(`  vswitch rules: ${s.rules}${s.rateCap ? `, rate cap ${s.rateCap}` : ''}; pairs: ${s.pairs}; login delay: ${s.loginDelay ?? 0} s${s.bastion ? '; behind a bastion' : ''}`);
  }
  return s.up ? EXIT.ok : EXIT.environment;
}

export default command({
  command: 'lab <action>',
  describe: 'the local network-namespace lab that stands in for pairs of VMs (root)',
  builder: (y) =>
    y
      .positional('action', { choices: ['up', 'down', 'status'] as const, demandOption: true, describe: 'build (or reconfigure), remove, or show the lab' })
      .option('rules', { type: 'number', describe: `nftables rules on the synthetic path (default ${DEFAULT_RULES})` })
      .option('rate-cap', { type: 'string', describe: 'rate cap on the synthetic path, e.g. 2gbit' })
      .option('pairs', { type: 'number', describe: `client/server pairs sharing the vswitch, 1..${MAX_PAIRS} (default 1)` })
      .option('login-delay', { type: 'number', describe: 'seconds every SSH login to a lab VM costs, like a slow ~/.bashrc (default 0)' })
      .option('bastion', { type: 'boolean', default: false, describe: 'up: guests reachable only through a jump host with its own sshd; writes an ssh_config of aliases (<prefix>-vm1 …)' })
      .option('prefix', { type: 'string', describe: 'name prefix (several labs can coexist)' })
      .option('block', { type: 'number', describe: 'address block 0..63 inside 198.18.0.0/16' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout (up: the inventory; status: the state)' })
      .example('$0 lab up --pairs 4 --login-delay 0.5', 'four pairs; every SSH login costs 0.5 s, like a slow ~/.bashrc')
      .example('$0 lab up --bastion', 'guests only through a jump host; ssh -F ~/.vfbench/lab/vfb/ssh_config vfb-vm1')
      .example('$0 lab status --json', 'namespaces, sshds, links, rules as JSON'),
  handler: async (argv) => {
    const o = await labOptions(argv);
    if (argv.action === 'status') return status(o, argv.json);
    if (argv.action === 'up') {
      const inv = await (await lab()).labUp(o, err);
      out(argv.json ? JSON.stringify({ inventory: inventoryPath(o), ...inv }, null, 2) : `inventory: ${inventoryPath(o)}`);
    } else {
      await (await lab()).labDown(o, err);
      out(argv.json ? JSON.stringify({ lab: o.prefix, up: false }, null, 2) : `lab ${o.prefix} is down`);
    }
  },
});
