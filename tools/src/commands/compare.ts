/**
 * `hakmem compare BASE NEW`: every workload and allocator that two bench results files share,
 * NEW against BASE: the throughput ratio NEW / BASE with its 95 % interval and a verdict
 * (regression, improvement, same), and the same for peak RSS, where a rise is the regression.
 * A change to the allocator closes with the full matrix compared with the last committed one
 * (CONTRIBUTING.md); any hakmem build that regresses on a workload fails the command.
 *
 * Pairing: within one run the protocol pairs allocators by round. Across two runs there is no
 * such pairing; when both files ran a workload for the same number of rounds (at least two),
 * round i of NEW is paired with round i of BASE, as `hakmem table` pairs allocators, and the
 * interval is the t-interval of the per-round log-ratios. Otherwise the comparison is unpaired:
 * the ratio of the medians, with the Welch t-interval of the difference of mean log values.
 * With a single round on either side there is no interval: throughput gets no verdict, and
 * peak RSS is a regression when it rose by more than 10 %. A change of peak RSS below 1 % is
 * never a verdict either way.
 */
import { markdownTable } from 'markdown-table';
import { fmtMiB, fmtMops, fmtRatioCi } from '../report/format-table.ts';
import {
  excludesOneAbove,
  excludesOneBelow,
  median,
  pairedRatioEstimate,
  unpairedRatioEstimate,
} from '../results/stats.ts';
import { hakmemBuildsOf, mopsByRound, roundsOf } from '../results/summarize.ts';
import { provenanceLine } from './table.ts';
import type { BenchResults, RunRecord } from '../types.ts';
import { splitList, UsageError } from '../bench/workloads.ts';

export type ChangeVerdict = 'regression' | 'improvement' | 'same';

/** How two series were compared. */
export type Pairing = 'paired' | 'unpaired' | 'one round';

export interface SideFigure {
  /** Median over the ok runs; null when none succeeded. */
  median: number | null;
  /** Ok runs. */
  n: number;
}

export interface ChangeEstimate {
  /** Median of the per-round ratios (paired) or ratio of the medians (unpaired, one round). */
  ratio: number | null;
  ci: [number, number] | null;
  pairing: Pairing;
  /** Pairs (paired), or values on the smaller side. */
  n: number;
  verdict: ChangeVerdict | null;
}

export interface CompareRow {
  workload: string;
  allocator: string;
  /** A hakmem build (named hakmem*, or carrying hakmem's manifest in either file). */
  ours: boolean;
  /** The workload was named by --allow: a regression there is shown, not failed. */
  allowed: boolean;
  rounds: { base: number; new: number };
  mops: { base: SideFigure; new: SideFigure };
  rssKb: { base: SideFigure; new: SideFigure };
  throughput: ChangeEstimate;
  rss: ChangeEstimate;
}

export interface Comparison {
  rows: CompareRow[];
  /** Workloads in both files that were not compared, and why (their arguments differ). */
  skipped: { workload: string; reason: string }[];
  /** Workloads or allocators in one file only. */
  onlyInBase: { workloads: string[]; allocators: string[] };
  onlyInNew: { workloads: string[]; allocators: string[] };
  /** Rows of hakmem builds with a throughput or RSS regression on a workload not allowed. */
  failures: CompareRow[];
  /** The same on allowed workloads. */
  allowedRegressions: CompareRow[];
}

/** A rise of peak RSS beyond this, with one round on a side, is a regression (issue 25). */
export const RSS_ONE_ROUND_RISE = 0.1;

/**
 * A change of peak RSS smaller than this is never called a regression or an improvement: peak
 * RSS is often the same to the page in every round, so its interval can have no width at all,
 * and 0.2 MiB more of a 1 GiB peak would otherwise fail the command.
 */
export const RSS_MIN_CHANGE = 0.01;

/** Peak RSS (KB) per round (index round-1) of the ok runs; null elsewhere. */
export function rssByRound(
  runs: readonly RunRecord[],
  workload: string,
  allocator: string,
  rounds: number,
): (number | null)[] {
  const out: (number | null)[] = Array.from({ length: rounds }, () => null);
  for (const r of runs) {
    if (
      r.workload === workload &&
      r.allocator === allocator &&
      r.status === 'ok' &&
      r.maxRssKb != null &&
      r.maxRssKb > 0
    )
      out[r.round - 1] = r.maxRssKb;
  }
  return out;
}

const values = (xs: readonly (number | null)[]) => xs.filter((x): x is number => x != null);

/**
 * NEW over BASE for one series. `higherIsBetter` decides which side of 1.0 is the regression:
 * throughput falls, RSS rises.
 */
export function estimateChange(
  base: readonly (number | null)[],
  next: readonly (number | null)[],
  higherIsBetter: boolean,
): ChangeEstimate {
  const b = values(base);
  const n = values(next);
  const judge = (ci: [number, number] | null, ratio: number | null): ChangeVerdict | null => {
    if (!ci) return null;
    if (!higherIsBetter && ratio != null && Math.abs(Math.log(ratio)) < Math.log1p(RSS_MIN_CHANGE)) return 'same';
    const better = higherIsBetter ? excludesOneAbove(ci) : excludesOneBelow(ci);
    const worse = higherIsBetter ? excludesOneBelow(ci) : excludesOneAbove(ci);
    return worse ? 'regression' : better ? 'improvement' : 'same';
  };
  if (b.length < 2 || n.length < 2) {
    const mb = median(b);
    const mn = median(n);
    const ratio = mb != null && mn != null && mb > 0 ? mn / mb : null;
    let verdict: ChangeVerdict | null = null;
    if (!higherIsBetter && ratio != null) {
      verdict =
        ratio > 1 + RSS_ONE_ROUND_RISE ? 'regression' : ratio < 1 / (1 + RSS_ONE_ROUND_RISE) ? 'improvement' : 'same';
    }
    return { ratio, ci: null, pairing: 'one round', n: Math.min(b.length, n.length), verdict };
  }
  // Paired by round index when both files ran the same rounds; otherwise unpaired.
  const e = base.length === next.length ? pairedRatioEstimate(next, base) : unpairedRatioEstimate(n, b);
  const pairing: Pairing = base.length === next.length ? 'paired' : 'unpaired';
  return { ratio: e.ratio, ci: e.ci, pairing, n: e.n, verdict: judge(e.ci, e.ratio) };
}

function side(xs: readonly (number | null)[]): SideFigure {
  const v = values(xs);
  return { median: median(v), n: v.length };
}

export interface CompareOptions {
  /** Workloads whose regressions are shown but do not fail (--allow, repeatable or comma lists). */
  allow?: readonly string[];
  /** Only these allocators (--allocators, comma lists), in this order; each must be in both files. */
  allocators?: readonly string[];
}

const sameArgs = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Compares NEW with BASE. Throws UsageError when they share no workload or no allocator, or --allow names neither's workload. */
export function compareResults(base: BenchResults, next: BenchResults, o: CompareOptions = {}): Comparison {
  const bw = base.config.workloads;
  const nw = next.config.workloads;
  const ba = base.config.allocators.map((a) => a.name);
  const na = next.config.allocators.map((a) => a.name);
  const shared = bw.filter((w) => nw.some((x) => x.name === w.name));
  if (shared.length === 0)
    throw new UsageError(
      `no workload in both files: BASE has ${bw.map((w) => w.name).join(', ')}; NEW has ${nw.map((w) => w.name).join(', ')}`,
    );
  const inBoth = ba.filter((a) => na.includes(a));
  if (inBoth.length === 0)
    throw new UsageError(`no allocator in both files: BASE has ${ba.join(', ')}; NEW has ${na.join(', ')}`);
  const only = (o.allocators ?? []).flatMap(splitList);
  const absent = only.filter((a) => !inBoth.includes(a));
  if (absent.length)
    throw new UsageError(
      `--allocators: ${absent.join(', ')} is not an allocator both files ran (they share ${inBoth.join(', ')})`,
    );
  const allocators = only.length ? only : inBoth;
  const skipped: Comparison['skipped'] = [];
  const workloads = shared.filter((w) => {
    const x = nw.find((y) => y.name === w.name)!;
    if (sameArgs(w.args, x.args)) return true;
    const show = (args: readonly string[]) => (args.length ? args.join(' ') : '(defaults)');
    skipped.push({ workload: w.name, reason: `arguments differ: BASE ${show(w.args)}, NEW ${show(x.args)}` });
    return false;
  });
  if (workloads.length === 0)
    throw new UsageError(
      `no workload to compare: the files share ${shared.map((w) => w.name).join(', ')}, but ${skipped.map((s) => `${s.workload}'s ${s.reason}`).join('; ')}`,
    );
  const allow = (o.allow ?? []).flatMap(splitList);
  const unknown = allow.filter((a) => !workloads.some((w) => w.name === a));
  if (unknown.length)
    throw new UsageError(
      `--allow: ${unknown.join(', ')} is not a workload both files ran (they share ${workloads.map((w) => w.name).join(', ')})`,
    );
  const oursInBase = hakmemBuildsOf(base.context);
  const oursInNew = hakmemBuildsOf(next.context);
  const rows: CompareRow[] = [];
  for (const w of workloads) {
    const rb = roundsOf(base.runs, w.name, w.rounds);
    const rn = roundsOf(next.runs, w.name, nw.find((x) => x.name === w.name)!.rounds);
    for (const a of allocators) {
      const ranB = base.runs.some((r) => r.workload === w.name && r.allocator === a);
      const ranN = next.runs.some((r) => r.workload === w.name && r.allocator === a);
      if (!ranB || !ranN) continue;
      const mB = mopsByRound(base.runs, w.name, a, rb);
      const mN = mopsByRound(next.runs, w.name, a, rn);
      const sB = rssByRound(base.runs, w.name, a, rb);
      const sN = rssByRound(next.runs, w.name, a, rn);
      rows.push({
        workload: w.name,
        allocator: a,
        ours: oursInBase(a) || oursInNew(a),
        allowed: allow.includes(w.name),
        rounds: { base: rb, new: rn },
        mops: { base: side(mB), new: side(mN) },
        rssKb: { base: side(sB), new: side(sN) },
        throughput: estimateChange(mB, mN, true),
        rss: estimateChange(sB, sN, false),
      });
    }
  }
  const regressed = (r: CompareRow) =>
    r.ours && (r.throughput.verdict === 'regression' || r.rss.verdict === 'regression');
  const names = (ws: readonly { name: string }[]) => ws.map((w) => w.name);
  return {
    rows,
    skipped,
    onlyInBase: {
      workloads: names(bw).filter((w) => !names(nw).includes(w)),
      allocators: ba.filter((a) => !na.includes(a)),
    },
    onlyInNew: {
      workloads: names(nw).filter((w) => !names(bw).includes(w)),
      allocators: na.filter((a) => !ba.includes(a)),
    },
    failures: rows.filter((r) => regressed(r) && !r.allowed),
    allowedRegressions: rows.filter((r) => regressed(r) && r.allowed),
  };
}

function pairingText(e: ChangeEstimate, r: CompareRow): string {
  if (e.pairing === 'paired') return `paired, ${e.n} rounds`;
  if (e.pairing === 'unpaired') return `unpaired, ${r.rounds.base} vs ${r.rounds.new} rounds`;
  return 'one round';
}

const word = (v: ChangeVerdict | null) => v ?? '–';

/** "random_mixed hakmem-fast: throughput 0.912 [0.87–0.96]" for the summary lines. */
function describeRegression(r: CompareRow): string {
  const parts: string[] = [];
  if (r.throughput.verdict === 'regression')
    parts.push(`throughput ${fmtRatioCi(r.throughput.ratio, r.throughput.ci)}`);
  if (r.rss.verdict === 'regression') parts.push(`peak RSS ${fmtRatioCi(r.rss.ratio, r.rss.ci)}`);
  return `${r.workload} ${r.allocator} (${parts.join(', ')})`;
}

export const COMPARE_LEGEND =
  'NEW / BASE: M ops/s and peak RSS of NEW over BASE. Paired: both files ran the workload for the same rounds, and ' +
  'round i of NEW is paired with round i of BASE (as a run pairs allocators by round; across two runs the pairing ' +
  'is by round index only): the median of the per-round ratios, [95 % CI] = t-interval of their logs. Unpaired: the ' +
  'round counts differ: the ratio of the medians, [95 % CI] = Welch t-interval of the difference of mean logs. ' +
  'Verdict: regression when the interval lies wholly on the worse side of 1.0 (throughput below, RSS above), ' +
  'improvement when wholly on the better side, same otherwise; with one round there is no interval: no throughput ' +
  'verdict, and an RSS rise above 10 % is a regression; an RSS change below 1 % is the same. The command fails (exit 1) on a regression of a hakmem ' +
  'build, unless its workload is allowed (--allow). A peer that moves shows how much the machine moved between ' +
  'the runs.';

/** The header lines, the table, what failed or was allowed, and the legend. */
export function compareTable(
  c: Comparison,
  base: BenchResults,
  next: BenchResults,
  sources: { base: string; new: string },
): string {
  const ws = [...new Set(c.rows.map((r) => r.workload))];
  const header = [provenanceLine(base, sources.base, ws, 'BASE'), provenanceLine(next, sources.new, ws, 'NEW')].join(
    '\n',
  );
  const body = c.rows.map((r) => [
    r.workload,
    r.allocator,
    fmtMops(r.mops.base.median),
    fmtMops(r.mops.new.median),
    fmtRatioCi(r.throughput.ratio, r.throughput.ci),
    pairingText(r.throughput, r),
    word(r.throughput.verdict),
    fmtMiB(r.rssKb.base.median),
    fmtMiB(r.rssKb.new.median),
    fmtRatioCi(r.rss.ratio, r.rss.ci),
    word(r.rss.verdict),
  ]);
  const table = markdownTable(
    [
      [
        'workload',
        'allocator',
        'BASE M ops/s',
        'NEW M ops/s',
        'NEW / BASE [95% CI]',
        'rounds',
        'verdict',
        'BASE RSS MiB',
        'NEW RSS MiB',
        'RSS NEW / BASE [95% CI]',
        'RSS verdict',
      ],
      ...body,
    ],
    { align: ['l', 'l', 'r', 'r', 'r', 'l', 'l', 'r', 'r', 'r', 'l'] },
  );
  const notes: string[] = [];
  notes.push(
    c.failures.length
      ? `Regressions of hakmem builds: ${c.failures.map(describeRegression).join('; ')}.`
      : 'No hakmem build regresses on any workload compared.',
  );
  if (c.allowedRegressions.length)
    notes.push(`Allowed (--allow): ${c.allowedRegressions.map(describeRegression).join('; ')}.`);
  const unpaired = c.rows.filter((r) => r.throughput.pairing === 'unpaired').map((r) => r.workload);
  if (unpaired.length)
    notes.push(`Unpaired (the files ran different round counts): ${[...new Set(unpaired)].join(', ')}.`);
  for (const s of c.skipped) notes.push(`Not compared: ${s.workload} (${s.reason}).`);
  const only = (label: string, x: { workloads: string[]; allocators: string[] }) => {
    const parts = [
      ...(x.workloads.length ? [`workloads ${x.workloads.join(', ')}`] : []),
      ...(x.allocators.length ? [`allocators ${x.allocators.join(', ')}`] : []),
    ];
    if (parts.length) notes.push(`Only in ${label}: ${parts.join('; ')}.`);
  };
  only('BASE', c.onlyInBase);
  only('NEW', c.onlyInNew);
  return `${header}\n\n${table}\n\n${notes.join(' ')}\n\n${COMPARE_LEGEND}\n`;
}
