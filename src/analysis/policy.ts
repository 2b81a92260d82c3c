// compare's policy: what counts as a change. Defaults, then a YAML file, then flags.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_POLICY, type ComparePolicy } from './compare.js';
import { parseYamlWith } from '../scenario/load.js';
import { UserError } from '../util/errors.js';

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
