/**
 * Which workloads can run here: a real workload (docs/real-workloads.md) whose program is not
 * installed is skipped with one line naming its Debian package, before anything runs, never a
 * failure deep in the run. Apart from workloads.ts so that it may import prereqs.ts's probes
 * (find-allocators.ts, which prereqs.ts needs, imports workloads.ts).
 */
import { markdownTable } from 'markdown-table';
import { finiteNumber } from '@hakmem/parse-output';
import { fmtMiB } from '../report/format-table.ts';
import { defaultProbeEnv, probeOk, type ProbeEnv } from './prereqs.ts';
import { median } from '../results/stats.ts';
import type { RunRecord } from '../types.ts';
import { UsageError, type WorkloadSpec } from './workloads.ts';

/** The first thing a real workload needs that is missing, as the line that skips it; null when all is there. */
export function missingNeed(w: WorkloadSpec, env: ProbeEnv = defaultProbeEnv()): string | null {
  const need = w.real?.needs.find((n) => !probeOk(n.probe, env));
  if (!need) return null;
  const what = 'cmd' in need.probe ? need.probe.cmd : 'file' in need.probe ? need.probe.file : need.probe.lib;
  return `skipping ${w.name}: ${what} not found (Debian package ${need.pkg}; npm run setup installs it)`;
}

/**
 * The workloads that can run here: a real workload whose program is not installed is left out
 * with one line through `log`. Throws a UsageError when nothing is left.
 */
export function presentWorkloads(
  specs: readonly WorkloadSpec[],
  log: (line: string) => void,
  env: ProbeEnv = defaultProbeEnv(),
): WorkloadSpec[] {
  const present = specs.filter((w) => {
    const line = missingNeed(w, env);
    if (line) log(line);
    return !line;
  });
  if (specs.length && !present.length)
    throw new UsageError(`no workload left to run: ${specs.map((w) => w.name).join(', ')} cannot run here`);
  return present;
}

export const END_RSS_TITLE =
  "RSS at the end (median MiB, end_rss_kb of the result lines): redis's server after its last request, exchange's process when its threads are done";

/**
 * The medians of `end_rss_kb` (a program's RSS at its end, on its result line: the redis
 * driver's for the server after the last request, exchange's own), workloads by allocators, as
 * a Markdown table; null when no run reports one.
 */
export function endRssTable(runs: readonly RunRecord[]): string | null {
  const ok = runs.filter((r) => r.status === 'ok' && r.result?.extra.end_rss_kb !== undefined);
  if (!ok.length) return null;
  const workloads = [...new Set(ok.map((r) => r.workload))];
  const allocators = [...new Set(runs.map((r) => r.allocator))];
  const cell = (w: string, a: string) => {
    const kb = ok
      .filter((r) => r.workload === w && r.allocator === a)
      .map((r) => finiteNumber(r.result!.extra.end_rss_kb))
      .filter((x): x is number => x !== null);
    return fmtMiB(median(kb));
  };
  return markdownTable(
    [['workload', ...allocators], ...workloads.map((w) => [w, ...allocators.map((a) => cell(w, a))])],
    {
      align: ['l', ...allocators.map(() => 'r' as const)],
    },
  );
}
