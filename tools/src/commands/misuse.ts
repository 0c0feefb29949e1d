/**
 * `hakmem misuse`: docs/reliability.md's misuse × allocator table from real runs. Every case of
 * native/test/misuse/misuse.c (`misuse list`) and the cross-thread double free of
 * native/test/double-free/double_free_remote.c, under glibc, each Debian peer (mimalloc, Scudo) and
 * hakmem's FAST and Standard by LD_PRELOAD, each run `runs` times through hk-run, which reports
 * how the process ended. A run is read as:
 *
 *   - caught: aborted (SIGABRT) after the allocator printed a report on stderr;
 *   - a crash: killed by another signal (or SIGABRT without a report), during the misuse or
 *     later, in the workload that follows it ("later");
 *   - ok, not reported: the program finished and every block kept its contents;
 *   - corrupted: the program finished but a block it checked had changed;
 *   - hang: killed after the time limit.
 *
 * Each allocator runs at its defaults: HAKMEM_*, MIMALLOC_* and SCUDO_OPTIONS are removed from
 * the environment. The results file (hakmem-misuse/1) keeps every run, so `hakmem table` and
 * the generated block in docs/reliability.md are computed from it, never typed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { markdownTable } from 'markdown-table';
import { collectContext } from '../bench/context.ts';
import { resolveAllocators } from '../bench/find-allocators.ts';
import { distDir } from '../paths.ts';
import { readJsonOfSchema, ResultsFileError } from '../results/read-results.ts';
import { runMeasured, tail } from '../bench/run-measured.ts';
import type { Allocator, RunContext } from '../types.ts';
import { splitList, UsageError } from '../bench/workloads.ts';
import { createResultsDir, updateLatest, writeFiles } from '../results/write-results.ts';

export const MISUSE_SCHEMA = 'hakmem-misuse/1';
export const DEFAULT_MISUSE_ALLOCATORS = 'glibc,mimalloc,scudo,hakmem-fast,hakmem';
export const defaultTestsDir = path.join(distDir, 'native', 'tests');

export interface MisuseCase {
  name: string;
  /** The program in the tests directory, and its arguments. */
  program: string;
  args: string[];
  /** What the case does, for the table. */
  what: string;
}

/** What the table says each case does (the program's own names are the keys). */
const WHAT: Record<string, string> = {
  double_free: '64 B, `free(p); free(p)`',
  double_free_aba: '`free(p); free(q); free(p)`',
  double_free_mid: '20 KB',
  double_free_large: '1 MiB',
  interior_16: '`free(p + 16)`, 112 B',
  interior_1: '`free(p + 1)`',
  interior_mid: '`free(p + 4096)`, 20 KB',
  interior_large: '`free(p + 4096)`, 1 MiB',
  beyond_large: '`free(p + 1 MiB)`, 300 KiB: past its mapping',
  header: "an address in a hakmem SuperSlab's header",
  stack: '`free(&local)`',
  global: '`free(&global)`',
  wild: '`free((void *)1)`',
  realloc_freed: '`free(p); realloc(p, 48)`',
  realloc_interior: '`realloc(p + 16, 200)`',
  realloc_stack: '`realloc(&local, 200)`',
  uaf_poison: 'after `free(p)`, `*(void **)p = target`',
  uaf_poison_mid: 'the same, 4 KiB',
  double_free_remote: 'a block freed twice after the thread that allocated it exited',
};

/** How one run ended. */
export interface MisuseRun {
  how: 'exited' | 'signaled' | 'timeout' | 'unknown';
  exitCode: number | null;
  signal: string | null;
  /** The program said the misuse call returned ("misuse: <case> done"); null for programs without that line. */
  returned: boolean | null;
  /** The program ran to its last line with every check passed. */
  finished: boolean;
  /** The first line on stderr that is not the program's own: the allocator's report. */
  report: string | null;
  stderrTail: string;
  wallSeconds: number | null;
}

export interface MisuseResults {
  schema: typeof MISUSE_SCHEMA;
  context: RunContext;
  config: {
    runs: number;
    timeoutSeconds: number;
    allocators: Allocator[];
    /** Requested allocators that are not installed, with the reason. */
    missing: { name: string; reason: string }[];
    cases: MisuseCase[];
  };
  results: { case: string; allocator: string; runs: MisuseRun[] }[];
}

const signalName = (n: number) => Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/** The environment of a run: this process's, without any allocator's options (each runs at its defaults). */
export function defaultsEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of Object.keys(env))
    if (/^(HAKMEM_|MIMALLOC_|SCUDO_OPTIONS$|MALLOC_|GLIBC_TUNABLES$|LD_PRELOAD$)/.test(k)) out[k] = undefined;
  return out;
}

/** Reads one run from what hk-run and the program printed. */
export function readMisuseRun(
  c: Pick<MisuseCase, 'name' | 'program'>,
  report: { how: 'exited' | 'signaled' | 'timeout'; code: number; signal: number; wallSeconds: number } | null,
  stdout: string,
  stderr: string,
): MisuseRun {
  const own = (l: string) => l.startsWith(`${c.program}:`) || l.startsWith('misuse:');
  const first = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !own(l));
  const isMisuse = c.program === 'misuse';
  return {
    how: report?.how ?? 'unknown',
    exitCode: report?.how === 'exited' ? report.code : null,
    signal: report && report.signal > 0 ? signalName(report.signal) : null,
    returned: isMisuse ? new RegExp(`^misuse: ${c.name} done$`, 'm').test(stdout) : null,
    finished: report?.how === 'exited' && report.code === 0 && /^\S+: (\S+ )?ok \(\d+ checks\)$/m.test(stdout),
    report: first ?? null,
    stderrTail: tail(stderr, 6),
    wallSeconds: report?.wallSeconds ?? null,
  };
}

/** A report as the table shows it: without the allocator's own prefix, addresses as "…", cut after about 80 characters. */
export function shortReport(line: string, max = 80): string {
  const s = line
    .replace(/^(hakmem|Scudo ERROR|mimalloc): /, '')
    .replace(/0x[0-9a-fA-F]+/g, '…')
    .trim();
  if (s.length <= max) return s;
  const cut = s.lastIndexOf(' ', max);
  return `${s.slice(0, cut > max / 2 ? cut : max)} …`;
}

/** Whether a run counts as caught: aborted after a report. */
export const isCaught = (r: MisuseRun) => r.signal === 'SIGABRT' && r.report != null;

/** The cell of one run. */
export function describeMisuseRun(r: MisuseRun): string {
  if (isCaught(r)) return `abort: "${shortReport(r.report!)}"`;
  if (r.how === 'timeout') return 'hang (killed)';
  if (r.how === 'signaled') return `${r.signal}${r.returned ? ' later' : ''}`;
  if (r.how === 'exited') {
    if (r.finished) return r.report ? `ok, reported: "${shortReport(r.report)}"` : 'ok, not reported';
    return `blocks corrupted (exit ${r.exitCode}), not reported`;
  }
  return 'no report from hk-run';
}

/** The cell of a case under an allocator: one outcome, or each with how many runs had it. */
export function misuseCell(runs: readonly MisuseRun[]): string {
  const seen = new Map<string, number>();
  for (const r of runs) {
    const d = describeMisuseRun(r);
    seen.set(d, (seen.get(d) ?? 0) + 1);
  }
  if (seen.size <= 1) return [...seen.keys()][0] ?? '–';
  return [...seen].map(([d, n]) => `${d} (${n} of ${runs.length})`).join('; ');
}

/** The cases: `misuse list`, then the cross-thread double free. */
export async function misuseCases(testsDir = defaultTestsDir): Promise<MisuseCase[]> {
  const exe = path.join(testsDir, 'misuse');
  if (!fs.existsSync(exe)) throw new UsageError(`${exe} is missing (build it with npm run build)`);
  const r = await execa(exe, ['list'], { reject: false });
  if (r.exitCode !== 0) throw new Error(`${exe} list exited ${r.exitCode}: ${r.stderr}`);
  const names = String(r.stdout).trim().split('\n').filter(Boolean);
  return [
    ...names.map((name) => ({ name, program: 'misuse', args: [name], what: WHAT[name] ?? '' })),
    { name: 'double_free_remote', program: 'double_free_remote', args: [], what: WHAT.double_free_remote! },
  ];
}

export interface MisuseOptions {
  allocators?: string;
  libs?: string[];
  libDir: string;
  testsDir?: string;
  runs: number;
  timeoutSeconds: number;
  /** Only these cases (default: all). */
  cases?: string;
  outDir: string;
  log: (line: string) => void;
}

/** Runs every case under every allocator, `runs` times, two at a time. */
export async function measureMisuse(o: Omit<MisuseOptions, 'outDir'>): Promise<MisuseResults> {
  const testsDir = o.testsDir ?? defaultTestsDir;
  const { allocators, missing } = resolveAllocators({
    list: o.allocators ?? DEFAULT_MISUSE_ALLOCATORS,
    libs: o.libs,
    libDir: o.libDir,
  });
  for (const m of missing) o.log(`note: ${m.name} skipped: ${m.reason}`);
  let cases = await misuseCases(testsDir);
  if (o.cases) {
    const want = splitList(o.cases);
    const unknown = want.filter((w) => !cases.some((c) => c.name === w));
    if (unknown.length)
      throw new UsageError(`--cases: ${unknown.join(', ')} unknown (known: ${cases.map((c) => c.name).join(', ')})`);
    cases = cases.filter((c) => want.includes(c.name));
  }
  const jobs = cases.flatMap((c) => allocators.map((a) => ({ c, a })));
  const results: MisuseResults['results'] = jobs.map(({ c, a }) => ({ case: c.name, allocator: a.name, runs: [] }));
  let next = 0;
  let done = 0;
  const env = defaultsEnv();
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      const { c, a } = jobs[i]!;
      for (let k = 0; k < o.runs; k++) {
        const m = await runMeasured(path.join(testsDir, c.program), c.args, {
          preload: a.preload,
          env,
          timeoutSeconds: o.timeoutSeconds,
        });
        results[i]!.runs.push(readMisuseRun(c, m.report, m.stdout, m.stderr));
      }
      done++;
      o.log(`  [${done}/${jobs.length}] ${c.name} under ${a.name}: ${misuseCell(results[i]!.runs)}`);
    }
  };
  await Promise.all([worker(), worker()]);
  return {
    schema: MISUSE_SCHEMA,
    context: await collectContext(allocators),
    config: { runs: o.runs, timeoutSeconds: o.timeoutSeconds, allocators, missing, cases },
    results,
  };
}

export const MISUSE_LEGEND =
  'Each cell: how the process ended, over every run of the case. abort: "…": the allocator printed that report ' +
  '(its own prefix and the addresses left out) and aborted: caught. SIGSEGV / SIGBUS: killed during the misuse; ' +
  '"later": the call returned and the process died in the workload that follows it, which allocates blocks of ' +
  'many sizes, fills each with its own pattern and checks them. ok, not reported: the program finished and every ' +
  'block kept its contents. Several outcomes: how many runs ended each way. Every allocator at its defaults ' +
  '(HAKMEM_*, MIMALLOC_*, SCUDO_OPTIONS unset).';

/** The table: cases as rows, allocators as columns, and how many cases each caught. */
export function misuseTableFromResults(r: MisuseResults, o: { source: string }): string {
  const allocators = r.config.allocators.map((a) => a.name);
  const cell = (c: string, a: string) => r.results.find((x) => x.case === c && x.allocator === a);
  const body = r.config.cases.map((c) => [
    `\`${c.name}\`${c.what ? ` (${c.what})` : ''}`,
    ...allocators.map((a) => {
      const x = cell(c.name, a);
      return x ? misuseCell(x.runs) : '–';
    }),
  ]);
  const caught = allocators.map((a) => {
    const n = r.config.cases.filter((c) => {
      const x = cell(c.name, a);
      return x != null && x.runs.length > 0 && x.runs.every(isCaught);
    }).length;
    return `${n} of ${r.config.cases.length}`;
  });
  const table = markdownTable(
    [['case', ...allocators], ...body, ['**caught** (abort with a report, every run)', ...caught]],
    {
      align: ['l', ...allocators.map(() => 'l' as const)],
    },
  );
  const ctx = r.context;
  const versions = Object.entries(ctx.peers)
    .map(([p, v]) => `${p} ${v}`)
    .join(', ');
  const builds = Object.entries(ctx.hakmem)
    .map(([name, b]) => `${name} ${b.mode ?? '?'}/${b.profile ?? '?'} config ${b.configHash ?? 'unknown'}`)
    .join(', ');
  const head = [
    `Source: ${o.source}`,
    `git ${ctx.gitSha.slice(0, 12)}${ctx.gitDirty ? ' (dirty)' : ''}`,
    ctx.date.replace(/\.\d+Z$/, 'Z'),
    `${r.config.runs} run${r.config.runs === 1 ? '' : 's'} per case`,
    `hakmem: ${builds || 'none'}`,
    versions,
  ].join(' · ');
  const notes = r.config.missing.length
    ? ` Not run: ${r.config.missing.map((m) => `${m.name} (${m.reason})`).join('; ')}.`
    : '';
  return `${head}\n\n${table}\n\n${MISUSE_LEGEND}${notes}\n`;
}

/** A misuse results file, or null when `file` is not one (another kind of results file). */
export function readMisuseResults(file: string): MisuseResults | null {
  const read = readJsonOfSchema(file, 'misuse.json', MISUSE_SCHEMA);
  if (!read) return null;
  const data = read.data;
  const d = data as MisuseResults;
  if (!d.context || !d.config || !Array.isArray(d.config.cases) || !Array.isArray(d.results))
    throw new ResultsFileError(`${file}: a ${MISUSE_SCHEMA} file needs context, config (with cases) and results`, 1);
  return d;
}

/** `hakmem misuse`: runs the table and writes misuse.json and misuse.md into <out>/misuse-<timestamp>/. */
export async function runMisuse(o: MisuseOptions): Promise<{ dir: string; table: string; results: MisuseResults }> {
  const results = await measureMisuse(o);
  const dir = createResultsDir(o.outDir, 'misuse-');
  const table = misuseTableFromResults(results, { source: path.join(dir, 'misuse.json') });
  writeFiles(dir, {
    'misuse.json': `${JSON.stringify(results, null, 2)}\n`,
    'misuse.md': `# hakmem misuse ${results.context.date}\n\n${table}`,
  });
  updateLatest(o.outDir, dir, 'misuse-latest');
  return { dir, table, results };
}
