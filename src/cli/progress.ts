// Progress of a run on stderr: a bar with ETA on a terminal, one line per trial otherwise (CI logs).
import cliProgress from 'cli-progress';
import type { RunEvent } from '../runner/run.js';
import type { TrialRecord } from '../results/record.js';
import { formatMetric, headlineMetrics, metricLabel } from '../analysis/metrics.js';
import { formatSeconds } from '../util/duration.js';
import { err } from './command.js';

/** What a finished trial measured, on which path, or why it failed. */
function trialDetail(r: TrialRecord): string {
  if (r.status === 'failed') return `${r.failure?.kind}: ${r.failure?.message}`;
  const sw = r.switchover;
  return (
    `${headlineMetrics(r.metrics, 2).map((m) => `${metricLabel(m)} ${formatMetric(m, r.metrics[m])}`).join(', ')}, ` +
    (sw
      ? `switchover: gap ${sw.gapMs.toFixed(1)} ms, ${sw.lost} lost, path ${sw.segments.map((x) => x.observed ?? '?').join(' → ')}`
      : `path ${r.verification?.observed ?? 'unverified'}`) +
    (r.background && r.background.targetPps > 0 ? `, background ${Math.round(r.background.sentPps ?? 0)}/${r.background.targetPps} pkt/s` : '') +
    (r.batch?.skewMs !== undefined ? `, start skew ${r.batch.skewMs.toFixed(1)} ms` : '') +
    (r.status === 'invalid' ? ` — INVALID: ${r.verification?.reason}` : '')
  );
}

export function progressReporter(): (e: RunEvent) => void {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  const start = (e: Extract<RunEvent, { type: 'start' }>) => {
    err(`run directory: ${e.dir}`);
    err(`${e.total} trials to run${e.skipped ? ` (${e.skipped} already recorded)` : ''}, estimated ${formatSeconds(e.estimateSeconds)}`);
    if (!tty) return;
    bar = new cliProgress.SingleBar({ format: '{bar} {value}/{total} trials | ETA {eta_formatted} | {trial}', etaBuffer: 20, stream: process.stderr }, cliProgress.Presets.shades_classic);
    bar.start(e.total, 0, { trial: '' });
  };
  const end = (e: Extract<RunEvent, { type: 'trial-end' }>) => {
    const r = e.record;
    if (!bar) return err(`[${e.index + 1}/${e.total}] ${r.trial}: ${r.status}: ${trialDetail(r)}`);
    bar.update(e.index + 1, { trial: r.trial });
    if (r.status === 'ok') return;
    bar.stop();
    err(`${r.trial}: ${r.status}: ${trialDetail(r)}`);
    bar.start(e.total, e.index + 1, { trial: r.trial });
  };
  return (e) => {
    if (e.type === 'start') start(e);
    else if (e.type === 'trial-start') bar?.update(e.index, { trial: e.trial.id });
    else if (e.type === 'trial-end') end(e);
    else if (e.type === 'log') {
      bar?.stop();
      err(e.message);
    }
    if (e.type === 'trial-end' && e.index + 1 === e.total) bar?.stop();
  };
}
