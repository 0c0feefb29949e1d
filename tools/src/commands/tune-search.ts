/**
 * `hakmem tune`'s search: successive halving (Jamieson & Talwalkar) over the candidates, with
 * the default configuration as a control interleaved in every rung.
 *
 * A rung runs its candidates for a number of passes; a pass runs every candidate once, in a
 * seeded random order, in blocks of `controlEvery` with the control before and after each block
 * (C a b c d C e f g h C). A candidate's run is scored against the control runs that bracket it
 * (the geometric mean of the two, or the one there is), so the drift of a shared machine cancels
 * as it does in the protocol's interleaved rounds. After the rung the best 1/eta of the
 * candidates (by the median of all their ratios so far) go on to the next rung, which gives each
 * eta times the passes. A candidate whose run crashes, fails, times out or prints no metric is
 * reported and leaves the search; one that breaks --max-rss (or, minimising memory, --min-speed)
 * is rejected. The plan (how many candidates, how many passes per rung) is the largest that fits
 * the time left once the verdict's runs are set aside, and every rung is planned again with the
 * time the runs really took.
 */
import { median } from '../results/stats.ts';
import type { RunStatus } from '../types.ts';
import { seededRandom } from './tune-space.ts';
import { shuffle } from 'simple-statistics';

export const ETA = 3;
export const CONTROL_EVERY = 4;
/** Passes of the last rung when the budget allows (then the verdict's fresh rounds decide). */
export const FINAL_PASSES = 9;
export const CONTROL = 'default';

export interface RungPlan {
  candidates: number;
  passes: number;
}

export interface SearchPlan {
  candidates: number;
  rungs: RungPlan[];
  /** Runs (candidates' and control's) and seconds the plan expects. */
  runs: number;
  seconds: number;
}

/** Control runs in one pass over n candidates: one before each block and one after the last. */
export const controlRunsPerPass = (n: number, every = CONTROL_EVERY): number => Math.ceil(n / every) + 1;

/** The rungs of successive halving for n candidates, the last one with `finalPasses` passes. */
export function rungsFor(n: number, finalPasses: number, eta = ETA): RungPlan[] {
  const k = n <= eta ? 1 : Math.ceil(Math.log(n) / Math.log(eta) - 1e-9);
  const rungs: RungPlan[] = [];
  for (let i = 0; i < k; i++)
    rungs.push({
      candidates: Math.max(1, Math.ceil(n / eta ** i - 1e-9)),
      passes: Math.max(1, Math.round(finalPasses / eta ** (k - 1 - i))),
    });
  return rungs;
}

/** Runs of a plan's rungs, the control's included. */
export function runsOf(rungs: readonly RungPlan[]): number {
  return rungs.reduce((t, r) => t + (r.candidates + controlRunsPerPass(r.candidates)) * r.passes, 0);
}

/**
 * The largest search that fits `seconds`: as many candidates as possible (up to `maxCandidates`)
 * with FINAL_PASSES passes in the last rung, else 3, else 1. `secondsPerBuild` is paid once per
 * candidate when build-time knobs are searched. Null when not even one candidate fits.
 */
export function planSearch(o: {
  seconds: number;
  secondsPerRun: number;
  secondsPerBuild?: number;
  maxCandidates: number;
}): SearchPlan | null {
  for (const finalPasses of [FINAL_PASSES, 3, 1]) {
    for (let n = Math.min(o.maxCandidates, 243); n >= 1; n--) {
      const rungs = rungsFor(n, finalPasses);
      const runs = runsOf(rungs);
      const seconds = runs * o.secondsPerRun + n * (o.secondsPerBuild ?? 0);
      if (seconds <= o.seconds && (n >= Math.min(2, o.maxCandidates) || finalPasses === 1))
        return { candidates: n, rungs, runs, seconds };
    }
  }
  return null;
}

/** One run of the tune (search, verdict or check of the other workloads). */
export interface Trial {
  index: number;
  phase: 'calibrate' | 'search' | 'verdict' | 'check';
  /** search: the rung (0-based) and pass (1-based); verdict and check: the round (1-based). */
  rung: number | null;
  pass: number | null;
  round: number | null;
  /** The workload (the tuned target's label, or another workload when checking). */
  workload: string;
  /** `default` (the control) or a candidate id. */
  candidate: string;
  status: RunStatus;
  /** The metric as measured (M ops/s, seconds of wall time, or what --metric matched). */
  metric: number | null;
  wallSeconds: number | null;
  maxRssKb: number | null;
  exitCode: number | null;
  signal: number | null;
  /** Seconds since the tune started, when the run ended. */
  at: number;
  stderrTail: string;
  /** Search runs of candidates: the score over the bracketing control runs', and peak RSS over theirs. */
  ratio?: number | null;
  rssRatio?: number | null;
}

/** What a run of one configuration gives. */
export type Outcome = Pick<
  Trial,
  'status' | 'metric' | 'wallSeconds' | 'maxRssKb' | 'exitCode' | 'signal' | 'stderrTail'
> & {
  /** Seconds the run took from the tool's side (start-up included). */
  elapsed: number;
};

/** Runs the named configurations one after another, in order. */
export type BlockRunner = (ids: readonly string[], timeoutSeconds: number) => Promise<Outcome[]>;

export type Objective = 'speed' | 'rss';

export interface ScoreRules {
  objective: Objective;
  /** The metric is a cost (wall time): lower is better. */
  lowerIsBetter: boolean;
  /** speed: a candidate whose peak RSS is above this times the control's is rejected. */
  maxRss: number | null;
  /** rss: a candidate slower than this times the control is rejected. */
  minSpeed: number;
}

/** Higher is better: the metric, or its inverse for a cost. */
export const scoreOf = (metric: number | null, lowerIsBetter: boolean): number | null =>
  metric == null || !(metric > 0) ? null : lowerIsBetter ? 1 / metric : metric;

export type CandidateState = 'running' | 'failed' | 'rejected' | 'eliminated' | 'finalist';

export interface Standing {
  id: string;
  state: CandidateState;
  /** Why it left the search (failed or rejected). */
  reason?: string;
  /** The last rung it ran in (0-based). */
  rung: number;
  /** Median of its ratios to the control: speed (score over score) and peak RSS (its over the control's). */
  speed: number | null;
  rss: number | null;
  /** Its ranking score: speed, or the control's peak RSS over its own when minimising memory. */
  score: number | null;
  n: number;
}

export interface RungRecord {
  rung: number;
  candidates: string[];
  plannedPasses: number;
  passes: number;
  promoted: string[];
  seconds: number;
}

export interface SearchResult {
  standings: Standing[];
  rungs: RungRecord[];
  trials: Trial[];
  /** The best candidate when the search ended; null when none finished a run. */
  best: string | null;
  /** Why the search stopped before its plan ended, if it did. */
  cutShort: string | null;
}

export interface SearchOptions {
  ids: readonly string[];
  plan: SearchPlan;
  rules: ScoreRules;
  run: BlockRunner;
  seed: number;
  /** Seconds of the search left, from now (the verdict's share already set aside). */
  secondsLeft: () => number;
  /** Seconds one run is expected to take now. */
  secondsPerRun: () => number;
  timeoutSeconds: number;
  workload: string;
  /** Records a finished run (and gives it its index and time). */
  record: (t: Omit<Trial, 'index' | 'at'>) => Trial;
  /** Before a candidate's first run (a build, for build-time knobs); a thrown error fails it. */
  prepare?: (id: string) => Promise<void>;
  log: (line: string) => void;
}

/** The ratios of a pass's candidate runs: each over the ok control runs just before and after it. */
export function bracketRatios(pass: Trial[], rules: Pick<ScoreRules, 'lowerIsBetter'>): void {
  const controlAt = (from: number, step: 1 | -1): Trial | null => {
    for (let i = from; i >= 0 && i < pass.length; i += step) {
      const t = pass[i]!;
      if (t.candidate === CONTROL) return t.status === 'ok' ? t : null;
    }
    return null;
  };
  const mean = (xs: (number | null | undefined)[]) => {
    const ok = xs.filter((x): x is number => x != null && x > 0);
    return ok.length ? Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length) : null;
  };
  pass.forEach((t, i) => {
    if (t.candidate === CONTROL) return;
    const around = [controlAt(i - 1, -1), controlAt(i + 1, 1)].filter((x): x is Trial => x != null);
    const ref = mean(around.map((c) => scoreOf(c.metric, rules.lowerIsBetter)));
    const refRss = mean(around.map((c) => c.maxRssKb));
    const mine = scoreOf(t.metric, rules.lowerIsBetter);
    t.ratio = t.status === 'ok' && mine != null && ref ? mine / ref : null;
    t.rssRatio = t.status === 'ok' && t.maxRssKb && refRss ? t.maxRssKb / refRss : null;
  });
}

/** A candidate's standing from its search runs: medians of its ratios, the rules' verdict on them. */
export function standingOf(id: string, trials: readonly Trial[], rules: ScoreRules, rung: number): Standing {
  const mine = trials.filter((t) => t.candidate === id && t.phase === 'search');
  const bad = mine.find((t) => t.status !== 'ok');
  const speed = median(mine.map((t) => t.ratio).filter((x): x is number => x != null));
  const rss = median(mine.map((t) => t.rssRatio).filter((x): x is number => x != null));
  const n = mine.filter((t) => t.ratio != null).length;
  const base = { id, rung, speed, rss, n };
  if (bad) return { ...base, state: 'failed', score: null, reason: failureReason(bad) };
  if (rules.objective === 'speed' && rules.maxRss != null && rss != null && rss > rules.maxRss)
    return {
      ...base,
      state: 'rejected',
      score: null,
      reason: `peak RSS ${rss.toFixed(2)}× the default's, above --max-rss ${rules.maxRss}`,
    };
  if (rules.objective === 'rss' && speed != null && speed < rules.minSpeed)
    return {
      ...base,
      state: 'rejected',
      score: null,
      reason: `${speed.toFixed(3)}× the default's speed, below --min-speed ${rules.minSpeed}`,
    };
  const score = rules.objective === 'speed' ? speed : rss != null && rss > 0 ? 1 / rss : null;
  return { ...base, state: 'running', score };
}

const SIGNALS: Record<number, string> = { 6: 'SIGABRT', 7: 'SIGBUS', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };

/** "crashed (SIGSEGV)", "failed (exit 3)", "timed out", "printed no metric". */
export function failureReason(t: Pick<Trial, 'status' | 'exitCode' | 'signal'>): string {
  switch (t.status) {
    case 'crashed':
      return `crashed (${SIGNALS[t.signal ?? 0] ?? `signal ${t.signal}`})`;
    case 'failed':
      return `failed (exit ${t.exitCode ?? '?'})`;
    case 'timeout':
      return 'timed out';
    case 'malformed':
      return 'printed no metric';
    default:
      return 'ok';
  }
}

/** Ranks running candidates by score (best first); candidates without a score go last. */
function ranked(standings: readonly Standing[]): Standing[] {
  return standings
    .filter((s) => s.state === 'running' && s.score != null)
    .sort((a, b) => b.score! - a.score! || b.n - a.n || (a.id < b.id ? -1 : 1));
}

/** Runs the successive-halving search. */
export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const random = seededRandom(o.seed ^ 0x5eed);
  const trials: Trial[] = [];
  const rungs: RungRecord[] = [];
  const standing = new Map<string, Standing>(
    o.ids.map((id) => [id, { id, state: 'running', rung: 0, speed: null, rss: null, score: null, n: 0 }]),
  );
  const prepared = new Set<string>();
  let members = [...o.ids];
  let cutShort: string | null = null;
  for (let k = 0; k < o.plan.rungs.length && members.length > 0; k++) {
    const t0 = Date.now();
    const planned = o.plan.rungs[k]!.passes;
    const perPass = (members.length + controlRunsPerPass(members.length)) * o.secondsPerRun();
    const fits = Math.floor(o.secondsLeft() / perPass);
    const passes = Math.min(planned, fits);
    if (passes < 1) {
      cutShort = `out of time before rung ${k + 1}`;
      break;
    }
    if (passes < planned) cutShort = `rung ${k + 1} ran ${passes} of ${planned} passes (out of time)`;
    o.log(
      `tune: rung ${k + 1}/${o.plan.rungs.length}: ${members.length} candidate(s) x ${passes} pass(es), the default before and after every ${CONTROL_EVERY}`,
    );
    let done = 0;
    for (let p = 1; p <= passes && members.length > 0; p++) {
      if (o.secondsLeft() <= 0) {
        cutShort = `rung ${k + 1} stopped in pass ${p} of ${passes} (out of time)`;
        break;
      }
      const order = shuffle([...members], random);
      const pass: Trial[] = [];
      const runBlock = async (ids: string[]) => {
        const outcomes = await o.run(ids, o.timeoutSeconds);
        outcomes.forEach((r, i) => {
          const t = o.record({
            phase: 'search',
            rung: k,
            pass: p,
            round: null,
            workload: o.workload,
            candidate: ids[i]!,
            status: r.status,
            metric: r.metric,
            wallSeconds: r.wallSeconds,
            maxRssKb: r.maxRssKb,
            exitCode: r.exitCode,
            signal: r.signal,
            stderrTail: r.stderrTail,
          });
          pass.push(t);
          trials.push(t);
        });
      };
      for (let i = 0; i < order.length; i += CONTROL_EVERY) {
        if (i > 0 && o.secondsLeft() <= 0) break;
        const block: string[] = [];
        for (const id of order.slice(i, i + CONTROL_EVERY)) {
          if (!prepared.has(id) && o.prepare) {
            prepared.add(id);
            try {
              await o.prepare(id);
            } catch (e) {
              standing.set(id, { ...standing.get(id)!, state: 'failed', reason: (e as Error).message.split('\n')[0] });
              continue;
            }
          }
          if (standing.get(id)!.state === 'running') block.push(id);
        }
        await runBlock([CONTROL, ...block]);
      }
      await runBlock([CONTROL]);
      bracketRatios(pass, o.rules);
      done = p;
      for (const id of members) {
        const s = standingOf(id, trials, o.rules, k);
        if (standing.get(id)!.state === 'failed' && s.state !== 'failed') continue; // a failed build
        standing.set(id, s);
        if (s.state === 'failed') o.log(`tune: ${id} ${s.reason}: reported and skipped`);
        if (s.state === 'rejected') o.log(`tune: ${id} rejected: ${s.reason}`);
      }
      members = members.filter((id) => standing.get(id)!.state === 'running');
    }
    const order = ranked(members.map((id) => standing.get(id)!));
    const last = k === o.plan.rungs.length - 1 || cutShort !== null;
    const keep = last ? order.length : Math.max(1, Math.ceil(members.length / ETA));
    const promoted = order.slice(0, keep).map((s) => s.id);
    // the rest leave here (in the last rung, those that never got a ratio: no control run beside them worked)
    for (const id of members)
      if (!promoted.includes(id))
        standing.set(id, {
          ...standing.get(id)!,
          state: 'eliminated',
          reason:
            standing.get(id)!.score == null
              ? 'no ratio: no default run beside it worked'
              : `not in the best ${keep} of rung ${k + 1}`,
        });
    rungs.push({
      rung: k,
      candidates: [...members],
      plannedPasses: planned,
      passes: done,
      promoted,
      seconds: (Date.now() - t0) / 1000,
    });
    members = promoted;
    if (cutShort) break;
  }
  for (const id of members) standing.set(id, { ...standing.get(id)!, state: 'finalist' });
  const finalists = ranked(members.map((id) => ({ ...standing.get(id)!, state: 'running' as const })));
  return { standings: [...standing.values()], rungs, trials, best: finalists[0]?.id ?? null, cutShort };
}
