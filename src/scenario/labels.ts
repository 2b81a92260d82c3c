// Run labels: what a team queries runs by (vm_size, region, kernel, runner…). Given in the scenario's
// `labels:`, on the command line (`--label k=v`) and read from the hosts (kernel, driver, VM size). A label
// becomes a column of every table and a label of every exported sample, so its name is a plain
// identifier (SQL, pandas, OpenMetrics) that no column of the tables already has.
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { inlineSecret } from '../util/secrets.js';

export type Labels = Record<string, string>;

/** Lower-case identifiers: the same name in SQL, a DataFrame, a Prometheus label and a YAML key. */
export const LABEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Columns of the tidy tables (docs/tables.md; test/unit/tables.test.ts checks that every one is here) and
 * fields of the exports: a label of one of these names would collide with them.
 */
export const RESERVED_LABELS = new Set([
  // every table: the run, the point's identity
  'run_id', 'scenario', 'point', 'test', 'tool', 'mode', 'protocol', 'size_bytes', 'streams', 'pair', 'group', 'bg_rate_pkt_s', 'variant',
  // trials, timeseries
  'repetition', 'trial', 'seq', 'status', 'latency_kind', 'path_expected', 'path_observed', 'failure', 'started', 'start_skew_ms', 'metric', 'unit',
  'value', 't_s',
  // summary, boost
  'n_ok', 'n_invalid', 'n_failed', 'n', 'median', 'mean', 'ci_low', 'ci_high', 'ci_level', 'cv_pct', 'baseline_variant', 'direction',
  'baseline_median', 'variant_median', 'boost_pct', 'boost_ci_low_pct', 'boost_ci_high_pct', 'paired', 'p_value', 'n_baseline', 'n_variant', 'boost_note',
  // compare
  'candidate_run_id', 'candidate_scenario', 'baseline_run_ids', 'baseline_scenario', 'candidate_median', 'n_candidate', 'change_pct',
  'improvement_pct', 'improvement_ci_low_pct', 'improvement_ci_high_pct', 'verdict', 'reason',
  // names of earlier tables and of the exports
  'point_key', 'size', 'rate', 'bg_rate', 'ended', 'timestamp', 'run_uri', 'labels', 'side',
]);

function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return `label name "${name}" must be lower-case letters, digits and _ (not first a digit), at most 63 characters`;
  if (RESERVED_LABELS.has(name)) return `label name "${name}" is a column of vfbench's tables: choose another name`;
  if (name.startsWith('__')) return `label name "${name}": names starting with __ are reserved (Prometheus)`;
  return undefined;
}

/** A label value: one line of printable text (it reaches CSV cells, SQL and OpenMetrics label values). */
const labelValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((v) => String(v))
  .refine((v) => v.length > 0 && v.length <= 200, 'a label value is 1 to 200 characters')
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'a label value is one line without control characters');

/** Labels go to the history, the tables and the exports (a shared database, a pushgateway): never a secret. */
function secretProblem(name: string, value: string): string | undefined {
  const kind = inlineSecret(`${name}=${value}`);
  return kind ? `looks like ${kind}: labels are stored and exported, so never a secret` : undefined;
}

/** The scenario's `labels:` (numbers and booleans in YAML become their text: `kernel: 6.8` is "6.8"). */
export const labelsSchema = z
  .record(
    z.string().superRefine((k, ctx) => {
      const p = labelNameProblem(k);
      if (p) ctx.addIssue({ code: 'custom', message: p });
    }),
    labelValue,
  )
  .superRefine((labels, ctx) => {
    for (const [k, v] of Object.entries(labels)) {
      const p = secretProblem(k, v);
      if (p) ctx.addIssue({ code: 'custom', path: [k], message: p });
    }
  });

/** `--label k=v` arguments (repeatable) into labels; a wrong one names itself. */
export function parseLabelArgs(args: readonly string[] | undefined, option = '--label'): Labels {
  const labels: Labels = {};
  for (const arg of args ?? []) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UserError(`${option} ${arg}: expected name=value`);
    const [name, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const problem = labelNameProblem(name);
    if (problem) throw new UserError(`${option} ${arg}: ${problem}`);
    const v = labelValue.safeParse(value);
    if (!v.success) throw new UserError(`${option} ${arg}: ${v.error.issues[0]!.message}`);
    const secret = secretProblem(name, v.data);
    if (secret) throw new UserError(`${option} ${name}=…: ${secret}`); // not echoed: it is the secret
    labels[name] = v.data;
  }
  return labels;
}
