/**
 * How many interleaved rounds each workload gets (spec: "Threads need more rounds"):
 * single-threaded workloads --runs (default 5), threaded ones at least 9 so that their
 * per-round ratios give a usable 95 % interval; --quick is one round for everything.
 */
import { programOf, UsageError, WORKLOADS } from './workloads.ts';

/** The protocol's minimum rounds for a multi-threaded workload. */
export const MIN_MT_ROUNDS = 9;
export const DEFAULT_ROUNDS = 5;

export interface RoundPlanInput {
  /** --runs: rounds of the single-threaded workloads. */
  runs?: number;
  /** --mt-runs: rounds of the threaded workloads, when given explicitly. */
  mtRuns?: number;
  /** --allow-few-mt-runs: accept --mt-runs below MIN_MT_ROUNDS. */
  allowFewMtRuns?: boolean;
  quick?: boolean;
}

export interface RoundPlan {
  single: number;
  threaded: number;
}

export function planRounds(i: RoundPlanInput): RoundPlan {
  if (i.quick) return { single: 1, threaded: 1 };
  const single = i.runs ?? DEFAULT_ROUNDS;
  if (i.mtRuns == null) return { single, threaded: Math.max(single, MIN_MT_ROUNDS) };
  if (i.mtRuns < MIN_MT_ROUNDS && !i.allowFewMtRuns) {
    throw new UsageError(
      `--mt-runs ${i.mtRuns} is below the protocol's ${MIN_MT_ROUNDS} rounds for threaded workloads (their intervals would be too wide to call); add --allow-few-mt-runs to run it anyway`,
    );
  }
  return { single, threaded: i.mtRuns };
}

/** The rounds of one workload under a plan. */
export function roundsFor(w: { threaded: boolean }, plan: RoundPlan): number {
  return w.threaded ? plan.threaded : plan.single;
}

/** Whether a workload is multi-threaded, by its spec (false for names the tools do not know). */
export function isThreadedWorkload(name: string): boolean {
  return WORKLOADS.find((w) => w.name === programOf(name))?.threaded === true;
}

/** "5 rounds: random_mixed, tiny_hot; 9 rounds: larson, xthread". */
export function describeRounds(workloads: readonly { name: string; rounds: number }[]): string {
  const by = new Map<number, string[]>();
  for (const w of workloads) by.set(w.rounds, [...(by.get(w.rounds) ?? []), w.name]);
  return [...by]
    .sort(([a], [b]) => a - b)
    .map(([n, ws]) => `${n} round${n === 1 ? '' : 's'}: ${ws.join(', ')}`)
    .join('; ');
}
