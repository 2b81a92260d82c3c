// A report's figures are declared in one list (see run-figures.ts, overlay.ts): per figure its name, its
// caption, when it applies, the data it draws and its Vega-Lite spec. drawFigures writes what applies.
import { basename } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFigure, type FigureStyle, type RenderedFigure } from '../charts/render.js';
import type { ReportFigure } from '../charts/report-html.js';

/** One figure of a report, drawn from a context C (a run, several runs) with data D. */
export interface FigureDef<C, D> {
  /** Its file name (figures/<name>.svg …); a figure drawn several times names its files with `file`. */
  name: string;
  caption: string | ((d: D) => string);
  /** A cheap test before any data is read; without it, a figure applies when it has data. */
  applies?: (c: C) => boolean;
  /** What it draws: one datum per figure drawn (none: nothing to draw). */
  data: (c: C) => D[] | Promise<D[]>;
  /** The spec of one datum at a panel width (and the page's width, for figures that fill it). */
  spec: (c: C, d: D, width: number, page: number) => TopLevelSpec;
  /** The file name of the i-th figure drawn (default: `name`). */
  file?: (d: D, i: number) => string;
}

/** A figure of the list, its data type erased (the list holds figures of different data). */
export type AnyFigure<C> = FigureDef<C, unknown>;

export const figure = <C, D>(f: FigureDef<C, D>): AnyFigure<C> => f as unknown as AnyFigure<C>;

/** A datum of its own when it has rows: [x], or none. */
export const ifAny = <T extends { data: unknown[] } | unknown[]>(x: T): T[] => ((Array.isArray(x) ? x : x.data).length > 0 ? [x] : []);

export type CaptionedFigure = RenderedFigure & { caption: string };

/** Every figure of the list that applies, written to dir, in the list's order. */
export async function drawFigures<C>(list: AnyFigure<C>[], c: C, dir: string, style: FigureStyle): Promise<CaptionedFigure[]> {
  const drawn: CaptionedFigure[] = [];
  for (const f of list) {
    if (f.applies && !f.applies(c)) continue;
    for (const [i, d] of (await f.data(c)).entries()) {
      const rendered = await writeFigure(dir, f.file?.(d, i) ?? f.name, (w, page) => f.spec(c, d, w, page), style);
      drawn.push({ ...rendered, caption: typeof f.caption === 'string' ? f.caption : f.caption(d) });
    }
  }
  return drawn;
}

/** The figure's own files, as the report links them (relative to it). */
function figureLinks(files: string[]): { label: string; href: string }[] {
  const label: Record<string, string> = { 'vl.json': 'Vega-Lite spec', csv: 'data (CSV)', svg: 'SVG', png: 'PNG', pdf: 'PDF' };
  return files.flatMap((f) => {
    const ext = /\.(vl\.json|csv|svg|png|pdf)$/.exec(f)?.[1];
    return ext ? [{ label: label[ext]!, href: `figures/${basename(f)}` }] : [];
  });
}

/** The figures as report.html shows them: inline SVG, live view, caption, links to their files. */
export function pageFigures(figures: CaptionedFigure[]): ReportFigure[] {
  return figures.map((f) => ({ name: f.name, caption: f.caption, svg: f.svg, vega: f.live, links: figureLinks(f.files) }));
}
