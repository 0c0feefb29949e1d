/** The summary table as Markdown (printed to the terminal and written to summary.md). */
import { markdownTable } from 'markdown-table';
import type { SummaryRow } from './types.ts';

export function fmt(x: number | null | undefined, digits = 2): string {
  return x == null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

export function fmtPct(x: number | null | undefined, digits = 1): string {
  return x == null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`;
}

export function fmtMiB(kb: number | null | undefined): string {
  return kb == null ? '–' : (kb / 1024).toFixed(1);
}

function status(r: SummaryRow): string {
  if (r.failures === 0) return 'ok';
  return `${r.failures}/${r.runs} ${r.failureKinds.join('+').toUpperCase()}`;
}

/** One row per workload x allocator; ★ marks the highest median M ops/s of each workload. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const header = ['workload', 'allocator', 'M ops/s (median)', 'CV', 'vs mimalloc', 'vs glibc', 'peak RSS MiB', 'runs'];
  const body = rows.map((r) => [
    r.workload,
    r.best ? `★ ${r.allocator}` : r.allocator,
    r.best ? `**${fmt(r.medianMops)}**` : fmt(r.medianMops),
    fmtPct(r.cv),
    fmt(r.ratioToMimalloc, 3),
    fmt(r.ratioToGlibc, 3),
    fmtMiB(r.medianMaxRssKb),
    status(r),
  ]);
  return markdownTable([header, ...body], { align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'] });
}

/** Workloads as rows, allocators as columns, median M ops/s; the best of each row in bold. */
export function matrixTable(rows: readonly SummaryRow[]): string {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const allocators = [...new Set(rows.map((r) => r.allocator))];
  const body = workloads.map((w) => [
    w,
    ...allocators.map((a) => {
      const r = rows.find((x) => x.workload === w && x.allocator === a);
      if (!r) return '';
      const v = r.medianMops == null ? r.failureKinds.join('+').toUpperCase() || '–' : fmt(r.medianMops);
      return r.best ? `**${v}**` : v;
    }),
  ]);
  return markdownTable([['M ops/s', ...allocators], ...body], { align: ['l', ...allocators.map(() => 'r' as const)] });
}
