// The tools vfbench drives. A new tool is a folder src/tools/<tool>/ implementing ToolDefinition, plus
// its line in TOOLS (docs/architecture.md has the recipe).
import type { ToolDefinition, TestBase } from './tool.js';
import { sockperfTool } from './sockperf/index.js';
import { netperfTool } from './netperf/index.js';
import { iperf3Tool } from './iperf3/index.js';
import { pingTool } from './ping/index.js';

export const TOOLS = [sockperfTool, netperfTool, iperf3Tool, pingTool] as const;

// A mapped type over a type parameter keeps the tuple (one schema type per tool, in order).
type SchemasOf<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] extends { schema: infer S } ? S : never };
type Schemas = SchemasOf<typeof TOOLS>;
/** The tests' schemas, for the scenario's discriminated union of tests (typed one by one). */
export const TOOL_SCHEMAS = TOOLS.map((t) => t.schema) as unknown as Schemas;

/** The tools as their common contract (TOOLS keeps each one's own types, for the schema). */
export const TOOL_LIST: readonly ToolDefinition[] = TOOLS as readonly unknown[] as ToolDefinition[];

export const TOOL_NAMES: string[] = TOOLS.map((t) => t.name);

/** The definition of a test's tool (every parsed test names a registered tool). */
export function toolOf(test: TestBase | string): ToolDefinition {
  const name = typeof test === 'string' ? test : test.tool;
  const def = TOOL_LIST.find((t) => t.name === name);
  if (!def) throw new Error(`unknown tool "${name}" (tools: ${TOOL_NAMES.join(', ')})`);
  return def;
}
