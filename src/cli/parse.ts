// `vfbench parse TOOL FILE`: metrics from an output saved by hand, in the shape of a record's metrics.
import { open } from 'node:fs/promises';
import type { ParseResult } from '../tools/failure.js';
import type { Parsed, SavedOptions } from '../tools/tool.js';
import { TOOL_NAMES, toolOf } from '../tools/registry.js';

export type { Parsed };

export const PARSE_TOOLS = TOOL_NAMES;

/**
 * `vfbench parse` on a file: a tool may stream a file of any size (sockperf's full log, memory for its
 * latency column only); other outputs are small and read whole.
 */
export async function parseSavedFile(tool: string, path: string, opts: SavedOptions = {}): Promise<ParseResult<Parsed>> {
  const head = Buffer.alloc(1 << 20);
  const fh = await open(path);
  let bytesRead: number;
  let size: number;
  try {
    ({ bytesRead } = await fh.read(head, 0, head.length, 0));
    size = (await fh.stat()).size;
  } finally {
    await fh.close();
  }
  const start = head.subarray(0, bytesRead).toString('utf8');
  const def = toolOf(tool);
  const streamed = await def.parseSavedFile?.(path, start, size);
  if (streamed) return streamed;
  if (size > bytesRead) return { ok: false, failure: { kind: 'bad-arguments', message: `${path} is over 1 MB and not a ${tool} output vfbench reads in parts` } };
  return def.parseSaved(start, opts);
}
