/** The `hakmem` command: argument parsing and printing only; the work is in the plain functions it calls. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultBinDir, defaultLibDir, defaultResultsDir, repoRoot } from './paths.ts';
import { MIN_MT_ROUNDS } from './bench/plan-rounds.ts';
import type { FaultScenario as FaultScenarioName } from './commands/faults.ts';

// Each command imports its module when it runs (the report's charting alone takes seconds to
// load): `hakmem lint-c`, which npm run lint calls, starts as fast as a bare script.
const log = (line: string) => process.stderr.write(`${line}\n`);
const buildNative = async () => (await import('./bench/build-native.ts')).buildNative();
const readBenchResults = async (file: string) => (await import('./results/read-results.ts')).readBenchResults(file);

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** A comma list whose every item is one of `allowed`. */
function oneOf(v: string, allowed: readonly string[], what: string): string[] {
  const xs = v.split(',').filter(Boolean);
  const bad = xs.filter((x) => !allowed.includes(x));
  if (bad.length || !xs.length)
    throw new InvalidArgumentError(`unknown ${what} '${bad.join(',') || v}' (allowed: ${allowed.join(', ')})`);
  return xs;
}

/** A file by its real path (bench-results/latest moves on), relative when under the current directory. */
function displayPath(file: string): string {
  const real = fs.realpathSync(file);
  const rel = path.relative(process.cwd(), real);
  return rel && !rel.startsWith('..') ? rel : real;
}

const program = new Command('hakmem')
  .description(
    'hakmem tools: the allocator benchmark matrix, comparisons of two runs, A/B knob comparisons, CPU profiles, soak runs, peer allocators',
  )
  .showHelpAfterError()
  .enablePositionalOptions();

function commonRunOptions(cmd: Command): Command {
  return cmd
    .option('--no-build', 'skip building (codegen -> native through Nx) first')
    .option('--bin-dir <dir>', 'workload programs', defaultBinDir)
    .option('--out <dir>', 'results root (a timestamped directory and `latest` go there)', defaultResultsDir)
    .option('--timeout <seconds>', 'kill a single run after this long', positiveNumber, 600)
    .addOption(new Option('--progress <style>', 'progress display').choices(['auto', 'bar', 'lines']).default('auto'));
}

const ttyOf = (style: string) => (style === 'bar' ? true : style === 'lines' ? false : undefined);

commonRunOptions(
  program
    .command('bench')
    .description('run the allocator matrix (interleaved rounds) and write bench-results/<UTC timestamp>/')
    .option(
      '--workloads <list>',
      'comma list of workloads, each a name, name:key=value[:key=value] (larson:threads=16) or the group real (the real programs: redis, sqlite, lua, z3, gs) (default: all)',
    )
    .option(
      '--allocators <list>',
      'comma list of hakmem-fast, hakmem, glibc, mimalloc, jemalloc, tcmalloc, scudo (default: all available)',
    )
    .option('--lib <NAME=PATH>', 'add another allocator library (repeatable)', collect, [])
    .option('--runs <n>', 'rounds of the single-threaded workloads', positiveInt, 5)
    .option(
      '--mt-runs <n>',
      `rounds of the threaded workloads (default: the larger of --runs and ${MIN_MT_ROUNDS})`,
      positiveInt,
    )
    .option(
      '--allow-few-mt-runs',
      `accept --mt-runs below ${MIN_MT_ROUNDS} (intervals too wide to call most differences)`,
      false,
    )
    .option('--quick', 'one round of everything at reduced sizes (under a minute; no intervals, no verdicts)', false)
    .option('--instructions', 'also count marginal instructions/op with callgrind (random_mixed, tiny_hot)', false)
    .option('--syscalls', 'also count steady-state mmap/munmap/madvise/mremap/brk with strace', false)
    .option(
      '--stats',
      'also run each workload once under libhakmem-observe.so (HAKMEM_STATS=json) and store its counters in results.json',
      false,
    )
    .option('--lib-dir <dir>', 'where the hakmem libraries are', defaultLibDir)
    .option('--strict', 'exit 1 when any run failed or crashed', false),
).action(async (o) => {
  if (o.build) await buildNative();
  const { runBench } = await import('./commands/bench.ts');
  const r = await runBench({
    workloads: o.workloads,
    allocators: o.allocators,
    libs: o.lib,
    runs: o.runs,
    mtRuns: o.mtRuns,
    allowFewMtRuns: o.allowFewMtRuns,
    quick: o.quick,
    instructions: o.instructions,
    syscalls: o.syscalls,
    stats: o.stats,
    binDir: path.resolve(o.binDir),
    libDir: path.resolve(o.libDir),
    outDir: path.resolve(o.out),
    timeoutSeconds: o.timeout,
    tty: ttyOf(o.progress),
    log,
  });
  process.stdout.write(`\n${r.table}\n\n`);
  const failed = r.results.runs.filter((x) => x.status !== 'ok').length;
  if (failed) log(`WARNING: ${failed} run(s) did not succeed; they are marked in the table and listed in the report.`);
  process.stdout.write(`report: ${path.join(r.dir, 'report.html')}\n(also ${r.latest})\n`);
  if (failed && o.strict) process.exitCode = 1;
});

commonRunOptions(
  program
    .command('ab')
    .description(
      'compare two values of one knob (interleaved, paired), with a 95% CI and a GO / NO-GO / NEUTRAL verdict',
    )
    .requiredOption('--a <path=value>', 'side A, e.g. unifiedCache.capacity=64')
    .requiredOption('--b <path=value>', 'side B, e.g. unifiedCache.capacity=128')
    .option(
      '--workloads <list>',
      'comma list of workloads, each a name or name:key=value[:key=value]',
      'random_mixed,tiny_hot',
    )
    .option('--runs <n>', 'rounds', positiveInt, 10)
    .option('--quick', 'reduced sizes', false)
    .option('--instructions', 'also count marginal instructions/op with callgrind', false)
    .option('--lib-dir <dir>', 'where the Standard library is (run-time knobs)', defaultLibDir),
).action(async (o) => {
  if (o.build) await buildNative();
  const { runAb } = await import('./commands/ab.ts');
  const r = await runAb({
    a: o.a,
    b: o.b,
    workloads: o.workloads,
    runs: o.runs,
    quick: o.quick,
    instructions: o.instructions,
    binDir: path.resolve(o.binDir),
    libDir: path.resolve(o.libDir),
    outDir: path.resolve(o.out),
    timeoutSeconds: o.timeout,
    tty: ttyOf(o.progress),
    log,
  });
  process.stdout.write(`\n${r.table}\n\n`);
  process.stdout.write(`report: ${path.join(r.dir, 'report.html')}\n`);
});

commonRunOptions(
  program
    .command('tune')
    .description(
      'search the knobs for one workload (or any command after --) within a budget, and hand back a verified profile: successive halving with the default as a control in every rung, then the best against the default in a fresh interleaved run (95% interval); a result is written as a HAKMEM_* line, a HAKMEM_PROFILE file and a hakmem.config.ts',
    )
    .argument(
      '[command...]',
      'a command to tune instead of a workload (after --); scored by its wall time, or by --metric',
    )
    .option(
      '--workload <name>',
      'a workload as bench takes them: name or name:key=value[:key=value] (larson:threads=16)',
    )
    .option('--budget <duration>', 'the search and the verdict within this time: 90s, 15m, 1h', '15m')
    .option(
      '--knobs <globs>',
      'comma list of run-time knobs or globs (unifiedCache.*,remote.*) (default: every run-time knob)',
    )
    .option(
      '--build-knobs <globs>',
      'comma list of build-time knobs or globs to search too, a custom Standard build per candidate (default: none)',
    )
    .addOption(
      new Option('--objective <what>', 'speed: the most throughput; rss: the least peak RSS within --min-speed')
        .choices(['speed', 'rss'])
        .default('speed'),
    )
    .option(
      '--max-rss <factor>',
      "speed: reject configurations whose peak RSS exceeds FACTOR x the default's",
      positiveNumber,
    )
    .option('--min-speed <factor>', 'rss: reject configurations slower than FACTOR x the default', positiveNumber, 0.95)
    .option(
      '--metric <regex>',
      "a command's score: the number this regular expression matches in its stdout (its first group), higher is better",
    )
    .option('--lower', 'the --metric is a cost: lower is better', false)
    .option('--verdict-rounds <n>', 'interleaved rounds of the verdict (at least 9)', positiveInt, 9)
    .option(
      '--check-others [workloads]',
      'run the winner on the rest of the matrix (or these workloads) against the default, and say where it is worse',
    )
    .option('--check-runs <n>', 'rounds of that check (threaded workloads at least 9)', positiveInt, 5)
    .option('--name <name>', "the profile's name (its files' names; default from the workload or command)")
    .option('--seed <n>', 'the seed of the candidates drawn and of the run order', positiveInt, 1)
    .option(
      '--lib <path>',
      'the Standard library whose run-time knobs are searched',
      path.join(defaultLibDir, 'libhakmem.so'),
    ),
).action(async (command: string[], o) => {
  if (o.build) await buildNative();
  const { runTune, parseDuration } = await import('./commands/tune.ts');
  const { writeTune, othersTable, worseLine, oneLine } = await import('./commands/tune-report.ts');
  const r = await runTune({
    workload: o.workload,
    command,
    budgetSeconds: parseDuration(o.budget),
    knobs: o.knobs,
    buildKnobs: o.buildKnobs,
    objective: o.objective,
    maxRss: o.maxRss,
    minSpeed: o.minSpeed,
    metric: o.metric,
    lower: o.lower,
    verdictRounds: o.verdictRounds,
    checkOthers: o.checkOthers,
    checkRuns: o.checkRuns,
    name: o.name,
    seed: o.seed,
    lib: path.resolve(o.lib),
    binDir: path.resolve(o.binDir),
    outDir: path.resolve(o.out),
    timeoutSeconds: o.timeout,
    log,
  });
  const winner = r.candidates.find((c) => c.id === r.results.verdict.winner) ?? null;
  const w = await writeTune(r.results, winner, path.resolve(o.out));
  const v = r.results.verdict;
  const out = [`\n${v.result === 'better' ? 'better' : 'none found'}: ${v.summary}.`];
  if (v.result === 'better')
    out.push(
      `environment: ${r.results.outputs.env}`,
      `profile:     ${r.results.outputs.profileLine}`,
      `config:      ${path.join(w.dir, r.results.outputs.config!)}`,
      `fragment:    ${oneLine(r.results.outputs.fragment!)}`,
    );
  const table = othersTable(r.results);
  if (table) out.push('', table, `${worseLine(r.results)}.`);
  out.push('', `results: ${path.join(w.dir, 'tune.json')}`, `report:  ${path.join(w.dir, 'report.html')}`, '');
  process.stdout.write(out.join('\n'));
});

commonRunOptions(
  program
    .command('soak')
    .description('one long-lived run in soak mode: RSS drift, throughput drift, per-epoch ns/op percentiles')
    .option('--workload <name>', 'workload', 'random_mixed')
    .option(
      '--allocator <name>',
      'allocator (hakmem-fast, hakmem, glibc, mimalloc, jemalloc, tcmalloc, scudo)',
      'hakmem-fast',
    )
    .option('--lib <NAME=PATH>', 'use another allocator library', collect, [])
    .option('--minutes <m>', 'total duration', positiveNumber, 5)
    .option('--epoch <s>', 'seconds per epoch', positiveNumber, 5)
    .option('--lib-dir <dir>', 'where the hakmem libraries are', defaultLibDir),
).action(async (o) => {
  if (o.build) await buildNative();
  const { runSoak } = await import('./commands/soak.ts');
  const r = await runSoak({
    workload: o.workload,
    allocator: o.allocator,
    libs: o.lib,
    minutes: o.minutes,
    epochSeconds: o.epoch,
    binDir: path.resolve(o.binDir),
    libDir: path.resolve(o.libDir),
    outDir: path.resolve(o.out),
    timeoutSeconds: o.timeout,
    log,
  });
  process.stdout.write(`\n${r.table}\n\n`);
  process.stdout.write(`report: ${path.join(r.dir, 'report.html')}\n`);
});

commonRunOptions(
  program
    .command('profile')
    .description(
      "where each workload's CPU time goes on this machine (perf's cpu-clock sampling): the allocator's code, the program, other libraries, the kernel, per operation",
    )
    .option(
      '--workloads <list>',
      'comma list of workloads, each a name or name:key=value[:key=value] (default: all but the real programs)',
    )
    .option('--allocators <list>', 'comma list (as bench)', 'hakmem-fast,mimalloc')
    .option('--lib <NAME=PATH>', 'add another allocator library (repeatable)', collect, [])
    .option('--runs <n>', 'interleaved rounds', positiveInt, 3)
    .option('--frequency <hz>', 'samples per second per CPU', positiveInt, 4000)
    .option('--top <n>', 'symbols listed per workload and allocator', positiveInt, 8)
    .option(
      '--annotate <symbol>',
      "also split one symbol's samples by instruction (perf annotate), e.g. the workload's loop or hak_free",
    )
    .option('--quick', 'reduced sizes', false)
    .option('--lib-dir <dir>', 'where the hakmem libraries are', defaultLibDir),
).action(async (o) => {
  if (o.build) await buildNative();
  const { runProfile } = await import('./commands/profile.ts');
  const r = await runProfile({
    workloads: o.workloads,
    allocators: o.allocators,
    libs: o.lib,
    runs: o.runs,
    frequency: o.frequency,
    top: o.top,
    annotate: o.annotate,
    quick: o.quick,
    binDir: path.resolve(o.binDir),
    libDir: path.resolve(o.libDir),
    outDir: path.resolve(o.out),
    timeoutSeconds: o.timeout,
    log,
  });
  process.stdout.write(`\n${r.table}\n`);
  process.stdout.write(`written: ${path.join(r.dir, 'profile.md')} and profile.json (also ${r.latest})\n`);
  if (r.results.runs.some((x) => x.error)) process.exitCode = 1;
});

program
  .command('faults')
  .description(
    "failure injection (faultinj.so): every mmap, mremap, munmap, madvise and thread registration a scenario makes fails in turn; each run must not crash, hang, break malloc's contract or leak",
  )
  .option(
    '--allocators <list>',
    'comma list of hakmem-fast, hakmem, hakmem-observe, glibc, mimalloc, jemalloc, tcmalloc',
    'hakmem-fast,hakmem,hakmem-observe',
  )
  .option('--scenarios <list>', 'comma list of threads, large, aligned, realloc, exit, purge (default: all)')
  .option('--kinds <list>', 'comma list of nth, after, prob (default: all)')
  .option(
    '--sample <n>',
    'failure points per scenario and allocator, spread over the sweep (default: every one)',
    positiveInt,
  )
  .option('--prob-runs <n>', 'seeds of the probabilistic runs per scenario', positiveInt, 8)
  .option('--jobs <n>', 'runs at once', positiveInt, 2)
  .option('--timeout <seconds>', 'a run still going after this long has hung', positiveNumber, 60)
  .option('--json <file>', 'also write every run (rule, status, memory left, replay command) to this file')
  .option('--lib-dir <dir>', 'where the hakmem libraries are', defaultLibDir)
  .option('--no-build', 'skip building (codegen -> native through Nx) first')
  .action(async (o) => {
    const f = await import('./commands/faults.ts');
    const list = (v: string | undefined, allowed: readonly string[], what: string) => {
      if (v === undefined) return undefined;
      const xs = v.split(',').filter(Boolean);
      for (const x of xs)
        if (!allowed.includes(x))
          throw new f.FaultsUsageError(`unknown ${what} '${x}' (allowed: ${allowed.join(', ')})`);
      return xs;
    };
    try {
      const scenarios = list(o.scenarios, f.FAULT_SCENARIOS, 'scenario') as FaultScenarioName[] | undefined;
      const kinds = list(o.kinds, ['nth', 'after', 'prob'], 'kind') as ('nth' | 'after' | 'prob')[] | undefined;
      const targets = f.resolveFaultTargets(o.allocators.split(',').filter(Boolean), path.resolve(o.libDir));
      if (o.build) await buildNative();
      const report = await f.runFaultSweep({
        targets,
        scenarios,
        kinds,
        sample: o.sample,
        probRuns: o.probRuns,
        jobs: o.jobs,
        timeoutSeconds: o.timeout,
        log,
      });
      process.stdout.write(`\n${f.summarizeFaults(report)}\n\n`);
      const failed = report.results.filter((r) => r.status !== 'ok');
      process.stdout.write(
        `faults: ${report.results.length} failure points in ${report.seconds.toFixed(0)} s, ${failed.length} failed; bounds: RSS within ${report.bounds.rssSlackKb / 1024} MiB of the run without failures, VmSize within ${report.bounds.vmSlackKb / 1024} MiB (nth and after runs)\n`,
      );
      for (const r of failed)
        process.stdout.write(
          `  ${r.target} ${r.scenario} ${r.rule}: ${r.status} ${r.detail}\n    replay: ${r.command}\n`,
        );
      if (o.json) fs.writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
      if (failed.length) process.exitCode = 1;
    } catch (err) {
      if (err instanceof f.FaultsUsageError) {
        log(`hakmem faults: ${err.message}`);
        process.exitCode = 2;
        return;
      }
      throw err;
    }
  });

program
  .command('table')
  .description(
    'print the bench summary table (as bench prints it) from a results.json, under a line naming its source, git SHA, date, builds and rounds',
  )
  .argument(
    '<results>',
    'a results.json (hakmem-bench/3, or an older /2 or /1 summarised again), a profile.json (hakmem profile), a misuse.json (hakmem misuse), a tune.json (hakmem tune), or a directory holding one',
  )
  .option('--workloads <list>', 'comma list: only these workloads, in this order')
  .option('--allocators <list>', 'comma list: only these allocators, in this order (verdicts among them)')
  .option(
    '--against <allocator>',
    "instead: this allocator's ratio to each of the others, per workload, with intervals",
  )
  .option('--counts', 'instead: the instruction and steady-state system-call counts, workloads by allocators')
  .option(
    '--standard <allocator>',
    'with --against: the build that stands for Standard in the Standard / FAST column (default: hakmem)',
  )
  .action(
    async (
      file: string,
      o: { workloads?: string; allocators?: string; against?: string; counts?: boolean; standard?: string },
    ) => {
      const { resultsTable } = await import('./commands/figures.ts');
      process.stdout.write(resultsTable(file, o, displayPath));
    },
  );

program
  .command('compare')
  .description(
    'NEW against BASE (two bench results files): per workload and allocator, the throughput and peak RSS ratios NEW / BASE with 95% intervals and a verdict; exit 1 when a hakmem build regresses',
  )
  .argument('<base>', 'the results file to compare with (a results.json, or a directory holding one)')
  .argument('<new>', 'the results file to judge')
  .option(
    '--allow <workloads>',
    "workloads where a hakmem build's regression is shown but does not fail (repeatable, or a comma list)",
    collect,
    [],
  )
  .option(
    '--allocators <list>',
    'only these allocators, in this order (comma list; each must be in both files): rows, and regressions, of the others are not shown',
    collect,
    [],
  )
  .action(async (base: string, next: string, o: { allow: string[]; allocators: string[] }) => {
    const { compareResults, compareTable } = await import('./commands/compare.ts');
    const b = await readBenchResults(base);
    const n = await readBenchResults(next);
    const c = compareResults(b.results, n.results, { allow: o.allow, allocators: o.allocators });
    process.stdout.write(
      compareTable(c, b.results, n.results, { base: displayPath(b.path), new: displayPath(n.path) }),
    );
    if (c.failures.length) {
      log(
        `hakmem compare: ${c.failures.length} regression(s) of hakmem builds; fix them, or state them and pass --allow WORKLOAD`,
      );
      process.exitCode = 1;
    }
  });

program
  .command('misuse')
  .description(
    "every misuse case of native/test (misuse list, double_free_remote) under glibc, the peers and hakmem's builds: how each run ended (docs/reliability.md's table)",
  )
  .option('--allocators <list>', 'comma list', 'glibc,mimalloc,scudo,hakmem-fast,hakmem')
  .option('--lib <NAME=PATH>', 'add another allocator library (repeatable)', collect, [])
  .option('--cases <list>', 'comma list of cases (default: all)')
  .option('--runs <n>', 'runs of each case under each allocator', positiveInt, 3)
  .option('--timeout <seconds>', 'kill a run after this long', positiveNumber, 60)
  .option('--lib-dir <dir>', 'where the hakmem libraries are', defaultLibDir)
  .option('--tests-dir <dir>', 'where the test programs are', path.join(repoRoot, 'dist', 'native', 'tests'))
  .option('--out <dir>', 'results root (misuse-<timestamp>/ and misuse-latest go there)', defaultResultsDir)
  .option('--no-build', 'skip building (codegen -> native through Nx) first')
  .action(async (o) => {
    if (o.build) await buildNative();
    const { runMisuse } = await import('./commands/misuse.ts');
    const r = await runMisuse({
      allocators: o.allocators,
      libs: o.lib,
      cases: o.cases,
      runs: o.runs,
      timeoutSeconds: o.timeout,
      libDir: path.resolve(o.libDir),
      testsDir: path.resolve(o.testsDir),
      outDir: path.resolve(o.out),
      log,
    });
    process.stdout.write(`\n${r.table}\nwritten: ${path.join(r.dir, 'misuse.json')} and misuse.md\n`);
  });

program
  .command('budget')
  .description(
    'callgrind instructions per operation of FAST and Standard on random_mixed, tiny_hot and batch against the committed budget (native/budgets.json); exit 1 when one grows by more than 2 %',
  )
  .option('--update', 'measure and rewrite the budget file (commit it with the change that moved the figures)', false)
  .option('--no-build', 'skip building (codegen -> native through Nx) first')
  .option('--lib-dir <dir>', 'where the hakmem libraries are', defaultLibDir)
  .option('--bin-dir <dir>', 'workload programs', defaultBinDir)
  .action(async (o: { update: boolean; build: boolean; libDir: string; binDir: string }) => {
    if (o.build) await buildNative();
    const { runBudget } = await import('./commands/budget.ts');
    const r = await runBudget({
      update: o.update,
      libDir: path.resolve(o.libDir),
      binDir: path.resolve(o.binDir),
      log,
    });
    process.stdout.write(r.report);
    if (!r.ok) process.exitCode = 1;
  });

program
  .command('figures')
  .description(
    'rewrite the generated figure blocks of Markdown files from their results files (or --check that they are current)',
  )
  .argument('[files...]', 'Markdown files holding "<!-- generated: hakmem table ... -->" blocks', ['README.md'])
  .option('--check', 'change nothing; exit 1 naming every file whose blocks are stale', false)
  .action(async (files: string[], o: { check: boolean }) => {
    const { updateFigures } = await import('./commands/figures.ts');
    const r = updateFigures(
      files.map((f) => path.resolve(f)),
      repoRoot,
      o.check,
    );
    if (o.check && r.stale.length) {
      log(
        `hakmem figures: stale generated figures in ${r.stale.join(', ')}; run: npx hakmem figures ${files.join(' ')}`,
      );
      process.exitCode = 1;
    } else {
      log(
        `hakmem figures: ${r.blocks} block(s) in ${files.length} file(s)${o.check ? ' are current' : r.stale.length ? `; rewrote ${r.stale.join(', ')}` : ', unchanged'}`,
      );
    }
  });

program
  .command('info')
  .description(
    'what a hakmem library is (mode, profile, config hash, box versions, compiler, flags), read from its .hakmem_manifest section without loading it',
  )
  .argument('<lib>', 'a libhakmem .so or .a (any copy, anywhere)')
  .option('--json', 'print JSON', false)
  .action(async (lib: string, o: { json: boolean }) => {
    const { runInfo } = await import('./commands/info.ts');
    const r = runInfo(lib, { json: o.json });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.code;
  });

program
  .command('peers')
  .description(
    "install Debian's mimalloc, jemalloc, tcmalloc and Scudo (LLVM's, libclang-rt-14-dev) (as root with apt-get), or print the command to do it",
  )
  .action(async () => {
    const { installPeers } = await import('./commands/peers.ts');
    const r = await installPeers((l) => process.stdout.write(`${l}\n`));
    if (r.error) process.exitCode = 1;
  });

program
  .command('setup')
  .description(
    'install the Debian packages the build, the tests and the benchmark need (as root with apt-get), or print the command to do it',
  )
  .action(async () => {
    const { runSetup } = await import('./commands/setup.ts');
    const r = await runSetup({ log: (l) => process.stdout.write(`${l}\n`) });
    if (r.status === 'needs-root' || r.status === 'failed') process.exitCode = 1;
  });

// The repository's own checks and chores: what the npm scripts run (npm run lint, stress, ...).
program.commandsGroup('Repository commands (the npm scripts run these):');

program
  .command('check-prereqs')
  .description('exit 1 with one line naming the missing Debian packages (npm run setup installs them)')
  .action(async () => {
    const { runCheckPrereqs } = await import('./commands/check-prereqs.ts');
    process.exitCode = runCheckPrereqs();
  });

program
  .command('lint-c')
  .description('clang-format over every tracked C and C++ source: check (exit 1 with the offending lines)')
  .option('--fix', 'rewrite the files in place instead', false)
  .option('--list', 'print the files it covers instead', false)
  .action(async (o: { fix: boolean; list: boolean }) => {
    const { runLintC } = await import('./commands/lint-c.ts');
    process.exitCode = runLintC(o);
  });

program
  .command('lint-layers')
  .description(
    "exit 1 naming every native/src folder that names a higher layer's functions or types (the layers: top of native/src/internal.h)",
  )
  .action(async () => {
    const { runLintLayers } = await import('./commands/lint-layers.ts');
    process.exitCode = runLintLayers();
  });

program
  .command('check-changesets')
  .description('exit 1 naming every box whose declaration or C files changed without a large enough changeset')
  .option('--since <ref>', 'compare with this commit (default: the merge base with origin/main, or the last release)')
  .option('-v, --verbose', 'also list the boxes that are covered', false)
  .action(async (o: { since?: string; verbose: boolean }) => {
    const { runCheckChangesets } = await import('./commands/check-changesets.ts');
    process.exitCode = await runCheckChangesets(o, repoRoot);
  });

program
  .command('release')
  .description(
    'a release as a dry run: versions and changelogs from the changesets, codegen, the native build, the tests, dist/release/ (nothing published, tagged or committed)',
  )
  .option('--skip-tests', 'do not run vitest', false)
  .action(async (o: { skipTests: boolean }) => {
    const { release } = await import('./commands/release.ts');
    try {
      await release({ root: repoRoot, skipTests: o.skipTests });
    } catch (e) {
      const err = e as Error & { stderr?: string };
      log(`release: ${err.message.split('\n')[0]}${err.stderr ? `\n${err.stderr.slice(-4000)}` : ''}`);
      process.exitCode = 1;
    }
  });

const STRESS_TARGETS = ['glibc', 'libhakmem', 'libhakmem-fast', 'libhakmem-observe'];

program
  .command('stress')
  .description(
    'the seeded stress test (native/test/stress) with successive seeds under every hakmem library and glibc; prints each failing seed with its replay command',
  )
  .option('--minutes <n>', 'how long to keep running new seeds', positiveNumber, 1)
  .option('--seed <s>', 'first seed (successive seeds follow)', nonNegativeInt, Date.now() % 1_000_000)
  .option('--seconds <s>', 'length of one run', positiveInt, 3)
  .option('--only <names>', `comma list of targets (${STRESS_TARGETS.join(', ')})`, (v: string) =>
    oneOf(v, STRESS_TARGETS, 'target'),
  )
  .option('--known', 'also the inputs of known, reported allocator bugs (known=1)', false)
  .option('--no-build', 'do not run make first')
  .action(
    async (o: { minutes: number; seed: number; seconds: number; only?: string[]; known: boolean; build: boolean }) => {
      const { runStress } = await import('./commands/stress.ts');
      process.exitCode = await runStress(o);
    },
  );

program
  .command('fuzz')
  .description('libFuzzer on the hak_* API (ASan + UBSan), from a copy of the seed corpus (native/test/check/corpus)')
  .option('--seconds <n>', 'libFuzzer -max_total_time', positiveInt, 60)
  .option('--jobs <n>', 'parallel fuzzing processes (libFuzzer -fork)', positiveInt, 1)
  .option('--known', 'also the inputs of known, reported allocator bugs (FUZZ_HAK_KNOWN=1)', false)
  .option('--keep', 'keep the temporary corpus directory', false)
  .option('--no-build', 'do not run make first')
  .action(async (o: { seconds: number; jobs: number; known: boolean; keep: boolean; build: boolean }) => {
    const { runFuzz } = await import('./commands/fuzz.ts');
    process.exitCode = await runFuzz(o);
  });

program
  .command('z3-problems')
  .description("write the z3 real workload's SMT-LIB problems into tools/real/z3/problems/ (committed)")
  .option('--check', 'change nothing; exit 1 naming the files that differ from the generator', false)
  .action(async (o: { check: boolean }) => {
    const { runZ3Problems } = await import('./commands/z3-problems.ts');
    process.exitCode = runZ3Problems(o);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as Error & { exitCode?: number };
  const known = ['UsageError', 'BuildError', 'MissingProgramError', 'KnobError', 'ResultsFileError'].includes(err.name);
  log(`hakmem: ${known ? err.message : (err.stack ?? err.message)}`);
  process.exitCode =
    err.name === 'ResultsFileError'
      ? (err.exitCode ?? 1)
      : err.name === 'UsageError' || err.name === 'KnobError'
        ? 2
        : 1;
}
