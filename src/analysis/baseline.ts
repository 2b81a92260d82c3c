// The sides of a comparison (`vfbench compare`, `vfbench baseline`, nightly): a run directory, or a
// baseline file that pools runs of one scenario.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { compareSamples, poolSamples, samplesFromSummary, type CompareRow, type ComparePolicy, type Sample } from './compare.js';
import { UserError } from '../util/errors.js';
import { computeAnalysis } from './run-analysis.js';

const BASELINE_FORMAT = 'vfbench-baseline';

export interface BaselineFile {
  format: typeof BASELINE_FORMAT;
  version: 1;
  scenario: string;
  runs: string[];
  created: string;
  samples: Sample[];
}

export interface Side {
  scenario: string;
  runs: string[];
  samples: Sample[];
}

/** A side of a comparison: a run directory, or a baseline file saved by `vfbench baseline`. */
export async function loadSide(path: string): Promise<Side> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new UserError(`${path} does not exist`);
  if (s.isDirectory()) {
    const { analysis, manifest } = await computeAnalysis(path);
    return { scenario: manifest.scenario.name, runs: [analysis.run], samples: samplesFromSummary(analysis.summary, analysis.run) };
  }
  let data: BaselineFile;
  try {
    data = JSON.parse(await readFile(path, 'utf8')) as BaselineFile;
  } catch (err) {
    throw new UserError(`${path} is neither a run directory nor a baseline file: ${(err as Error).message}`);
  }
  if (data.format !== BASELINE_FORMAT || data.version !== 1) throw new UserError(`${path} is not a ${BASELINE_FORMAT} version 1 file`);
  return { scenario: data.scenario, runs: data.runs, samples: data.samples };
}

/** Pool runs of one scenario into a baseline file. */
export async function saveBaseline(runDirs: string[], file: string): Promise<BaselineFile> {
  const sides = await Promise.all(runDirs.map(loadSide));
  const scenarios = new Set(sides.map((s) => s.scenario));
  if (scenarios.size > 1) throw new UserError(`the runs are of different scenarios: ${[...scenarios].join(', ')}`);
  const b: BaselineFile = {
    format: BASELINE_FORMAT,
    version: 1,
    scenario: sides[0]!.scenario,
    runs: sides.flatMap((s) => s.runs),
    created: new Date().toISOString(),
    samples: poolSamples(sides.map((s) => s.samples)),
  };
  await writeFile(file, JSON.stringify(b, null, 2) + '\n');
  return b;
}

export function compareSides(baseline: Side, candidate: Side, policy: ComparePolicy): CompareRow[] {
  // Runs of different scenarios may still share points (same test and parameters): those are compared.
  const rows = compareSamples(baseline.samples, candidate.samples, policy);
  if (!rows.some((r) => r.metric !== '*')) throw new UserError('the two sides have no point in common: nothing to compare');
  return rows;
}
