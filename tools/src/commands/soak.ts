/**
 * `hakmem soak`: one long-lived workload process in soak mode (`seconds=<total> epoch=<s>`),
 * sampling throughput and RSS once per epoch. Reports RSS drift (last/first − 1), throughput
 * drift, CV, and per-epoch ns/op percentiles as a tail-latency proxy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { markdownTable } from 'markdown-table';
import { renderSvg, soakChartSpec } from '../report/chart.ts';
import { collectContext } from '../bench/context.ts';
import { resolveAllocators } from '../bench/find-allocators.ts';
import { fmt, fmtPct } from '../report/format-table.ts';
import { parseEpochLines, parseResultLine } from '@hakmem/parse-output';
import { classifyRun, describeFailure } from '../bench/parse-result.ts';
import { formatDuration } from '../report/progress.ts';
import { renderReportHtml } from '../report/report-html.ts';
import { runMeasured, tail } from '../bench/run-measured.ts';
import { coefficientOfVariation, median, quantile } from '../results/stats.ts';
import type { EpochLine, RunContext, RunStatus } from '../types.ts';
import { programOf, UsageError, workloadSpec } from '../bench/workloads.ts';
import { createResultsDir, updateLatest, writeFiles } from '../results/write-results.ts';

export interface SoakStats {
  epochs: number;
  rssDrift: number | null;
  throughputDrift: number | null;
  mopsMedian: number | null;
  mopsCv: number | null;
  nsPerOp: { p50: number; p99: number; p999: number } | null;
  rssFirstKb: number | null;
  rssLastKb: number | null;
  rssMaxKb: number | null;
}

export function soakStats(epochs: readonly EpochLine[]): SoakStats {
  const first = epochs[0];
  const last = epochs[epochs.length - 1];
  const mops = epochs.map((e) => e.mops);
  const ns = epochs.filter((e) => e.ops > 0).map((e) => (e.seconds * 1e9) / e.ops);
  return {
    epochs: epochs.length,
    rssDrift: first && last && first.rssKb > 0 ? last.rssKb / first.rssKb - 1 : null,
    throughputDrift: first && last && first.mops > 0 ? last.mops / first.mops - 1 : null,
    mopsMedian: median(mops),
    mopsCv: coefficientOfVariation(mops),
    nsPerOp: ns.length ? { p50: quantile(ns, 0.5), p99: quantile(ns, 0.99), p999: quantile(ns, 0.999) } : null,
    rssFirstKb: first?.rssKb ?? null,
    rssLastKb: last?.rssKb ?? null,
    rssMaxKb: epochs.length ? Math.max(...epochs.map((e) => e.rssKb)) : null,
  };
}

export interface SoakResults {
  schema: 'hakmem-soak/1';
  context: RunContext;
  config: {
    workload: string;
    allocator: string;
    preload: string | null;
    seconds: number;
    epochSeconds: number;
    argv: string[];
  };
  status: RunStatus;
  exitCode: number | null;
  signal: number | null;
  maxRssKb: number | null;
  wallSeconds: number | null;
  stderrTail: string;
  epochs: EpochLine[];
  stats: SoakStats;
}

export function soakTable(s: SoakStats): string {
  return markdownTable(
    [
      [
        'epochs',
        'M ops/s (median)',
        'CV',
        'throughput drift',
        'RSS first MiB',
        'RSS last MiB',
        'RSS drift',
        'ns/op p50',
        'p99',
        'p999',
      ],
      [
        String(s.epochs),
        fmt(s.mopsMedian),
        fmtPct(s.mopsCv),
        fmtPct(s.throughputDrift),
        fmt(s.rssFirstKb == null ? null : s.rssFirstKb / 1024, 1),
        fmt(s.rssLastKb == null ? null : s.rssLastKb / 1024, 1),
        fmtPct(s.rssDrift),
        fmt(s.nsPerOp?.p50),
        fmt(s.nsPerOp?.p99),
        fmt(s.nsPerOp?.p999),
      ],
    ],
    { align: ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] },
  );
}

export async function runSoak(o: {
  workload: string;
  allocator: string;
  libs?: string[];
  minutes: number;
  epochSeconds: number;
  binDir: string;
  libDir: string;
  outDir: string;
  timeoutSeconds: number;
  log: (l: string) => void;
}): Promise<{ dir: string; table: string; results: SoakResults }> {
  if (workloadSpec(o.workload).real)
    throw new UsageError(`soak runs a native workload's soak mode; ${o.workload} is a real program, which has none`);
  // A variant (exchange:threads=64) adds its keys to the program's own settings; soak sets the time.
  const sets = o.workload.split(':').slice(1);
  const own = sets.find((s) => /^(seconds|epoch)=/.test(s));
  if (own)
    throw new UsageError(`"${o.workload}": soak sets seconds and epoch itself (--minutes, --epoch); drop "${own}"`);
  const exe = path.join(o.binDir, programOf(o.workload));
  if (!fs.existsSync(exe)) throw new Error(`workload program ${exe} is missing (npm run build)`);
  const extra = (o.libs ?? []).length > 0;
  const { allocators } = resolveAllocators({ list: extra ? 'glibc' : o.allocator, libs: o.libs, libDir: o.libDir });
  const alloc = extra ? allocators[allocators.length - 1]! : allocators[0]!;
  const seconds = o.minutes * 60;
  const argv = [...sets, `seconds=${seconds}`, `epoch=${o.epochSeconds}`];
  o.log(`soak: ${o.workload} under ${alloc.name} for ${formatDuration(seconds)}, epochs of ${o.epochSeconds}s`);
  const context = await collectContext([alloc]);
  const t0 = Date.now();
  const m = await runMeasured(exe, argv, {
    preload: alloc.preload,
    timeoutSeconds: Math.max(o.timeoutSeconds, seconds + 120),
    onLine: (line) => {
      const e = parseEpochLines(line)[0];
      if (e) {
        const el = (Date.now() - t0) / 1000;
        o.log(
          `  epoch ${e.epoch}: ${e.mops.toFixed(2)} M ops/s, RSS ${(e.rssKb / 1024).toFixed(1)} MiB | elapsed ${formatDuration(el)} eta ${formatDuration(Math.max(0, seconds - el))}`,
        );
      }
    },
  });
  const epochs = parseEpochLines(m.stdout);
  const status = classifyRun(m.report, parseResultLine(m.stdout, programOf(o.workload)));
  if (status !== 'ok')
    o.log(`soak: the run ${describeFailure(status, m.report?.code ?? null, m.report?.signal ?? null)}`);
  const stats = soakStats(epochs);
  const results: SoakResults = {
    schema: 'hakmem-soak/1',
    context,
    config: {
      workload: o.workload,
      allocator: alloc.name,
      preload: alloc.preload,
      seconds,
      epochSeconds: o.epochSeconds,
      argv,
    },
    status,
    exitCode: m.report?.how === 'exited' ? m.report.code : null,
    signal: m.report && m.report.signal > 0 ? m.report.signal : null,
    maxRssKb: m.report?.maxRssKb ?? null,
    wallSeconds: m.report?.wallSeconds ?? null,
    stderrTail: tail(m.stderr, 10),
    epochs,
    stats,
  };
  const table =
    soakTable(stats) +
    (status === 'ok' ? '' : `\n\nRUN ${describeFailure(status, results.exitCode, results.signal).toUpperCase()}`);
  const title = `hakmem soak ${o.workload} / ${alloc.name} ${context.date.slice(0, 19)}Z`;
  const chart = await renderSvg(
    soakChartSpec(epochs, `${o.workload} under ${alloc.name}: RSS and throughput per epoch`),
  );
  const csv = stringify(
    epochs.map((e) => [e.epoch, e.ops, e.seconds, e.mops, e.rssKb]),
    { header: true, columns: ['epoch', 'ops', 'seconds', 'mops', 'rss_kb'] },
  );
  const html = renderReportHtml({
    title,
    intro: [
      `${formatDuration(seconds)} in epochs of ${o.epochSeconds}s; status ${status}; peak RSS (rusage) ${fmt(results.maxRssKb == null ? null : results.maxRssKb / 1024, 1)} MiB.`,
    ],
    table: {
      header: ['epoch', 'M ops/s', 'ns/op', 'RSS MiB'],
      rows: epochs.map((e) => ({
        cells: [
          String(e.epoch),
          fmt(e.mops),
          fmt(e.ops > 0 ? (e.seconds * 1e9) / e.ops : null),
          fmt(e.rssKb / 1024, 1),
        ],
      })),
    },
    charts: [{ name: 'chart-soak.svg', svg: chart }],
    context: { ...context, ...results.config, argv: argv.join(' ') },
    failures:
      status === 'ok'
        ? []
        : [{ label: describeFailure(status, results.exitCode, results.signal), detail: results.stderrTail }],
    extraSections: [{ title: 'Summary', html: `<pre>${table.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>` }],
  });
  const dir = createResultsDir(o.outDir, 'soak-');
  writeFiles(dir, {
    'results.json': `${JSON.stringify(results, null, 2)}\n`,
    'results.csv': csv,
    'summary.md': `# ${title}\n\n${table}\n`,
    'report.html': html,
    'chart-soak.svg': chart,
  });
  updateLatest(o.outDir, dir, 'latest-soak');
  return { dir, table, results };
}
