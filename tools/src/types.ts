/** The shapes @hakmem/tools passes around. */
import type { EpochLine, ObserveReport, ResultLine } from '@hakmem/parse-output';

/** How one run ended. */
export type RunStatus =
  | 'ok' // exit 0 and a well-formed result line
  | 'failed' // exited non-zero
  | 'crashed' // killed by a signal
  | 'timeout' // killed by hk-run after the time limit
  | 'malformed'; // exit 0 but no parsable result line

/** The workload programs' result and epoch lines (parsed by @hakmem/parse-output). */
export type { EpochLine, ResultLine };

/** What hk-run reports about the child. */
export interface ChildReport {
  how: 'exited' | 'signaled' | 'timeout';
  code: number;
  signal: number;
  wallSeconds: number;
  maxRssKb: number;
  userSeconds: number;
  systemSeconds: number;
}

/** An allocator under test: a library to LD_PRELOAD, or none (the system's glibc). */
export interface Allocator {
  name: string;
  /** Absolute path of the .so, or null for glibc (no preload). */
  preload: string | null;
  /** Extra environment (A/B run-time knobs). */
  env?: Record<string, string>;
}

/** A workload program and the arguments of one configuration. */
export interface WorkloadRun {
  name: string;
  args: string[];
  /** Rounds for this workload when it differs from the run's default (threaded workloads run more). */
  rounds?: number;
}

/** A workload as bench ran it: its arguments, whether it is multi-threaded and its own round count. */
export interface BenchWorkload extends WorkloadRun {
  rounds: number;
  threaded: boolean;
}

/** One run of one workload under one allocator in one round. */
export interface RunRecord {
  workload: string;
  allocator: string;
  round: number;
  /** Position in the round (0-based). */
  order: number;
  argv: string[];
  status: RunStatus;
  exitCode: number | null;
  signal: number | null;
  wallSeconds: number | null;
  maxRssKb: number | null;
  result: ResultLine | null;
  /** The last lines of stderr when the run was not ok (or printed warnings). */
  stderrTail: string;
}

/** One row of the summary table: a workload under an allocator over all rounds. */
export interface SummaryRow {
  workload: string;
  allocator: string;
  runs: number;
  failures: number;
  /** Statuses of the runs that were not ok, e.g. ["crashed", "timeout"]. */
  failureKinds: string[];
  medianMops: number | null;
  /** Coefficient of variation of M ops/s (sample stddev / mean), null with fewer than 2 ok runs. */
  cv: number | null;
  /** Median of per-round ratios mops(allocator) / mops(mimalloc). */
  ratioToMimalloc: number | null;
  /** 95 % interval of that ratio (t-interval of the per-round log-ratios); null with fewer than 2 paired rounds. */
  ratioToMimallocCi: [number, number] | null;
  ratioToGlibc: number | null;
  ratioToGlibcCi: [number, number] | null;
  medianMaxRssKb: number | null;
  /**
   * On the row of the workload's best hakmem build only (highest median among our builds):
   * what its per-round ratio to the best peer says (see WorkloadVerdict). null
   * on every other row, and where there is no interval to call.
   */
  verdict: BenchVerdict | null;
  /** verdict === 'best' (kept for readers of hakmem-bench/1). */
  best: boolean;
}

/** ★ ahead of the best peer, level with it, or behind it (the interval of the ratio above, across or below 1.0). */
export type BenchVerdict = 'best' | 'tie' | 'behind';

/** A per-round ratio and its 95 % interval. */
export interface RatioComparison {
  /** Median of the per-round ratios. */
  ratio: number | null;
  /** t-interval of the per-round log-ratios; null with fewer than two paired rounds. */
  ci: [number, number] | null;
  /** Paired rounds behind the ratio. */
  n: number;
}

/**
 * One workload's verdict: hakmem against the other allocators, not our builds against each
 * other. The best hakmem build (highest median among allocators named hakmem*, or whose library
 * carries hakmem's manifest) over the best
 * peer (highest median among the rest), per round: ★ ('best') when the interval lies above
 * 1.0, 'behind' when below, 'tie' otherwise. Standard / FAST (allocator hakmem over
 * hakmem-fast, per round) is reported beside it.
 */
export interface WorkloadVerdict extends RatioComparison {
  workload: string;
  /** The best hakmem build; null when none was measured (or none ran successfully). */
  hakmem: string | null;
  /** The best peer; null when no other allocator was measured (or none ran successfully). */
  peer: string | null;
  /** null without both sides, or without an interval (one round). */
  verdict: BenchVerdict | null;
  /** hakmem / hakmem-fast per round, when the runs hold both; null otherwise. */
  standardOverFast: RatioComparison | null;
}

export interface LibraryBuildInfo {
  path: string;
  mode: string | null;
  profile: string | null;
  configHash: string | null;
  boxVersions: string | null;
  /** Why the fields are null (the library has no readable hakmem manifest), when they are. */
  note?: string;
}

/** Everything a figure must carry (spec: "Record the context"). */
export interface RunContext {
  date: string;
  gitSha: string;
  gitDirty: boolean | null;
  hakmem: Record<string, LibraryBuildInfo>;
  compiler: string;
  cflags: string | null;
  peers: Record<string, string>;
  cpuModel: string;
  nproc: number;
  memTotalKb: number | null;
  kernel: string;
  node: string;
}

export interface InstructionCount {
  workload: string;
  allocator: string;
  n: number;
  irAtN: number;
  irAt2N: number;
  opsAtN: number;
  opsAt2N: number;
  /** (Ir(2n) - Ir(n)) / (ops(2n) - ops(n)); null when a run failed. */
  perOp: number | null;
  error?: string;
}

export interface SyscallCount {
  workload: string;
  allocator: string;
  n: number;
  /** Calls at n and 2n per syscall name. */
  atN: Record<string, number>;
  at2N: Record<string, number>;
  /** Steady-state calls (2n - n) per syscall, and their total per 1e8 operations. */
  steady: Record<string, number>;
  steadyPer1e8Ops: number | null;
  error?: string;
}

/** What HAKMEM_STATS=json prints (native/src/env/stats.c): one object on one line (parsed in @hakmem/parse-output). */
export type { ObserveReport };

/** One workload run once under the OBSERVE build with HAKMEM_STATS=json (bench --stats). */
export interface ObserveStats {
  workload: string;
  /** The library preloaded (libhakmem-observe.so). */
  library: string;
  argv: string[];
  /** null when the run failed or printed no report (error says why). */
  report: ObserveReport | null;
  error?: string;
}

export const BENCH_SCHEMA = 'hakmem-bench/3';

export interface BenchResults {
  schema: typeof BENCH_SCHEMA;
  context: RunContext;
  config: {
    /** Rounds of the single-threaded workloads (--runs; 1 with --quick). */
    rounds: number;
    /** Rounds of the threaded workloads (max(--runs, 9), or --mt-runs; 1 with --quick). */
    mtRounds: number;
    quick: boolean;
    baseline: string;
    /** Each workload with its arguments, whether it is threaded, and the rounds it ran. */
    workloads: BenchWorkload[];
    allocators: Allocator[];
    missingPeers: string[];
    /** Workload and allocator pairs not run, and why (a peer that cannot finish a workload). */
    skipped?: { workload: string; allocator: string; reason: string }[];
  };
  runs: RunRecord[];
  summary: SummaryRow[];
  /** One per workload: the best hakmem build against the best peer, and Standard / FAST. */
  verdicts: WorkloadVerdict[];
  instructions?: InstructionCount[];
  syscalls?: SyscallCount[];
  /** bench --stats: the OBSERVE counters of one run per workload. */
  stats?: ObserveStats[];
}

/** What every command that runs workloads needs: where things are, how long a run may take, how to report. */
export interface RunnerOptions {
  workloads?: string;
  runs: number;
  quick: boolean;
  instructions: boolean;
  binDir: string;
  libDir: string;
  outDir: string;
  timeoutSeconds: number;
  tty?: boolean;
  log: (line: string) => void;
}
