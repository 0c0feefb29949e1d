/**
 * `hakmem bench --stats`: each workload once more under the OBSERVE build
 * (libhakmem-observe.so) with HAKMEM_STATS=json; its counter report (native/src/env/stats.c: one
 * object per size class in use, the totals, each box's other counters) is stored in
 * results.json as `stats`. Counting changes the timing, so these runs are never measured.
 */
import path from 'node:path';
import { execa } from 'execa';
import { parseObserveReport, parseResultLine } from '@hakmem/parse-output';
import { ensureHkRun } from './run-measured.ts';
import type { ObserveReport, ObserveStats } from '../types.ts';
import { isRealWorkload, programOf, workloadLaunch, type WorkloadSpec } from './workloads.ts';

export const OBSERVE_LIBRARY = 'libhakmem-observe.so';

export async function measureObserveStats(o: {
  binDir: string;
  libDir: string;
  workloads: readonly WorkloadSpec[];
  quick: boolean;
  timeoutSeconds: number;
  log?: (l: string) => void;
}): Promise<ObserveStats[]> {
  const library = path.join(o.libDir, OBSERVE_LIBRARY);
  const out: ObserveStats[] = [];
  if (o.workloads.some((w) => isRealWorkload(w.name))) await ensureHkRun(); // the real workloads' drivers measure with it
  for (const w of o.workloads) {
    const argv = o.quick ? w.quick : w.full;
    // a real workload's driver preloads the library into the measured program, whose report reaches its stderr
    const launch = workloadLaunch(w.name, o.binDir, { preload: library });
    const r = await execa(launch.program, argv, {
      env: { ...launch.env, LD_PRELOAD: launch.preload ?? undefined, HAKMEM_STATS: 'json' },
      reject: false,
      stdin: 'ignore',
      timeout: o.timeoutSeconds * 1000,
    });
    const report = parseObserveReport(String(r.stderr ?? ''));
    const result = parseResultLine(String(r.stdout ?? ''), programOf(w.name));
    const error =
      r.exitCode !== 0
        ? `exit ${r.exitCode ?? r.signal}${r.timedOut ? ' (timeout)' : ''}`
        : !result
          ? 'no result line'
          : !report
            ? 'no HAKMEM_STATS=json report on stderr'
            : undefined;
    out.push({
      workload: w.name,
      library,
      argv: [...argv],
      report: error ? null : report,
      ...(error ? { error } : {}),
    });
    o.log?.(`  ${w.name}: ${error ? `FAILED ${error}` : summaryLine(report!)}`);
  }
  return out;
}

function rate(hits: number | null | undefined, misses: number | null | undefined): string {
  const all = (hits ?? 0) + (misses ?? 0);
  return all > 0 ? `${(Math.floor(((hits ?? 0) * 1000) / all) / 10).toFixed(1)}%` : '-';
}

function summaryLine(r: ObserveReport): string {
  const t = r.totals;
  return `${r.classes.length} classes in use, ${t.hits ?? 0} hits, ${t.misses ?? 0} misses (${rate(t.hits, t.misses)} hit rate)`;
}

/** A Markdown table of the totals per workload (the rest is in results.json `stats`). */
export function observeStatsTable(stats: readonly ObserveStats[]): string {
  const rows = stats.map((s) => {
    if (!s.report) return `| ${s.workload} | FAILED: ${s.error ?? '?'} | | | |`;
    const t = s.report.totals;
    return `| ${s.workload} | ${s.report.classes.length} | ${t.hits ?? 0} | ${t.misses ?? 0} | ${rate(t.hits, t.misses)} |`;
  });
  return [
    '| workload | size classes in use | cache hits | cache misses | hit rate |',
    '| :-- | --: | --: | --: | --: |',
    ...rows,
  ].join('\n');
}
