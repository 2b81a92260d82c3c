// Run labels: what a team queries runs by (vm_size, region, kernel, runner…). Given in the scenario's
// `labels:`, on the command line (`--label k=v`) and read from the hosts (kernel, driver, VM size). A label
// becomes a column of every table and a label of every exported sample, so its name is a plain
// identifier (SQL, pandas, OpenMetrics) that no column of the tables already has.
import { z } from 'zod';
import { UserError } from '../util/errors.js';

export type Labels = Record<string, string>;

/** Lower-case identifiers: the same name in SQL, a DataFrame, a Prometheus label and a YAML key. */
export const LABEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Columns of the tidy tables and fields of the exports: a label of one of these names would collide with
 * them. (docs/tables.md lists them.)
 */
export const RESERVED_LABELS = new Set([
  'run_id', 'scenario', 'point', 'point_key', 'test', 'tool', 'mode', 'protocol', 'size', 'size_bytes', 'streams',
  'rate', 'bg_rate', 'bg_rate_pkt_s', 'pair', 'group', 'variant', 'repetition', 'trial', 'seq', 'metric', 'unit', 'value',
  'status', 'latency_kind', 'started', 'ended', 'timestamp', 'run_uri', 'labels', 'verdict', 'side',
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

/** The scenario's `labels:` (numbers and booleans in YAML become their text: `kernel: 6.8` is "6.8"). */
export const labelsSchema = z.record(
  z.string().superRefine((k, ctx) => {
    const p = labelNameProblem(k);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  }),
  labelValue,
);

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
    labels[name] = v.data;
  }
  return labels;
}
