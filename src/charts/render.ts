// Rendering Vega-Lite specs: compile with vega-lite, render SVG with vega's headless View, rasterise
// to PNG with resvg (fonts from the system: DejaVu Sans is installed by scripts/setup.sh).
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as vl from 'vega-lite';
import * as vega from 'vega';
import { Resvg } from '@resvg/resvg-js';
import { execa } from 'execa';
import { EnvironmentError } from '../util/errors.js';
import type { TopLevelSpec } from 'vega-lite';

export const FONT = 'DejaVu Sans';

/** One theme for every figure: readable sizes, colour-blind-safe palette (Okabe–Ito). */
export const THEME: vl.Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' },
  range: { category: ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'] },
  view: { stroke: null },
};

export interface RenderedFigure {
  name: string;
  files: string[];
  /** The SVG text (for the self-contained report). */
  svg: string;
  /** What could not be written (an optional tool missing), for the user. */
  warning?: string;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile({ ...spec, config: { ...THEME, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: FONT },
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

/** Write <name>.vl.json, <name>.svg, <name>.png and (with rsvg-convert) <name>.pdf into dir. */
export async function writeFigure(dir: string, name: string, spec: TopLevelSpec): Promise<RenderedFigure> {
  await mkdir(dir, { recursive: true });
  const svg = await renderSvg(spec);
  const files = [join(dir, `${name}.vl.json`), join(dir, `${name}.svg`), join(dir, `${name}.png`)];
  await writeFile(files[0]!, JSON.stringify(spec, null, 2) + '\n');
  await writeFile(files[1]!, svg);
  await writeFile(files[2]!, svgToPng(svg));
  if (!(await pdfAvailable())) return { name, files, svg, warning: PDF_MISSING };
  files.push(join(dir, `${name}.pdf`));
  await writeFile(files[3]!, await svgToPdf(svg));
  return { name, files, svg };
}
