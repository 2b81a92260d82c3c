#!/usr/bin/env node
// vfbench command line: lab, validate, plan, run, analyze, report.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { resolve, join, dirname } from 'node:path';
import { stat } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { loadScenario, ScenarioError } from '../scenario/load.js';
import { makePlan } from '../scenario/plan.js';
import { formatSeconds } from '../util/duration.js';
import { EnvironmentError, EXIT, UserError, errorMessage } from '../util/errors.js';
import { defaultLabOptions, labDown, labStatus, labUp, DEFAULT_RULES, MAX_PAIRS } from '../lab/lab.js';
import type { RunEvent } from '../runner/run.js';
import { PARSE_TOOLS } from './parse.js';
import { usageMessage, UsageError, type UsageOf } from './usage.js';
import { formatMetric, headlineMetrics, metricLabel } from '../analysis/metrics.js';
import type { RenderedFigure } from '../charts/render.js';
import { VFBENCH_VERSION } from '../util/version.js';

// The heavy modules (vega and resvg for figures, sql.js, ssh2, Arrow) load with the commands that use
// them: `vfbench --version`, `plan` or `parse` start in a few tens of milliseconds.
const stages = () => import('./stages.js');
const runner = () => import('../runner/run.js');
const history = () => import('./history.js');
const historyDb = () => import('../results/history.js');
const comparing = () => import('./compare.js');

/** A host lost outside a trial, by class name (their modules load lazily, with the commands that use them). */
const ENVIRONMENT_ERRORS = new Set(['HostDown', 'ConnectionLost']);

/** How commands that reach hosts find them and trust their keys. */
const HOST_OPTIONS = {
  'accept-new-host-keys': { type: 'boolean', default: false, describe: 'add unknown host keys to known_hosts (a changed key is still refused)' },
  'ssh-config': { type: 'string', describe: 'ssh_config file to read instead of the scenario\'s ssh.config or ~/.ssh/config (Host aliases, ProxyJump, keys)' },
} as const;

const COMMANDS = ['lab', 'validate', 'plan', 'run', 'nightly', 'history', 'restore', 'parse', 'doctor', 'compare', 'baseline', 'analyze', 'report'];

const out = (s: string) => process.stdout.write(s + '\n');
const err = (s: string) => process.stderr.write(s + '\n');

function labOpts(argv: { prefix?: string; block?: number; rules?: number; 'rate-cap'?: string; pairs?: number; 'login-delay'?: number; bastion?: boolean }) {
  return defaultLabOptions({
    ...(argv.bastion ? { bastion: true } : {}),
    ...(argv.pairs !== undefined ? { pairs: argv.pairs } : {}),
    ...(argv['login-delay'] !== undefined ? { loginDelay: argv['login-delay'] } : {}),
    ...(argv.prefix ? { prefix: argv.prefix } : {}),
    ...(argv.block !== undefined ? { block: argv.block } : {}),
    ...(argv.rules !== undefined ? { rules: argv.rules } : {}),
    ...(argv['rate-cap'] ? { rateCap: argv['rate-cap'] } : {}),
  });
}

/** Progress: a bar with ETA on a terminal, one line per trial otherwise (CI logs). */
function progressReporter(): (e: RunEvent) => void {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  return (e) => {
    if (e.type === 'start') {
      err(`run directory: ${e.dir}`);
      err(`${e.total} trials to run${e.skipped ? ` (${e.skipped} already recorded)` : ''}, estimated ${formatSeconds(e.estimateSeconds)}`);
      if (tty) {
        bar = new cliProgress.SingleBar(
          { format: '{bar} {value}/{total} trials | ETA {eta_formatted} | {trial}', etaBuffer: 20, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(e.total, 0, { trial: '' });
      }
    } else if (e.type === 'trial-start') {
      bar?.update(e.index, { trial: e.trial.id });
    } else if (e.type === 'trial-end') {
      const r = e.record;
      const detail =
        r.status === 'failed'
          ? `${r.failure?.kind}: ${r.failure?.message}`
          : `${headlineMetrics(r.metrics, 2).map((m) => `${metricLabel(m)} ${formatMetric(m, r.metrics[m])}`).join(', ')}, ` +
            (r.switchover
              ? `switchover: gap ${r.switchover.gapMs.toFixed(1)} ms, ${r.switchover.lost} lost, path ${r.switchover.segments.map((x) => x.observed ?? '?').join(' → ')}`
              : `path ${r.verification?.observed ?? 'unverified'}`) +
            (r.background && r.background.targetPps > 0 ? `, background ${Math.round(r.background.sentPps ?? 0)}/${r.background.targetPps} pkt/s` : '') +
            (r.batch?.skewMs !== undefined ? `, start skew ${r.batch.skewMs.toFixed(1)} ms` : '') +
            (r.status === 'invalid' ? ` — INVALID: ${r.verification?.reason}` : '');
      if (bar) {
        bar.update(e.index + 1, { trial: r.trial });
        if (r.status !== 'ok') {
          bar.stop();
          err(`${r.trial}: ${r.status}: ${detail}`);
          bar.start(e.total, e.index + 1, { trial: r.trial });
        }
      } else {
        err(`[${e.index + 1}/${e.total}] ${r.trial}: ${r.status}: ${detail}`);
      }
    } else if (e.type === 'log') {
      bar?.stop();
      err(e.message);
    }
    if (e.type === 'trial-end' && e.index + 1 === e.total) bar?.stop();
  };
}

async function main(): Promise<number> {
  let exitCode = 0;
  const cli = yargs(hideBin(process.argv))
    .scriptName('vfbench')
    .usage('$0 <command>\n\nMeasure what accelerated networking (SR-IOV VFs) buys a pair of VMs.')
    .command('lab <action>', 'the local network-namespace lab that stands in for pairs of VMs (root)', (y) =>
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
      async (argv) => {
        const o = labOpts(argv);
        if (argv.action === 'up') {
          const inv = await labUp(o, err);
          if (argv.json) out(JSON.stringify({ inventory: labStatusPath(o), ...inv }, null, 2));
          else out(`inventory: ${labStatusPath(o)}`);
        } else if (argv.action === 'down') {
          await labDown(o, err);
          if (argv.json) out(JSON.stringify({ lab: o.prefix, up: false }, null, 2));
          else out(`lab ${o.prefix} is down`);
        } else {
          const s = await labStatus(o);
          if (argv.json) out(JSON.stringify(s, null, 2));
          else {
            out(`lab ${o.prefix}: ${s.up ? 'up' : 'down'}`);
            for (const [k, v] of Object.entries(s.namespaces)) out(`  namespace ${k}: ${v ? 'present' : 'absent'}`);
            for (const [k, v] of Object.entries(s.sshd)) out(`  sshd ${k}: ${v ? 'running' : 'not running'}`);
            for (const [k, v] of Object.entries(s.links)) out(`  link ${k}: ${v}`);
            if (s.rules !== undefined) out(`  vswitch rules: ${s.rules}${s.rateCap ? `, rate cap ${s.rateCap}` : ''}; pairs: ${s.pairs}; login delay: ${s.loginDelay ?? 0} s${s.bastion ? '; behind a bastion' : ''}`);
          }
          if (!s.up) exitCode = EXIT.environment;
        }
      },
    )
    .command('validate <files..>', 'check scenario files; lists every problem with file:line:column', (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'scenario YAML files' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON document: per file, ok or its problems' })
        .example('$0 validate scenarios/*.yaml', 'every problem of every file, exit 2 if any'),
      async (argv) => {
        const results: { file: string; ok: boolean; tests?: number; variants?: string[]; warning?: string; problems?: unknown[] }[] = [];
        for (const f of argv.files as string[]) {
          try {
            const s = await loadScenario(f);
            results.push({ file: f, ok: true, tests: s.tests.length, variants: Object.keys(s.variants), warning: s.inventoryProblem });
            if (!argv.json) out(`${f}: ok (${s.tests.length} test${s.tests.length === 1 ? '' : 's'}, variants ${Object.keys(s.variants).join(', ')})`);
            if (s.inventoryProblem) err(`warning: ${s.inventoryProblem}`);
          } catch (e) {
            if (!(e instanceof ScenarioError)) throw e;
            results.push({ file: f, ok: false, problems: e.problems });
            if (!argv.json) err(e.message);
            exitCode = EXIT.usage;
          }
        }
        if (argv.json) out(JSON.stringify(results, null, 2));
      },
    )
    .command('plan <file>', 'print the ordered trials and the estimated wall time; runs nothing', (y) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
        .option('json', { type: 'boolean', default: false, describe: 'the plan as one JSON document' })
        .example('$0 plan scenarios/lab-quick.yaml', 'the 12 trials in order and about 1.5 minutes'),
      async (argv) => {
        const s = await loadScenario(argv.file);
        if (s.inventoryProblem) throw new EnvironmentError(s.inventoryProblem);
        const plan = makePlan(s);
        if (argv.json) {
          out(JSON.stringify(plan, null, 2));
          return;
        }
        for (const t of plan.trials) {
          const pair = s.pairs[t.point.pair]!;
          out(`${String(t.seq + 1).padStart(4)}  ${t.id.padEnd(34)} ${pair.client}->${pair.server}  ${t.point.tool} ${t.point.mode} ${t.point.protocol} ${t.point.size}B  ${t.variant}`);
        }
        out(`${plan.trials.length} trials (${plan.points} points × ${plan.variants.length} variants × ${s.repeat} repetitions), order ${s.order}, estimated ${formatSeconds(plan.estimateSeconds)}`);
      },
    )
    .command('run [file]', 'run a scenario, then analyze and report', (y) =>
      y
        .positional('file', { type: 'string', describe: 'scenario YAML file (not with --resume)' })
        .option('resume', { type: 'string', describe: 'continue this run directory, skipping recorded trials' })
        .option('results', { type: 'string', default: 'results', describe: 'root of run directories' })
        .options(HOST_OPTIONS)
        .option('analyze', { type: 'boolean', default: true, describe: 'analyze and report at the end (--no-analyze to skip)' })
        .option('repeat', { type: 'number', describe: 'repetitions of every point, instead of the scenario\'s `repeat` (e.g. 1 for a quick look)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print every command the run would send (switches, servers, clients, restore); connect to nothing' })
        .option('json', { type: 'boolean', default: false, describe: 'at the end, one JSON document on stdout (run directory, status, counts, Boost%); everything else on stderr' })
        .option('trust', { type: 'boolean', default: false, describe: 'with --resume: a run directory made by another user or machine (its commands run here)' })
        .example('$0 run scenarios/lab-quick.yaml', 'run, analyze, report; exit 1 if a trial failed or was invalid')
        .example('$0 run --resume results/lab-quick/20261201T120000Z-ab12cd', 'continue a run that was interrupted'),
      async (argv) => {
        if (argv['dry-run']) {
          const { scenario } = await (await runner()).loadForRun(argv.file, argv.resume, true); // prints, runs nothing
          if (scenario.inventoryProblem) throw new EnvironmentError(scenario.inventoryProblem);
          const lines = (await import('../runner/dry-run.js')).dryRunLines(scenario);
          if (argv.json) out(JSON.stringify({ dryRun: true, lines }, null, 2));
          else for (const l of lines) out(l);
          return;
        }
        if (argv.repeat !== undefined && (!Number.isInteger(argv.repeat) || argv.repeat < 1 || argv.repeat > 1000)) throw new UserError(`--repeat must be an integer 1..1000, got ${argv.repeat}`);
        if (argv.repeat !== undefined && argv.resume) throw new UserError('--repeat cannot change a run being resumed (its plan is fixed)');
        const r = await runCommand({ file: argv.file, resume: argv.resume, results: argv.results, acceptNewHostKeys: argv['accept-new-host-keys'], analyze: argv.analyze, repeat: argv.repeat, json: argv.json, sshConfig: argv['ssh-config'], trust: argv.trust });
        exitCode = r.exitCode;
      },
    )
    .command('nightly <file>', 'run, compare with the stored baseline (or the last N runs), add to the history; exit 3 on a regression', (y) =>
      compareOptions(y)
        .positional('file', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
        .option('db', { type: 'string', describe: 'history database (default $VFBENCH_HOME/history.db)' })
        .option('last', { type: 'number', describe: 'compare with the pooled last N runs instead of the stored baseline' })
        .option('results', { type: 'string', default: 'results', describe: 'root of run directories' })
        .options(HOST_OPTIONS)
        .example('$0 nightly scenarios/lab-quick.yaml --min-effect 5', 'exit 3 on a regression of 5 % or more, 1 if trials failed'),
      async (argv) => {
        const policy = await policyFrom(argv);
        const { defaultDb, judgeNightly } = await history();
        const { compareTable, verdictCounts } = await comparing();
        const db = await (await historyDb()).HistoryDb.open(argv.db ?? defaultDb());
        try {
          const r = await runCommand({ file: argv.file, results: argv.results, acceptNewHostKeys: argv['accept-new-host-keys'], analyze: true, json: argv.json, nightly: true, sshConfig: argv['ssh-config'] });
          if (!r.dir || r.status !== 'complete') {
            err('nightly: the run did not complete; nothing compared or recorded');
            exitCode = r.exitCode || EXIT.trials;
            if (argv.json) out(JSON.stringify({ dir: r.dir, status: r.status, compared: false }, null, 2));
            return;
          }
          const n = await judgeNightly(db, r.dir, { last: argv.last, policy, out: argv.out });
          exitCode = n.regressed > 0 ? EXIT.regression : r.exitCode;
          if (argv.json) {
            out(JSON.stringify({ dir: r.dir, status: r.status, becameBaseline: n.becameBaseline, baselineRuns: n.baselineRuns, counts: n.rows ? verdictCounts(n.rows) : undefined, rows: n.rows }, null, 2));
            return;
          }
          if (n.becameBaseline) out(`\nno baseline for this scenario yet: this run is now the baseline (${db.path})`);
          else if (!n.rows) out(`\nno earlier runs of this scenario in ${db.path}: nothing to compare; the run is recorded`);
          else {
            out(`\ncompared with ${n.baselineRuns!.join(', ')}:`);
            out(compareTable(n.rows));
            const c = verdictCounts(n.rows);
            out(`\n${c.improved} improved, ${c.regressed} regressed, ${c.unchanged} unchanged, ${c.inconclusive} inconclusive; compare/ in ${argv.out ?? r.dir}`);
          }
        } finally {
          db.close();
        }
      },
    )
    .command('history <action> [target]', 'the history database: add RUN_DIR | list | baseline RUN_ID | trend', (y) =>
      y
        .positional('action', { choices: ['add', 'list', 'baseline', 'trend'] as const, demandOption: true, describe: 'store a run, list runs, choose a scenario\'s baseline, draw trends' })
        .positional('target', { type: 'string', describe: 'add: a run directory; baseline: a run id or directory' })
        .option('db', { type: 'string', describe: 'history database (default $VFBENCH_HOME/history.db)' })
        .option('scenario', { type: 'string', describe: 'list/trend: the scenario' })
        .option('metrics', { type: 'string', describe: 'trend: comma-separated metrics (default: headline metrics)' })
        .option('out', { type: 'string', default: 'trends', describe: 'trend: folder for the figures' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
        .example('$0 history add results/lab-quick/20261201T120000Z-ab12cd', 'store a run')
        .example('$0 history trend --scenario lab-quick --out trends', 'trend figures with the baseline band'),
      async (argv) => {
        const { addToHistory, defaultDb, trendFigures } = await history();
        const db = await (await historyDb()).HistoryDb.open(argv.db ?? defaultDb());
        const say = (json: unknown, text: string[]) => (argv.json ? out(JSON.stringify(json, null, 2)) : text.forEach((l) => out(l)));
        try {
          if (argv.action === 'add') {
            if (!argv.target) throw new UserError('history add needs a run directory');
            const r = await addToHistory(db, argv.target);
            await db.save();
            say({ ...r, db: db.path }, [`added run ${r.id} of ${r.scenario} (${r.samples} point metrics) to ${db.path}`]);
          } else if (argv.action === 'list') {
            const runs = db.runs(argv.scenario).map((r) => ({ ...r, baseline: db.baseline(r.scenario) === r.id }));
            say(runs, runs.map((r) => `${r.id}  ${r.scenario}  ${r.started ?? r.added}  ${r.status ?? ''}${r.baseline ? '  [baseline]' : ''}`));
          } else if (argv.action === 'baseline') {
            if (!argv.target) throw new UserError('history baseline needs a run id or run directory');
            const id = argv.target.replace(/\/+$/, '').split('/').pop()!;
            const run = db.runs().find((r) => r.id === id);
            if (!run) throw new UserError(`run ${id} is not in ${db.path}: history add it first`);
            db.setBaseline(run.scenario, id);
            await db.save();
            say({ scenario: run.scenario, baseline: id }, [`baseline of ${run.scenario} is now ${id}`]);
          } else {
            if (!argv.scenario) throw new UserError('history trend needs --scenario');
            const figs = await trendFigures(db, argv.scenario, argv.out, argv.metrics?.split(','));
            warnFigures(figs);
            say({ figures: figs.map((f) => f.files) }, figs.map((f) => `figure: ${f.files.find((x) => x.endsWith('.png'))}`));
          }
        } finally {
          db.close();
        }
      },
    )
    .command('restore <dir>', 'put every host of a run back into the path state recorded before its first switch (after kill -9)', (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'the run directory' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print what would be done; connect to nothing' })
        .option('trust', { type: 'boolean', default: false, describe: 'restore a run directory made by another user or machine (its commands run here)' })
        .options(HOST_OPTIONS)
        .option('json', { type: 'boolean', default: false, describe: 'one JSON document: what was done, what could not be' })
        .example('$0 restore results/lab-quick/20261201T120000Z-ab12cd', 'after kill -9: end its jobs, put every path back; exit 4 if a host could not be restored'),
      async (argv) => {
        const r = await (await import('../runner/restore-run.js')).restoreRun(argv.dir, { dryRun: argv['dry-run'], acceptNewHostKeys: argv['accept-new-host-keys'], sshConfig: argv['ssh-config'], trust: argv.trust });
        if (argv.json) out(JSON.stringify(r, null, 2));
        else for (const l of r.lines) out(l);
        if (!argv.json) for (const p of r.problems) err(`✗ ${p}`);
        if (r.problems.length > 0) exitCode = EXIT.environment;
      },
    )
    .command('parse <tool> <file>', 'metrics from a tool output saved by hand (the shape of a record\'s metrics)', (y) =>
      y
        .positional('tool', { choices: PARSE_TOOLS, demandOption: true, describe: 'the tool that wrote the file' })
        .positional('file', { type: 'string', demandOption: true, describe: 'its output, saved by hand (any size for a sockperf full log)' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
        .example('$0 parse sockperf run1.fulllog.csv', 'pooled percentiles of a full log, as a record holds them')
        .option('test', { type: 'string', describe: 'netperf test (TCP_RR …) for output without a banner' })
        .option('size', { type: 'number', describe: 'message size, for sockperf throughput output' }),
      async (argv) => {
        const r = await (await import('./parse.js')).parseSavedFile(argv.tool, argv.file, { test: argv.test, size: argv.size }).catch((e: Error) => {
          throw new UserError(`cannot read ${argv.file}: ${e.message}`);
        });
        if (!r.ok) {
          if (argv.json) out(JSON.stringify({ tool: argv.tool, failure: r.failure }, null, 2));
          else err(`${argv.file}: ${r.failure.kind}: ${r.failure.message}`);
          exitCode = EXIT.trials;
          return;
        }
        if (argv.json) {
          out(JSON.stringify(r.value, null, 2));
          return;
        }
        out(`${argv.file}: ${r.value.tool}${r.value.version ? ` ${r.value.version}` : ''}, from the ${r.value.source}${r.value.latencyKind ? `, latency ${r.value.latencyKind === 'rtt' ? 'full round trip' : 'RTT/2'}` : ''}`);
        const width = Math.max(...Object.keys(r.value.metrics).map((k) => k.length));
        for (const [k, v] of Object.entries(r.value.metrics)) out(`  ${k.padEnd(width)}  ${v}`);
      },
    )
    .command('doctor [scenario]', 'check the hosts: tools and versions, interfaces, VFs; --install brings missing tools', (y) =>
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
      async (argv) => {
        const r = await (await import('./doctor.js')).doctor({
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
        else {
          for (const c of r) {
            out(`${c.host} (${c.ssh}): ${c.problems.length === 0 ? 'ok' : `${c.problems.length} problem${c.problems.length > 1 ? 's' : ''}`}`);
            for (const p of c.problems) out(`  ✗ ${p}`);
            for (const n of c.notes) out(`  · ${n}`);
            if (c.install) {
              for (const cmd of c.install.commands) out(`  ${c.install.ran ? 'ran' : 'would run'}: ${cmd}`);
              if (c.install.commands.length === 0) out('  nothing to install');
              if (c.install.error) out(`  ✗ ${c.install.error}`);
            }
          }
        }
        if (r.some((c) => c.problems.length > 0 || c.install?.error)) exitCode = EXIT.environment;
      },
    )
    .command('compare <baseline> <candidate>', 'judge a candidate run against a baseline run or baseline file (exit 3 on a regression)', (y) =>
      compareOptions(y)
        .positional('baseline', { type: 'string', demandOption: true, describe: 'a run directory or a baseline file' })
        .positional('candidate', { type: 'string', demandOption: true, describe: 'a run directory' })
        .example('$0 compare results/x/RUN_A results/x/RUN_B --min-effect 5', 'exit 3 on a regression'),
      async (argv) => {
        exitCode = await runCompare(argv.baseline, argv.candidate, argv);
      },
    )
    .command('baseline <runs..>', 'pool run directories of one scenario into a baseline file for compare', (y) =>
      y
        .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run directories of one scenario' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the baseline file to write' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
        .example('$0 baseline results/x/RUN_A results/x/RUN_B -o x.baseline.json', 'pool two runs'),
      async (argv) => {
        const b = await (await comparing()).saveBaseline(argv.runs as string[], argv.output);
        if (argv.json) out(JSON.stringify({ file: argv.output, scenario: b.scenario, runs: b.runs, points: b.samples.length }, null, 2));
        else out(`${argv.output}: baseline of ${b.scenario} from ${b.runs.length} run(s), ${b.samples.length} points`);
      },
    )
    .command('analyze <dir>', 'write analysis/{trials,summary,boost}.csv and analysis.json for a run', (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'the run directory' })
        .option('json', { type: 'boolean', default: false, describe: 'the analysis (analysis.json) on stdout' })
        .example('$0 analyze results/lab-quick/20261201T120000Z-ab12cd', 'tables, and the Boost% table printed'),
      async (argv) => {
        const { analyzeRun, boostTable } = await stages();
        const a = await analyzeRun(argv.dir);
        out(argv.json ? JSON.stringify(a, null, 2) : boostTable(a));
        for (const w of a.warnings) err(`warning: ${w}`);
      },
    )
    .command('report <dirs..>', 'render the figures of a run (Vega-Lite JSON, SVG, PNG, PDF) and report.html; several runs overlaid with --out', (y) =>
      y
        .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'the run directory (several, with --out, to overlay them)' })
        .option('out', { type: 'string', describe: 'with several runs: the folder for their overlaid figures and report.html' })
        .option('json', { type: 'boolean', default: false, describe: 'the files written, as one JSON document' })
        .option('figure-width', { type: 'string', default: 'single', describe: 'width of each figure on the page: single (3.5 in), double (7.16 in), or e.g. 8.5cm, 90mm, 3.3in' })
        .option('titles', { type: 'boolean', default: true, describe: 'titles in the figures (--no-titles for a paper, whose captions carry them)' })
        .option('dpi', { type: 'number', default: 300, describe: 'resolution of the PNG figures' })
        .example('$0 report results/lab-quick/20261201T120000Z-ab12cd', 'figures/ and report.html')
        .example('$0 report RUN_DIR --figure-width double --no-titles', 'figures for a two-column paper')
        .example('$0 report BEFORE_DIR AFTER_DIR --out before-after', 'both runs in the same figures'),
      async (argv) => {
        const { figureWidthIn } = await import('../charts/render.js');
        if (!(argv.dpi >= 72 && argv.dpi <= 1200)) throw new UserError(`--dpi ${argv.dpi}: give 72 to 1200`);
        const style = { widthIn: figureWidthIn(argv['figure-width']), titles: argv.titles, dpi: argv.dpi };
        const dirs = argv.dirs.map(String);
        if (dirs.length > 1 && !argv.out) throw new UserError(`report of ${dirs.length} runs: say where their overlaid figures go with --out DIR`);
        const where = argv.out ?? dirs[0]!;
        const figs = argv.out ? await (await import('./report-runs.js')).reportRuns(dirs, resolve(argv.out), style) : await (await stages()).reportRun(dirs[0]!, style);
        warnFigures(figs);
        if (argv.json) out(JSON.stringify({ figures: figs.map((f) => ({ name: f.name, files: f.files })), report: join(where, 'report.html') }, null, 2));
        else {
          for (const f of figs) for (const file of f.files) out(file);
          out(join(where, 'report.html'));
        }
      },
    )
    .command('$0', false, () => {}, () => {
      cli.showHelp('log');
    })
    .option('share', { type: 'boolean', default: false, global: true, describe: 'write results readable by others (default: files 0600, folders 0700)' })
    // Results hold host facts and command output: private unless asked otherwise.
    .middleware((argv) => void (argv.share ? undefined : process.umask(0o077)))
    .strict()
    .recommendCommands()
    // A usage error stops here, before any handler runs (yargs would otherwise go on after printing it).
    .fail((msg, e, y) => {
      if (e) throw e;
      throw new UsageError(`${usageMessage(msg, y as unknown as UsageOf, COMMANDS)}\n(see vfbench --help, vfbench <command> --help)`);
    })
    .version(VFBENCH_VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100));
  await cli.parseAsync();
  return exitCode;
}

function compareOptions<T>(y: Argv<T>) {
  return y
    .option('policy', { type: 'string', describe: 'YAML policy: min_effect_pct, alpha, max_cv_pct, metrics, level' })
    .option('min-effect', { type: 'number', describe: 'smallest change that matters, % (default 5)' })
    .option('alpha', { type: 'number', describe: 'significance level (default 0.05)' })
    .option('max-cv', { type: 'number', describe: 'CV above which a point is too noisy, % (default 10)' })
    .option('metrics', { type: 'string', describe: 'comma-separated metrics to judge (default: headline metrics)' })
    .option('out', { type: 'string', describe: 'folder for compare.csv/json/md/junit.xml (default: the candidate run\'s compare/)' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of the table' });
}

interface RunCommandOptions {
  file?: string;
  resume?: string;
  results: string;
  acceptNewHostKeys: boolean;
  analyze: boolean;
  repeat?: number;
  /** One JSON document on stdout at the end; every other line goes to stderr. */
  json?: boolean;
  nightly?: boolean;
  sshConfig?: string;
  trust?: boolean;
}

/** Figures written without a part (no PDF without rsvg-convert): said once on stderr. */
function warnFigures(figs: RenderedFigure[]): void {
  for (const w of new Set(figs.flatMap((f) => (f.warning ? [f.warning] : [])))) err(`warning: ${w}`);
}

/** `vfbench run`: run (or resume), print progress, analyze and report; Ctrl-C restores and stops. */
async function runCommand(argv: RunCommandOptions): Promise<{ exitCode: number; dir?: string; status?: string }> {
  const { loadForRun, runScenario } = await runner();
  const { scenario } = await loadForRun(argv.file, argv.resume, argv.trust);
  if (argv.repeat !== undefined) scenario.repeat = argv.repeat;
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) {
      err(`${sig} again: still restoring the hosts' path state, please wait`);
      return;
    }
    err(`\n${sig}: stopping the trial in flight and restoring the path state…`);
    ac.abort();
  };
  // The last resort: a closed terminal (SIGHUP) stops like Ctrl-C; an error nobody caught (a bug) stops the
  // run the same way, so the hosts are restored and the manifest written before vfbench exits with 70.
  let unexpected: unknown;
  const onUnexpected = (e: unknown) => {
    unexpected ??= e;
    err(`\nvfbench: unexpected error: ${errorMessage(e)}; stopping and restoring the path state…`);
    if (!ac.signal.aborted) ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onUnexpected);
  process.on('unhandledRejection', onUnexpected);
  try {
    const r = await runScenario(scenario, {
      resultsRoot: resolve(argv.results),
      resumeDir: argv.resume,
      acceptNewHostKeys: argv.acceptNewHostKeys,
      sshConfig: argv.sshConfig,
      signal: ac.signal,
      onEvent: progressReporter(),
    });
    if (unexpected !== undefined) {
      err(`run ${r.manifest.status}, hosts restored; resume with: vfbench run --resume ${r.dir.path}`);
      if (process.env.VFBENCH_DEBUG) err((unexpected as Error).stack ?? '');
      return { exitCode: EXIT.internal, dir: r.dir.path, status: r.manifest.status };
    }
    const c = r.manifest.counts ?? {};
    const say = argv.json ? err : out;
    const result = { dir: r.dir.path, status: r.manifest.status, counts: c, exitCode: (c.failed ?? 0) + (c.invalid ?? 0) > 0 ? EXIT.trials : EXIT.ok };
    err(`run ${r.manifest.status}: ${c.ok ?? 0} ok, ${c.invalid ?? 0} invalid, ${c.failed ?? 0} failed of ${c.planned} planned`);
    if (r.manifest.status === 'interrupted') {
      err(`resume with: vfbench run --resume ${r.dir.path}`);
      if (argv.json && !argv.nightly) out(JSON.stringify({ ...result, exitCode: EXIT.interrupted }, null, 2));
      return { ...result, exitCode: EXIT.interrupted };
    }
    let boost: unknown;
    if (argv.analyze) {
      const { analyzeRun, reportRun, boostTable } = await stages();
      const a = await analyzeRun(r.dir.path);
      const figs = await reportRun(r.dir.path);
      boost = a.boost;
      say(`\nBoost% (${a.baseline} is the baseline; positive = the variant is better)`);
      say(boostTable(a));
      for (const w of a.warnings) err(`warning: ${w}`);
      warnFigures(figs);
      say(`\ntables: ${r.dir.analysisDir}`);
      for (const f of figs) say(`figure: ${f.files.find((x) => x.endsWith('.png'))}`);
      say(`report: ${join(r.dir.path, 'report.html')}`);
    }
    say(`run directory: ${r.dir.path}`);
    // nightly prints its own document (with the verdicts) instead.
    if (argv.json && !argv.nightly) out(JSON.stringify({ ...result, boost }, null, 2));
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onUnexpected);
    process.off('unhandledRejection', onUnexpected);
  }
}

type PolicyFlags = { policy?: string; 'min-effect'?: number; alpha?: number; 'max-cv'?: number; metrics?: string };

async function policyFrom(argv: PolicyFlags) {
  return (await comparing()).loadPolicy(argv.policy, {
    minEffectPct: argv['min-effect'],
    alpha: argv.alpha,
    maxCvPct: argv['max-cv'],
    metrics: argv.metrics?.split(',').map((m) => m.trim()).filter(Boolean),
  });
}

async function runCompare(
  baselinePath: string,
  candidatePath: string,
  argv: PolicyFlags & { out?: string; json?: boolean },
): Promise<number> {
  const policy = await policyFrom(argv);
  const { compareSides, compareTable, loadSide, verdictCounts, writeCompareOutputs } = await comparing();
  const [baseline, candidate] = await Promise.all([loadSide(baselinePath), loadSide(candidatePath)]);
  const rows = compareSides(baseline, candidate, policy);
  const dir = argv.out ?? join((await stat(candidatePath)).isDirectory() ? candidatePath : dirname(candidatePath), 'compare');
  const files = await writeCompareOutputs(dir, rows, { baseline, candidate, policy });
  const c = verdictCounts(rows);
  if (argv.json) out(JSON.stringify({ counts: c, rows }, null, 2));
  else {
    out(compareTable(rows));
    out(`\n${c.improved} improved, ${c.regressed} regressed, ${c.unchanged} unchanged, ${c.inconclusive} inconclusive`);
    for (const f of files) out(`wrote ${f}`);
  }
  return (c.regressed ?? 0) > 0 ? EXIT.regression : EXIT.ok;
}

function labStatusPath(o: ReturnType<typeof defaultLabOptions>): string {
  return `${o.home}/lab/${o.prefix}/inventory.json`;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof ScenarioError) {
      err(e.message);
      process.exit(EXIT.usage);
    }
    if (e instanceof UserError) {
      err(`vfbench: ${e.message}`);
      process.exit(e.exitCode);
    }
    // A host that went away outside a trial, an agent that could not start: the environment.
    if (e instanceof Error && ENVIRONMENT_ERRORS.has(e.name)) {
      err(`vfbench: ${e.message}`);
      process.exit(EXIT.environment);
    }
    err(`vfbench: ${errorMessage(e)}`);
    err(process.env.VFBENCH_DEBUG ? ((e as Error).stack ?? '') : 'vfbench: this is unexpected (a bug?): VFBENCH_DEBUG=1 shows where it happened; please report it');
    process.exit(EXIT.internal);
  },
);
