// manifest.json of a run directory: what the run was (its scenario, as given and as parsed), its plan,
// the hosts, the path state to restore, and how it ended. Checked on every read: a file edited by hand or
// written by another vfbench is refused naming the field, not half-used.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { variantSchema } from '../scenario/schema.js';
import type { Scenario } from '../scenario/load.js';
import type { Trial } from '../scenario/plan.js';
import type { HostFacts } from '../runner/facts.js';
import { UserError } from '../util/errors.js';
import { VFBENCH_VERSION } from '../util/version.js';

/**
 * The manifest format this vfbench writes. 1: before manifests were checked on read (one written before
 * that may have no `schema` at all: read as 1). 2: the same fields, checked on read. A reader takes every
 * version up to its own.
 */
export const MANIFEST_SCHEMA = 2;

/** What a controller recorded before touching anything (paths/controller.ts `OriginalState`). */
const originalStateSchema = z.object({ controller: z.string(), host: z.string(), state: z.record(z.string(), z.unknown()) });

const object = <T>(what: string) => z.custom<T>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), `expected ${what}`);

/** The scenario as parsed: its variants checked against today's controllers, the rest by shape (tests have their own schema). */
const storedScenarioSchema = z
  .object({
    name: z.string(),
    variants: z.record(z.string(), variantSchema),
    baseline: z.string(),
    repeat: z.number().int().min(1),
    hosts: z.record(z.string(), z.object({ ssh: z.string(), data: z.string() }).loose()),
    pairs: z.array(z.object({ client: z.string(), server: z.string() }).loose()),
    tests: z.array(z.object({ tool: z.string() }).loose()).min(1),
  })
  .loose()
  .transform((s) => s as unknown as Omit<Scenario, 'file' | 'inventoryProblem'>);

export const manifestSchema = z
  .object({
    schema: z.number().int().min(1).max(MANIFEST_SCHEMA).default(1),
    vfbench: z.string(),
    id: z.string(),
    scenarioFile: z.string(),
    scenarioText: z.string(),
    /** The machine and user that made the run (restore elsewhere asks for --trust). */
    madeOn: z.object({ host: z.string(), user: z.string() }).optional(),
    scenario: storedScenarioSchema,
    plan: z.object({
      trials: z.array(z.object({ id: z.string(), seq: z.number().int(), pointKey: z.string(), variant: z.string(), repetition: z.number().int() }).loose().transform((t) => t as Pick<Trial, 'id' | 'seq' | 'pointKey' | 'variant' | 'repetition'>)),
      estimateSeconds: z.number(),
    }),
    hosts: z.record(z.string(), object<HostFacts>('the host facts (an object)')),
    /**
     * The run's labels: facts of the measured hosts (kernel, driver, vm_size, cloud, region), overridden by
     * the scenario's `labels:`, overridden by `--label`. Absent in runs made before labels (none).
     */
    labels: z.record(z.string(), z.string()).optional(),
    /** Path state found before the first switch, per controller and host: what restore puts back. */
    originalPathState: z.array(originalStateSchema),
    /** Host clock minus this machine's, seconds, per host (0 when within the round trip's uncertainty). */
    clockOffsets: z.record(z.string(), z.number()).optional(),
    status: z.enum(['running', 'complete', 'interrupted', 'failed']),
    started: z.string(),
    ended: z.string().optional(),
    counts: z.record(z.string(), z.number()).optional(),
    restoreProblems: z.array(z.string()).optional(),
    /** When `vfbench restore` put the recorded path state back. */
    restored: z.string().optional(),
    error: z.string().optional(),
  })
  .loose();

export type Manifest = z.output<typeof manifestSchema>;

/** Labels as people read them: "region=westeurope, vm_size=Standard_D8s_v5" ('' for none). */
export const labelsText = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

const fieldOf = (path: readonly PropertyKey[]) =>
  path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');

/** Check parsed JSON as a manifest; `file` names it in the errors. */
export function parseManifest(data: unknown, file: string): Manifest {
  const version = (data as { schema?: unknown } | null)?.schema ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MANIFEST_SCHEMA) {
    const by = (data as { vfbench?: unknown } | null)?.vfbench;
    throw new UserError(
      `${file}: schema: manifest schema ${JSON.stringify(version)}${typeof by === 'string' ? ` (written by vfbench ${by})` : ''} is not one this vfbench (${VFBENCH_VERSION}) reads: it reads schema 1 to ${MANIFEST_SCHEMA}`,
    );
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const field = fieldOf(first.path);
    throw new UserError(`${file}: ${field ? `${field}: ` : ''}${first.message}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : ''}`);
  }
  return parsed.data;
}

/** Read and check a run's manifest.json (its path). */
export async function readManifest(path: string): Promise<Manifest> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new UserError(`cannot read ${path}: ${err.message}`);
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not JSON: ${(err as Error).message}`);
  }
  return parseManifest(data, path);
}
