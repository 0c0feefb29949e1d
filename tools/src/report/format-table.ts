/** The summary table as Markdown (printed to the terminal and written to summary.md). */
import { markdownTable } from 'markdown-table';
import type { SummaryRow, WorkloadVerdict } from '../types.ts';

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

/** The verdict on the best hakmem build's row: "★" ahead of the best peer, "tie", "behind"; empty elsewhere. */
export function verdictMark(r: Pick<SummaryRow, 'verdict'>): string {
  return r.verdict === 'best' ? '★' : r.verdict === 'tie' ? 'tie' : r.verdict === 'behind' ? 'behind' : '';
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

/** How to read the tables (under them in summary.md, README and `hakmem table`). */
export const SUMMARY_LEGEND =
  'Ratios: median of per-round ratios, [95 % CI] = t-interval of the per-round log-ratios (– with one round). ' +
  "Verdict: the best hakmem build (highest median among allocators named hakmem* or whose library carries hakmem's manifest) " +
  'against the best peer (highest median among the others; the two medians in bold), per round: ★ when the interval ' +
  "of the ratio lies above 1.0, behind when below, tie when it contains 1.0; shown on the hakmem build's row. " +
  'Standard / FAST: hakmem over hakmem-fast, per round.';

/** Whether a row is one of the two its workload's verdict compares (its median is shown in bold). */
function compared(r: SummaryRow, verdicts: readonly WorkloadVerdict[]): boolean {
  const v = verdicts.find((x) => x.workload === r.workload);
  return v != null && v.verdict != null && (v.hakmem === r.allocator || v.peer === r.allocator);
}

/** One row per workload x allocator, with the verdict on the best hakmem build's row and the ratios' intervals. */
export function summaryTable(rows: readonly SummaryRow[], verdicts: readonly WorkloadVerdict[] = []): string {
  const body = rows.map((r) => [
    r.workload,
    r.allocator,
    verdictMark(r),
    compared(r, verdicts) ? `**${fmtMops(r.medianMops)}**` : fmtMops(r.medianMops),
    fmtPct(r.cv),
    fmtRatioCi(r.ratioToMimalloc, r.ratioToMimallocCi),
    fmtRatioCi(r.ratioToGlibc, r.ratioToGlibcCi),
    fmtMiB(r.medianMaxRssKb),
    runStatus(r),
  ]);
  return markdownTable([SUMMARY_HEADER, ...body], { align: ['l', 'l', 'c', 'r', 'r', 'r', 'r', 'r', 'l'] });
}

export const VERDICT_HEADER = [
  'workload',
  'verdict',
  'best hakmem build',
  'best peer',
  'hakmem / peer [95% CI]',
  'Standard / FAST [95% CI]',
];

/** One row per workload: the best hakmem build against the best peer, the verdict, and Standard / FAST. */
export function verdictTable(verdicts: readonly WorkloadVerdict[]): string {
  const body = verdicts.map((v) => [
    v.workload,
    verdictMark(v),
    v.hakmem ?? '–',
    v.peer ?? '–',
    v.hakmem && v.peer ? fmtRatioCi(v.ratio, v.ci) : '–',
    v.standardOverFast ? fmtRatioCi(v.standardOverFast.ratio, v.standardOverFast.ci) : '–',
  ]);
  return markdownTable([VERDICT_HEADER, ...body], { align: ['l', 'c', 'l', 'l', 'r', 'r'] });
}

/** The rows, the verdicts and the legend: what `hakmem bench` and `hakmem table` print. */
export function summaryTables(rows: readonly SummaryRow[], verdicts: readonly WorkloadVerdict[]): string {
  return `${summaryTable(rows, verdicts)}\n\n${verdictTable(verdicts)}`;
}

/**
 * Workloads as rows, allocators as columns, median M ops/s; the best hakmem build marked with
 * its verdict (★ in bold, (tie), (behind)), and Standard / FAST in the last column.
 */
export function matrixTable(rows: readonly SummaryRow[], verdicts: readonly WorkloadVerdict[] = []): string {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const allocators = [...new Set(rows.map((r) => r.allocator))];
  const body = workloads.map((w) => {
    const sf = verdicts.find((v) => v.workload === w)?.standardOverFast;
    return [
      w,
      ...allocators.map((a) => {
        const r = rows.find((x) => x.workload === w && x.allocator === a);
        if (!r) return '';
        const v = r.medianMops == null ? r.failureKinds.join('+').toUpperCase() || '–' : fmtMops(r.medianMops);
        return r.verdict === 'best'
          ? `**${v}** ★`
          : r.verdict === 'tie'
            ? `${v} (tie)`
            : r.verdict === 'behind'
              ? `${v} (behind)`
              : v;
      }),
      sf ? fmtRatioCi(sf.ratio, sf.ci) : '–',
    ];
  });
  return markdownTable([['M ops/s', ...allocators, 'Standard / FAST'], ...body], {
    align: ['l', ...allocators.map(() => 'r' as const), 'r'],
  });
}
