// compare's outputs, as a CI job wants them: a text table, CSV, JSON, Markdown (a PR comment) and JUnit XML.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verdictCounts, type CompareRow, type ComparePolicy } from './compare.js';
import { formatMetric, metricLabel, metricUnit } from './metrics.js';
import type { Side } from './baseline.js';
import { labelColumns, pointOfKey, writeTable, POINT_COLUMNS, type TableRow } from '../results/tables.js';

/** nameLabels: the labels that name the comparison (default: all but those in UNNAMED_LABELS). */
type Meta = { baseline: Side; candidate: Side; policy: ComparePolicy; nameLabels?: string[] };

/**
 * Labels left out of the names by default: a kernel upgrade (or Azure moving a VM from an mlx5 VF to a MANA
 * one) would rename every case of a CI report, and a CI tool would lose each case's history exactly when
 * it matters.
 */
export const UNNAMED_LABELS = ['kernel', 'driver'];

/**
 * What names this comparison in a CI report: the candidate's scenario and labels ("lab-quick
 * [region=westeurope, vm_size=D8s_v5]"), so that several scenarios and VM sizes in one report do not collide.
 */
export function compareName(candidate: Side, nameLabels?: string[]): string {
  const labels = candidate.labels ?? {};
  const names = labelColumns(labels).filter((k) => (nameLabels ? nameLabels.includes(k) : !UNNAMED_LABELS.includes(k)));
  return names.length ? `${candidate.scenario} [${names.map((k) => `${k}=${labels[k]}`).join(', ')}]` : candidate.scenario;
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

function compareMarkdown(rows: CompareRow[], meta: Meta): string {
  const c = verdictCounts(rows);
  const lines = [
    `### vfbench compare ${esc(compareName(meta.candidate, meta.nameLabels))}: ${c.regressed ? `❌ ${c.regressed} regressed` : '✅ no regression'}`,
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
  for (const r of rows) {
    lines.push(
      `| ${esc(r.point)} | ${esc(r.variant)} | ${r.metric === '*' ? '*' : metricLabel(r.metric)} | ${r.metric === '*' ? '' : formatMetric(r.metric, r.baselineMedian)} | ${r.metric === '*' ? '' : formatMetric(r.metric, r.candidateMedian)} | ${pct(r.improvementPct)} | ${r.ciLow === undefined ? '' : `[${r.ciLow.toFixed(1)}, ${r.ciHigh!.toFixed(1)}]`} | ${r.pValue === undefined ? '' : r.pValue.toPrecision(2)} | ${r.nBaseline}/${r.nCandidate} | ${r.verdict === 'regressed' ? '**regressed**' : r.verdict} |`,
    );
  }
  return lines.join('\n') + '\n';
}

const esc = (s: string) => s.replace(/\|/g, '\\|');
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * JUnit XML: a test case per point, variant and metric; a regression is a failure, inconclusive is skipped.
 * The suite and every case begin with compareName: CI tools key cases by their names across suites.
 */
function compareJunit(rows: CompareRow[], candidate: Side, nameLabels?: string[]): string {
  const c = verdictCounts(rows);
  const name = compareName(candidate, nameLabels);
  const suite = `vfbench compare ${name}`;
  const cases = rows.map((r) => {
    const caseName = xml(`${name} ${r.point} ${r.variant} ${r.metric === '*' ? '' : metricLabel(r.metric)}`.trim());
    const open = `    <testcase classname="vfbench.compare" name="${caseName}">`;
    if (r.verdict === 'regressed') return `${open}\n      <failure message="${xml(r.reason)}">${xml(`${r.point} ${r.variant} ${r.metric}: ${r.reason}`)}</failure>\n    </testcase>`;
    if (r.verdict === 'inconclusive') return `${open}\n      <skipped message="${xml(r.reason)}"/>\n    </testcase>`;
    return `${open}\n      <system-out>${xml(`${r.verdict}: ${r.reason}`)}</system-out>\n    </testcase>`;
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${xml(suite)}" tests="${rows.length}" failures="${c.regressed}" skipped="${c.inconclusive}">\n` +
    cases.join('\n') +
    `\n  </testsuite>\n</testsuites>\n`
  );
}

/** compare.csv's columns: the candidate run and its labels, the baseline's runs, the point, the judgement. */
export function compareColumns(candidate: Side): string[] {
  return [
    'candidate_run_id', 'candidate_scenario', ...labelColumns(candidate.labels ?? {}), 'baseline_run_ids', 'baseline_scenario', ...POINT_COLUMNS,
    'variant', 'metric', 'unit', 'direction', 'baseline_median', 'candidate_median', 'n_baseline', 'n_candidate', 'change_pct', 'improvement_pct',
    'improvement_ci_low_pct', 'improvement_ci_high_pct', 'ci_level', 'p_value', 'verdict', 'reason',
  ];
}

/** compare's rows as the tidy table has them (a row per point, variant and metric; '*' for a point one side lacks). */
export function compareTableRows(rows: CompareRow[], meta: Meta): TableRow[] {
  const run: TableRow = {
    candidate_run_id: meta.candidate.runs.join(' '), candidate_scenario: meta.candidate.scenario, ...meta.candidate.labels,
    baseline_run_ids: meta.baseline.runs.join(' '), baseline_scenario: meta.baseline.scenario,
  };
  return rows.map((r) => ({
    ...run, ...pointOfKey(r.key, r.variant), variant: r.variant, metric: r.metric, unit: r.metric === '*' ? undefined : metricUnit(r.metric),
    direction: r.direction, baseline_median: r.baselineMedian, candidate_median: r.candidateMedian, n_baseline: r.nBaseline, n_candidate: r.nCandidate,
    change_pct: r.changePct, improvement_pct: r.improvementPct, improvement_ci_low_pct: r.ciLow, improvement_ci_high_pct: r.ciHigh,
    ci_level: r.ciLow === undefined ? undefined : meta.policy.level, p_value: r.pValue, verdict: r.verdict, reason: r.reason,
  }));
}

export async function writeCompareOutputs(dir: string, rows: CompareRow[], meta: Meta): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await writeTable(dir, 'compare', compareColumns(meta.candidate), compareTableRows(rows, meta));
  const side = (s: Side) => ({ scenario: s.scenario, runs: s.runs, labels: s.labels ?? {} });
  const files = {
    'compare.json': JSON.stringify({ name: compareName(meta.candidate, meta.nameLabels), baseline: side(meta.baseline), candidate: side(meta.candidate), policy: meta.policy, counts: verdictCounts(rows), rows }, null, 2) + '\n',
    'compare.md': compareMarkdown(rows, meta),
    'compare.junit.xml': compareJunit(rows, meta.candidate, meta.nameLabels),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return ['compare.csv', 'compare.jsonl', ...Object.keys(files)].map((f) => join(dir, f));
}
