#!/usr/bin/env node
// vfbench command line: yargs, the commands (one module each under commands/), exit codes.
// The heavy modules (vega and resvg for figures, the history's database drivers, ssh2, Arrow, the scenario
// schema) load with the commands that use them: `vfbench --version`, `plan` or `parse` start fast.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, UserError, errorMessage } from '../util/errors.js';
import { VFBENCH_VERSION } from '../util/version.js';
import { usageMessage, UsageError, type UsageOf } from './usage.js';
import { err, type Command } from './command.js';
import lab from './commands/lab.js';
import validate from './commands/validate.js';
import plan from './commands/plan.js';
import run from './commands/run.js';
import nightly from './commands/nightly.js';
import history from './commands/history.js';
import restore from './commands/restore.js';
import parse from './commands/parse.js';
import doctor from './commands/doctor.js';
import compare from './commands/compare.js';
import baseline from './commands/baseline.js';
import analyze from './commands/analyze.js';
import report from './commands/report.js';
import exportRun from './commands/export.js';

const COMMANDS: Command[] = [lab, validate, plan, run, nightly, history, restore, parse, doctor, compare, baseline, analyze, report, exportRun];

/** Errors whose message is for the user, by class name (their modules load lazily, with the commands that use them). */
const SCENARIO_ERROR = 'ScenarioError';
/** A host lost outside a trial. */
const ENVIRONMENT_ERRORS = new Set(['HostDown', 'ConnectionLost']);

async function main(): Promise<number> {
  let exitCode = 0;
  const cli = yargs(hideBin(process.argv))
    .scriptName('vfbench')
    .usage('$0 <command>\n\nMeasure what accelerated networking (SR-IOV VFs) buys a pair of VMs.');
  for (const c of COMMANDS) {
    cli.command({ ...c, handler: async (argv) => void (exitCode = (await c.handler(argv)) ?? EXIT.ok) });
  }
  cli
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
      const names = COMMANDS.map((c) => c.command.split(' ')[0]!);
      throw new UsageError(`${usageMessage(msg, y as unknown as UsageOf, names)}\n(see vfbench --help, vfbench <command> --help)`);
    })
    .version(VFBENCH_VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100));
  await cli.parseAsync();
  return exitCode;
}

/** The exit code of an error that reached the top, and what is said about it. */
function exitFor(e: unknown): number {
  if (e instanceof Error && e.name === SCENARIO_ERROR) {
    err(e.message);
    return EXIT.usage;
  }
  if (e instanceof UserError) {
    err(`vfbench: ${e.message}`);
    return e.exitCode;
  }
  // A host that went away outside a trial, an agent that could not start: the environment.
  if (e instanceof Error && ENVIRONMENT_ERRORS.has(e.name)) {
    err(`vfbench: ${e.message}`);
    return EXIT.environment;
  }
  err(`vfbench: ${errorMessage(e)}`);
  err(process.env.VFBENCH_DEBUG ? ((e as Error).stack ?? '') : 'vfbench: this is unexpected (a bug?): VFBENCH_DEBUG=1 shows where it happened; please report it');
  return EXIT.internal;
}

/**
 * Resolves once everything written to the stream so far has left the process. On Linux a pipe to a slow
 * reader takes writes asynchronously: exiting before this cut `export | curl` short (a write queued behind a
 * full pipe is lost at exit). An empty write's callback runs after the writes before it, or with their error.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

async function exitWhenWritten(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

main().then(
  (code) => exitWhenWritten(code),
  (e: unknown) => exitWhenWritten(exitFor(e)),
);
