// The sides of a comparison (`vfbench compare`, `vfbench baseline`, nightly): a run directory, or a
// baseline file that pools runs of one scenario.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { compareSamples, poolSamples, samplesFromSummary, type CompareRow, type ComparePolicy, type Sample } from './compare.js';
import { UserError } from '../util/errors.js';
import { isLegacyGroupKey, labelledRate } from '../results/point.js';
import { computeAnalysis } from './run-analysis.js';

const BASELINE_FORMAT = 'vfbench-baseline';

/**
 * Version 2: a point's key has its background rate (results/point.ts). Version 1 (vfbench 0.1) pooled the
 * rates of a point into one sample: its points without a background are read, a point with one is refused.
 */
const BASELINE_VERSION = 2;

export interface BaselineFile {
  format: typeof BASELINE_FORMAT;
  version: 1 | typeof BASELINE_VERSION;
  scenario: string;
  runs: string[];
  created: string;
  /** The labels all its runs share (same name, same value); absent in files written before labels. */
  labels?: Record<string, string>;
  samples: Sample[];
}

export interface Side {
  scenario: string;
  runs: string[];
  samples: Sample[];
  /** The labels its runs share (manifest.labels; the history's run labels), for names in reports. */
  labels?: Record<string, string>;
}

/** A side of a comparison: a run directory, or a baseline file saved by `vfbench baseline`. */
export async function loadSide(path: string): Promise<Side> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new UserError(`${path} does not exist`);
  if (s.isDirectory()) {
    const { analysis, manifest } = await computeAnalysis(path);
    return { scenario: manifest.scenario.name, runs: [analysis.run], labels: manifest.labels ?? {}, samples: samplesFromSummary(analysis.summary, analysis.run) };
  }
  return readBaselineFile(path);
}

async function readBaselineFile(path: string): Promise<Side> {
  let data: BaselineFile;
  try {
    data = JSON.parse(await readFile(path, 'utf8')) as BaselineFile;
  } catch (err) {
    throw new UserError(`${path} is neither a run directory nor a baseline file: ${(err as Error).message}`);
  }
  if (data.format !== BASELINE_FORMAT || (data.version !== 1 && data.version !== BASELINE_VERSION)) {
    throw new UserError(`${path} is not a ${BASELINE_FORMAT} file of version 1 or ${BASELINE_VERSION}`);
  }
  const pooled = data.version === 1 ? data.samples.find((x) => labelledRate(x.label) !== undefined) : undefined;
  if (pooled) throw new UserError(`${path} was written by vfbench 0.1, which pooled the background rates of a point (${pooled.label}): make it again with vfbench baseline`);
  const grouped = data.version === 1 ? data.samples.find((x) => isLegacyGroupKey(x.key)) : undefined;
  if (grouped) throw new UserError(`${path} was written by vfbench 0.1, which pooled the pairs of a group (${grouped.label}): make it again with vfbench baseline`);
  return { scenario: data.scenario, runs: data.runs, labels: data.labels ?? {}, samples: data.samples };
}

/** Pool runs of one scenario into a baseline file. */
export async function saveBaseline(runDirs: string[], file: string): Promise<BaselineFile> {
  const sides = await Promise.all(runDirs.map(loadSide));
  const scenarios = new Set(sides.map((s) => s.scenario));
  if (scenarios.size > 1) throw new UserError(`the runs are of different scenarios: ${[...scenarios].join(', ')}`);
  const b: BaselineFile = {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    scenario: sides[0]!.scenario,
    runs: sides.flatMap((s) => s.runs),
    created: new Date().toISOString(),
    labels: sharedLabels(sides.map((s) => s.labels ?? {})),
    samples: poolSamples(sides.map((s) => s.samples)),
  };
  await writeFile(file, JSON.stringify(b, null, 2) + '\n');
  return b;
}

/** The labels every one of the sets has with the same value (a pool of runs is named by what they share). */
export function sharedLabels(sets: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = sets;
  return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => rest.every((l) => l[k] === v)));
}

export function compareSides(baseline: Side, candidate: Side, policy: ComparePolicy): CompareRow[] {
  // Runs of different scenarios may still share points (same test and parameters): those are compared.
  const rows = compareSamples(baseline.samples, candidate.samples, policy);
  if (!rows.some((r) => r.metric !== '*')) throw new UserError('the two sides have no point in common: nothing to compare');
  return rows;
}
