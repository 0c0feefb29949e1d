/**
 * `hakmem table`: the bench summary table (the one `hakmem bench` prints) from a results.json,
 * under a line naming where it came from: the file, git SHA, date, hakmem builds and rounds.
 * Used to write the README's tables from a kept results file instead of by hand.
 */
import { markdownTable } from 'markdown-table';
import { fmtRatioCi, summaryTables, SUMMARY_LEGEND } from '../report/format-table.ts';
import { describeRounds } from '../bench/plan-rounds.ts';
import { excludesOneAbove, includesOne, pairedRatioEstimate } from '../results/stats.ts';
import { hakmemBuildsOf, mopsByRound, roundsOf, summarize } from '../results/summarize.ts';
import type { BenchResults } from '../types.ts';
import { splitList, UsageError, WORKLOAD_GROUPS } from '../bench/workloads.ts';

export interface TableOptions {
  /** How to name the file in the header line. */
  source: string;
  /** Comma lists: only these workloads / allocators, in this order. */
  workloads?: string;
  allocators?: string;
  /** Set when the file was an older (hakmem-bench/1 or /2) document summarised again. */
  upgradedFrom?: 1 | 2 | null;
  /** Print this allocator's ratio to each of the others instead of the summary (`--against`). */
  against?: string;
  /** Print the instruction and system-call counts instead of the summary (`--counts`). */
  counts?: boolean;
  /**
   * With `--against`: the build that stands for Standard in the Standard / FAST column (`--standard`;
   * default hakmem), for a run that holds more than one Standard build.
   */
  standard?: string;
}

function pick(list: string | undefined, known: readonly string[], what: string): string[] {
  if (!list) return [...known];
  // a group (--workloads real) stands for those of its workloads the file has
  const group = (x: string) => {
    if (what !== 'workloads' || !Object.hasOwn(WORKLOAD_GROUPS, x) || known.includes(x)) return [x];
    const members = WORKLOAD_GROUPS[x]!.filter((w) => known.includes(w));
    return members.length ? members : [x];
  };
  const want = splitList(list).flatMap(group);
  const unknown = want.filter((x) => !known.includes(x));
  if (unknown.length)
    throw new UsageError(`--${what}: ${unknown.join(', ')} not in the results file (it has ${known.join(', ')})`);
  return want;
}

/** The provenance line: file, git SHA, date, hakmem builds (mode/profile and config hash), rounds, baseline. */
export function provenanceLine(
  r: BenchResults,
  source: string,
  workloads: readonly string[],
  label = 'Source',
): string {
  const c = r.context;
  const builds = Object.entries(c.hakmem)
    .map(([name, b]) => `${name} ${b.mode ?? '?'}/${b.profile ?? '?'} config ${b.configHash ?? 'unknown'}`)
    .join(', ');
  const shown = r.config.workloads.filter((w) => workloads.includes(w.name));
  return [
    `${label}: ${source}`,
    `git ${c.gitSha.slice(0, 12)}${c.gitDirty ? ' (dirty)' : ''}`,
    c.date.replace(/\.\d+Z$/, 'Z'),
    `hakmem: ${builds || 'none measured'}`,
    `${describeRounds(shown)}${r.config.quick ? ' (quick)' : ''}`,
    `${c.cpuModel}, ${c.nproc} CPUs`,
  ].join(' · ');
}

/** The header line, the Markdown table and its legend. Throws UsageError for filter names the file does not have. */
export function tableFromResults(r: BenchResults, o: TableOptions): string {
  if (o.against != null && o.counts) throw new UsageError('--against and --counts: choose one');
  const fileWorkloads = r.config.workloads.map((w) => w.name);
  const fileAllocators = r.config.allocators.map((a) => a.name);
  const workloads = pick(o.workloads, fileWorkloads, 'workloads');
  const allocators = pick(o.allocators, fileAllocators, 'allocators');
  if (o.standard != null && o.against == null) throw new UsageError('--standard goes with --against');
  if (o.standard != null && !fileAllocators.includes(o.standard))
    throw new UsageError(`--standard: ${o.standard} not in the results file (it has ${fileAllocators.join(', ')})`);
  if (o.against != null) return againstTable(r, o.source, workloads, allocators, o.against, o.standard ?? 'hakmem');
  if (o.counts) return countsTables(r, o.source, workloads, allocators);
  let rows;
  let verdicts;
  const notes: string[] = [];
  if (o.allocators) {
    // The verdicts are about the allocators shown: summarise again from the runs (ratios to
    // mimalloc and glibc, and Standard / FAST, unchanged).
    const rounds = Object.fromEntries(r.config.workloads.map((w) => [w.name, w.rounds]));
    ({ rows, verdicts } = summarize(r.runs, workloads, allocators, rounds, hakmemBuildsOf(r.context)));
    notes.push('Verdicts among the allocators shown.');
  } else {
    rows = workloads.flatMap((w) => r.summary.filter((s) => s.workload === w));
    verdicts = workloads.flatMap((w) => r.verdicts.filter((v) => v.workload === w));
  }
  for (const s of r.config.skipped ?? [])
    if (workloads.includes(s.workload) && allocators.includes(s.allocator))
      notes.push(`Not run: ${s.allocator} on ${s.workload} (${s.reason}).`);
  if (o.upgradedFrom) notes.push(`Summarised again from the runs of a hakmem-bench/${o.upgradedFrom} file.`);
  return `${provenanceLine(r, o.source, workloads)}\n\n${summaryTables(rows, verdicts)}\n\n${[SUMMARY_LEGEND, ...notes].join(' ')}\n`;
}

/** How to read `--against`. */
export const AGAINST_LEGEND =
  "Each cell: the median of the per-round ratios of M ops/s (the named allocator over the column's), " +
  '[95 % CI] = t-interval of the per-round log-ratios (– with one round); ahead / behind: the interval lies wholly ' +
  'above / below 1.0; tie: it contains 1.0.';

/** What an interval says about a ratio: ahead, behind, tie, or nothing without an interval. */
function intervalWord(ci: readonly [number, number] | null): string {
  if (!ci) return '';
  return excludesOneAbove(ci) ? 'ahead' : includesOne(ci) ? 'tie' : 'behind';
}

/**
 * `--against A`: per workload, A's ratio to every other allocator shown, from the rounds where
 * both ran, with the interval and its reading: the per-peer verdicts an issue's targets ask for,
 * computed the way the summary computes its ratios to mimalloc and glibc.
 */
function againstTable(
  r: BenchResults,
  source: string,
  workloads: readonly string[],
  allocators: readonly string[],
  against: string,
  standard: string,
): string {
  const fileAllocators = r.config.allocators.map((a) => a.name);
  if (!fileAllocators.includes(against))
    throw new UsageError(`--against: ${against} not in the results file (it has ${fileAllocators.join(', ')})`);
  const peers = allocators.filter((a) => a !== against);
  if (peers.length === 0) throw new UsageError(`--against ${against}: no other allocator to compare it with`);
  const planned = Object.fromEntries(r.config.workloads.map((x) => [x.name, x.rounds]));
  // Standard / FAST as its own column, unless one of them is the named allocator and the other a column already.
  const pair = [standard, 'hakmem-fast'];
  // per round, as summarize computes the verdicts' hakmem over hakmem-fast, for whichever build is Standard
  const sfOf = (w: string, rounds: number) => {
    const e = pairedRatioEstimate(
      mopsByRound(r.runs, w, standard, rounds),
      mopsByRound(r.runs, w, 'hakmem-fast', rounds),
    );
    return e.n === 0 ? null : e;
  };
  const sfShown =
    !(pair.includes(against) && peers.some((p) => pair.includes(p))) &&
    workloads.some((w) => sfOf(w, roundsOf(r.runs, w, planned))?.ratio != null);
  const body = workloads.map((w) => {
    const rounds = roundsOf(r.runs, w, planned);
    const mine = mopsByRound(r.runs, w, against, rounds);
    const sf = sfOf(w, rounds);
    return [
      w,
      ...peers.map((p) => {
        const e = pairedRatioEstimate(mine, mopsByRound(r.runs, w, p, rounds));
        if (e.n === 0) return '–';
        return `${fmtRatioCi(e.ratio, e.ci)} ${intervalWord(e.ci)}`.trim();
      }),
      ...(sfShown ? [sf ? fmtRatioCi(sf.ratio, sf.ci) : '–'] : []),
    ];
  });
  const header = [`${against} vs`, ...peers, ...(sfShown ? ['Standard / FAST'] : [])];
  const table = markdownTable([header, ...body], {
    align: ['l', ...header.slice(1).map(() => 'r' as const)],
  });
  const legend = sfShown
    ? `${AGAINST_LEGEND} Standard / FAST: ${standard} over hakmem-fast, per round, from the same rounds.`
    : AGAINST_LEGEND;
  return `${provenanceLine(r, source, workloads)}\n\n${table}\n\n${legend}\n`;
}

/**
 * `--counts`: the instruction counts (callgrind, bench --instructions) and the steady-state
 * system calls (strace, bench --syscalls) the file holds, workloads as rows and allocators as
 * columns. A count that failed reads FAILED; a pair not counted, –; n/a, a pair counted whose run of
 * 2n made no more operations than its run of n (a workload that runs for a time, slowed by strace).
 */
function countsTables(
  r: BenchResults,
  source: string,
  workloads: readonly string[],
  allocators: readonly string[],
): string {
  const parts: string[] = [];
  let na = false;
  const wide = <T extends { workload: string; allocator: string; error?: string }>(
    rows: readonly T[],
    corner: string,
    value: (x: T) => number | null,
  ): string | null => {
    const ws = workloads.filter((w) => rows.some((x) => x.workload === w));
    if (ws.length === 0) return null;
    const body = ws.map((w) => [
      w,
      ...allocators.map((a) => {
        const x = rows.find((y) => y.workload === w && y.allocator === a);
        if (!x) return '–';
        const v = value(x);
        if (v == null && !x.error) na = true;
        return v == null ? (x.error ? 'FAILED' : 'n/a') : v.toFixed(1);
      }),
    ]);
    return markdownTable([[corner, ...allocators], ...body], { align: ['l', ...allocators.map(() => 'r' as const)] });
  };
  const ins = wide(r.instructions ?? [], 'instructions / op', (x) => x.perOp);
  if (ins) parts.push(ins);
  const sys = wide(r.syscalls ?? [], 'system calls / 10^8 ops', (x) => x.steadyPer1e8Ops);
  if (sys) parts.push(sys);
  if (parts.length === 0)
    throw new UsageError(
      '--counts: the results file holds no instruction or system-call counts (run bench with --instructions or --syscalls)',
    );
  const legend =
    'Instructions per operation: callgrind under LD_PRELOAD, (I(2n) - I(n)) / (ops(2n) - ops(n)), so start-up cancels. ' +
    'System calls: mmap, munmap, madvise, mremap and brk between a run of n and one of 2n operations (strace), per 10^8 operations.' +
    (na
      ? ' n/a: the run of 2n made no more operations than the run of n (a workload that runs for a time, slowed by strace).'
      : '');
  return `${provenanceLine(r, source, workloads)}\n\n${parts.join('\n\n')}\n\n${legend}\n`;
}
