// The house rules of docs/architecture.md, checked on the source: which folder may import which (type-only
// imports aside), and no function much over 80 lines.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAst } from 'rolldown/parseAst';

const SRC = resolve('src');

/** What each folder of src/ may import at run time (docs/architecture.md, "Import rules"). */
const ALLOWED: Record<string, string[]> = {
  util: [],
  hosts: ['util'],
  lab: ['util'],
  tools: ['util', 'scenario/fields'],
  paths: ['util', 'hosts', 'scenario/fields'],
  scenario: ['util', 'tools', 'paths'],
  results: ['util', 'tools', 'scenario'],
  analysis: ['util', 'results', 'tools', 'scenario'],
  charts: ['util', 'analysis', 'results'],
  report: ['util', 'analysis', 'charts', 'results'],
  runner: ['util', 'hosts', 'paths', 'scenario', 'tools', 'results', 'analysis'],
  cli: ['*'],
};

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

interface Node {
  type: string;
  start: number;
  end: number;
  [k: string]: unknown;
}

/** Every node of a tree (children of any key), depth first. */
function* walk(n: unknown): Generator<Node> {
  if (Array.isArray(n)) for (const c of n) yield* walk(c);
  else if (n && typeof n === 'object' && typeof (n as Node).type === 'string') {
    yield n as Node;
    for (const [k, v] of Object.entries(n)) if (k !== 'type' && v && typeof v === 'object') yield* walk(v);
  }
}

const parsed = files(SRC).map((f) => {
  const text = readFileSync(f, 'utf8');
  return { file: relative(SRC, f), text, ast: parseAst(text, { lang: 'ts' }, f) };
});

describe('the house rules', () => {
  it('imports only along the layers (type-only imports aside)', () => {
    const wrong: string[] = [];
    for (const { file, ast } of parsed) {
      const from = file.split('/')[0]!;
      for (const n of walk(ast)) {
        // Static imports and re-exports, and import('…') (the CLI loads its commands' work lazily).
        const isImport = n.type === 'ImportDeclaration' || n.type === 'ImportExpression' || ((n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration') && n.source);
        if (!isImport || n.importKind === 'type' || n.exportKind === 'type') continue;
        const spec = (n.source as { value?: unknown }).value;
        if (typeof spec !== 'string') continue;
        if (!spec.startsWith('.')) continue;
        const target = relative(SRC, resolve(SRC, dirname(file), spec)).replace(/\.js$/, '');
        const to = target.split('/')[0]!;
        if (to === from) continue;
        const ok = ALLOWED[from]!.some((a) => a === '*' || a === to || target === a);
        if (!ok) wrong.push(`${file} imports ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no function over 80 lines', () => {
    const long: string[] = [];
    for (const { file, text, ast } of parsed) {
      const line = (pos: number) => text.slice(0, pos).split('\n').length;
      for (const n of walk(ast)) {
        if (!['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'].includes(n.type)) continue;
        const lines = line(n.end) - line(n.start) + 1;
        if (lines > 80) long.push(`${file}:${line(n.start)} (${lines} lines)`);
      }
    }
    expect(long).toEqual([]);
  });
});
