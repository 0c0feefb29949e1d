/**
 * Turns the runs into the summary table: medians, CV, paired ratios with their 95 % intervals,
 * peak RSS, and each workload's verdict (★ best only when the interval against the runner-up
 * excludes 1.0; otherwise the top rows are a tie).
 */
import { coefficientOfVariation, excludesOneAbove, includesOne, median, pairedRatioEstimate } from './stats.ts';
import type { RunRecord, SummaryRow } from './types.ts';

/** M ops/s per round (index round-1) for one workload and allocator; null where the run was not ok. */
export function mopsByRound(
  runs: readonly RunRecord[],
  workload: string,
  allocator: string,
  rounds: number,
): (number | null)[] {
  const out: (number | null)[] = Array.from({ length: rounds }, () => null);
  for (const r of runs) {
    if (r.workload === workload && r.allocator === allocator && r.status === 'ok' && r.result)
      out[r.round - 1] = r.result.mops;
  }
  return out;
}

/** Rounds of one workload: a number for all, or one per workload name. */
export type RoundCounts = number | Readonly<Record<string, number>>;

/** Rounds of one workload: as planned, or as many as the runs show if more. */
export function roundsOf(runs: readonly RunRecord[], workload: string, rounds: RoundCounts): number {
  const given = typeof rounds === 'number' ? rounds : (rounds[workload] ?? 0);
  const seen = runs.reduce((m, r) => (r.workload === workload ? Math.max(m, r.round) : m), 0);
  return Math.max(given, seen);
}

/**
 * One row per workload x allocator. `allocators` are the rows (and the candidates for the
 * verdict); the ratios to mimalloc and glibc use those baselines' runs whenever the runs hold
 * them, listed or not.
 */
export function summarize(
  runs: readonly RunRecord[],
  workloads: readonly string[],
  allocators: readonly string[],
  rounds: RoundCounts,
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const w of workloads) {
    const n = roundsOf(runs, w, rounds);
    const series = (a: string) => mopsByRound(runs, w, a, n);
    const ran = (a: string) => runs.some((r) => r.workload === w && r.allocator === a);
    const group: SummaryRow[] = [];
    for (const a of allocators) {
      const mine = runs.filter((r) => r.workload === w && r.allocator === a);
      const ok = mine.filter((r) => r.status === 'ok' && r.result);
      const mops = ok.map((r) => r.result!.mops);
      const rss = mine.map((r) => r.maxRssKb).filter((x): x is number => x != null && x > 0);
      const ratio = (base: string) => (ran(base) ? pairedRatioEstimate(series(a), series(base)) : null);
      const toMimalloc = ratio('mimalloc');
      const toGlibc = ratio('glibc');
      group.push({
        workload: w,
        allocator: a,
        runs: mine.length,
        failures: mine.length - ok.length,
        failureKinds: [...new Set(mine.filter((r) => r.status !== 'ok').map((r) => r.status))],
        medianMops: median(mops),
        cv: coefficientOfVariation(mops),
        ratioToMimalloc: toMimalloc?.ratio ?? null,
        ratioToMimallocCi: toMimalloc?.ci ?? null,
        ratioToGlibc: toGlibc?.ratio ?? null,
        ratioToGlibcCi: toGlibc?.ci ?? null,
        medianMaxRssKb: median(rss),
        verdict: null,
        vsRunnerUp: null,
        best: false,
      });
    }
    assignVerdicts(group, series);
    rows.push(...group);
  }
  return rows;
}

/**
 * The verdict of one workload's rows, in place. The top row (highest median) is ★ best only
 * when the 95 % interval of its per-round ratio to the runner-up (next-highest median) lies
 * above 1.0. Otherwise it is a tie, shared with every row whose interval against the top row
 * includes 1.0. With fewer than two paired rounds between top and runner-up (e.g. --quick)
 * there is no interval and no verdict. A top row whose rivals all failed is best.
 */
export function assignVerdicts(group: SummaryRow[], series: (allocator: string) => (number | null)[]): void {
  const ranked = group.filter((r) => r.medianMops != null).sort((x, y) => y.medianMops! - x.medianMops!);
  const top = ranked[0];
  if (!top) return;
  const runnerUp = ranked[1];
  if (!runnerUp) {
    if (group.length > 1) {
      top.verdict = 'best';
      top.best = true;
    }
    return;
  }
  const e = pairedRatioEstimate(series(top.allocator), series(runnerUp.allocator));
  top.vsRunnerUp = { allocator: runnerUp.allocator, ratio: e.ratio, ci: e.ci, n: e.n };
  if (e.ci == null) return;
  if (excludesOneAbove(e.ci)) {
    top.verdict = 'best';
    top.best = true;
    return;
  }
  top.verdict = 'tie';
  for (const r of ranked.slice(1)) {
    if (includesOne(pairedRatioEstimate(series(r.allocator), series(top.allocator)).ci)) r.verdict = 'tie';
  }
}
