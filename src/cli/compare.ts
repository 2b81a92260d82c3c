// `vfbench compare` and `vfbench baseline`: sides from run directories or saved baseline files,
// the policy from flags or YAML, and the outputs a CI job wants (table, CSV, JSON, Markdown, JUnit).
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { compareSamples, poolSamples, samplesFromSummary, DEFAULT_POLICY, type CompareRow, type ComparePolicy, type Sample } from '../analysis/compare.js';
import { formatMetric, metricLabel } from '../analysis/metrics.js';
import { parseYamlWith } from '../scenario/load.js';
import { UserError } from '../util/errors.js';
import { computeAnalysis } from './stages.js';

export const BASELINE_FORMAT = 'vfbench-baseline';

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

const policySchema = z
  .object({
    min_effect_pct: z.number().min(0).max(1000).optional(),
    alpha: z.number().gt(0).lt(1).optional(),
    max_cv_pct: z.number().min(0).optional(),
    metrics: z.array(z.string().regex(/^[a-z0-9_]+$/)).min(1).optional(),
    level: z.number().gt(0.5).lt(1).optional(),
  })
  .strict();

/** Policy: defaults, then the YAML file, then flags. */
export async function loadPolicy(file: string | undefined, flags: Partial<ComparePolicy>): Promise<ComparePolicy> {
  let fromFile: Partial<ComparePolicy> = {};
  if (file) {
    const text = await readFile(file, 'utf8').catch((e: Error) => {
      throw new UserError(`cannot read ${file}: ${e.message}`);
    });
    const p = parseYamlWith(policySchema, text, file);
    fromFile = { minEffectPct: p.min_effect_pct, alpha: p.alpha, maxCvPct: p.max_cv_pct, metrics: p.metrics, level: p.level };
  }
  const defined = (o: Partial<ComparePolicy>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_POLICY, ...defined(fromFile), ...defined(flags) } as ComparePolicy;
}

export function compareSides(baseline: Side, candidate: Side, policy: ComparePolicy): CompareRow[] {
  // Runs of different scenarios may still share points (same test and parameters): those are compared.
  const rows = compareSamples(baseline.samples, candidate.samples, policy);
  if (!rows.some((r) => r.metric !== '*')) throw new UserError('the two sides have no point in common: nothing to compare');
  return rows;
}

const pct = (v: number | undefined, digits = 1) => (v === undefined ? '' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}%`);

export function compareTable(rows: CompareRow[]): string {
  const table: string[][] = [['point', 'variant', 'metric', 'baseline → candidate', 'change', 'CI', 'p', 'n', 'verdict']];
  for (const r of rows) {
    table.push([
      r.point,
      r.variant,
      r.metric === '*' ? '*' : metricLabel(r.metric),
      r.metric === '*' ? '' : `${formatMetric(r.metric, r.baselineMedian)} → ${formatMetric(r.metric, r.candidateMedian)}`,
      pct(r.improvementPct),
      r.ciLow === undefined ? '' : `[${r.ciLow.toFixed(1)}, ${r.ciHigh!.toFixed(1)}]`,
      r.pValue === undefined ? '' : r.pValue.toPrecision(2),
      `${r.nBaseline}/${r.nCandidate}`,
      r.verdict.toUpperCase() === 'REGRESSED' ? 'REGRESSED' : r.verdict,
    ]);
  }
  const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

export function verdictCounts(rows: CompareRow[]): Record<string, number> {
  const c: Record<string, number> = { improved: 0, regressed: 0, unchanged: 0, inconclusive: 0 };
  for (const r of rows) c[r.verdict]!++;
  return c;
}

export function compareMarkdown(rows: CompareRow[], meta: { baseline: Side; candidate: Side; policy: ComparePolicy }): string {
  const c = verdictCounts(rows);
  const lines = [
    `### vfbench compare: ${c.regressed ? `❌ ${c.regressed} regressed` : '✅ no regression'}`,
    '',
    `Baseline ${meta.baseline.runs.join(', ')} → candidate ${meta.candidate.runs.join(', ')}. ` +
      `Improvement is positive when the candidate is better; a change counts from ${meta.policy.minEffectPct}% at p < ${meta.policy.alpha} (Mann–Whitney), ` +
      `CI ${Math.round(meta.policy.level * 100)}% bootstrap.`,
    '',
    `${c.improved} improved · ${c.regressed} regressed · ${c.unchanged} unchanged · ${c.inconclusive} inconclusive`,
    '',
    '| point | variant | metric | baseline | candidate | change | CI | p | n | verdict |',
    '|---|---|---|---:|---:|---:|---|---:|---|---|',
  ];
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  for (const r of rows) {
    lines.push(
      `| ${esc(r.point)} | ${esc(r.variant)} | ${r.metric === '*' ? '*' : metricLabel(r.metric)} | ${r.metric === '*' ? '' : formatMetric(r.metric, r.baselineMedian)} | ${r.metric === '*' ? '' : formatMetric(r.metric, r.candidateMedian)} | ${pct(r.improvementPct)} | ${r.ciLow === undefined ? '' : `[${r.ciLow.toFixed(1)}, ${r.ciHigh!.toFixed(1)}]`} | ${r.pValue === undefined ? '' : r.pValue.toPrecision(2)} | ${r.nBaseline}/${r.nCandidate} | ${r.verdict === 'regressed' ? '**regressed**' : r.verdict} |`,
    );
  }
  return lines.join('\n') + '\n';
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: a test case per point, variant and metric; a regression is a failure, inconclusive is skipped. */
export function compareJunit(rows: CompareRow[]): string {
  const c = verdictCounts(rows);
  const cases = rows.map((r) => {
    const name = xml(`${r.point} ${r.variant} ${r.metric === '*' ? '' : metricLabel(r.metric)}`.trim());
    const open = `    <testcase classname="vfbench.compare" name="${name}">`;
    if (r.verdict === 'regressed') return `${open}\n      <failure message="${xml(r.reason)}">${xml(`${r.point} ${r.variant} ${r.metric}: ${r.reason}`)}</failure>\n    </testcase>`;
    if (r.verdict === 'inconclusive') return `${open}\n      <skipped message="${xml(r.reason)}"/>\n    </testcase>`;
    return `${open}\n      <system-out>${xml(`${r.verdict}: ${r.reason}`)}</system-out>\n    </testcase>`;
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="vfbench compare" tests="${rows.length}" failures="${c.regressed}" skipped="${c.inconclusive}">\n` +
    cases.join('\n') +
    `\n  </testsuite>\n</testsuites>\n`
  );
}

export async function writeCompareOutputs(dir: string, rows: CompareRow[], meta: { baseline: Side; candidate: Side; policy: ComparePolicy }): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = {
    'compare.csv': stringify(
      rows.map((r) => ({
        point: r.point, variant: r.variant, metric: r.metric, direction: r.direction, baseline_median: r.baselineMedian, candidate_median: r.candidateMedian,
        change_pct: r.changePct, improvement_pct: r.improvementPct, ci_low: r.ciLow, ci_high: r.ciHigh, p_value: r.pValue,
        n_baseline: r.nBaseline, n_candidate: r.nCandidate, verdict: r.verdict, reason: r.reason, key: r.key,
      })),
      { header: true },
    ),
    'compare.json': JSON.stringify({ baseline: { scenario: meta.baseline.scenario, runs: meta.baseline.runs }, candidate: { scenario: meta.candidate.scenario, runs: meta.candidate.runs }, policy: meta.policy, counts: verdictCounts(rows), rows }, null, 2) + '\n',
    'compare.md': compareMarkdown(rows, meta),
    'compare.junit.xml': compareJunit(rows),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return Object.keys(files).map((f) => join(dir, f));
}
