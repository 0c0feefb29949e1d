/** The workloads of shared/spec/workloads.md and the arguments the tools run them with. */

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
}

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
];

export const WORKLOAD_NAMES = WORKLOADS.map((w) => w.name);

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
  if (!w) throw new UsageError(`unknown workload "${name}"; known: ${WORKLOAD_NAMES.join(', ')}`);
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

/** Parses a comma list (e.g. --workloads random_mixed,tiny_hot); undefined or "all" = every workload. */
export function selectWorkloads(list: string | undefined): WorkloadSpec[] {
  if (!list || list === 'all') return [...WORKLOADS];
  return splitList(list).map(workloadSpec);
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
