// Figures a paper accepts: exactly the asked width (PNG at its dpi, PDF within 1 mm), drawn edge to edge
// (content spans ≥ 90 % of the canvas), fonts embedded in the PDF, titles optional, latency on a log axis,
// and the Boost% figure with one mark per point, variant and metric.
import { describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { PNG } from 'pngjs';
import { drawnSpan } from '../helpers/png.js';
import { writeRun } from '../helpers/runs.js';
import { vfbench } from '../helpers/cli.js';
import { figureWidthIn, renderSvg } from '../../src/charts/render.js';

const points = [
  { size: 64, p50: { pv: [40, 42, 41, 43], vf: [20, 21, 19, 22] } },
  { size: 1024, p50: { pv: [60, 62, 61, 64], vf: [30, 33, 31, 32] } },
];

async function report(args: string[]): Promise<string> {
  const dir = await writeRun(await mkdtemp(join(tmpdir(), 'vfb-fig-')), 'r1', points);
  const r = await vfbench(['report', dir, ...args]);
  expect(r.exitCode, r.all).toBe(0);
  // Fitted to the width at 8 pt: nothing had to be drawn smaller.
  expect(r.stderr).not.toContain('text drawn at');
  return join(dir, 'figures');
}

describe('figures for print', () => {
  it('reads the widths a journal gives, and refuses others', () => {
    expect(figureWidthIn('single')).toBe(3.5);
    expect(figureWidthIn('double')).toBe(7.16);
    expect(figureWidthIn('8.5cm')).toBeCloseTo(3.3465, 4);
    expect(figureWidthIn('90mm')).toBeCloseTo(3.5433, 4);
    expect(() => figureWidthIn('wide')).toThrow('--figure-width wide: give single, double, or a width');
    expect(() => figureWidthIn('40in')).toThrow(/from 1 in to 20 in/);
  });

  it.each([
    [[], 3.5, 300],
    [['--figure-width', 'double', '--dpi', '150'], 7.16, 150],
  ] as const)('%j: every PNG is the width × dpi and drawn edge to edge; every PDF that wide with its fonts embedded', async (args, widthIn, dpi) => {
    const figures = await report([...args]);
    const names = (await readdir(figures)).filter((f) => f.endsWith('.png')).map((f) => f.replace(/\.png$/, ''));
    expect(names.sort()).toEqual(['boost', 'latency-percentiles']);
    for (const name of names) {
      const png = PNG.sync.read(await readFile(join(figures, `${name}.png`)));
      expect(png.width, name).toBe(Math.round(widthIn * dpi));
      const span = drawnSpan(png);
      expect(span.x, `${name}: drawn width`).toBeGreaterThanOrEqual(0.9);
      expect(span.y, `${name}: drawn height`).toBeGreaterThanOrEqual(0.9);
      const info = (await execa('pdfinfo', [join(figures, `${name}.pdf`)])).stdout;
      const widthPt = Number(/Page size:\s+([\d.]+) x/.exec(info)![1]);
      expect(Math.abs(widthPt / 72 - widthIn) * 25.4, `${name}: PDF width off by mm`).toBeLessThan(1);
      const fonts = (await execa('pdffonts', [join(figures, `${name}.pdf`)])).stdout.split('\n').slice(2).filter(Boolean);
      expect(fonts.length, name).toBeGreaterThan(0);
      for (const f of fonts) expect(f, `${name}: every font embedded`).toMatch(/DejaVuSans\S*\s+.*\byes\s+yes\b/);
      // The SVG has its text as outlines: it looks the same where DejaVu Sans is not installed.
      const svg = await readFile(join(figures, `${name}.svg`), 'utf8');
      expect(svg).not.toContain('<text');
      expect(svg).toMatch(new RegExp(`^<svg[^>]* width="${widthIn}in"`));
    }
  });

  it('leaves titles out with --no-titles, draws latency on a log axis, and one Boost% mark per point, variant and metric', async () => {
    const figures = await report(['--no-titles']);
    const boost = JSON.parse(await readFile(join(figures, 'boost.vl.json'), 'utf8'));
    expect(boost.title).toBeUndefined();
    // Without titles, n stays in the legend; vf keeps the colour it has in every other figure (the second).
    const color = boost.spec.layer[2].encoding.color;
    expect(color.title).toBe('variant (n = 4/4 pv/variant)');
    expect(color.scale).toEqual({ domain: ['vf'], range: ['#E69F00'] });
    const marks = boost.data.values.map((d: { point: string; variant: string; metric: string }) => `${d.point} ${d.variant} ${d.metric}`).sort();
    expect(marks).toEqual(['1024B vf p50', '1024B vf p99', '64B vf p50', '64B vf p99']);
    // Drawn: as many symbols as data rows (the whiskers and the zero line are rules).
    const svg = await renderSvg(boost);
    expect(svg.match(/aria-roledescription="point"/g)?.length).toBe(4);
    const d64 = boost.data.values.find((d: { point: string; metric: string }) => d.point === '64B' && d.metric === 'p50');
    expect(d64.boost).toBeCloseTo(((41.5 - 20.5) / 41.5) * 100, 6);
    const latency = JSON.parse(await readFile(join(figures, 'latency-percentiles.vl.json'), 'utf8'));
    expect(latency.spec.encoding.y.scale.type).toBe('log');
    expect(latency.title).toBeUndefined();
  });

  it('overlays several runs with --out: each run\'s Boost% with its CI, labelled by run; asks for --out otherwise', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfb-overlay-'));
    const before = await writeRun(root, 'before', points);
    // After a change that halved the VF's gain at 1024 B.
    const after = await writeRun(root, 'after', [points[0]!, { size: 1024, p50: { pv: [60, 62, 61, 64], vf: [45, 47, 46, 46] } }]);
    const out = join(root, 'before-after');
    const r = await vfbench(['report', before, after, '--out', out]);
    expect(r.exitCode, r.all).toBe(0);
    const boost = JSON.parse(await readFile(join(out, 'figures', 'boost.vl.json'), 'utf8'));
    const at1024 = boost.data.values.filter((d: { point: string; metric: string }) => d.point === '1024B' && d.metric === 'p50');
    expect(at1024.map((d: { variant: string; boost: number }) => [d.variant, +d.boost.toFixed(2)])).toEqual([
      ['before vf', +(((61.5 - 31.5) / 61.5) * 100).toFixed(2)],
      ['after vf', +(((61.5 - 46) / 61.5) * 100).toFixed(2)],
    ]);
    // Only the runs' variants have Boost% marks and legend entries, not their baselines.
    expect(boost.spec.layer[2].encoding.color.scale.domain).toEqual(['before vf', 'after vf']);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('2 runs of synthetic');
    expect(html).toContain('figures/boost.csv');
    const missing = await vfbench(['report', before, after]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('report of 2 runs: say where their overlaid figures go with --out DIR');
  });

  it('draws lab-quick\'s Boost% figure (a real run\'s records): one mark per point, variant and metric', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'vfb-lq-')), 'lab-quick');
    await cp('test/fixtures/runs/lab-quick', dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, labels: { region: 'westeurope', vm_size: 'D8s_v5' } }));
    const r = await vfbench(['report', dir]);
    expect(r.exitCode, r.all).toBe(0);
    // The run's labels are in the page's metadata.
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toMatch(/<th[^>]*>labels<\/th>\s*<td[^>]*>region=westeurope, vm_size=D8s_v5<\/td>/);
    const boost = JSON.parse(await readFile(join(dir, 'figures', 'boost.vl.json'), 'utf8'));
    const marks = boost.data.values.map((d: { point: string; variant: string; metric: string }) => `${d.point} ${d.variant} ${d.metric}`).sort();
    expect(marks).toEqual(['1024B vf p50', '1024B vf p99', '1024B vf p99.9', '64B vf p50', '64B vf p99', '64B vf p99.9']);
    expect((await renderSvg(boost)).match(/aria-roledescription="point"/g)?.length).toBe(6);
    // Each mark is the run's Boost% row: Eq. 1 on the medians, with its CI.
    const a = JSON.parse(await readFile(join(dir, 'analysis', 'analysis.json'), 'utf8'));
    const row = a.boost.find((b: { size: number; metric: string }) => b.size === 64 && b.metric === 'p99_us');
    const mark = boost.data.values.find((d: { point: string; metric: string }) => d.point === '64B' && d.metric === 'p99');
    expect([mark.boost, mark.ci_low, mark.ci_high]).toEqual([row.boostPercent, row.ciLow, row.ciHigh]);
    expect(row.boostPercent).toBeCloseTo(((row.baselineValue - row.variantValue) / row.baselineValue) * 100, 9);
  });
});
