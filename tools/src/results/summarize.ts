/**
 * Turns the runs into the summary table: medians, CV, paired ratios with their 95 % intervals,
 * peak RSS, and each workload's verdict: the best hakmem build against the best peer (★, tie or
 * behind by the interval of the per-round ratio), with Standard / FAST beside it.
 */
import { coefficientOfVariation, excludesOneAbove, includesOne, median, pairedRatioEstimate } from './stats.ts';
import type { BenchVerdict, RatioComparison, RunContext, RunRecord, SummaryRow, WorkloadVerdict } from '../types.ts';

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

/** Which allocators are our builds (the rest are peers). */
export type IsHakmemBuild = (allocator: string) => boolean;

/** Our builds by name: every allocator whose name starts with "hakmem" (hakmem-fast, hakmem, a --lib hakmem-candidate). */
export const isHakmemBuild: IsHakmemBuild = (allocator) => allocator.startsWith('hakmem');

/**
 * Our builds in a run: named hakmem*, or a library that carries hakmem's manifest (a --lib
 * build under another name, such as `hardened` or `fast-1e7f037`; the run's context records
 * the manifest of every preloaded library that has one).
 */
export function hakmemBuildsOf(context: Pick<RunContext, 'hakmem'>): IsHakmemBuild {
  return (allocator) => isHakmemBuild(allocator) || context.hakmem[allocator]?.mode != null;
}

/** The summary of a run: one row per workload x allocator, and one verdict per workload. */
export interface Summary {
  rows: SummaryRow[];
  verdicts: WorkloadVerdict[];
}

/**
 * One row per workload x allocator, and each workload's verdict. `allocators` are the rows (and
 * the candidates for the verdict); the ratios to mimalloc and glibc, and Standard / FAST, use
 * those allocators' runs whenever the runs hold them, listed or not.
 */
export function summarize(
  runs: readonly RunRecord[],
  workloads: readonly string[],
  allocators: readonly string[],
  rounds: RoundCounts,
  ours: IsHakmemBuild = isHakmemBuild,
): Summary {
  const rows: SummaryRow[] = [];
  const verdicts: WorkloadVerdict[] = [];
  for (const w of workloads) {
    const n = roundsOf(runs, w, rounds);
    const series = (a: string) => mopsByRound(runs, w, a, n);
    const ran = (a: string) => runs.some((r) => r.workload === w && r.allocator === a);
    const group: SummaryRow[] = [];
    for (const a of allocators) {
      const mine = runs.filter((r) => r.workload === w && r.allocator === a);
      if (mine.length === 0) continue; // not run on this workload (skipped, or not in this file)
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
        best: false,
      });
    }
    const v = assignVerdicts(group, series, ours);
    const standardOverFast =
      ran('hakmem') && ran('hakmem-fast') ? ratioComparison(series('hakmem'), series('hakmem-fast')) : null;
    verdicts.push({ ...v, workload: w, standardOverFast });
    rows.push(...group);
  }
  return { rows, verdicts };
}

function ratioComparison(a: readonly (number | null)[], b: readonly (number | null)[]): RatioComparison {
  const e = pairedRatioEstimate(a, b);
  return { ratio: e.ratio, ci: e.ci, n: e.n };
}

/**
 * One workload's verdict, marked in place on the row of its best hakmem build: that build
 * (highest median among our builds' rows, `isOurs`) over the best peer (highest median among the
 * other rows), per round. ★ ('best') when the 95 % interval lies above 1.0, 'behind' when it
 * lies below, 'tie' when it contains 1.0; no verdict without an interval (fewer than two
 * paired rounds, e.g. --quick), or without both sides. A hakmem build whose peers all failed
 * is ★; one that failed every run where a peer ran is behind.
 */
export function assignVerdicts(
  group: SummaryRow[],
  series: (allocator: string) => (number | null)[],
  isOurs: IsHakmemBuild = isHakmemBuild,
): Omit<WorkloadVerdict, 'standardOverFast'> {
  const workload = group[0]?.workload ?? '';
  const top = (rows: SummaryRow[]) =>
    rows.filter((r) => r.medianMops != null).sort((x, y) => y.medianMops! - x.medianMops!)[0];
  const ours = group.filter((r) => isOurs(r.allocator));
  const theirs = group.filter((r) => !isOurs(r.allocator));
  const h = top(ours);
  const p = top(theirs);
  const none = { workload, hakmem: h?.allocator ?? null, peer: p?.allocator ?? null, ratio: null, ci: null, n: 0 };
  if (!h && !p) return { ...none, verdict: null };
  if (!h) return { ...none, verdict: ours.length ? 'behind' : null };
  if (!p) {
    if (theirs.length === 0) return { ...none, verdict: null };
    h.verdict = 'best';
    h.best = true;
    return { ...none, verdict: 'best' };
  }
  const e = pairedRatioEstimate(series(h.allocator), series(p.allocator));
  const verdict: BenchVerdict | null =
    e.ci == null ? null : excludesOneAbove(e.ci) ? 'best' : includesOne(e.ci) ? 'tie' : 'behind';
  h.verdict = verdict;
  h.best = verdict === 'best';
  return { ...none, ratio: e.ratio, ci: e.ci, n: e.n, verdict };
}
