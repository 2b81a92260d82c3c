// The metric catalogue: which way is better, which ones headline a point, how to print them.
// Names carry their unit: _us microseconds, _ms milliseconds, _bps bits/s, _per_s rates, _pct percent.

export type Direction = 'lower' | 'higher';

/** Which metrics are performance figures, and which way is better; undefined = not compared. */
export function metricDirection(name: string): Direction | undefined {
  // Per-host sampler readings and the background load describe a trial; they are not its result.
  if (name.startsWith('client_') || name.startsWith('server_') || name.startsWith('background_')) return undefined;
  // CPU cost: less is better (cpu_cores, cpu_cores_per_gbps, cpu_ms_per_1k_trans).
  if (name.startsWith('cpu_') || name === 'gap_ms' || name === 'lost_messages') return 'lower';
  if (name.endsWith('_us') || name === 'jitter_ms' || name === 'lost_pct') return 'lower';
  if (name.endsWith('_per_s') || name.endsWith('_bps')) return 'higher';
  return undefined;
}

/** Metrics that headline a point, in this order; a point shows the first few it has. */
export const HEADLINE = [
  'p50_us', 'p99_us', 'p99_9_us', 'transactions_per_s', 'throughput_bps', 'reverse_throughput_bps', 'sent_bps', 'messages_per_s', 'jitter_ms', 'lost_pct',
];

export function headlineMetrics(metrics: Record<string, number>, count = 3): string[] {
  return HEADLINE.filter((m) => metrics[m] !== undefined).slice(0, count);
}

export function metricLabel(name: string): string {
  const labels: Record<string, string> = {
    transactions_per_s: 'transactions/s',
    throughput_bps: 'throughput',
    reverse_throughput_bps: 'reverse throughput',
    sent_bps: 'sent',
    messages_per_s: 'messages/s',
    jitter_ms: 'jitter',
    lost_pct: 'loss',
    cpu_cores: 'busy CPUs',
    cpu_cores_per_gbps: 'CPUs per Gbit/s',
    cpu_ms_per_1k_trans: 'CPU ms per 1000 transactions',
    round_trips_per_s: 'round trips/s',
    background_pps: 'background packets/s',
    gap_ms: 'longest gap',
    lost_messages: 'messages lost',
  };
  const pct = /^p(\d+)(?:_(\d+))?_us$/.exec(name);
  if (pct) return `p${pct[1]}${pct[2] ? `.${pct[2]}` : ''}`;
  return labels[name] ?? name;
}

/**
 * A metric's unit, for machines (the `unit` column of the tables): from the suffix of its name; a name
 * without a unit suffix counts things.
 */
export function metricUnit(name: string): string {
  const special: Record<string, string> = { cpu_cores_per_gbps: 'cores/(Gbit/s)', cpu_ms_per_1k_trans: 'ms/1000 transactions' };
  if (special[name]) return special[name];
  const suffixes: [RegExp, string][] = [
    [/_us$/, 'us'], [/_ms$/, 'ms'], [/_per_s$/, '1/s'], [/_s$/, 's'], [/_gbps$/, 'Gbit/s'], [/_bps$/, 'bit/s'], [/_pps$/, 'packets/s'],
    [/_mps$/, 'messages/s'], [/_pct$/, '%'], [/_bytes$/, 'bytes'], [/(^|_)cores$/, 'cores'],
  ];
  return suffixes.find(([re]) => re.test(name))?.[1] ?? 'count';
}

/** A value with its unit, for people: 74.9 µs, 9.41 Gbit/s, 17039/s. */
export function formatMetric(name: string, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  if (name.endsWith('_us')) return `${v.toFixed(1)} µs`;
  if (name.endsWith('_ms')) return `${v.toFixed(3)} ms`;
  if (name.endsWith('_bps')) return v >= 1e9 ? `${(v / 1e9).toFixed(2)} Gbit/s` : `${(v / 1e6).toFixed(1)} Mbit/s`;
  if (name.endsWith('_per_s')) return `${Math.round(v)}/s`;
  if (name.endsWith('_pct')) return `${v.toFixed(2)}%`;
  return String(v);
}

/** How a point reads in tables: test, mode, protocol, size and streams where they say something. */
type Labelled = { test: string; mode: string; protocol: string; size: number; streams?: number; rate?: number; group?: string };

export function pointLabel(p: Labelled): string {
  return pointLabelParts(p).join(' ');
}

/**
 * Labels of points side by side in a figure, without what they all share (said once, in `common`): on an
 * axis "64B" and "1024B" read better than two long labels differing at their end.
 */
export function shortPointLabels<P extends Labelled>(points: P[]): { label: (p: P) => string; common: string } {
  const parts = points.map(pointLabelParts);
  const shared = (parts[0] ?? []).filter((x) => parts.every((ps) => ps.includes(x)));
  if (points.length < 2 || shared.length === parts[0]!.length) return { label: pointLabel, common: '' };
  return { label: (p) => pointLabelParts(p).filter((x) => !shared.includes(x)).join(' ') || pointLabel(p), common: shared.join(' ') };
}

function pointLabelParts(p: Labelled): string[] {
  const parts = [p.test];
  if (!p.test.includes(p.mode)) parts.push(p.mode);
  parts.push(p.protocol);
  if (p.size > 0) parts.push(`${p.size}B`);
  if ((p.streams ?? 1) > 1) parts.push(`×${p.streams}`);
  if (p.rate !== undefined) parts.push(`bg ${p.rate} pkt/s`);
  if (p.group) parts.push(p.group);
  return parts;
}

type Sortable = { test: string; mode: string; protocol: string; size: number; streams?: number; rate?: number; pair: number };

/** Reading order of points in figures: by test, mode, protocol, then sizes, streams and rates as numbers. */
export function comparePoints(x: Sortable, y: Sortable): number {
  return (
    x.test.localeCompare(y.test) ||
    x.mode.localeCompare(y.mode) ||
    x.protocol.localeCompare(y.protocol) ||
    x.size - y.size ||
    (x.streams ?? 1) - (y.streams ?? 1) ||
    (x.rate ?? 0) - (y.rate ?? 0) ||
    x.pair - y.pair
  );
}
