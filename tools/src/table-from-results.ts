/**
 * `hakmem table`: the bench summary table (the one `hakmem bench` prints) from a results.json,
 * under a line naming where it came from: the file, git SHA, date, hakmem builds and rounds.
 * Used to write the README's tables from a kept results file instead of by hand.
 */
import { summaryTable, SUMMARY_LEGEND } from './format-table.ts';
import { describeRounds } from './plan-rounds.ts';
import { summarize } from './summarize.ts';
import type { BenchResults } from './types.ts';
import { splitList, UsageError } from './workloads.ts';

export interface TableOptions {
  /** How to name the file in the header line. */
  source: string;
  /** Comma lists: only these workloads / allocators, in this order. */
  workloads?: string;
  allocators?: string;
  /** Set when the file was a hakmem-bench/1 document summarised again. */
  upgradedFrom?: 1 | null;
}

function pick(list: string | undefined, known: readonly string[], what: string): string[] {
  if (!list) return [...known];
  const want = splitList(list);
  const unknown = want.filter((x) => !known.includes(x));
  if (unknown.length)
    throw new UsageError(`--${what}: ${unknown.join(', ')} not in the results file (it has ${known.join(', ')})`);
  return want;
}

/** The provenance line: file, git SHA, date, hakmem builds (mode/profile and config hash), rounds, baseline. */
export function provenanceLine(r: BenchResults, source: string, workloads: readonly string[]): string {
  const c = r.context;
  const builds = Object.entries(c.hakmem)
    .map(([name, b]) => `${name} ${b.mode ?? '?'}/${b.profile ?? '?'} config ${b.configHash ?? 'unknown'}`)
    .join(', ');
  const shown = r.config.workloads.filter((w) => workloads.includes(w.name));
  return [
    `Source: ${source}`,
    `git ${c.gitSha.slice(0, 12)}${c.gitDirty ? ' (dirty)' : ''}`,
    c.date.replace(/\.\d+Z$/, 'Z'),
    `hakmem: ${builds || 'none measured'}`,
    `${describeRounds(shown)}${r.config.quick ? ' (quick)' : ''}`,
    `${c.cpuModel}, ${c.nproc} CPUs`,
  ].join(' · ');
}

/** The header line, the Markdown table and its legend. Throws UsageError for filter names the file does not have. */
export function tableFromResults(r: BenchResults, o: TableOptions): string {
  const fileWorkloads = r.config.workloads.map((w) => w.name);
  const fileAllocators = r.config.allocators.map((a) => a.name);
  const workloads = pick(o.workloads, fileWorkloads, 'workloads');
  const allocators = pick(o.allocators, fileAllocators, 'allocators');
  let rows;
  const notes: string[] = [];
  if (o.allocators) {
    // The verdicts are about the allocators shown: summarise again from the runs (ratios to mimalloc and glibc unchanged).
    const rounds = Object.fromEntries(r.config.workloads.map((w) => [w.name, w.rounds]));
    rows = summarize(r.runs, workloads, allocators, rounds);
    notes.push('Verdicts among the allocators shown.');
  } else {
    rows = workloads.flatMap((w) => r.summary.filter((s) => s.workload === w));
  }
  if (o.upgradedFrom === 1) notes.push('Summarised again from the runs of a hakmem-bench/1 file.');
  return `${provenanceLine(r, o.source, workloads)}\n\n${summaryTable(rows)}\n\n${[SUMMARY_LEGEND, ...notes].join(' ')}\n`;
}
