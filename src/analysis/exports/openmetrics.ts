// A run as OpenMetrics text, for a Prometheus pushgateway or node_exporter's textfile collector. Both read
// it with the Prometheus text parser (prometheus/common expfmt), which takes `# UNIT` and `# EOF` for
// comments, so one text serves the strict OpenMetrics parsers and both of them. No sample timestamps: the
// pushgateway refuses a push that has any and the textfile collector skips such a file; the run's time is a
// gauge of its own (vfbench_run_timestamp_seconds). Every sample of a family has the same label names (an
// absent dimension is ""), as the pushgateway's consistency check wants; units are Prometheus' base units.
import type { SummaryRow } from '../analyze.js';
import { exportUnits, pointDimensions, runLabels, runTimestamp, type ExportInput } from './fields.js';

type Label = [string, string | number | undefined];

interface Family {
  name: string;
  help: string;
  unit?: string;
  samples: { labels: Label[]; value: number }[];
}

/** The label names the export writes itself: a run label of one of these names is left out. */
export const OPENMETRICS_FIELDS = new Set(
  ['run_id', 'scenario', 'vfbench_version', 'stat', 'status', 'metric', 'baseline'].concat(
    pointDimensions({ test: '', tool: '', mode: '', protocol: '', size: 0, pair: 0, pointKey: '', variant: '' }).map(([k]) => k),
  ),
);

const PREFIX = 'vfbench_';

/** The OpenMetrics text of a run, line by line (`# EOF` last); `shadowed`: run labels left out. */
export function openMetricsLines(input: ExportInput): { lines: Iterable<string>; shadowed: string[] } {
  const { labels, shadowed } = runLabels(input.manifest, OPENMETRICS_FIELDS);
  const run: Label[] = [['run_id', input.manifest.id], ['scenario', input.manifest.scenario.name], ...labels];
  return { lines: render(families(input, run)), shadowed };
}

function families(input: ExportInput, run: Label[]): Family[] {
  const { manifest, a } = input;
  const info: Family = { name: `${PREFIX}run_info`, help: 'a vfbench run (value 1): its labels and the vfbench that made it', samples: [] };
  info.samples.push({ labels: [...run, ['vfbench_version', manifest.vfbench]], value: 1 });
  const time: Family = { name: `${PREFIX}run_timestamp_seconds`, help: 'when the run ended (its start if it did not), Unix time', unit: 'seconds', samples: [] };
  time.samples.push({ labels: run, value: runTimestamp(manifest) });
  const trials: Family = { name: `${PREFIX}trials`, help: 'repetitions of a point and variant by status (ok: measured on the intended path)', samples: [] };
  const boost = boostFamily(input, run);
  const byMetric = new Map<string, Family>();
  const names = new Set([info.name, time.name, trials.name, boost.name]);
  for (const row of a.summary) {
    const point: Label[] = [...run, ...pointDimensions(row)];
    for (const [status, n] of [['ok', row.n], ['invalid', row.invalid], ['failed', row.failed]] as const) trials.samples.push({ labels: [...point, ['status', status]], value: n });
    metricSamples(row, point, byMetric, names);
  }
  return [info, time, trials, ...byMetric.values(), boost];
}

/** Each metric of a point and variant: its median over repetitions and, with 3 or more, its bootstrap CI. */
function metricSamples(row: SummaryRow, point: Label[], byMetric: Map<string, Family>, names: Set<string>): void {
  for (const [name, st] of Object.entries(row.stats)) {
    const u = exportUnits(name);
    let f = byMetric.get(name);
    if (!f) {
      // Two vfbench metrics of one base name in different units (p50_us, p50_ms) would share a family: the second keeps its own name, unconverted.
      const taken = names.has(PREFIX + u.omName);
      f = taken
        ? { name: PREFIX + name, help: `${name}: median over repetitions (stat=median) and its bootstrap CI (ci_low, ci_high)`, samples: [] }
        : { name: PREFIX + u.omName, help: `vfbench ${name}${u.omScale !== 1 ? ` × ${u.omScale}` : ''}: median over repetitions (stat=median) and its bootstrap CI (ci_low, ci_high)`, unit: u.omUnit, samples: [] };
      byMetric.set(name, f);
      names.add(f.name);
    }
    const scale = f.name === PREFIX + u.omName ? u.omScale : 1;
    // analysis.json writes a NaN as null: typeof keeps it out (null × scale would read 0).
    const stats: [string, number | undefined][] = [['median', st.median], ['ci_low', st.ciLow], ['ci_high', st.ciHigh]];
    for (const [stat, v] of stats) if (typeof v === 'number') f.samples.push({ labels: [...point, ['stat', stat]], value: v * scale });
  }
}

/** Boost% of every variant over the baseline, as a ratio (0.12 = 12% better), with its CI. */
function boostFamily(input: ExportInput, run: Label[]): Family {
  const f: Family = {
    name: `${PREFIX}boost_ratio`,
    help: 'Boost of a variant over the baseline for a metric, positive = better (0.12 = 12%): estimate and bootstrap CI (ci_low, ci_high)',
    unit: 'ratio',
    samples: [],
  };
  for (const b of input.a.boost) {
    const labels: Label[] = [...run, ...pointDimensions(b), ['metric', b.metric], ['baseline', b.baseline]];
    const stats: [string, number | undefined][] = [['estimate', b.boostPercent], ['ci_low', b.ciLow], ['ci_high', b.ciHigh]];
    for (const [stat, v] of stats) if (typeof v === 'number') f.samples.push({ labels: [...labels, ['stat', stat]], value: v / 100 });
  }
  return f;
}

function* render(families: Family[]): Generator<string> {
  for (const f of families) {
    const samples = f.samples.filter((s) => Number.isFinite(s.value));
    if (samples.length === 0) continue;
    yield `# TYPE ${f.name} gauge`;
    if (f.unit) yield `# UNIT ${f.name} ${f.unit}`;
    yield `# HELP ${f.name} ${escapeHelp(f.help)}`;
    for (const s of samples) yield `${f.name}{${s.labels.map(([k, v]) => `${k}="${escapeLabelValue(v === undefined ? '' : String(v))}"`).join(',')}} ${s.value}`;
  }
  yield '# EOF';
}

/** Label values: backslash, double quote and line feed escaped (the same in OpenMetrics and the Prometheus text format). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: the Prometheus text parser knows only \\ and \n there (a \" would be an error to it). */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, "'");
}
