/** The summary table as Markdown (printed to the terminal and written to summary.md). */
import { markdownTable } from 'markdown-table';
import type { SummaryRow } from './types.ts';

export function fmt(x: number | null | undefined, digits = 2): string {
  return x == null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

/** M ops/s: two decimals, or three significant digits below 1 (large_mixed runs ~0.0004 M ops/s). */
export function fmtMops(x: number | null | undefined): string {
  if (x == null || !Number.isFinite(x)) return '–';
  return x >= 1 || x === 0 ? x.toFixed(2) : x.toPrecision(3);
}

export function fmtPct(x: number | null | undefined, digits = 1): string {
  return x == null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`;
}

export function fmtMiB(kb: number | null | undefined): string {
  return kb == null ? '–' : (kb / 1024).toFixed(1);
}

/** A ratio and its 95 % interval: `1.044 [0.98–1.11]`; `1.044 [–]` without an interval (one round). */
export function fmtRatioCi(ratio: number | null | undefined, ci: readonly [number, number] | null | undefined): string {
  if (ratio == null || !Number.isFinite(ratio)) return '–';
  return `${ratio.toFixed(3)} [${ci ? `${fmt(ci[0])}–${fmt(ci[1])}` : '–'}]`;
}

/** "★" for a real best, "tie" for the tied top rows, empty otherwise. */
export function verdictMark(r: Pick<SummaryRow, 'verdict'>): string {
  return r.verdict === 'best' ? '★' : r.verdict === 'tie' ? 'tie' : '';
}

/** "5 ok", or "1/5 CRASHED" when some runs did not succeed. */
export function runStatus(r: SummaryRow): string {
  if (r.failures === 0) return `${r.runs} ok`;
  return `${r.failures}/${r.runs} ${r.failureKinds.join('+').toUpperCase()}`;
}

export const SUMMARY_HEADER = [
  'workload',
  'allocator',
  'verdict',
  'M ops/s (median)',
  'CV',
  'vs mimalloc [95% CI]',
  'vs glibc [95% CI]',
  'peak RSS MiB',
  'runs',
];

/** How to read the table (under it in summary.md, README and `hakmem table`). */
export const SUMMARY_LEGEND =
  'Ratios: median of per-round ratios, [95 % CI] = t-interval of the per-round log-ratios (– with one round). ' +
  '★: highest median and its interval against the runner-up lies above 1.0; ' +
  'tie: the top row when that interval includes 1.0, and every row whose interval against the top row includes 1.0.';

/** One row per workload x allocator, with the workload's verdict (★ best or tie) and the ratios' intervals. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const body = rows.map((r) => [
    r.workload,
    r.allocator,
    verdictMark(r),
    r.verdict ? `**${fmtMops(r.medianMops)}**` : fmtMops(r.medianMops),
    fmtPct(r.cv),
    fmtRatioCi(r.ratioToMimalloc, r.ratioToMimallocCi),
    fmtRatioCi(r.ratioToGlibc, r.ratioToGlibcCi),
    fmtMiB(r.medianMaxRssKb),
    runStatus(r),
  ]);
  return markdownTable([SUMMARY_HEADER, ...body], { align: ['l', 'l', 'c', 'r', 'r', 'r', 'r', 'r', 'l'] });
}

/** Workloads as rows, allocators as columns, median M ops/s; ★ best in bold, tied top rows marked (tie). */
export function matrixTable(rows: readonly SummaryRow[]): string {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const allocators = [...new Set(rows.map((r) => r.allocator))];
  const body = workloads.map((w) => [
    w,
    ...allocators.map((a) => {
      const r = rows.find((x) => x.workload === w && x.allocator === a);
      if (!r) return '';
      const v = r.medianMops == null ? r.failureKinds.join('+').toUpperCase() || '–' : fmtMops(r.medianMops);
      return r.verdict === 'best' ? `**${v}** ★` : r.verdict === 'tie' ? `${v} (tie)` : v;
    }),
  ]);
  return markdownTable([['M ops/s', ...allocators], ...body], { align: ['l', ...allocators.map(() => 'r' as const)] });
}
