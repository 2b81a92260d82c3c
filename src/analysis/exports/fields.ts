// What both standard exports (PerfKitBenchmarker samples, OpenMetrics) say of a run: its labels, a point's
// dimensions, and each metric's unit as the two formats write it. vfbench's metric names carry their unit
// (_us, _ms, _bps, _pct, _per_s; see ../metrics.ts); the exports convert to the unit their consumers expect.
import type { Manifest } from '../../results/manifest.js';
import type { Analysis, PointInfo } from '../analyze.js';

/** What an export reads: the manifest and the analysis of one run. */
export interface ExportInput {
  manifest: Manifest;
  a: Analysis;
}

/**
 * A point's dimensions and the variant, in a fixed order, units in the names (as the tidy tables name
 * them). Absent ones are undefined: OpenMetrics writes them empty so a family's label set never varies.
 */
export function pointDimensions(p: PointInfo & { variant: string }): [string, string | number | undefined][] {
  return [
    ['test', p.test],
    ['tool', p.tool],
    ['mode', p.mode],
    ['protocol', p.protocol],
    ['size_bytes', p.size],
    ['streams', p.streams ?? 1],
    ['bg_rate_pkt_s', p.rate],
    ['pair', p.pair],
    ['group', p.group],
    ['variant', p.variant],
    ['latency_kind', p.latencyKind],
  ];
}

/**
 * The run's labels (none for runs made before labels), without those whose name an export uses for a field
 * of its own (`taken`): the field wins and the label is named in `shadowed`, for a warning.
 */
export function runLabels(manifest: Manifest, taken: ReadonlySet<string>): { labels: [string, string][]; shadowed: string[] } {
  const all = Object.entries(manifest.labels ?? {}).sort(([x], [y]) => x.localeCompare(y));
  return { labels: all.filter(([k]) => !taken.has(k)), shadowed: all.filter(([k]) => taken.has(k)).map(([k]) => k) };
}

/** The run's end (its start if it never ended), in Unix seconds: the time of every exported sample. */
export function runTimestamp(manifest: Manifest): number {
  return Date.parse(manifest.ended ?? manifest.started) / 1000;
}

/**
 * A metric as an export writes it: its name without vfbench's unit suffix (`base`), and the unit and scale
 * (value × scale) for PerfKitBenchmarker (the units of PKB's netperf/iperf/ping samples) and for OpenMetrics
 * (Prometheus base units: seconds, bytes, ratios; `omUnit` undefined when there is none to declare).
 */
export interface ExportUnits {
  base: string;
  pkbUnit: string;
  pkbScale: number;
  omName: string;
  omUnit?: string;
  omScale: number;
}

/** Metrics whose name carries no unit suffix, or whose suffix is not one of the usual ones. */
const SPECIAL: Record<string, Omit<ExportUnits, 'base'>> = {
  background_pps: { pkbUnit: 'packets/s', pkbScale: 1, omName: 'background_packets_per_second', omScale: 1 },
  cpu_cores: { pkbUnit: 'cores', pkbScale: 1, omName: 'cpu_cores', omScale: 1 },
  cpu_cores_per_gbps: { pkbUnit: 'cores/(Gbits/sec)', pkbScale: 1, omName: 'cpu_cores_per_gbps', omScale: 1 },
  // CPU ms per 1000 transactions = CPU µs per transaction.
  cpu_ms_per_1k_trans: { pkbUnit: 'ms/1000 transactions', pkbScale: 1, omName: 'cpu_seconds_per_transaction', omScale: 1e-6 },
  count: { pkbUnit: 'messages', pkbScale: 1, omName: 'messages', omScale: 1 },
  warmup_dropped: { pkbUnit: 'messages', pkbScale: 1, omName: 'warmup_dropped_messages', omScale: 1 },
  dropped_messages: { pkbUnit: 'messages', pkbScale: 1, omName: 'dropped_messages', omScale: 1 },
  lost_messages: { pkbUnit: 'messages', pkbScale: 1, omName: 'lost_messages', omScale: 1 },
};

export function exportUnits(name: string): ExportUnits {
  const special = SPECIAL[name];
  if (special) return { base: name, ...special };
  const suffix = /^(.+)_(us|ms|bps|pct|per_s)$/.exec(name);
  if (!suffix) return { base: name, pkbUnit: '', pkbScale: 1, omName: name, omScale: 1 };
  const base = suffix[1]!;
  switch (suffix[2]) {
    case 'us':
      return { base, pkbUnit: 'us', pkbScale: 1, omName: `${base}_seconds`, omUnit: 'seconds', omScale: 1e-6 };
    case 'ms':
      return { base, pkbUnit: 'ms', pkbScale: 1, omName: `${base}_seconds`, omUnit: 'seconds', omScale: 1e-3 };
    // PKB's netperf and iperf throughputs are Mbits/sec; Prometheus measures data in bytes.
    case 'bps':
      return { base, pkbUnit: 'Mbits/sec', pkbScale: 1e-6, omName: `${base}_bytes_per_second`, omUnit: 'bytes_per_second', omScale: 1 / 8 };
    // Prometheus wants ratios (0–1), not percentages.
    case 'pct':
      return { base, pkbUnit: '%', pkbScale: 1, omName: `${base}_ratio`, omUnit: 'ratio', omScale: 0.01 };
    default:
      // netperf's TCP_RR rate is 'transactions_per_second' in PKB; the others read "round_trips/s".
      return { base, pkbUnit: base === 'transactions' ? 'transactions_per_second' : `${base.replace(/^(client|server)_/, '')}/s`, pkbScale: 1, omName: `${base}_per_second`, omScale: 1 };
  }
}
