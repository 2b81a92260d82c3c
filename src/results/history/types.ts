// What the history holds: runs with their labels, their points (every dimension apart), each metric's
// repetition values and summary, and the verdicts nightly judged.
import { labelsText } from '../manifest.js';
import type { Labels } from '../../scenario/labels.js';

export interface HistoryRun {
  id: string;
  scenario: string;
  started?: string;
  ended?: string;
  status?: string;
  dir?: string;
  added: string;
  vfbench?: string;
  /** The run's labels (manifest.labels); {} for runs made before labels. */
  labels: Labels;
}

/** One metric of a point and variant: its values by repetition (1-based) and their summary. */
export interface MetricValues {
  n: number;
  median: number | null;
  ciLow?: number;
  ciHigh?: number;
  values: number[];
  repetitions: number[];
}

/** One point and variant of a run: its identity (results/point.ts), its dimensions, its metrics. */
export interface HistoryPoint {
  /** pointVariantKey; the tables' `point` is it without the variant (column `point` in SQL). */
  key: string;
  /** The point as people read it (pointLabel: "sockperf-ping-pong udp 64B"): column `point_label`. */
  label: string;
  variant: string;
  latencyKind?: string;
  test?: string;
  tool?: string;
  mode?: string;
  protocol?: string;
  sizeBytes?: number;
  streams?: number;
  bgRatePktS?: number;
  pair?: number;
  group?: string;
  metrics: Record<string, MetricValues>;
}

/** What a verdict measured, as compare makes it (analysis/compare.ts CompareRow) and the history keeps it. */
export interface VerdictMeasures {
  /** As people read it (compare's `point`): column `point_label`; column `point` is the tables' point. */
  point: string;
  variant: string;
  metric: string;
  baselineMedian?: number;
  candidateMedian?: number;
  /** (candidate − baseline) / baseline × 100, as measured. */
  changePct?: number;
  /** The change with the sign of "better": positive = the candidate is better. */
  improvementPct?: number;
  ciLow?: number;
  ciHigh?: number;
  pValue?: number;
  nBaseline: number;
  nCandidate: number;
  reason: string;
}

/** One row of nightly's judgement against the baseline runs. */
export interface HistoryVerdict extends VerdictMeasures {
  pointKey: string;
  verdict: string;
}

/** A run with everything the history keeps of it: what `add` writes and `import` copies. */
export interface RunBundle {
  run: HistoryRun;
  points: HistoryPoint[];
  verdicts?: { baselineRuns: string[]; judged: string; rows: HistoryVerdict[] };
}

/** A baseline is chosen per scenario and label selection: the selection as stored ({} = the scenario's). */
export function selectionKey(selection: Labels): string {
  return JSON.stringify(Object.fromEntries(Object.entries(selection).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** Whether a run's labels have every label of a selection. */
export const matchesSelection = (labels: Labels, selection: Labels) => Object.entries(selection).every(([k, v]) => labels[k] === v);

export const describeSelection = (selection: Labels) => labelsText(selection) || 'no label selection';
