/** Turns the runs into the summary table: medians, CV, paired ratios, peak RSS, the best per workload. */
import { coefficientOfVariation, median, medianPairedRatio } from './stats.ts';
import type { RunRecord, SummaryRow } from './types.ts';

/** M ops/s per round (index round-1) for one workload and allocator; null where the run was not ok. */
export function mopsByRound(runs: readonly RunRecord[], workload: string, allocator: string, rounds: number): (number | null)[] {
  const out: (number | null)[] = Array.from({ length: rounds }, () => null);
  for (const r of runs) {
    if (r.workload === workload && r.allocator === allocator && r.status === 'ok' && r.result) out[r.round - 1] = r.result.mops;
  }
  return out;
}

export function summarize(runs: readonly RunRecord[], workloads: readonly string[], allocators: readonly string[], rounds: number): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const w of workloads) {
    const group: SummaryRow[] = [];
    const byRound = new Map(allocators.map((a) => [a, mopsByRound(runs, w, a, rounds)]));
    for (const a of allocators) {
      const mine = runs.filter((r) => r.workload === w && r.allocator === a);
      const ok = mine.filter((r) => r.status === 'ok' && r.result);
      const mops = ok.map((r) => r.result!.mops);
      const rss = mine.map((r) => r.maxRssKb).filter((x): x is number => x != null && x > 0);
      const ratio = (base: string) => (byRound.has(base) ? medianPairedRatio(byRound.get(a)!, byRound.get(base)!) : null);
      group.push({
        workload: w,
        allocator: a,
        runs: mine.length,
        failures: mine.length - ok.length,
        failureKinds: [...new Set(mine.filter((r) => r.status !== 'ok').map((r) => r.status))],
        medianMops: median(mops),
        cv: coefficientOfVariation(mops),
        ratioToMimalloc: ratio('mimalloc'),
        ratioToGlibc: ratio('glibc'),
        medianMaxRssKb: median(rss),
        best: false,
      });
    }
    const top = Math.max(...group.map((r) => r.medianMops ?? -1));
    for (const r of group) if (r.medianMops != null && r.medianMops === top) r.best = true;
    rows.push(...group);
  }
  return rows;
}
