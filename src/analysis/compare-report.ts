// compare's outputs, as a CI job wants them: a text table, CSV, JSON, Markdown (a PR comment) and JUnit XML.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { verdictCounts, type CompareRow, type ComparePolicy } from './compare.js';
import { formatMetric, metricLabel } from './metrics.js';
import type { Side } from './baseline.js';

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

function compareMarkdown(rows: CompareRow[], meta: { baseline: Side; candidate: Side; policy: ComparePolicy }): string {
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
function compareJunit(rows: CompareRow[]): string {
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
