// The identity of a measured point across runs: what was measured, not its place in the plan. compare
// matches points by it; baseline files and the history database store it.
import type { PointRef } from './record.js';

/** A point as the analysis tables show it: the test by its name. */
export type MeasuredPoint = Omit<PointRef, 'test' | 'testName'> & { test: string };

/**
 * The key of a point and variant: test|tool|mode|protocol|size|streams|pair<n> (grouped: <group>.pair<n>)|bg<rate>|variant.
 * The background rate is there when the test has a background (two rates of one point are two points), the pair
 * always (two pairs of one group are two points); a point without a rate or group keeps the key vfbench 0.1
 * gave it, so baseline files and histories written then still match.
 */
export function pointVariantKey(p: MeasuredPoint, variant: string): string {
  const rate = p.rate !== undefined ? [`bg${p.rate}`] : [];
  const pair = p.group !== undefined ? `${p.group}.pair${p.pair}` : `pair${p.pair}`;
  return [p.test, p.tool, p.mode, p.protocol, p.size, p.streams ?? 1, pair, ...rate, variant].join('|');
}

/** A key vfbench 0.1 gave a grouped point: the group without the pair (two pairs of a group collided). */
export function isLegacyGroupKey(key: string): boolean {
  const slot = key.split('|')[6];
  return slot !== undefined && !/^(.+\.)?pair\d+$/.test(slot);
}

/** The background rate a point's label names ("… bg 20000 pkt/s", as analysis/metrics.ts pointLabel writes it). */
export function labelledRate(label: string): number | undefined {
  const m = /\bbg (\d+) pkt\/s\b/.exec(label);
  return m ? Number(m[1]) : undefined;
}

/**
 * A key written by vfbench 0.1, which left a point's background rate out: the key it has now, the rate taken
 * from the point's label. Keys that have their rate, or whose point has none, are kept.
 */
export function upgradeLegacyKey(key: string, label: string): string {
  const rate = labelledRate(label);
  const parts = key.split('|');
  if (rate === undefined || parts.some((x) => /^bg\d+$/.test(x))) return key;
  parts.splice(parts.length - 1, 0, `bg${rate}`);
  return parts.join('|');
}
