/** The `hakmem` command: argument parsing and printing only; the work is in the plain functions it calls. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildNative } from './build-native.ts';
import { installPeers } from './peers.ts';
import { runSetup } from './setup.ts';
import { defaultBinDir, defaultLibDir, defaultResultsDir, repoRoot } from './paths.ts';
import { runBench } from './run-bench.ts';
import { runAb } from './ab.ts';
import { runSoak } from './soak.ts';
import { MIN_MT_ROUNDS } from './plan-rounds.ts';
import { readBenchResults } from './read-results.ts';
import { tableFromResults } from './table-from-results.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

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

const program = new Command('hakmem')
  .description(
    'hakmem tools: the allocator benchmark matrix, A/B knob comparisons, CPU profiles, soak runs, peer allocators',
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
      'comma list of hakmem-fast, hakmem, glibc, mimalloc, jemalloc, tcmalloc (default: all available)',
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
    .requiredOption('--a <path=value>', 'side A, e.g. front.unifiedCache.capacity=64')
    .requiredOption('--b <path=value>', 'side B, e.g. front.unifiedCache.capacity=128')
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
    .command('soak')
    .description('one long-lived run in soak mode: RSS drift, throughput drift, per-epoch ns/op percentiles')
    .option('--workload <name>', 'workload', 'random_mixed')
    .option('--allocator <name>', 'allocator (hakmem-fast, hakmem, glibc, mimalloc, jemalloc, tcmalloc)', 'hakmem-fast')
    .option('--lib <NAME=PATH>', 'use another allocator library', collect, [])
    .option('--minutes <m>', 'total duration', positiveNumber, 5)
    .option('--epoch <s>', 'seconds per epoch', positiveNumber, 5)
    .option('--lib-dir <dir>', 'where the hakmem libraries are', defaultLibDir),
).action(async (o) => {
  if (o.build) await buildNative();
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
  const { runProfile } = await import('./profile.ts');
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
  .command('table')
  .description(
    'print the bench summary table (as bench prints it) from a results.json, under a line naming its source, git SHA, date, builds and rounds',
  )
  .argument(
    '<results>',
    'a results.json (hakmem-bench/2, or /1 summarised again), a profile.json (hakmem profile), or a directory holding one',
  )
  .option('--workloads <list>', 'comma list: only these workloads, in this order')
  .option('--allocators <list>', 'comma list: only these allocators, in this order (verdicts among them)')
  .option(
    '--against <allocator>',
    "instead: this allocator's ratio to each of the others, per workload, with intervals",
  )
  .option('--counts', 'instead: the instruction and steady-state system-call counts, workloads by allocators')
  .action(async (file: string, o: { workloads?: string; allocators?: string; against?: string; counts?: boolean }) => {
    const { readProfileResults, profileTableFromResults } = await import('./profile.ts');
    const profile = readProfileResults(file);
    if (profile) {
      const real = fs.realpathSync(fs.statSync(file).isDirectory() ? path.join(file, 'profile.json') : file);
      const rel = path.relative(process.cwd(), real);
      process.stdout.write(
        profileTableFromResults(profile, { source: rel && !rel.startsWith('..') ? rel : real, ...o }),
      );
      return;
    }
    const r = readBenchResults(file);
    // Name the file by its real path (bench-results/latest moves on), relative when under the current directory.
    const real = fs.realpathSync(r.path);
    const rel = path.relative(process.cwd(), real);
    process.stdout.write(
      tableFromResults(r.results, {
        source: rel && !rel.startsWith('..') ? rel : real,
        ...o,
        upgradedFrom: r.upgradedFrom,
      }),
    );
  });

program
  .command('figures')
  .description(
    'rewrite the generated figure blocks of Markdown files from their results files (or --check that they are current)',
  )
  .argument('[files...]', 'Markdown files holding "<!-- generated: hakmem table ... -->" blocks', ['README.md'])
  .option('--check', 'change nothing; exit 1 naming every file whose blocks are stale', false)
  .action(async (files: string[], o: { check: boolean }) => {
    const { updateFigures } = await import('./figures.ts');
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
    const { runInfo } = await import('./info.ts');
    const r = runInfo(lib, { json: o.json });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.code;
  });

program
  .command('peers')
  .description("install Debian's mimalloc, jemalloc and tcmalloc (as root with apt-get), or print the command to do it")
  .action(async () => {
    const r = await installPeers((l) => process.stdout.write(`${l}\n`));
    if (r.error) process.exitCode = 1;
  });

program
  .command('setup')
  .description(
    'install the Debian packages the build, the tests and the benchmark need (as root with apt-get), or print the command to do it',
  )
  .action(async () => {
    const r = await runSetup({ log: (l) => process.stdout.write(`${l}\n`) });
    if (r.status === 'needs-root' || r.status === 'failed') process.exitCode = 1;
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
