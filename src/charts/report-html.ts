// report.html: one self-contained page that opens offline (nothing fetched from elsewhere). Each figure is
// its static SVG, replaced in a browser by a live Vega view (the Vega runtime and vega-tooltip are inlined):
// tooltips with the exact values, zoom where an axis is continuous. Tables of Boost%, points and trials;
// links to each figure's data; a printable layout.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ReportFigure {
  name: string;
  caption: string;
  svg: string;
  /** The compiled Vega spec, for the live view. */
  vega?: unknown;
  /** Files of the figure and its data, relative to the report. */
  links: { label: string; href: string }[];
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number | undefined)[][];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const cell = (v: string | number | undefined) => (v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);

/** JSON inside a <script> element: nothing in it may close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

let runtime: string | undefined;

/**
 * The Vega runtime (its UMD build, global `vega`) and vega-tooltip (an ES module importing three helpers
 * of vega-util, which the runtime carries), as classic scripts for a page opened from a file.
 */
function inlineRuntime(): string {
  if (runtime) return runtime;
  const require = createRequire(import.meta.url);
  const vega = readFileSync(join(dirname(require.resolve('vega')), 'vega.min.js'), 'utf8');
  const tooltip = readFileSync(require.resolve('vega-tooltip'), 'utf8');
  const imports = /^import \{([^}]*)\} from 'vega-util';$/m;
  const exports = /^export \{([^}]*)\};\s*$/m;
  if (!imports.test(tooltip) || !exports.test(tooltip)) throw new Error('vega-tooltip changed its build: report-html.ts cannot inline it');
  const names = exports.exec(tooltip)![1]!.split(',').map((n) => n.trim()).filter((n) => !n.includes(' as '));
  const tooltipScript = `(function () {\n${tooltip.replace(imports, 'const {$1} = window.vega;').replace(exports, `window.vegaTooltip = { ${names.join(', ')} };`)}\n})();`;
  runtime = `<script>${vega.replace(/<\/script/gi, '<\\/script')}</script>\n<script>${tooltipScript.replace(/<\/script/gi, '<\\/script')}</script>`;
  return runtime;
}

/**
 * The runtime, or undefined when it cannot be inlined (a vega-tooltip release that changed its build):
 * the report then shows the static figures, and says so in its warnings.
 */
export function liveRuntime(): string | undefined {
  try {
    return inlineRuntime();
  } catch {
    return undefined;
  }
}

/** Each figure's static SVG becomes a live view; a figure whose view fails keeps its SVG and says why. */
const LIVE = `<script>
(async function () {
  for (const fig of document.querySelectorAll('figure[data-figure]')) {
    const spec = fig.querySelector('script.vega-spec');
    if (!spec || !window.vega) continue;
    try {
      const holder = fig.querySelector('.view');
      const view = new vega.View(vega.parse(JSON.parse(spec.textContent)), { renderer: 'svg', container: holder, hover: true });
      view.tooltip(new vegaTooltip.Handler({ theme: 'light' }).call);
      await view.runAsync();
      fig.querySelector('.static').remove();
      holder.hidden = false;
      fig.dataset.live = 'yes';
    } catch (e) {
      fig.dataset.live = 'no: ' + e.message;
    }
  }
  document.body.dataset.ready = 'yes';
})();
</script>`;

const STYLE = `<style>
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; } th { background: #f4f4f4; }
td:first-child, th:first-child, table.meta td { text-align: left; }
figure { margin: 1em 0 2em; break-inside: avoid; } figcaption { font-size: 0.9em; color: #555; margin-top: 0.3em; }
figure .static svg { width: min(100%, 720px); height: auto; } figure .view svg { max-width: 100%; height: auto; }
.links a { margin-right: 0.8em; font-size: 0.85em; }
.warn { color: #9a4a00; }
nav a { margin-right: 1em; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  nav, .links { display: none; }
  figure .static svg, figure .view svg { width: 100%; max-width: 7in; }
  h2 { break-after: avoid; } tr { break-inside: avoid; }
}
</style>`;

function figureHtml(f: ReportFigure): string {
  // The SVG from vega starts with its own <svg …>; an XML prologue, if any, is not allowed inline.
  const svg = f.svg.replace(/^<\?xml[^>]*>\s*/, '');
  const links = f.links.map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`).join('');
  return `<figure id="fig-${escapeHtml(f.name)}" data-figure="${escapeHtml(f.name)}">
<div class="static">${svg}</div><div class="view" hidden></div>
${f.vega ? `<script type="application/json" class="vega-spec">${scriptJson(f.vega)}</script>` : ''}
<figcaption>${escapeHtml(f.caption)}<div class="links">${links}</div></figcaption>
</figure>`;
}

/** A table's anchor: its title in lower case, words joined by '-'. */
const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function tableHtml(t: ReportTable): string {
  const id = slug(t.title);
  return `<h2 id="${escapeHtml(id)}">${escapeHtml(t.title)}</h2>
<table>
<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>
${t.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(cell(v))}</td>`).join('')}</tr>`).join('\n')}
</table>`;
}

export function reportHtml(o: { title: string; meta: [string, string][]; figures: ReportFigure[]; tables: ReportTable[]; warnings: string[] }): string {
  const runtime = liveRuntime();
  if (!runtime) o = { ...o, warnings: [...o.warnings, 'the figures are static: the installed vega-tooltip could not be inlined (a release this vfbench does not know)'] };
  const nav = [['#figures', 'Figures'], ...o.tables.map((t) => [`#${slug(t.title)}`, t.title.replace(/ \(.*$/, '')])];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(o.title)}</title>
${STYLE}
</head>
<body>
<h1>${escapeHtml(o.title)}</h1>
<nav>${nav.map(([href, label]) => `<a href="${escapeHtml(href!)}">${escapeHtml(label!)}</a>`).join('')}</nav>
<table class="meta">
${o.meta.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}
</table>
${o.warnings.length ? `<h2>Warnings</h2>\n<ul>${o.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
<h2 id="figures">Figures</h2>
${o.figures.map(figureHtml).join('\n')}
${o.tables.map(tableHtml).join('\n')}
${o.figures.some((f) => f.vega) && runtime ? `${runtime}\n${LIVE}` : ''}
</body>
</html>
`;
}
