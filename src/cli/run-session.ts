// `vfbench run` and `nightly`'s run: run (or resume) with progress, stop and restore on Ctrl-C, then
// analyze and report. Loaded with the commands that run something.
import { resolve, join } from 'node:path';
import { loadForRun, runScenario } from '../runner/run.js';
import { analyzeRun } from '../analysis/run-analysis.js';
import { reportRun } from '../report/run-report.js';
import { boostTable } from '../report/boost-table.js';
import { EXIT, errorMessage } from '../util/errors.js';
import { err, out, warnFigures } from './command.js';
import { progressReporter } from './progress.js';

export interface RunCommandOptions {
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
  /** --label k=v, parsed. */
  labels?: Record<string, string>;
}

export interface RunOutcome {
  exitCode: number;
  dir?: string;
  status?: string;
}

/**
 * Runs fn with the stop signals caught: a first Ctrl-C (or a closed terminal) aborts, and the run restores
 * the hosts' path state; an error nobody caught (a bug) stops the run the same way and is returned.
 */
async function withStopSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; unexpected: unknown }> {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) return err(`${sig} again: still restoring the hosts' path state, please wait`);
    err(`\n${sig}: stopping the trial in flight and restoring the path state…`);
    ac.abort();
  };
  let unexpected: unknown;
  const onUnexpected = (e: unknown) => {
    unexpected ??= e;
    err(`\nvfbench: unexpected error: ${errorMessage(e)}; stopping and restoring the path state…`);
    if (!ac.signal.aborted) ac.abort();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onUnexpected);
  process.on('unhandledRejection', onUnexpected);
  try {
    return { value: await fn(ac.signal), unexpected };
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('uncaughtException', onUnexpected);
    process.off('unhandledRejection', onUnexpected);
  }
}

/** Analyze and report a finished run, and say where everything went; the Boost% rows, for --json. */
async function analyzeAndReport(dir: string, analysisDir: string, say: (s: string) => void): Promise<unknown> {
  const a = await analyzeRun(dir);
  const figs = await reportRun(dir);
  say(`\nBoost% (${a.baseline} is the baseline; positive = the variant is better)`);
  say(boostTable(a));
  for (const w of a.warnings) err(`warning: ${w}`);
  warnFigures(figs);
  say(`\ntables: ${analysisDir}`);
  for (const f of figs) say(`figure: ${f.files.find((x) => x.endsWith('.png'))}`);
  say(`report: ${join(dir, 'report.html')}`);
  return a.boost;
}

/** `vfbench run`: run (or resume), print progress, analyze and report; Ctrl-C restores and stops. */
export async function runCommand(argv: RunCommandOptions): Promise<RunOutcome> {
  const { scenario } = await loadForRun(argv.file, argv.resume, argv.trust);
  if (argv.repeat !== undefined) scenario.repeat = argv.repeat;
  const { value: r, unexpected } = await withStopSignals((signal) =>
    runScenario(scenario, { resultsRoot: resolve(argv.results), resumeDir: argv.resume, acceptNewHostKeys: argv.acceptNewHostKeys, sshConfig: argv.sshConfig, labels: argv.labels, signal, onEvent: progressReporter() }),
  );
  if (unexpected !== undefined) {
    err(`run ${r.manifest.status}, hosts restored; resume with: vfbench run --resume ${r.dir.path}`);
    if (process.env.VFBENCH_DEBUG) err((unexpected as Error).stack ?? '');
    return { exitCode: EXIT.internal, dir: r.dir.path, status: r.manifest.status };
  }
  const c = r.manifest.counts ?? {};
  const say = argv.json ? err : out;
  // nightly prints its own document (with the verdicts) instead.
  const document = argv.json && !argv.nightly;
  const result = { dir: r.dir.path, status: r.manifest.status, counts: c, exitCode: (c.failed ?? 0) + (c.invalid ?? 0) > 0 ? EXIT.trials : EXIT.ok };
  err(`run ${r.manifest.status}: ${c.ok ?? 0} ok, ${c.invalid ?? 0} invalid, ${c.failed ?? 0} failed of ${c.planned} planned`);
  if (r.manifest.status === 'interrupted') {
    err(`resume with: vfbench run --resume ${r.dir.path}`);
    if (document) out(JSON.stringify({ ...result, exitCode: EXIT.interrupted }, null, 2));
    return { ...result, exitCode: EXIT.interrupted };
  }
  const boost = argv.analyze ? await analyzeAndReport(r.dir.path, r.dir.analysisDir, say) : undefined;
  say(`run directory: ${r.dir.path}`);
  if (document) out(JSON.stringify({ ...result, boost }, null, 2));
  return result;
}
