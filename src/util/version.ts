// vfbench's own version, from its package.json (two folders up from src/util or dist/util), wherever it is
// installed: the manifest records it, `--version` prints it.
import { readFileSync } from 'node:fs';

export const VFBENCH_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
