// The Boost% table printed after a run and by `vfbench analyze`.
import type { Analysis, BoostRow } from '../analysis/analyze.js';
import { formatMetric, headlineMetrics, metricLabel, pointLabel } from '../analysis/metrics.js';

/** Columns padded to their widest cell. */
function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function boostCells(r: BoostRow): string[] {
  return [
    `${formatMetric(r.metric, r.baselineValue)} → ${formatMetric(r.metric, r.variantValue)}`,
    `${r.boostPercent >= 0 ? '+' : ''}${r.boostPercent.toFixed(1)}%`,
    r.ciLow === undefined ? '-' : `[${r.ciLow.toFixed(1)}, ${r.ciHigh!.toFixed(1)}]`,
    r.pValue === undefined ? '-' : r.pValue < 0.001 ? '<0.001' : r.pValue.toFixed(3),
    `${r.nBaseline}/${r.nVariant}${r.note ? ` (${r.note})` : ''}`,
  ];
}

/**
 * Per point and variant, its headline metrics (latency percentiles, transaction rate or throughput,
 * whichever the tool measured), baseline → variant.
 */
export function boostTable(a: Analysis): string {
  const rows: string[][] = [['point', 'variant', 'metric', `${a.baseline} → variant`, 'Boost%', `${Math.round(a.level * 100)}% CI`, 'p', 'n']];
  const seen = new Set<string>();
  for (const b of a.boost) {
    const key = `${b.pointKey}\0${b.variant}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const mine = a.boost.filter((x) => x.pointKey === b.pointKey && x.variant === b.variant);
    const values = Object.fromEntries(mine.map((x) => [x.metric, x.variantValue]));
    headlineMetrics(values).forEach((m, i) => {
      rows.push([i === 0 ? pointLabel(b) : '', i === 0 ? b.variant : '', metricLabel(m), ...boostCells(mine.find((x) => x.metric === m)!)]);
    });
  }
  return textTable(rows);
}
