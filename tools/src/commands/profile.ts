/**
 * `hakmem profile`: where a workload's CPU time goes on this machine, by timer sampling
 * (`perf record -a -e cpu-clock`, which works where hardware counters do not, as in a VM;
 * system-wide, so that short-lived threads are sampled too: see Sampling).
 *
 * callgrind counts instructions and simulates caches; it cannot say what those cost on the
 * machine. Sampling can: for each allocator, interleaved over rounds as `hakmem bench` runs
 * them, the CPU time spent in the allocator's own code, in the program (its loop and its reads
 * and writes of the blocks it was given), in other libraries (libc's `memset`) and in the
 * kernel, per operation, and the symbols that take the most. An allocator can execute fewer
 * instructions and still lose, when the program's accesses to its blocks cost more (larson at
 * 16 threads, docs/lab/2026-11-29-larson-at-scale.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { markdownTable } from 'markdown-table';
import {
  type AnnotatedLine,
  parsePerfAnnotate,
  parsePerfReport,
  parseResultLine,
  type PerfRow,
} from '@hakmem/parse-output';
import { collectContext } from '../bench/context.ts';
import { resolveAllocators } from '../bench/find-allocators.ts';
import { median } from '../results/stats.ts';
import type { Allocator, RunContext } from '../types.ts';
import { readJsonOfSchema, ResultsFileError } from '../results/read-results.ts';
import { programOf, selectWorkloads, splitList, UsageError } from '../bench/workloads.ts';
import { createResultsDir, updateLatest, writeFiles } from '../results/write-results.ts';

export const PROFILE_SCHEMA = 'hakmem-profile/1';

/**
 * How perf samples. `system-wide` (`perf record -a`, needs root or perf_event_paranoid <= 0):
 * each CPU's timer samples whatever runs on it, so a thread is sampled however briefly it lives;
 * a run's rows are those of the workload's command, plus those perf could no longer name
 * (`:-1`: threads that had exited, their teardown in the kernel). `per-thread` (the fallback):
 * each thread's own timer, which starts a full period after the thread does, so threads that
 * live less than a period or two are barely sampled: `thread_churn`'s threads (about 100 µs
 * each) showed a sixteenth of their CPU time.
 */
export type Sampling = 'system-wide' | 'per-thread';

/** The comm perf gives the threads of a program (its file name, cut to 15 characters). */
export const commOf = (exe: string): string => path.basename(exe).slice(0, 15);

export const PARTS = ['allocator', 'program', 'libraries', 'kernel'] as const;
export type Part = (typeof PARTS)[number];

/** glibc's allocator lives in libc itself: its entry points and internals by name. */
const GLIBC_MALLOC =
  /^(__libc_)?(malloc|free|calloc|realloc|cfree|memalign|posix_memalign|aligned_alloc|valloc|pvalloc)$|^(_int_|malloc_|sysmalloc|unlink_chunk|tcache_|arena_|systrim|__malloc_|_mid_memalign|__libc_memalign)/;

/**
 * The part of the process a sample belongs to: the allocator (the preloaded library, named as perf
 * names it: the file a symlink such as libmimalloc.so.2 points at; or glibc's malloc inside libc
 * when nothing is preloaded), the workload program, other libraries, the kernel.
 */
export function classify(row: PerfRow, o: { program: string; allocatorDso: string | null }): Part {
  if (row.kernel) return 'kernel';
  if (o.allocatorDso) {
    if (row.dso === o.allocatorDso) return 'allocator';
  } else if (/^libc[.-]/.test(row.dso) && GLIBC_MALLOC.test(row.symbol.replace(/@.*$/, ''))) {
    return 'allocator';
  }
  if (row.dso === o.program) return 'program';
  return 'libraries';
}

export interface ProfileRun {
  workload: string;
  allocator: string;
  round: number;
  ops: number;
  /** CPU seconds sampled (all threads). */
  cpuSeconds: number;
  parts: Record<Part, number>;
  /** The symbols that took the most, CPU seconds. */
  top: { dso: string; symbol: string; part: Part; seconds: number }[];
  /** --annotate: the symbol's CPU seconds in this run and its instructions. */
  annotation?: { seconds: number; lines: AnnotatedLine[] };
  error?: string;
}

export interface ProfileSummaryRow {
  workload: string;
  allocator: string;
  runs: number;
  /** Medians over the rounds, nanoseconds of CPU time per operation. */
  nsPerOp: Record<Part | 'total', number | null>;
  /** The symbols that took the most over all rounds, with their share of the CPU time. */
  top: { dso: string; symbol: string; part: Part; share: number }[];
  /** --annotate: the symbol's median CPU ns per operation, and its instructions holding at least
   * 2 % of its samples over all rounds (weighted by the symbol's time in each), in address order. */
  annotation?: { nsPerOp: number | null; lines: { addr: string; instr: string; share: number }[] };
}

export interface ProfileResults {
  schema: typeof PROFILE_SCHEMA;
  context: RunContext;
  config: {
    rounds: number;
    frequency: number;
    /** Absent in files written before it was recorded: those sampled per thread. */
    sampling?: Sampling;
    quick: boolean;
    annotate?: string;
    workloads: { name: string; args: string[] }[];
  };
  runs: ProfileRun[];
  summary: ProfileSummaryRow[];
}

/** The file name perf reports for an allocator's library (symlinks resolved); null for glibc. */
export function dsoOf(a: Allocator): string | null {
  return a.preload ? path.basename(fs.realpathSync(a.preload)) : null;
}

async function perfAvailable(): Promise<string | null> {
  const r = await execa('perf', ['--version'], { reject: false, stdin: 'ignore' }).catch(() => null);
  return r && r.exitCode === 0
    ? null
    : 'perf not found or not working (Debian: apt-get install linux-perf; npm run setup)';
}

/** system-wide when `perf record -a` works here, else per-thread. */
async function samplingMode(): Promise<Sampling> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-perf-'));
  try {
    const r = await execa(
      'perf',
      ['record', '-q', '-a', '-e', 'cpu-clock', '-o', path.join(dir, 'probe.data'), 'true'],
      {
        reject: false,
        stdin: 'ignore',
      },
    ).catch(() => null);
    return r && r.exitCode === 0 ? 'system-wide' : 'per-thread';
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One sampled run: the result line's ops and the perf report's rows. */
async function sampleRun(
  exe: string,
  args: readonly string[],
  a: Allocator,
  o: { frequency: number; timeoutSeconds: number; annotate?: string; sampling: Sampling },
): Promise<{ ops: number; rows: PerfRow[]; annotated?: AnnotatedLine[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-perf-'));
  const data = path.join(dir, 'perf.data');
  const what = `${path.basename(exe)} ${args.join(' ')} under ${a.name}`;
  try {
    const r = await execa(
      'perf',
      [
        'record',
        '-q',
        ...(o.sampling === 'system-wide' ? ['-a'] : []),
        '-e',
        'cpu-clock',
        '-F',
        String(o.frequency),
        '-o',
        data,
        exe,
        ...args,
      ],
      {
        env: { ...process.env, ...a.env, LD_PRELOAD: a.preload ?? undefined },
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
        timeout: o.timeoutSeconds * 1000,
      },
    );
    const res = parseResultLine(String(r.stdout), path.basename(exe));
    if (r.exitCode !== 0 || !res) {
      const err = String(r.stderr).trim().split('\n').slice(-3).join(' | ');
      throw new Error(
        `perf record ${what}: ${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`}${res ? '' : ', no result line'}${err ? ` (${err})` : ''}`,
      );
    }
    const wide = o.sampling === 'system-wide';
    const rep = await execa(
      'perf',
      [
        'report',
        '-i',
        data,
        '--stdio',
        '--show-total-period',
        '--sort',
        wide ? 'comm,dso,sym' : 'dso,sym',
        '--percent-limit',
        '0',
        '-t',
        ';',
      ],
      { reject: false, stdin: 'ignore' },
    );
    const rows = parsePerfReport(String(rep.stdout), wide ? [commOf(exe), ':-1'] : undefined);
    if (rep.exitCode !== 0 || rows.length === 0)
      throw new Error(`perf report ${what}: exit ${rep.exitCode}, ${rows.length} rows`);
    if (!o.annotate) return { ops: res.ops, rows };
    const ann = await execa('perf', ['annotate', '-i', data, '--stdio', '--no-source', '-s', o.annotate], {
      reject: false,
      stdin: 'ignore',
    });
    return { ops: res.ops, rows, annotated: parsePerfAnnotate(String(ann.stdout)) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits a run's rows into parts and its top symbols. */
export function splitRun(
  rows: readonly PerfRow[],
  o: { program: string; allocatorDso: string | null; top: number },
): Pick<ProfileRun, 'cpuSeconds' | 'parts' | 'top'> {
  const parts: Record<Part, number> = { allocator: 0, program: 0, libraries: 0, kernel: 0 };
  let cpuSeconds = 0;
  const tagged = rows.map((r) => ({ ...r, part: classify(r, o) }));
  for (const r of tagged) {
    parts[r.part] += r.seconds;
    cpuSeconds += r.seconds;
  }
  const top = [...tagged]
    .sort((x, y) => y.seconds - x.seconds)
    .slice(0, o.top)
    .map((r) => ({ dso: r.dso, symbol: r.symbol, part: r.part, seconds: r.seconds }));
  return { cpuSeconds, parts, top };
}

/** Medians per operation over the rounds, and the top symbols over all of them. */
export function summarizeProfile(
  runs: readonly ProfileRun[],
  workloads: readonly string[],
  allocators: readonly string[],
  top: number,
): ProfileSummaryRow[] {
  const out: ProfileSummaryRow[] = [];
  for (const w of workloads) {
    for (const a of allocators) {
      const rs = runs.filter((r) => r.workload === w && r.allocator === a && !r.error && r.ops > 0);
      const per = (f: (r: ProfileRun) => number) => median(rs.map((r) => (f(r) * 1e9) / r.ops));
      const nsPerOp = {
        total: per((r) => r.cpuSeconds),
        ...(Object.fromEntries(PARTS.map((p) => [p, per((r) => r.parts[p])])) as Record<Part, number | null>),
      };
      const sums = new Map<string, { dso: string; symbol: string; part: Part; seconds: number }>();
      let all = 0;
      for (const r of rs) {
        all += r.cpuSeconds;
        for (const t of r.top) {
          const k = `${t.dso}\u0000${t.symbol}`;
          const s = sums.get(k) ?? { ...t, seconds: 0 };
          s.seconds += t.seconds;
          sums.set(k, s);
        }
      }
      const topRows = [...sums.values()]
        .sort((x, y) => y.seconds - x.seconds)
        .slice(0, top)
        .map((t) => ({ dso: t.dso, symbol: t.symbol, part: t.part, share: all > 0 ? t.seconds / all : 0 }));
      const row: ProfileSummaryRow = { workload: w, allocator: a, runs: rs.length, nsPerOp, top: topRows };
      const annotated = rs.filter((r) => r.annotation);
      if (annotated.length) {
        const weight = annotated.reduce((x, r) => x + r.annotation!.seconds, 0);
        const by = new Map<string, { addr: string; instr: string; share: number }>();
        for (const r of annotated) {
          // perf prints each instruction's percentage rounded to two decimals, so a symbol's
          // lines sum to 100 only within rounding (100.01 was seen): shares are of their sum
          const pctSum = r.annotation!.lines.reduce((x, l) => x + l.pct, 0);
          for (const l of r.annotation!.lines) {
            const e = by.get(l.addr) ?? { addr: l.addr, instr: l.instr, share: 0 };
            e.share += weight > 0 && pctSum > 0 ? ((l.pct / pctSum) * r.annotation!.seconds) / weight : 0;
            by.set(l.addr, e);
          }
        }
        row.annotation = {
          nsPerOp: median(annotated.map((r) => (r.annotation!.seconds * 1e9) / r.ops)),
          lines: [...by.values()]
            .filter((l) => l.share >= 0.02)
            .sort((x, y) => parseInt(x.addr, 16) - parseInt(y.addr, 16)),
        };
      }
      out.push(row);
    }
  }
  return out;
}

const ns = (v: number | null) => (v == null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** The summary as Markdown: CPU time per operation by part, then the top symbols. */
export function profileTable(rows: readonly ProfileSummaryRow[], symbol?: string): string {
  const main = markdownTable(
    [
      ['workload', 'allocator', 'runs', 'CPU ns/op', 'allocator', 'program', 'libraries', 'kernel'],
      ...rows.map((r) => [
        r.workload,
        r.allocator,
        String(r.runs),
        ns(r.nsPerOp.total),
        ns(r.nsPerOp.allocator),
        ns(r.nsPerOp.program),
        ns(r.nsPerOp.libraries),
        ns(r.nsPerOp.kernel),
      ]),
    ],
    { align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'] },
  );
  const tops = markdownTable(
    [
      ['workload', 'allocator', 'symbol', 'where', 'part', 'share of CPU'],
      ...rows.flatMap((r) =>
        r.top.map((t) => [r.workload, r.allocator, t.symbol, t.dso, t.part, `${(100 * t.share).toFixed(1)} %`]),
      ),
    ],
    { align: ['l', 'l', 'l', 'l', 'l', 'r'] },
  );
  const legend =
    "Medians over the rounds of CPU time per operation (all threads, sampled by perf's cpu-clock timer), split into the allocator's own code, the workload program (including its reads and writes of the blocks), other libraries (libc's memset) and the kernel.";
  return `${main}\n\n${legend}\n\n${tops}\n${annotationTable(rows, symbol)}`;
}

/** --annotate: the symbol's instructions that hold its time, per workload and allocator. */
function annotationTable(rows: readonly ProfileSummaryRow[], symbol: string | undefined): string {
  const with_ = rows.filter((r) => r.annotation);
  if (!symbol) return '';
  if (!with_.length) return `\nNo samples in ${symbol} (--annotate) under any allocator.\n`;
  const t = markdownTable(
    [
      ['workload', 'allocator', 'address', 'instruction', `share of ${symbol}`, 'CPU ns/op'],
      ...with_.flatMap((r) =>
        r.annotation!.lines.map((l) => [
          r.workload,
          r.allocator,
          l.addr,
          `\`${l.instr.replace(/\|/g, '\\|')}\``,
          `${(100 * l.share).toFixed(1)} %`,
          r.annotation!.nsPerOp == null ? '–' : ns(l.share * r.annotation!.nsPerOp),
        ]),
      ),
    ],
    { align: ['l', 'l', 'l', 'l', 'r', 'r'] },
  );
  return `\n\`${symbol}\` by instruction (those holding at least 2 % of its samples; perf attributes a stall to the instruction after the one that waits):\n\n${t}\n`;
}

export interface ProfileOptions {
  workloads?: string;
  allocators?: string;
  libs?: string[];
  runs: number;
  frequency: number;
  top: number;
  /** A symbol to annotate by instruction (perf annotate), e.g. the workload's loop. */
  annotate?: string;
  quick: boolean;
  binDir: string;
  libDir: string;
  outDir: string;
  timeoutSeconds: number;
  log: (line: string) => void;
}

export async function runProfile(
  o: ProfileOptions,
): Promise<{ dir: string; latest: string; results: ProfileResults; table: string }> {
  if (o.frequency < 1 || o.frequency > 20000)
    throw new UsageError(`--frequency ${o.frequency}: expected 1 to 20000 samples per second`);
  // the default (every workload) means the native ones here; a real program named is refused
  const specs = selectWorkloads(o.workloads).filter((w) => o.workloads || !w.real);
  const real = specs.filter((w) => w.real);
  if (real.length)
    throw new UsageError(
      `hakmem profile samples the native workloads only; ${real.map((w) => w.name).join(', ')} ${real.length > 1 ? 'are real programs' : 'is a real program'} (drop it from --workloads)`,
    );
  const { allocators, missing } = resolveAllocators({
    list: o.allocators ?? 'hakmem-fast,mimalloc',
    libs: o.libs,
    libDir: o.libDir,
  });
  for (const m of missing) o.log(`note: ${m.name} skipped: ${m.reason}`);
  const noPerf = await perfAvailable();
  if (noPerf) throw new UsageError(noPerf);
  const sampling = await samplingMode();
  if (sampling === 'per-thread')
    o.log(
      'note: perf record -a is not allowed here (root, or kernel.perf_event_paranoid <= 0): sampling each thread on its own timer, which undercounts threads that live less than a few sampling periods (thread_churn)',
    );
  for (const w of specs) {
    const exe = path.join(o.binDir, programOf(w.name));
    if (!fs.existsSync(exe)) throw new UsageError(`${exe} not found (build first: npm run build)`);
  }
  o.log(
    `profile: ${specs.length} workloads x ${allocators.length} allocators (${allocators.map((a) => a.name).join(', ')}), ${o.runs} interleaved rounds, perf cpu-clock at ${o.frequency} Hz, ${sampling}`,
  );
  const context = await collectContext(allocators);
  const runs: ProfileRun[] = [];
  for (let round = 1; round <= o.runs; round++) {
    for (const w of specs) {
      const exe = path.join(o.binDir, programOf(w.name));
      const args = o.quick ? w.quick : w.full;
      for (const a of allocators) {
        const base = { workload: w.name, allocator: a.name, round };
        try {
          const r = await sampleRun(exe, args, a, { ...o, sampling });
          const split = splitRun(r.rows, { program: path.basename(exe), allocatorDso: dsoOf(a), top: o.top });
          const symSeconds = r.rows.filter((x) => x.symbol === o.annotate).reduce((x, y) => x + y.seconds, 0);
          const annotation = r.annotated?.length ? { seconds: symSeconds, lines: r.annotated } : undefined;
          runs.push({ ...base, ops: r.ops, ...split, ...(annotation ? { annotation } : {}) });
          const pa = (split.parts.allocator * 1e9) / r.ops;
          o.log(
            `[round ${round}/${o.runs}] ${w.name} ${a.name}: ${((split.cpuSeconds * 1e9) / r.ops).toFixed(1)} CPU ns/op, allocator ${pa.toFixed(1)}`,
          );
        } catch (e) {
          const msg = (e as Error).message;
          runs.push({
            ...base,
            ops: 0,
            cpuSeconds: 0,
            parts: { allocator: 0, program: 0, libraries: 0, kernel: 0 },
            top: [],
            error: msg,
          });
          o.log(`[round ${round}/${o.runs}] ${w.name} ${a.name}: FAILED ${msg}`);
        }
      }
    }
  }
  const summary = summarizeProfile(
    runs,
    specs.map((w) => w.name),
    allocators.map((a) => a.name),
    o.top,
  );
  const results: ProfileResults = {
    schema: PROFILE_SCHEMA,
    context,
    config: {
      rounds: o.runs,
      frequency: o.frequency,
      sampling,
      quick: o.quick,
      ...(o.annotate ? { annotate: o.annotate } : {}),
      workloads: specs.map((w) => ({ name: w.name, args: [...(o.quick ? w.quick : w.full)] })),
    },
    runs,
    summary,
  };
  const table = profileTable(summary, o.annotate);
  const dir = createResultsDir(o.outDir, 'profile-');
  const head = `# hakmem profile ${context.date}\n\ngit ${context.gitSha.slice(0, 12)}${context.gitDirty ? ' (dirty)' : ''}, ${context.cpuModel}, ${context.nproc} CPUs; ${o.runs} interleaved rounds; perf cpu-clock at ${o.frequency} Hz, ${sampling}.\n\n`;
  writeFiles(dir, { 'profile.json': `${JSON.stringify(results, null, 2)}\n`, 'profile.md': head + table });
  const latest = updateLatest(o.outDir, dir, 'profile-latest');
  return { dir, latest, results, table };
}

/**
 * A `hakmem profile` results file (profile.json, or a directory holding one), or null when the
 * file is something else (a bench results file). Throws ResultsFileError when it claims to be a
 * profile and is not one.
 */
export function readProfileResults(file: string): ProfileResults | null {
  const read = readJsonOfSchema(file, 'profile.json', PROFILE_SCHEMA);
  if (!read) return null;
  const data = read.data;
  const d = data as ProfileResults;
  if (!Array.isArray(d.runs) || !Array.isArray(d.summary) || !d.context || !d.config)
    throw new ResultsFileError(`${file}: a ${PROFILE_SCHEMA} file needs context, config, runs and summary`, 1);
  return d;
}

/** The profile table under a line naming its source, commit, date and rounds (hakmem table, hakmem figures). */
export function profileTableFromResults(
  r: ProfileResults,
  o: { source: string; workloads?: string; allocators?: string; against?: string; counts?: boolean },
): string {
  if (o.against != null || o.counts)
    throw new UsageError(`--against and --counts need a bench results file; ${o.source} is a profile`);
  const keep = (list: string | undefined) => (list ? splitList(list) : null);
  const ws = keep(o.workloads);
  const as = keep(o.allocators);
  const rows = r.summary
    .filter((x) => (!ws || ws.includes(x.workload)) && (!as || as.includes(x.allocator)))
    .sort(
      (x, y) =>
        (ws ? ws.indexOf(x.workload) - ws.indexOf(y.workload) : 0) ||
        (as ? as.indexOf(x.allocator) - as.indexOf(y.allocator) : 0),
    );
  const c = r.context;
  const head = `Source: ${o.source} · git ${c.gitSha.slice(0, 12)}${c.gitDirty ? ' (dirty)' : ''} · ${c.date.replace(/\.\d+Z$/, 'Z')} · hakmem profile, ${r.config.rounds} rounds, perf cpu-clock at ${r.config.frequency} Hz${r.config.sampling ? `, ${r.config.sampling}` : ''} · ${c.cpuModel}, ${c.nproc} CPUs`;
  return `${head}\n\n${profileTable(rows, r.config.annotate)}`;
}
