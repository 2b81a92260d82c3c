// Rendering Vega-Lite specs: compile with vega-lite, render SVG with vega's headless View, rasterise
// to PNG with resvg (fonts from the system: DejaVu Sans is installed by scripts/setup.sh).
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as vl from 'vega-lite';
import * as vega from 'vega';
import { Resvg } from '@resvg/resvg-js';
import { execa } from 'execa';
import { toCsv } from '../results/tables.js';
import { EnvironmentError, UserError } from '../util/errors.js';
import type { TopLevelSpec } from 'vega-lite';
import { textWidth, useFontMetrics } from './text-metrics.js';

export const FONT = 'DejaVu Sans';
/** resvg finds DejaVu Sans through the system's fonts (scripts/setup.sh installs it). */
const SYSTEM_FONTS = { loadSystemFonts: true, defaultFontFamily: FONT };

/**
 * Print units: one pixel of a spec is one point on paper (1/72 in), so the theme's font sizes are the
 * point sizes a journal asks for (8 pt text, 9–10 pt titles), whatever the figure's width.
 */
export const PT_PER_IN = 72;
export const COLUMN_WIDTH_IN = { single: 3.5, double: 7.16 } as const;

/** Okabe–Ito: colour-blind safe, and in print order. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'] as const;

/** One theme for every figure: print sizes, colour-blind-safe palette (Okabe–Ito). */
export const THEME: vl.Config = {
  font: FONT,
  background: 'white',
  padding: 2,
  axis: { labelFontSize: 8, titleFontSize: 8, gridColor: '#e6e6e6', tickSize: 3, labelPadding: 2, titlePadding: 4 },
  // Legends under the panels: a column's width goes to the data, not to a legend beside it.
  legend: { labelFontSize: 8, titleFontSize: 8, symbolSize: 40, rowPadding: 2, orient: 'bottom', direction: 'horizontal', columnPadding: 8 },
  header: { labelFontSize: 8, titleFontSize: 8, labelPadding: 3 },
  title: { fontSize: 10, subtitleFontSize: 8, anchor: 'start', offset: 6, subtitlePadding: 2 },
  text: { fontSize: 7 },
  range: { category: [...PALETTE] },
  view: { stroke: null },
};

/**
 * Row labels of a faceted figure above each row, level: rotated beside it, a label longer than the row is
 * tall pushes the rows apart (vega lays text out by an estimate of its width).
 */
export const ROW_HEADER = { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelAlign: 'left', labelFontWeight: 'bold' } as const;

/** How figures are drawn: their width on the page, titles or not (a paper's caption carries them), PNG dpi. */
export interface FigureStyle {
  widthIn: number;
  titles: boolean;
  dpi: number;
}

export const DEFAULT_STYLE: FigureStyle = { widthIn: COLUMN_WIDTH_IN.single, titles: true, dpi: 300 };

/** `single` (3.5 in), `double` (7.16 in), or a length: `8.5cm`, `90mm`, `3.3in`. */
export function figureWidthIn(text: string): number {
  if (text === 'single' || text === 'double') return COLUMN_WIDTH_IN[text];
  const m = /^(\d+(?:\.\d+)?)(cm|mm|in)$/.exec(text.trim());
  const inches = m ? Number(m[1]) / { cm: 2.54, mm: 25.4, in: 1 }[m[2] as 'cm' | 'mm' | 'in'] : NaN;
  if (!(inches >= 1 && inches <= 20)) throw new UserError(`--figure-width ${text}: give single, double, or a width from 1 in to 20 in such as 8.5cm, 90mm or 3.3in`);
  return inches;
}

/**
 * A figure drawn for a width: `panelWidth` (pt) is the width of one panel, found by fitting the page;
 * `pageWidth` (pt) the whole figure's, for choosing a layout (how many panels side by side).
 */
export type FigureBuild = (panelWidth: number, pageWidth: number) => TopLevelSpec;

export interface RenderedFigure {
  name: string;
  files: string[];
  /** The Vega-Lite spec drawn (theme included). */
  spec: TopLevelSpec;
  /** The compiled Vega spec of the report's live view. */
  live: unknown;
  /** The SVG text (for the self-contained report). */
  svg: string;
  /** What could not be written (an optional tool missing), for the user. */
  warning?: string;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  useFontMetrics();
  const compiled = vl.compile({ ...spec, config: { ...THEME, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A PNG `widthPx` wide (the figure's width in inches × dpi). */
export function svgToPng(svg: string, widthPx: number): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'width', value: widthPx },
    font: SYSTEM_FONTS,
    background: 'white',
  });
  return r.render().asPng();
}

/** Vector PDF from the SVG with librsvg's rsvg-convert (fonts through fontconfig, as the PNG's). */
export async function svgToPdf(svg: string): Promise<Buffer> {
  const r = await execa('rsvg-convert', ['--format', 'pdf'], { input: svg, encoding: 'buffer', reject: false }).catch((err: Error) => ({ exitCode: -1, stdout: Buffer.alloc(0), stderr: Buffer.from(err.message) }));
  if (r.exitCode !== 0) {
    throw new EnvironmentError(`cannot write PDF figures: rsvg-convert failed (${Buffer.from(r.stderr).toString().trim() || `exit ${r.exitCode}`}); scripts/setup.sh installs it (librsvg2-bin)`);
  }
  return Buffer.from(r.stdout);
}

/** Without rsvg-convert (an optional system tool) figures come without their PDF; said once, not fatal. */
let pdfTool: Promise<boolean> | undefined;
export const PDF_MISSING = 'no PDF figures: rsvg-convert is not installed (apt-get install librsvg2-bin, or scripts/setup.sh); SVG and PNG written';
function pdfAvailable(): Promise<boolean> {
  pdfTool ??= execa('rsvg-convert', ['--version'], { reject: false, stdin: 'ignore' }).then(
    (r) => r.exitCode === 0,
    () => false,
  );
  return pdfTool;
}

/**
 * Write <name>.vl.json, <name>.svg (text as paths), <name>.png (at style.dpi) and (with rsvg-convert) a
 * vector <name>.pdf (fonts embedded) into dir, all exactly style.widthIn wide with no blank margin.
 */
export async function writeFigure(dir: string, name: string, build: FigureBuild, style: FigureStyle = DEFAULT_STYLE): Promise<RenderedFigure> {
  await mkdir(dir, { recursive: true });
  const { spec, svg, scale, panelWidth } = await fitToWidth(build, style);
  const live = liveSpec(build, panelWidth, style);
  // More panels than the width holds at 8 pt: drawn anyway, smaller, and said.
  const cramped = scale < 0.97 ? `${name}: text drawn at ${(8 * scale).toFixed(1)} pt to fit ${+style.widthIn.toFixed(2)} in (a wider --figure-width keeps 8 pt)` : undefined;
  const files = [join(dir, `${name}.vl.json`), join(dir, `${name}.svg`), join(dir, `${name}.png`)];
  await writeFile(files[0]!, JSON.stringify(spec, null, 2) + '\n');
  await writeFile(files[1]!, outlinedSvg(svg));
  await writeFile(files[2]!, svgToPng(svg, Math.round(style.widthIn * style.dpi)));
  const values = (spec as { data?: { values?: Record<string, unknown>[] } }).data?.values;
  if (values && values.length > 0) {
    files.push(join(dir, `${name}.csv`));
    await writeFile(files.at(-1)!, figureCsv(values));
  }
  if (!(await pdfAvailable())) return { name, files, svg, spec, live, warning: [cramped, PDF_MISSING].filter(Boolean).join('; ') };
  files.push(join(dir, `${name}.pdf`));
  await writeFile(files.at(-1)!, await svgToPdf(svg));
  return { name, files, svg, spec, live, warning: cramped };
}

/**
 * The figure as the report's live view draws it: at screen size (double column, titles on), at 1:1 so that
 * the pointer's position is the view's (a view stretched by CSS would pan and zoom off the pointer). The
 * panels widen in proportion, without another fit: the screen does not need the paper's exact width.
 */
function liveSpec(build: FigureBuild, panelWidth: number, style: FigureStyle): unknown {
  const page = COLUMN_WIDTH_IN.double * PT_PER_IN;
  const w = Math.round(panelWidth * Math.max(1, COLUMN_WIDTH_IN.double / style.widthIn));
  return vl.compile(styled(build(w, page), { ...style, widthIn: COLUMN_WIDTH_IN.double, titles: true }) as TopLevelSpec).spec;
}

/** The data a figure draws, as CSV (its columns in the order they first appear). */
function figureCsv(values: Record<string, unknown>[]): string {
  return toCsv(values as Parameters<typeof toCsv>[0], [...new Set(values.flatMap((v) => Object.keys(v)))]);
}


/**
 * Panel widths that make the drawing the asked width: the drawn width grows linearly with the panel
 * width (panels, gaps, axes), so two trial renders give the line, a third is the figure. Then the canvas
 * is cropped to what is drawn and given its physical size.
 */
export async function fitToWidth(build: FigureBuild, style: FigureStyle): Promise<{ spec: TopLevelSpec; svg: string; scale: number; panelWidth: number }> {
  const target = style.widthIn * PT_PER_IN - 2 * CROP_PAD;
  const draw = async (w: number) => {
    const spec = styled(build(w, style.widthIn * PT_PER_IN), style);
    const svg = await renderSvg(spec);
    return { spec, svg, box: drawnBox(svg) };
  };
  // Secant steps on the panel width: the drawn width is nearly linear in it (labels that turn or wrap
  // bend the line), so a few steps land within a point; what remains is scaled away by `sized`.
  let [p, q] = [{ w: 100, ...(await draw(100)) }, { w: 200, ...(await draw(200)) }];
  // While a title wider than the panels sets the width, the panels can grow for free: double them.
  while (q.box.width - p.box.width < 1 && q.box.width < target && q.w < 2000) [p, q] = [q, { w: q.w * 2, ...(await draw(q.w * 2)) }];
  for (let step = 0; step < 4 && Math.abs(q.box.width - target) > 1; step++) {
    const slope = (q.box.width - p.box.width) / (q.w - p.w);
    if (!(slope > 0.01)) break;
    const w = Math.min(2000, Math.max(MIN_PANEL, Math.round(q.w + (target - q.box.width) / slope)));
    if (w === q.w) break;
    [p, q] = [q, { w, ...(await draw(w)) }];
  }
  const best = Math.abs(p.box.width - target) < Math.abs(q.box.width - target) ? p : q;
  return { spec: best.spec, svg: sized(best.svg, best.box, style.widthIn), scale: (style.widthIn * PT_PER_IN) / (best.box.width + 2 * CROP_PAD), panelWidth: best.w };
}

const MIN_PANEL = 40;
const CROP_PAD = 2;

/** The theme, and the titles wrapped to the page (or left out for a paper, whose caption carries them). */
function styled(spec: TopLevelSpec, style: FigureStyle): TopLevelSpec {
  const out = { ...spec, config: { ...THEME, ...(spec.config ?? {}) } } as TopLevelSpec & { title?: unknown };
  if (!style.titles) {
    delete out.title;
    return out;
  }
  const t = out.title as { text: string; subtitle?: string } | undefined;
  if (t && typeof t === 'object') {
    // Lines measured in the font (titles 10 pt bold, subtitles 8 pt), within the page less the crop pad.
    const page = style.widthIn * PT_PER_IN - 2 * CROP_PAD - 2;
    out.title = { ...t, text: wrap(t.text, page, 10, true), ...(t.subtitle ? { subtitle: wrap(t.subtitle, page, 8) } : {}) };
  }
  return out;
}

/** Words into lines at most `widthPt` wide in the figures' font (a longer word keeps its own line). */
export function wrap(text: string, widthPt: number, fontSize: number, bold = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const longer = line ? `${line} ${word}` : word;
    if (line && textWidth(longer, fontSize, bold) > widthPt) {
      lines.push(line);
      line = word;
    } else line = longer;
  }
  if (line) lines.push(line);
  return lines;
}

/** The box of everything drawn (text measured with the real font), without the white background. */
export function drawnBox(svg: string): { x: number; y: number; width: number; height: number } {
  const r = new Resvg(withoutBackground(svg), { font: SYSTEM_FONTS });
  const b = r.getBBox();
  return b ? { x: b.x, y: b.y, width: b.width, height: b.height } : { x: 0, y: 0, width: r.width, height: r.height };
}

/** Vega's SVG begins with its background rect: left out to measure what is drawn (an error if it moved). */
const BACKGROUND = /(<svg[^>]*>)<rect width="[\d.]+" height="[\d.]+" fill="white"\/>/;
function withoutBackground(svg: string): string {
  if (!BACKGROUND.test(svg)) throw new Error('the SVG vega wrote does not begin with its white background: figures cannot be cropped');
  return svg.replace(BACKGROUND, '$1');
}

/** The SVG cropped to the drawn box (and a small pad), `widthIn` inches wide. */
function sized(svg: string, box: { x: number; y: number; width: number; height: number }, widthIn: number): string {
  const [x, y, w, h] = [box.x - CROP_PAD, box.y - CROP_PAD, box.width + 2 * CROP_PAD, box.height + 2 * CROP_PAD];
  const heightIn = (widthIn * h) / w;
  const root = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" width="${+widthIn.toFixed(4)}in" height="${+heightIn.toFixed(4)}in" viewBox="${+x.toFixed(2)} ${+y.toFixed(2)} ${+w.toFixed(2)} ${+h.toFixed(2)}">`;
  // The background covers the crop: a white page, not a transparent one, in every viewer.
  return withoutBackground(svg).replace(/^<svg[^>]*>/, `${root}<rect x="${+x.toFixed(2)}" y="${+y.toFixed(2)}" width="${+w.toFixed(2)}" height="${+h.toFixed(2)}" fill="white"/>`);
}

/** The same drawing with its text as outlines (usvg): it looks the same without DejaVu Sans installed. */
function outlinedSvg(svg: string): string {
  const root = /^<svg[^>]*>/.exec(svg)![0];
  const outlined = new Resvg(svg, { font: SYSTEM_FONTS }).toString();
  const size = (attr: string) => new RegExp(`${attr}="([^"]+)"`).exec(root)![1];
  return outlined.replace(/^<svg[^>]*>/, (tag) => tag.replace(/width="[^"]*"/, `width="${size('width')}"`).replace(/height="[^"]*"/, `height="${size('height')}"`));
}
