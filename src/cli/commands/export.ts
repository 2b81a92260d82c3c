// `vfbench export RUN_DIR --format pkb|openmetrics [--out FILE]`: a run's results in a standard format,
// for the stores a team already has (PerfKitBenchmarker's BigQuery/Elasticsearch tables, Prometheus).
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { userInfo } from 'node:os';
import { command, err } from '../command.js';
import { UserError, errorMessage } from '../../util/errors.js';

export const EXPORT_FORMATS = ['pkb', 'openmetrics'] as const;

export default command({
  command: 'export <dir>',
  describe: 'write a run\'s results as PerfKitBenchmarker samples (JSON lines) or OpenMetrics text (pushgateway, textfile collector)',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'the run directory (analyzed first when it has no analysis, or an older one than its records)' })
      .option('format', { choices: EXPORT_FORMATS, demandOption: true, describe: 'pkb: PerfKitBenchmarker samples, one JSON object a line; openmetrics: OpenMetrics text' })
      .option('out', { type: 'string', describe: 'the file to write (replaced whole, atomically: safe for a textfile collector\'s folder); default: stdout' })
      .option('collapse-labels', { type: 'boolean', default: true, describe: 'pkb: the metadata as one "labels" string, as PKB writes it by default (--no-collapse-labels: a "metadata" object)' })
      .option('owner', { type: 'string', describe: 'pkb: the samples\' owner (default: the run\'s label "owner", else the user running export, as PKB does)' })
      .example('$0 export RUN_DIR --format pkb --out samples.json', 'PKB samples, e.g. for bq load --source_format=NEWLINE_DELIMITED_JSON')
      .example('$0 export RUN_DIR --format openmetrics | curl --data-binary @- http://pushgateway:9091/metrics/job/vfbench', 'push to a Prometheus pushgateway'),
  handler: async (argv) => {
    const { RunDir } = await import('../../results/run-dir.js');
    const { analyzeRun, readAnalysisSummary } = await import('../../analysis/run-analysis.js');
    const dir = await RunDir.open(argv.dir);
    const manifest = await dir.readManifest();
    // As report does: an analysis missing, or older than the records, is made first. (analysis.json only:
    // the samples are per point, never per trial.)
    const a = (await readAnalysisSummary(dir)) ?? (await analyzeRun(argv.dir));
    const input = { manifest, a };
    const { lines, shadowed } =
      argv.format === 'pkb'
        ? (await import('../../analysis/exports/pkb.js')).pkbLines(input, {
            owner: argv.owner ?? manifest.labels?.owner ?? currentUser(),
            collapseLabels: argv['collapse-labels'],
          })
        : (await import('../../analysis/exports/openmetrics.js')).openMetricsLines(input);
    for (const l of shadowed) err(`warning: the run's label "${l}" is left out of the ${argv.format} export: the export has a field of that name`);
    await writeLines(lines, argv.out);
  },
});

/** The lines to stdout, or to a file through a temporary one renamed over it (never half a file). */
async function writeLines(lines: Iterable<string>, file: string | undefined): Promise<void> {
  const tmp = file === undefined ? undefined : `${file}.tmp-${process.pid}`;
  const out = tmp === undefined ? process.stdout : createWriteStream(tmp);
  // A reader that stops early (| head) closes the pipe: the export is then done, not failed.
  let closed = false;
  if (tmp === undefined) out.once('error', (e: NodeJS.ErrnoException) => void (closed = e.code === 'EPIPE'));
  try {
    for (const line of lines) {
      if (closed) return;
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
    if (tmp !== undefined && file !== undefined) {
      out.end();
      await finished(out);
      await rename(tmp, file);
    }
  } catch (e) {
    if (tmp === undefined) {
      if (closed || (e as NodeJS.ErrnoException).code === 'EPIPE') return;
      throw e;
    }
    await rm(tmp, { force: true });
    throw new UserError(`cannot write ${file}: ${errorMessage(e)}`);
  }
}

/** The user running export (PKB's default owner); a uid without a passwd entry (containers) has none. */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
