// A run as PerfKitBenchmarker samples, one JSON object per line, field for field as PKB's
// NewlineDelimitedJSONPublisher writes them (perfkitbenchmarker/publisher.py): sample.py's
// metric/value/unit/metadata/timestamp, then what SampleCollector.AddSamples adds (test, product_name,
// official, owner, run_uri, sample_uri). Like PKB's default (--collapse_labels), the metadata becomes one
// `labels` string "|k:v|,|k:v|" sorted by key; with collapse off it stays an object under `metadata`.
import { createHash } from 'node:crypto';
import type { BoostRow, MetricStats, SummaryRow } from '../analyze.js';
import { exportUnits, pointDimensions, runLabels, runTimestamp, type ExportInput } from './fields.js';

export interface PkbOptions {
  /** PKB's --owner (default there: the user running it). */
  owner: string;
  /** PKB's --collapse_labels (default true there): metadata as one `labels` string. */
  collapseLabels: boolean;
}

type Meta = Record<string, string | number | boolean | undefined>; // undefined: left out of the JSON

/** What PKB's AddSamples annotates a sample with, in its order. */
interface PkbSample {
  metric: string;
  value: number;
  unit: string;
  metadata?: Meta;
  timestamp: number;
  test: string;
  product_name: string;
  official: boolean;
  owner: string;
  run_uri: string;
  sample_uri: string;
  labels?: string;
}

/** The metadata keys the export writes itself: a run label of one of these names is left out. */
export const PKB_FIELDS = new Set([
  'scenario', 'vfbench_version', 'vfbench_metric', 'statistic', 'test', 'tool', 'mode', 'protocol', 'size_bytes', 'streams',
  'bg_rate_pkt_s', 'pair', 'group', 'variant', 'latency_kind', 'n', 'invalid', 'failed', 'ci_low', 'ci_high', 'ci_level', 'cv_pct',
  'baseline', 'direction', 'metric_unit', 'baseline_value', 'variant_value', 'paired', 'p_value', 'n_baseline', 'n_variant', 'note',
]);

/** The samples of a run, one JSON line each (without the newline); `shadowed`: run labels left out. */
export function pkbLines(input: ExportInput, opts: PkbOptions): { lines: Iterable<string>; shadowed: string[] } {
  const { labels, shadowed } = runLabels(input.manifest, PKB_FIELDS);
  const common: Meta = { ...Object.fromEntries(labels), scenario: input.manifest.scenario.name, vfbench_version: input.manifest.vfbench };
  return { lines: samples(input, common, opts), shadowed };
}

function* samples(input: ExportInput, common: Meta, opts: PkbOptions): Generator<string> {
  const { manifest, a } = input;
  const annotate = (s: Pick<PkbSample, 'metric' | 'value' | 'unit'>, tool: string, meta: Meta, key: string): string =>
    serialize(
      {
        ...s,
        metadata: meta,
        timestamp: runTimestamp(manifest),
        test: tool,
        product_name: 'vfbench',
        official: false,
        owner: opts.owner,
        run_uri: manifest.id,
        // Named, not random (PKB: uuid4): exporting a run again gives the same URIs, so a store keyed by them
        // (PKB's Elasticsearch publisher) replaces samples instead of doubling them.
        sample_uri: nameUuid(`${manifest.id}|${key}`),
      },
      opts.collapseLabels,
    );
  // A value that is no number (NaN, ±Infinity) has no JSON form: its sample, or metadata entry, is left out.
  for (const row of a.summary) {
    for (const [name, st] of Object.entries(row.stats)) {
      const { s, meta } = medianSample(row, name, st, a.level);
      if (Number.isFinite(s.value)) yield annotate(s, row.tool, finite({ ...common, ...meta }), `${row.pointKey}|${row.variant}|${name}`);
    }
  }
  for (const b of a.boost) {
    const { s, meta } = boostSample(b, a.level);
    if (Number.isFinite(s.value)) yield annotate(s, b.tool, finite({ ...common, ...meta }), `${b.pointKey}|${b.variant}|${b.metric}|boost`);
  }
}

/** analysis.json writes a NaN (a CV of zeros) as null: such entries are left out like the absent ones. */
const finite = (meta: Meta): Meta => Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== null && v !== undefined && (typeof v !== 'number' || Number.isFinite(v))));

/** A point's dimensions as metadata, the absent ones left out. */
/** A number of analysis.json scaled to the sample's unit; NaN is stored there as null, and stays out. */
const scaled = (v: number | null | undefined, k: number) => (typeof v === 'number' && Number.isFinite(v) ? v * k : undefined);

function dimensionsMeta(p: Parameters<typeof pointDimensions>[0]): Meta {
  return Object.fromEntries(pointDimensions(p).filter((d): d is [string, string | number] => d[1] !== undefined));
}

/** The median over repetitions of one metric of a point and variant, with n and its CI (in the sample's unit). */
function medianSample(row: SummaryRow, name: string, st: MetricStats, level: number): { s: Pick<PkbSample, 'metric' | 'value' | 'unit'>; meta: Meta } {
  const u = exportUnits(name);
  const meta: Meta = { ...dimensionsMeta(row), vfbench_metric: name, statistic: 'median', n: st.n, invalid: row.invalid, failed: row.failed };
  const [ciLow, ciHigh] = [scaled(st.ciLow, u.pkbScale), scaled(st.ciHigh, u.pkbScale)];
  if (ciLow !== undefined && ciHigh !== undefined) Object.assign(meta, { ci_low: ciLow, ci_high: ciHigh, ci_level: level });
  if (st.cvPct !== undefined) meta.cv_pct = st.cvPct;
  return { s: { metric: u.base, value: scaled(st.median, u.pkbScale) as number, unit: u.pkbUnit }, meta };
}

/** Boost% of a variant over the baseline for one metric (positive = better), with its CI and test. */
function boostSample(b: BoostRow, level: number): { s: Pick<PkbSample, 'metric' | 'value' | 'unit'>; meta: Meta } {
  const u = exportUnits(b.metric);
  const meta: Meta = {
    ...dimensionsMeta(b),
    vfbench_metric: b.metric,
    statistic: 'boost',
    baseline: b.baseline,
    direction: b.direction,
    metric_unit: u.pkbUnit,
    baseline_value: scaled(b.baselineValue, u.pkbScale),
    variant_value: scaled(b.variantValue, u.pkbScale),
    n_baseline: b.nBaseline,
    n_variant: b.nVariant,
  };
  if (b.ciLow !== undefined && b.ciHigh !== undefined) Object.assign(meta, { ci_low: b.ciLow, ci_high: b.ciHigh, ci_level: level, paired: b.paired });
  if (b.pValue !== undefined) meta.p_value = b.pValue;
  if (b.note !== undefined) meta.note = b.note;
  return { s: { metric: `${u.base}_boost`, value: b.boostPercent, unit: '%' }, meta };
}

/** One line as PKB's publisher writes it: metadata collapsed into `labels` (last), or kept as an object. */
function serialize(s: PkbSample, collapse: boolean): string {
  if (!collapse) return JSON.stringify(s);
  const { metadata, ...rest } = s;
  return JSON.stringify({ ...rest, labels: collapsedLabels(metadata ?? {}) });
}

/** PKB's GetLabelsFromDict: "|k:v|" sorted by key, joined by ","; values as Python's str() prints them. */
export function collapsedLabels(meta: Meta): string {
  const str = (v: string | number | boolean) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  return Object.keys(meta)
    .sort()
    .map((k) => `|${k}:${str(meta[k]!)}|`)
    .join(',');
}

/** A name-based UUID (RFC 4122 version 5, SHA-1) in vfbench's own namespace. */
function nameUuid(name: string): string {
  const namespace = Buffer.from('6f1d3c3e8a2b5e4f9c1d2a3b4c5d6e7f', 'hex');
  const h = createHash('sha1').update(namespace).update(name).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
