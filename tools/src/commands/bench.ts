/** `hakmem bench`: the allocator matrix under the protocol, its table and its report files. */
import { overviewChartSpec, renderSvg, slug, standardOverFastChartSpec, workloadChartSpec } from '../report/chart.ts';
import { collectContext } from '../bench/context.ts';
import { baselineOf, resolveAllocators, skippedPairs } from '../bench/find-allocators.ts';
import { matrixTable, SUMMARY_LEGEND, summaryTables, verdictTable } from '../report/format-table.ts';
import { measureInstructions } from '../bench/instructions.ts';
import { describeRounds, isThreadedWorkload, planRounds, roundsFor } from '../bench/plan-rounds.ts';
import { createProgress } from '../report/progress.ts';
import { benchTableRows, failureList, mdTableToHtml, renderReportHtml } from '../report/report-html.ts';
import { assertBenchResults } from '../results/results-schema.ts';
import { runRounds } from '../bench/run-rounds.ts';
import { hakmemBuildsOf, summarize } from '../results/summarize.ts';
import { measureSyscalls } from '../bench/syscalls.ts';
import { measureObserveStats, observeStatsTable } from '../bench/observe-stats.ts';
import { BENCH_SCHEMA, type BenchResults, type BenchWorkload, type RunnerOptions } from '../types.ts';
import { INSTRUCTION_WORKLOADS, selectWorkloads } from '../bench/workloads.ts';
import { END_RSS_TITLE, endRssTable, presentWorkloads } from '../bench/real-workloads.ts';
import { runsToCsv } from '../results/write-csv.ts';
import { createResultsDir, updateLatest, writeFiles } from '../results/write-results.ts';
import { instructionsTable, syscallsTable } from '../report/format-counts.ts';

export interface BenchOptions extends RunnerOptions {
  allocators?: string;
  libs?: string[];
  syscalls: boolean;
  /** Run each workload once more under libhakmem-observe.so (HAKMEM_STATS=json) and store its counters. */
  stats?: boolean;
  /** Rounds of the threaded workloads when given (--mt-runs); default max(runs, 9). */
  mtRuns?: number;
  /** Accept mtRuns below 9 (--allow-few-mt-runs). */
  allowFewMtRuns?: boolean;
}

export interface BenchOutcome {
  dir: string;
  latest: string;
  results: BenchResults;
  table: string;
}

export async function runBench(o: BenchOptions): Promise<BenchOutcome> {
  const specs = presentWorkloads(selectWorkloads(o.workloads), o.log);
  const plan = planRounds({ runs: o.runs, mtRuns: o.mtRuns, allowFewMtRuns: o.allowFewMtRuns, quick: o.quick });
  const { allocators, missing } = resolveAllocators({ list: o.allocators, libs: o.libs, libDir: o.libDir });
  for (const m of missing) o.log(`note: ${m.name} skipped: ${m.reason}`);
  const workloads: BenchWorkload[] = specs.map((w) => {
    const threaded = isThreadedWorkload(w.name);
    return { name: w.name, args: o.quick ? w.quick : w.full, threaded, rounds: roundsFor({ threaded }, plan) };
  });
  const skipped = skippedPairs(
    workloads.map((w) => w.name),
    allocators,
  );
  const runsOn = (name: string) =>
    allocators.filter((a) => !skipped.some((s) => s.workload === name && s.allocator === a.name));
  for (const s of skipped) o.log(`note: ${s.allocator} skipped on ${s.workload}: ${s.reason}`);
  const roundsText = describeRounds(workloads);
  const baseline = baselineOf(allocators);
  o.log(
    `bench: ${workloads.length} workloads x ${allocators.length} allocators (${allocators.map((a) => a.name).join(', ')}); ${roundsText}; ratios against ${baseline}`,
  );

  const context = await collectContext(allocators);
  const progress = createProgress({ tty: o.tty });
  let runs;
  try {
    runs = await runRounds({
      binDir: o.binDir,
      workloads,
      allocators,
      rounds: plan.single,
      allocatorsFor: (w) => runsOn(w.name),
      timeoutSeconds: o.timeoutSeconds,
      onStart: (e) => progress.start(e),
      onDone: (e, r) => progress.done(e, r),
    });
  } finally {
    progress.stop();
  }
  const roundsByWorkload = Object.fromEntries(workloads.map((w) => [w.name, w.rounds]));
  const { rows: summary, verdicts } = summarize(
    runs,
    workloads.map((w) => w.name),
    allocators.map((a) => a.name),
    roundsByWorkload,
    hakmemBuildsOf(context),
  );

  const results: BenchResults = {
    schema: BENCH_SCHEMA,
    context,
    config: {
      rounds: plan.single,
      mtRounds: plan.threaded,
      quick: o.quick,
      baseline,
      workloads,
      allocators,
      missingPeers: missing.map((m) => m.name),
      ...(skipped.length ? { skipped } : {}),
    },
    runs,
    summary,
    verdicts,
  };
  if (o.instructions) {
    const ws = specs.filter((w) => INSTRUCTION_WORKLOADS.includes(w.name));
    o.log(`instructions: callgrind on ${ws.map((w) => w.name).join(', ') || '(none selected)'} ...`);
    results.instructions = await measureInstructions({
      binDir: o.binDir,
      workloads: ws,
      allocators,
      quick: o.quick,
      log: o.log,
    });
  }
  if (o.syscalls) {
    const real = specs.filter((w) => w.real);
    o.log(
      `syscalls: strace at n and 2n ...${real.length ? ` (not the real programs: ${real.map((w) => w.name).join(', ')})` : ''}`,
    );
    results.syscalls = await measureSyscalls({
      binDir: o.binDir,
      workloads: specs.filter((w) => !w.real),
      allocators,
      allocatorsFor: (w) => runsOn(w.name), // a pair skipped by design is not traced either
      quick: o.quick,
      log: o.log,
    });
  }
  if (o.stats) {
    o.log('stats: each workload once under libhakmem-observe.so, HAKMEM_STATS=json ...');
    results.stats = await measureObserveStats({
      binDir: o.binDir,
      libDir: o.libDir,
      workloads: specs,
      quick: o.quick,
      timeoutSeconds: o.timeoutSeconds,
      log: o.log,
    });
  }
  assertBenchResults(results);

  const table = summaryTables(summary, verdicts);
  const charts: { name: string; svg: string }[] = [];
  for (const w of workloads)
    charts.push({
      name: `chart-${slug(w.name)}.svg`,
      svg: await renderSvg(workloadChartSpec(summary, w.name, baseline, verdicts)),
    });
  if (verdicts.some((v) => v.standardOverFast?.ratio != null))
    charts.unshift({ name: 'chart-standard-fast.svg', svg: await renderSvg(standardOverFastChartSpec(verdicts)) });
  charts.unshift({ name: 'chart-overview.svg', svg: await renderSvg(overviewChartSpec(summary, baseline)) });

  const title = `hakmem bench ${context.date.slice(0, 19)}Z`;
  const intro = [
    `Interleaved rounds, ${roundsText}${o.quick ? ' (quick: reduced sizes)' : ''}; allocators in order: ${allocators.map((a) => a.name).join(', ')}.`,
    SUMMARY_LEGEND,
    ...(missing.length ? [`Not measured: ${missing.map((m) => `${m.name} (${m.reason})`).join('; ')}.`] : []),
    ...skipped.map((s) => `Not run: ${s.allocator} on ${s.workload} (${s.reason}).`),
    `git ${context.gitSha.slice(0, 12)}${context.gitDirty ? ' (dirty)' : ''}, ${context.cpuModel}, ${context.nproc} CPUs.`,
  ];
  const endRss = endRssTable(runs);
  const countsMd = [
    endRss ? `\n## ${END_RSS_TITLE}\n\n${endRss}\n` : '',
    results.instructions
      ? `\n## Instructions per operation (callgrind, marginal)\n\n${instructionsTable(results.instructions)}\n`
      : '',
    results.syscalls ? `\n## Steady-state syscalls (strace, 2n - n)\n\n${syscallsTable(results.syscalls)}\n` : '',
    results.stats
      ? `\n## OBSERVE counters (one run each; every counter in results.json \`stats\`)\n\n${observeStatsTable(results.stats)}\n`
      : '',
  ].join('');
  const summaryMd = `# ${title}\n\n${intro.filter((l) => l !== SUMMARY_LEGEND).join('\n\n')}\n\n${table}\n\n${SUMMARY_LEGEND}\n\n## M ops/s matrix\n\n${matrixTable(summary, verdicts)}\n${countsMd}\n## Context\n\n\`\`\`json\n${JSON.stringify(context, null, 2)}\n\`\`\`\n`;
  const extraSections = [
    {
      title: 'Verdicts: the best hakmem build against the best peer; Standard / FAST',
      html: mdTableToHtml(verdictTable(verdicts)),
    },
    ...(endRss ? [{ title: END_RSS_TITLE, html: mdTableToHtml(endRss) }] : []),
    ...(results.instructions
      ? [
          {
            title: 'Instructions per operation (callgrind, marginal)',
            html: mdTableToHtml(instructionsTable(results.instructions)),
          },
        ]
      : []),
    ...(results.syscalls
      ? [{ title: 'Steady-state syscalls (strace, 2n - n)', html: mdTableToHtml(syscallsTable(results.syscalls)) }]
      : []),
    ...(results.stats
      ? [{ title: 'OBSERVE counters (one run each)', html: mdTableToHtml(observeStatsTable(results.stats)) }]
      : []),
  ];
  const html = renderReportHtml({
    title,
    intro,
    table: benchTableRows(summary, verdicts),
    charts,
    context: { ...context, rounds: roundsText, quick: o.quick, baseline },
    failures: failureList(runs),
    extraSections,
  });

  const dir = createResultsDir(o.outDir);
  writeFiles(dir, {
    'results.json': `${JSON.stringify(results, null, 2)}\n`,
    'results.csv': runsToCsv(runs),
    'summary.md': summaryMd,
    'report.html': html,
    ...Object.fromEntries(charts.map((c) => [c.name, c.svg])),
  });
  const latest = updateLatest(o.outDir, dir);
  return { dir, latest, results, table };
}
