/**
 * The workloads and the arguments the tools run them with: the programs of
 * docs/workloads.md (dist/native/bin/<name>), and the real programs of
 * docs/real-workloads.md (redis, sqlite, lua, z3, gs: Debian's programs run by a driver,
 * tools/real/<name>/run, that preloads the allocator into the measured program only).
 */
import path from 'node:path';
import { toolsBuildDir, toolsDir } from '../paths.ts';
import { REAL_NEEDS, type RealNeed } from './real-needs.ts';

export interface WorkloadSpec {
  name: string;
  /** Arguments for a full run: none, i.e. the program's own defaults from the spec. */
  full: string[];
  /** Reduced sizes for --quick (the whole quick matrix stays under a minute). */
  quick: string[];
  /** The size parameter doubled for marginal counts (callgrind, strace), and its n. */
  scale: { key: string; n: number; quickN: number };
  /** Multi-threaded: the protocol asks for at least 9 rounds and confidence intervals. */
  threaded: boolean;
  /**
   * A real program (docs/real-workloads.md): run by its driver tools/real/<name>/run rather than
   * a binary of dist/native/bin, skipped with one line when something it needs is missing.
   */
  real?: { needs: readonly RealNeed[] };
}

/**
 * The real programs. Their sizes are the drivers' own defaults (full) and a reduced one
 * (quick); `scale` names the size argument (they take no part in --instructions or --syscalls:
 * their expected outputs exist for the committed sizes only). redis is `threaded`: a server
 * and its client run at once on the two cores, as noisy as the threaded workloads.
 */
export const REAL_WORKLOADS: readonly WorkloadSpec[] = [
  {
    name: 'redis',
    full: [],
    quick: ['requests=8000'],
    scale: { key: 'requests', n: 60_000, quickN: 8_000 },
    threaded: true,
    real: { needs: REAL_NEEDS.redis },
  },
  {
    name: 'sqlite',
    full: [],
    quick: ['rows=100000'],
    scale: { key: 'rows', n: 1_000_000, quickN: 100_000 },
    threaded: false,
    real: { needs: REAL_NEEDS.sqlite },
  },
  {
    name: 'lua',
    full: [],
    quick: ['rounds=3'],
    scale: { key: 'rounds', n: 16, quickN: 3 },
    threaded: false,
    real: { needs: REAL_NEEDS.lua },
  },
  {
    name: 'z3',
    full: [],
    quick: ['problems=8'],
    scale: { key: 'problems', n: 20, quickN: 8 },
    threaded: false,
    real: { needs: REAL_NEEDS.z3 },
  },
  {
    name: 'gs',
    full: [],
    quick: ['pages=4'],
    scale: { key: 'pages', n: 30, quickN: 4 },
    threaded: false,
    real: { needs: REAL_NEEDS.gs },
  },
];

export const WORKLOADS: readonly WorkloadSpec[] = [
  {
    name: 'random_mixed',
    full: [],
    quick: ['iters=2000000'],
    scale: { key: 'iters', n: 1_000_000, quickN: 200_000 },
    threaded: false,
  },
  {
    name: 'tiny_hot',
    full: [],
    quick: ['iters=1000000'],
    scale: { key: 'iters', n: 100_000, quickN: 20_000 },
    threaded: false,
  },
  // iters = blocks per (n, size) pair; a full run memsets ~54 GB (~6 s under hakmem, ~1 min under glibc)
  {
    name: 'batch',
    full: [],
    quick: ['iters=40000'],
    scale: { key: 'iters', n: 20_000, quickN: 4_000 },
    threaded: false,
  },
  { name: 'larson', full: [], quick: ['seconds=1'], scale: { key: 'seconds', n: 1, quickN: 1 }, threaded: true },
  { name: 'thread_churn', full: [], quick: ['seconds=1'], scale: { key: 'seconds', n: 1, quickN: 1 }, threaded: true },
  {
    name: 'mid_large_mt',
    full: [],
    quick: ['iters=200000'],
    scale: { key: 'iters', n: 200_000, quickN: 50_000 },
    threaded: true,
  },
  {
    name: 'xthread',
    full: [],
    quick: ['iters=1000000'],
    scale: { key: 'iters', n: 1_000_000, quickN: 200_000 },
    threaded: true,
  },
  {
    name: 'vm_mixed',
    full: [],
    quick: ['iters=20000'],
    scale: { key: 'iters', n: 20_000, quickN: 5_000 },
    threaded: false,
  },
  { name: 'large_mixed', full: [], quick: ['iters=200'], scale: { key: 'iters', n: 200, quickN: 50 }, threaded: false },
  // ops = realloc calls = count x (calls per buffer): doubling count doubles ops (and the peak, count x max)
  {
    name: 'realloc_grow',
    full: [],
    quick: ['max=16777216'],
    scale: { key: 'count', n: 2, quickN: 1 },
    threaded: false,
  },
  // the published producer/consumer test (Lever & Boreham); ops = blocks freed by the consumers
  { name: 'handoff', full: [], quick: ['seconds=1'], scale: { key: 'seconds', n: 1, quickN: 1 }, threaded: true },
  // every thread frees the others' blocks; the result line adds peak_rss_kb and end_rss_kb
  { name: 'exchange', full: [], quick: ['seconds=1'], scale: { key: 'seconds', n: 1, quickN: 1 }, threaded: true },
  ...REAL_WORKLOADS,
];

export const WORKLOAD_NAMES = WORKLOADS.map((w) => w.name);

/** Names that stand for several workloads in --workloads (`random_mixed,real`). */
export const WORKLOAD_GROUPS: Readonly<Record<string, readonly string[]>> = {
  real: REAL_WORKLOADS.map((w) => w.name),
};

/** Workloads the --instructions mode measures (the front-path ones, per the issue). */
export const INSTRUCTION_WORKLOADS = ['random_mixed', 'tiny_hot'];

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The program a workload entry runs: its name up to the first ':' (`larson:threads=16` runs larson). */
export function programOf(name: string): string {
  return name.split(':', 1)[0]!;
}

/**
 * A workload by name, or a variant of one: `larson:threads=16` (or `xthread:threads=64:iters=2000000`)
 * is larson with threads=16 added to its arguments, under that name in the results, so one run can
 * hold the same program at several thread counts. Values are numbers; the program checks its keys.
 */
export function workloadSpec(entry: string): WorkloadSpec {
  const [name, ...sets] = entry.split(':');
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) {
    const group = Object.hasOwn(WORKLOAD_GROUPS, name!) ? WORKLOAD_GROUPS[name!] : undefined;
    if (group && sets.length)
      throw new UsageError(`"${entry}": ${name} is a group (${group.join(', ')}), which takes no key=value`);
    throw new UsageError(
      `unknown workload "${name}"; known: ${WORKLOAD_NAMES.join(', ')}; groups: ${Object.keys(WORKLOAD_GROUPS).join(', ')}`,
    );
  }
  if (sets.length === 0) return w;
  let full = [...w.full];
  let quick = [...w.quick];
  for (const s of sets) {
    const m = /^([a-z_]+)=(\d+(?:\.\d+)?)$/.exec(s);
    if (!m)
      throw new UsageError(
        `workload "${entry}": "${s}" is not key=<number>; a variant is name:key=value[:key=value...], for example larson:threads=16`,
      );
    full = withArg(full, m[1]!, m[2]!);
    quick = withArg(quick, m[1]!, m[2]!);
  }
  return { ...w, name: entry, full, quick };
}

/**
 * Parses a comma list (e.g. --workloads random_mixed,tiny_hot); undefined or "all" = every
 * workload. A group name stands for its workloads (`random_mixed,real`); a workload named twice
 * runs once, where it first appears.
 */
export function selectWorkloads(list: string | undefined): WorkloadSpec[] {
  if (!list || list === 'all') return [...WORKLOADS];
  const entries = splitList(list).flatMap((e) => (Object.hasOwn(WORKLOAD_GROUPS, e) ? WORKLOAD_GROUPS[e]! : [e]));
  return [...new Set(entries)].map(workloadSpec);
}

export function splitList(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The arguments of a workload with one key set (replacing any earlier value). */
export function withArg(args: readonly string[], key: string, value: string | number): string[] {
  return [...args.filter((a) => !a.startsWith(`${key}=`)), `${key}=${value}`];
}

/** Whether a workload (or a variant, `sqlite:rows=2000`) is a real program run by its driver. */
export function isRealWorkload(name: string): boolean {
  return WORKLOADS.find((w) => w.name === programOf(name))?.real !== undefined;
}

/** The directory of the real workloads' drivers and inputs. */
export const REAL_DIR = path.join(toolsDir, 'real');

/** The program a workload runs: dist/native/bin/<name>, or tools/real/<name>/run for a real one. */
export function workloadProgram(name: string, binDir: string): string {
  const program = programOf(name);
  return isRealWorkload(name) ? path.join(REAL_DIR, program, 'run') : path.join(binDir, program);
}

/**
 * How to start a workload under an allocator. A native workload gets the allocator by
 * LD_PRELOAD; a real workload's driver gets it in HK_REAL_PRELOAD and preloads it into the
 * measured program only (never into itself, its shell or a client such as redis-benchmark),
 * with HK_RUN naming the hk-run it measures with (runMeasured compiles it on demand).
 */
export function workloadLaunch(
  name: string,
  binDir: string,
  allocator: { preload: string | null; env?: Record<string, string> },
): { program: string; preload: string | null; env: Record<string, string> } {
  const program = workloadProgram(name, binDir);
  if (!isRealWorkload(name)) return { program, preload: allocator.preload, env: { ...allocator.env } };
  return {
    program,
    preload: null,
    env: { ...allocator.env, HK_REAL_PRELOAD: allocator.preload ?? '', HK_RUN: path.join(toolsBuildDir, 'hk-run') },
  };
}
