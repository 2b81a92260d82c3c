// Vega lays text out by an estimate (0.8 em a character) when it has no canvas, as in Node: labels come out
// wider than they are drawn, and figures get gaps and cramped panels. This measures DejaVu Sans (the
// figures' font) instead: each character's advance once, with resvg, which draws the figures.
import { existsSync } from 'node:fs';
import * as vega from 'vega';
import { Resvg } from '@resvg/resvg-js';

const FONT = 'DejaVu Sans';
const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'];
const ems = new Map<string, number>();
let fonts: { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily: string } | undefined;

const escapeXml = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** Width of the ink of `text` at 100 px. */
function inkWidth(text: string, bold: boolean): number {
  // Debian's DejaVu files when present (quick to load); otherwise whatever fontconfig finds.
  fonts ??= FONT_FILES.every((f) => existsSync(f)) ? { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: FONT } : { loadSystemFonts: true, defaultFontFamily: FONT };
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="200"><text x="10" y="150" font-family="${FONT}" font-size="100"${bold ? ' font-weight="bold"' : ''}>${escapeXml(text)}</text></svg>`;
  return new Resvg(svg, { font: fonts }).getBBox()?.width ?? 0;
}

/** A character's advance in em: the ink of |c| less that of || (the bars' own ink cancels out). */
function charEm(ch: string, bold: boolean): number {
  const key = `${bold ? 'b' : 'r'}${ch}`;
  let em = ems.get(key);
  if (em === undefined) {
    em = Math.max(0, inkWidth(`|${ch}|`, bold) - inkWidth('||', bold)) / 100;
    ems.set(key, em);
  }
  return em;
}

/** Width of one line of text in the figures' font, px (kerning left out: a fraction of a percent). */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) em += charEm(ch, bold);
  return em * fontSize;
}

let installed = false;

/** Make vega measure text in DejaVu Sans (once per process). */
export function useFontMetrics(): void {
  if (installed) return;
  installed = true;
  // vega re-exports vega-scenegraph's textMetrics; its typings leave it out.
  const metrics = (vega as unknown as { textMetrics: { width: (item: { fontSize?: number; fontWeight?: string | number }, text: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const line = text == null ? '' : String(text).trim();
    const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
    return textWidth(line, item.fontSize ?? 11, bold);
  };
}
