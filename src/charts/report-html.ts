// report.html: one self-contained page (figures inline as SVG, tables, the run's metadata) that opens
// without any network: no scripts, no fonts or styles fetched from elsewhere.

export interface ReportFigure {
  name: string;
  caption: string;
  svg: string;
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number | undefined)[][];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const cell = (v: string | number | undefined) => (v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);

export function reportHtml(o: { title: string; meta: [string, string][]; figures: ReportFigure[]; tables: ReportTable[]; warnings: string[] }): string {
  // The SVG from vega starts with its own <svg …>; an XML prologue, if any, is not allowed inline.
  const svg = (s: string) => s.replace(/^<\?xml[^>]*>\s*/, '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(o.title)}</title>
<style>
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; } th { background: #f4f4f4; }
td:first-child, th:first-child, table.meta td { text-align: left; }
figure { margin: 1em 0 2em; } figcaption { font-size: 0.9em; color: #555; margin-top: 0.3em; }
figure svg { max-width: 100%; height: auto; }
.warn { color: #9a4a00; }
</style>
</head>
<body>
<h1>${escapeHtml(o.title)}</h1>
<table class="meta">
${o.meta.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}
</table>
${o.warnings.length ? `<h2>Warnings</h2>\n<ul>${o.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
<h2>Figures</h2>
${o.figures.map((f) => `<figure id="fig-${escapeHtml(f.name)}" data-figure="${escapeHtml(f.name)}">\n${svg(f.svg)}\n<figcaption>${escapeHtml(f.caption)}</figcaption>\n</figure>`).join('\n')}
${o.tables
  .map(
    (t) => `<h2>${escapeHtml(t.title)}</h2>
<table>
<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>
${t.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(cell(v))}</td>`).join('')}</tr>`).join('\n')}
</table>`,
  )
  .join('\n')}
</body>
</html>
`;
}
