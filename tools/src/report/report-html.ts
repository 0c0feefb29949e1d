/** report.html: one self-contained page (inline CSS and SVG, no network) with the table, charts and context. */
import { describeFailure } from '../bench/parse-result.ts';
import { fmtMiB, fmtMops, fmtPct, fmtRatioCi, runStatus, SUMMARY_HEADER, verdictMark } from './format-table.ts';
import type { RunRecord, SummaryRow, WorkloadVerdict } from '../types.ts';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}td{white-space:nowrap}
th{background:#f3f3f3}td.l,th.l{text-align:left}
tr.best td{background:#e8f5e9;font-weight:600}tr.tie td{background:#fff8e1}tr.behind td{background:#ffebee}td.c,th.c{text-align:center}
td.fail{color:#b00020;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{border:1px solid #eee;padding:.5rem}
.chart svg{max-width:100%;height:auto}
dl.ctx{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;font-size:.9rem}
dl.ctx dt{font-weight:600}dl.ctx dd{margin:0;font-family:ui-monospace,monospace}
pre{background:#f7f7f7;padding:.5rem;overflow:auto;font-size:.8rem}
`;

export interface ReportInput {
  title: string;
  /** Lines under the title (e.g. "5 rounds, baseline mimalloc"). */
  intro: string[];
  /** Table header and rows of already formatted cells; rows may be marked best, tie or failed; cells may carry a tooltip. */
  table: {
    header: string[];
    rows: {
      cells: string[];
      best?: boolean;
      tie?: boolean;
      behind?: boolean;
      failed?: boolean;
      titles?: (string | undefined)[];
    }[];
    /** Per column: 'l', 'c' or 'r' (default: the first two columns left, the rest right). */
    align?: ('l' | 'c' | 'r')[];
  };
  charts: { name: string; svg: string }[];
  context: Record<string, unknown>;
  failures?: { label: string; detail: string }[];
  extraSections?: { title: string; html: string }[];
}

function contextRows(ctx: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(ctx)) {
    if (v && typeof v === 'object' && !Array.isArray(v))
      out.push(...contextRows(v as Record<string, unknown>, `${prefix}${k}.`));
    else out.push([`${prefix}${k}`, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  return out;
}

/** Strips the XML prolog an SVG string may carry so it can sit inline in HTML. */
function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

export function renderReportHtml(r: ReportInput): string {
  const align = (i: number) => {
    const a = r.table.align?.[i] ?? (i < 2 ? 'l' : 'r');
    return a === 'r' ? '' : a;
  };
  const head = r.table.header.map((h, i) => `<th class="${align(i)}">${escapeHtml(h)}</th>`).join('');
  const rows = r.table.rows
    .map((row) => {
      const cls = row.best ? ' class="best"' : row.tie ? ' class="tie"' : row.behind ? ' class="behind"' : '';
      const cells = row.cells
        .map((c, i) => {
          const title = row.titles?.[i] ? ` title="${escapeHtml(row.titles[i]!)}"` : '';
          return `<td class="${align(i)}${row.failed && i === row.cells.length - 1 ? ' fail' : ''}"${title}>${escapeHtml(c)}</td>`;
        })
        .join('');
      return `<tr${cls}>${cells}</tr>`;
    })
    .join('\n');
  const charts = r.charts
    .map((c) => `<figure class="chart" data-chart="${escapeHtml(c.name)}">${inlineSvg(c.svg)}</figure>`)
    .join('\n');
  const ctx = contextRows(r.context)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  const failures = r.failures?.length
    ? `<h2>Failed runs</h2>\n${r.failures.map((f) => `<h3>${escapeHtml(f.label)}</h3><pre>${escapeHtml(f.detail || '(no stderr)')}</pre>`).join('\n')}`
    : '';
  const extra = (r.extraSections ?? []).map((s) => `<h2>${escapeHtml(s.title)}</h2>\n${s.html}`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(r.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(r.title)}</h1>
${r.intro.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
<h2>Results</h2>
<table id="results">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
${extra}
<h2>Charts</h2>
<div class="charts">
${charts}
</div>
${failures}
<h2>Context</h2>
<dl class="ctx">${ctx}</dl>
</body>
</html>
`;
}

/** "hakmem-fast / tcmalloc per round: 1.083 [1.03–1.13] over 9 paired round(s)": why the row got its verdict. */
export function verdictNote(r: SummaryRow, verdicts: readonly WorkloadVerdict[]): string | undefined {
  const v = verdicts.find((x) => x.workload === r.workload);
  if (!v || v.hakmem !== r.allocator || !v.peer || r.verdict == null) return undefined;
  return `${v.hakmem} / ${v.peer} (best peer) per round: ${fmtRatioCi(v.ratio, v.ci)} over ${v.n} paired round(s)`;
}

/** The bench table for the HTML report (the same columns as the Markdown table). */
export function benchTableRows(
  rows: readonly SummaryRow[],
  verdicts: readonly WorkloadVerdict[],
): ReportInput['table'] {
  return {
    header: SUMMARY_HEADER,
    align: ['l', 'l', 'c', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows: rows.map((r) => ({
      best: r.verdict === 'best',
      tie: r.verdict === 'tie',
      behind: r.verdict === 'behind',
      failed: r.failures > 0,
      titles: [undefined, undefined, verdictNote(r, verdicts)],
      cells: [
        r.workload,
        r.allocator,
        verdictMark(r),
        fmtMops(r.medianMops),
        fmtPct(r.cv),
        fmtRatioCi(r.ratioToMimalloc, r.ratioToMimallocCi),
        fmtRatioCi(r.ratioToGlibc, r.ratioToGlibcCi),
        fmtMiB(r.medianMaxRssKb),
        runStatus(r),
      ],
    })),
  };
}

export function failureList(runs: readonly RunRecord[]): { label: string; detail: string }[] {
  return runs
    .filter((r) => r.status !== 'ok')
    .map((r) => ({
      label: `${r.workload} / ${r.allocator} / round ${r.round}: ${describeFailure(r.status, r.exitCode, r.signal)}`,
      detail: r.stderrTail,
    }));
}

/** A plain HTML table from a markdown-table string (for the small count tables). */
export function mdTableToHtml(md: string): string {
  const lines = md
    .trim()
    .split('\n')
    .filter((l, i) => i !== 1);
  const cells = (l: string) => l.replace(/^\|\s*|\s*\|$/g, '').split(/\s*\|\s*/);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const [head, ...body] = lines;
  return `<table><thead><tr>${cells(head ?? '')
    .map((c) => `<th>${esc(c)}</th>`)
    .join('')}</tr></thead><tbody>${body
    .map(
      (l) =>
        `<tr>${cells(l)
          .map((c) => `<td>${esc(c)}</td>`)
          .join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}
