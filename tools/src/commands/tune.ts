/**
 * `hakmem tune`: searches the typed knobs for one workload (or any command) and hands back a
 * verified profile. The space and its candidates are tune-space.ts's (every candidate checked by
 * codegen before it runs), the search tune-search.ts's (successive halving, the default as a
 * control in every rung). Then the verdict: the best candidate against the default in a fresh
 * interleaved run of at least 9 rounds, the 95 % interval of the per-round ratio
 * (stats.ts pairedRatioEstimate); only an interval wholly above 1.0 is a result. A result is
 * written as a HAKMEM_* environment line, a profile file for HAKMEM_PROFILE and a
 * hakmem.config.ts; --check-others runs it on the rest of the matrix. Everything goes into
 * tune.json (every run) and a report page (tune-report.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AnyKnobValue } from '@hakmem/box-kit';
import { configHash } from '@hakmem/codegen';
import { buildVariant } from './ab.ts';
import { hakmemBuildInfos } from '../bench/build-info.ts';
import { collectContext } from '../bench/context.ts';
import { declarations, projectConfig, checkConfig } from '../bench/knobs.ts';
import { classifyRun } from '../bench/parse-result.ts';
import { planRounds, roundsFor } from '../bench/plan-rounds.ts';
import { runMeasured, tail } from '../bench/run-measured.ts';
import { missingNeed, presentWorkloads } from '../bench/real-workloads.ts';
import { runRounds } from '../bench/run-rounds.ts';
import { pairedRatioEstimate, type RatioEstimate } from '../results/stats.ts';
import { mopsByRound } from '../results/summarize.ts';
import type { Allocator, RunContext, RunRecord } from '../types.ts';
import {
  describeOverrides,
  drawCandidates,
  searchSpace,
  type Candidate,
  type RefusedCandidate,
  type SpaceKnob,
} from './tune-space.ts';
import {
  CONTROL,
  planSearch,
  runSearch,
  scoreOf,
  failureReason,
  type Objective,
  type Outcome,
  type ScoreRules,
  type SearchPlan,
  type SearchResult,
  type Trial,
} from './tune-search.ts';
import { UsageError, selectWorkloads, workloadSpec, type WorkloadSpec } from '../bench/workloads.ts';

/** The protocol's minimum rounds for the verdict (threaded workloads need 9; the verdict always gets them). */
export const MIN_VERDICT_ROUNDS = 9;

export interface TuneOptions {
  /** --workload: a workload of the matrix, `name` or `name:key=value[:key=value]`. */
  workload?: string;
  /** The command after `--` (when no --workload). */
  command?: string[];
  budgetSeconds: number;
  knobs?: string;
  buildKnobs?: string;
  objective: Objective;
  maxRss?: number;
  minSpeed: number;
  /** --metric: a regular expression over the command's stdout; its first group (or the match) is the metric. */
  metric?: string;
  /** --lower: the metric is a cost. */
  lower: boolean;
  verdictRounds: number;
  /** --check-others: true for the whole matrix, or a comma list. */
  checkOthers?: boolean | string;
  checkRuns: number;
  name?: string;
  seed: number;
  /** The Standard (or OBSERVE) library whose run-time knobs are searched. */
  lib: string;
  binDir: string;
  outDir: string;
  /** The longest one run may take (a candidate that takes longer is reported and skipped). */
  timeoutSeconds: number;
  log: (line: string) => void;
}

/** What is tuned: a workload of the matrix or a command, and how its runs are scored. */
export interface TuneTarget {
  kind: 'workload' | 'command';
  /** The workload entry, or the command line. */
  label: string;
  argv: string[];
  /** unit: what a ratio is of, higher is better (a cost is turned around: `speed (1 / wall time)`). */
  metric: { source: 'result-line' | 'wall-time' | 'regex'; regex: string | null; lowerIsBetter: boolean; unit: string };
}

export interface TuneVerdict {
  result: 'better' | 'none found';
  /** One plain sentence: what was found, or that nothing was. */
  summary: string;
  winner: string | null;
  overrides: Record<string, AnyKnobValue> | null;
  rounds: number;
  /** The winner's score over the default's, per round (higher is better). */
  speed: RatioEstimate | null;
  /** The winner's peak RSS over the default's, per round (lower is less memory). */
  rss: RatioEstimate | null;
  /** --objective rss: the default's peak RSS over the winner's (above 1.0 is memory saved). */
  memory: RatioEstimate | null;
  failures: number;
}

export interface OtherWorkload {
  workload: string;
  rounds: number;
  /** The winner's M ops/s over the default's, per round. */
  speed: RatioEstimate;
  /** The winner's peak RSS over the default's, per round. */
  rss: RatioEstimate;
  /** slower / faster when the speed interval lies wholly below / above 1.0. */
  effect: 'slower' | 'faster' | 'same' | null;
  /** more / less memory when the RSS interval lies wholly above / below 1.0 (and moved by more than 1 %). */
  memoryEffect: 'more' | 'less' | 'same' | null;
  failures: number;
}

export interface TuneOutputs {
  /** The HAKMEM_* environment line (run-time knobs). */
  env: string | null;
  /** The profile file, its file name in the results directory, and the line that selects it. */
  profile: string | null;
  profileLine: string | null;
  /** The hakmem.config.ts file (file name), and the overrides alone as a config fragment. */
  config: string | null;
  fragment: string | null;
  /**
   * Codegen's lines when it refuses that file as a build's configuration: a build must hold under
   * every profile (Standard can switch profile at run time), a run-time profile only under its own.
   */
  configProblems: string[] | null;
}

export const TUNE_SCHEMA = 'hakmem-tune/1';

export interface TuneResults {
  schema: typeof TUNE_SCHEMA;
  context: RunContext;
  config: {
    target: TuneTarget;
    name: string;
    objective: Objective;
    maxRss: number | null;
    minSpeed: number | null;
    budgetSeconds: number;
    seed: number;
    verdictRounds: number;
    library: string;
    /** The control: the build's configuration (hakmem.config.ts), as codegen hashes it. */
    controlConfigHash: string;
    space: SpaceKnob[];
    timeoutSeconds: number;
  };
  plan: SearchPlan & { secondsPerRun: number; secondsPerBuild: number | null };
  candidates: (Pick<Candidate, 'id' | 'overrides' | 'env' | 'configHash' | 'buildTime'> & {
    state: string;
    reason: string | null;
    rung: number;
    speed: number | null;
    rss: number | null;
    score: number | null;
    n: number;
  })[];
  refused: RefusedCandidate[];
  rungs: SearchResult['rungs'];
  cutShort: string | null;
  trials: Trial[];
  verdict: TuneVerdict;
  others: OtherWorkload[] | null;
  outputs: TuneOutputs;
  elapsedSeconds: number;
}

/** Parses a duration: 90, 90s, 15m, 1h, 1h30m, 2m30s. */
export function parseDuration(text: string): number {
  const t = text.trim();
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(t);
  const seconds = m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : Number.NaN;
  if (!t || !m || !(seconds > 0))
    throw new UsageError(`--budget ${text}: expected a duration such as 90s, 15m, 1h or 1h30m`);
  return seconds;
}

/** The target of a tune from --workload or the command after `--`. */
export function tuneTarget(o: Pick<TuneOptions, 'workload' | 'command' | 'metric' | 'lower'>): {
  target: TuneTarget;
  spec: WorkloadSpec | null;
} {
  const command = o.command ?? [];
  if (o.workload && command.length) throw new UsageError('give either --workload NAME or a command after --, not both');
  if (!o.workload && !command.length)
    throw new UsageError('nothing to tune: give --workload NAME (as bench takes them) or a command after --');
  if (o.metric !== undefined) {
    if (o.workload)
      throw new UsageError(
        '--metric applies to a command; a workload is scored by its result line (M ops/s). Run its program as a command to score something else',
      );
    try {
      new RegExp(o.metric);
    } catch (e) {
      throw new UsageError(`--metric ${o.metric}: not a regular expression (${(e as Error).message})`);
    }
  }
  if (o.workload) {
    const spec = workloadSpec(o.workload);
    const missing = missingNeed(spec); // a real program that is not installed
    if (missing) throw new UsageError(`cannot tune ${spec.name}: ${missing.replace(/^skipping \S+: /, '')}`);
    return {
      spec,
      target: {
        kind: 'workload',
        label: spec.name,
        argv: spec.full,
        metric: { source: 'result-line', regex: null, lowerIsBetter: false, unit: 'M ops/s' },
      },
    };
  }
  const regex = o.metric ?? null;
  return {
    spec: null,
    target: {
      kind: 'command',
      label: command.join(' '),
      argv: command,
      metric: regex
        ? { source: 'regex', regex, lowerIsBetter: o.lower, unit: o.lower ? `speed (1 / /${regex}/)` : `/${regex}/` }
        : { source: 'wall-time', regex: null, lowerIsBetter: true, unit: 'speed (1 / wall time)' },
    },
  };
}

/** The metric in a command's stdout: the last match of the regex, its first group (or the match). */
export function metricIn(stdout: string, regex: string): number | null {
  const re = new RegExp(regex, 'g');
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(stdout); m; m = re.exec(stdout)) {
    last = m;
    if (m[0] === '') re.lastIndex++;
  }
  if (!last) return null;
  const text = (last[1] ?? last[0]).replace(/,/g, '');
  const x = Number(text);
  return Number.isFinite(x) ? x : null;
}

/** The default name of a tune's profile: the workload entry or the command's program, as a file name. */
export function defaultName(target: TuneTarget): string {
  const base = target.kind === 'workload' ? target.label : path.basename(target.argv[0] ?? 'command');
  return base.replace(/[:=]/g, '-').replace(/[^A-Za-z0-9._-]/g, '_');
}

const runOutcome = (rec: RunRecord, elapsed: number): Outcome => ({
  status: rec.status,
  metric: rec.status === 'ok' ? (rec.result?.mops ?? null) : null,
  wallSeconds: rec.wallSeconds,
  maxRssKb: rec.maxRssKb,
  exitCode: rec.exitCode,
  signal: rec.signal,
  stderrTail: rec.stderrTail,
  elapsed,
});

/** Runs one configuration of the target once. */
export async function runTargetOnce(
  target: TuneTarget,
  binDir: string,
  a: Allocator,
  timeoutSeconds: number,
): Promise<Outcome> {
  const t0 = performance.now();
  if (target.kind === 'workload') {
    const [rec] = await runRounds({
      binDir,
      workloads: [{ name: target.label, args: target.argv }],
      allocators: [a],
      rounds: 1,
      timeoutSeconds,
    });
    return runOutcome(rec!, (performance.now() - t0) / 1000);
  }
  const [program, ...args] = target.argv;
  const m = await runMeasured(program!, args, { preload: a.preload, env: a.env, timeoutSeconds });
  const r = m.report;
  const metric = target.metric.source === 'regex' ? metricIn(m.stdout, target.metric.regex!) : (r?.wallSeconds ?? null);
  const exitedOk = r?.how === 'exited' && r.code === 0;
  const hasMetric = metric != null && metric > 0;
  const status = exitedOk ? (hasMetric ? 'ok' : 'malformed') : classifyRun(r, null);
  return {
    status,
    metric: status === 'ok' ? metric : null,
    wallSeconds: r?.wallSeconds ?? null,
    maxRssKb: r?.maxRssKb ?? null,
    exitCode: r?.how === 'exited' ? r.code : null,
    signal: r && r.signal > 0 ? r.signal : null,
    stderrTail: tail(m.stderr, status === 'ok' ? 3 : 10),
    elapsed: (performance.now() - t0) / 1000,
  };
}

const fmtCi = (e: RatioEstimate | null) =>
  e?.ratio == null ? '–' : `${e.ratio.toFixed(3)}×${e.ci ? ` [${e.ci[0].toFixed(3)}–${e.ci[1].toFixed(3)}]` : ''}`;

/** The verdict from the fresh interleaved rounds of the default and the winner. */
export function judge(
  trials: readonly Trial[],
  rules: ScoreRules,
  rounds: number,
  winner: string,
  describe: string,
  unit: string,
): Omit<TuneVerdict, 'overrides'> {
  const series = (id: string, pick: (t: Trial) => number | null) => {
    const out: (number | null)[] = Array.from({ length: rounds }, () => null);
    for (const t of trials)
      if (t.phase === 'verdict' && t.candidate === id && t.status === 'ok') out[t.round! - 1] = pick(t);
    return out;
  };
  const score = (t: Trial) => scoreOf(t.metric, rules.lowerIsBetter);
  const rssOf = (t: Trial) => t.maxRssKb;
  const speed = pairedRatioEstimate(series(winner, score), series(CONTROL, score));
  const rss = pairedRatioEstimate(series(winner, rssOf), series(CONTROL, rssOf));
  const memory = rules.objective === 'rss' ? pairedRatioEstimate(series(CONTROL, rssOf), series(winner, rssOf)) : null;
  const bad = trials.filter((t) => t.phase === 'verdict' && t.status !== 'ok');
  const base = { winner, rounds, speed, rss, memory, failures: bad.length };
  const none = (why: string) => ({
    ...base,
    result: 'none found' as const,
    summary: `no better configuration was found: ${why}`,
  });
  const winnerBad = bad.find((t) => t.candidate === winner);
  if (winnerBad)
    return none(
      `the best candidate (${describe}) ${failureReason(winnerBad)} in the verdict's runs; nothing that fails is a result`,
    );
  const over = `over ${speed.n} interleaved rounds`;
  if (rules.objective === 'speed') {
    if (!speed.ci || speed.ci[0] <= 1)
      return none(
        `the best candidate (${describe}) measured ${fmtCi(speed)} the default's ${unit} ${over}; the 95 % interval does not lie wholly above 1.0`,
      );
    if (rules.maxRss != null && rss.ratio != null && rss.ratio > rules.maxRss)
      return none(
        `the best candidate (${describe}) is faster (${fmtCi(speed)}) but its peak RSS is ${fmtCi(rss)} the default's, above --max-rss ${rules.maxRss}`,
      );
    return {
      ...base,
      result: 'better',
      summary: `${describe} is ${fmtCi(speed)} the default's ${unit} ${over} (95 % interval wholly above 1.0); peak RSS ${fmtCi(rss)} the default's`,
    };
  }
  if (!memory?.ci || memory.ci[0] <= 1)
    return none(
      `the best candidate (${describe}) held ${fmtCi(rss)} the default's peak RSS ${over} (the default's over its: ${fmtCi(memory)}); the interval does not lie wholly above 1.0`,
    );
  if (speed.ratio == null || speed.ratio < rules.minSpeed)
    return none(
      `the best candidate (${describe}) holds less memory but runs at ${fmtCi(speed)} the default's ${unit}, below --min-speed ${rules.minSpeed}`,
    );
  return {
    ...base,
    result: 'better',
    summary: `${describe} holds ${fmtCi(rss)} the default's peak RSS ${over} (the default's over its: ${fmtCi(memory)}, wholly above 1.0) at ${fmtCi(speed)} its ${unit} (--min-speed ${rules.minSpeed})`,
  };
}

/** Runs the winner and the default on other workloads of the matrix, interleaved; where it is worse. */
export async function checkOthers(o: {
  workloads: readonly WorkloadSpec[];
  runs: number;
  control: Allocator;
  winner: Allocator;
  binDir: string;
  timeoutSeconds: number;
  log: (line: string) => void;
  onRun?: (r: RunRecord) => void;
}): Promise<{ others: OtherWorkload[]; runs: RunRecord[] }> {
  const plan = planRounds({ runs: o.runs });
  const workloads = o.workloads.map((w) => ({ name: w.name, args: w.full, rounds: roundsFor(w, plan) }));
  o.log(
    `tune: checking the winner on ${workloads.length} other workload(s): ${workloads.map((w) => `${w.name} (${w.rounds})`).join(', ')}`,
  );
  const runs = await runRounds({
    binDir: o.binDir,
    workloads,
    allocators: [o.control, o.winner],
    rounds: plan.single,
    timeoutSeconds: o.timeoutSeconds,
    onDone: (_e, r) => o.onRun?.(r),
  });
  const others = workloads.map((w): OtherWorkload => {
    const rssByRound = (a: string) => {
      const out: (number | null)[] = Array.from({ length: w.rounds }, () => null);
      for (const r of runs)
        if (r.workload === w.name && r.allocator === a && r.status === 'ok') out[r.round - 1] = r.maxRssKb;
      return out;
    };
    const speed = pairedRatioEstimate(
      mopsByRound(runs, w.name, o.winner.name, w.rounds),
      mopsByRound(runs, w.name, o.control.name, w.rounds),
    );
    const rss = pairedRatioEstimate(rssByRound(o.winner.name), rssByRound(o.control.name));
    const effect = !speed.ci ? null : speed.ci[1] < 1 ? 'slower' : speed.ci[0] > 1 ? 'faster' : 'same';
    const moved = rss.ratio != null && Math.abs(rss.ratio - 1) > 0.01;
    const memoryEffect = !rss.ci ? null : moved && rss.ci[0] > 1 ? 'more' : moved && rss.ci[1] < 1 ? 'less' : 'same';
    return {
      workload: w.name,
      rounds: w.rounds,
      speed,
      rss,
      effect,
      memoryEffect,
      failures: runs.filter((r) => r.workload === w.name && r.status !== 'ok').length,
    };
  });
  return { others, runs };
}

/** A candidate's or the control's run-time environment, without any HAKMEM_* the tool was started with. */
function scrubbedEnvironment(log: (l: string) => void): () => void {
  const saved: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('HAKMEM_') && v !== undefined) {
      saved[k] = v;
      delete process.env[k];
    }
  const names = Object.keys(saved);
  if (names.length)
    log(
      `tune: leaving out ${names.join(', ')} from the environment: the control is the build's configuration, the candidates set their own`,
    );
  return () => Object.assign(process.env, saved);
}

export interface TuneRun {
  results: TuneResults;
  /** The trials of --check-others (as bench records runs). */
  checkRuns: RunRecord[];
  candidates: Candidate[];
}

/** The whole tune, up to the results (tune-report.ts writes them). */
export async function runTune(o: TuneOptions): Promise<TuneRun> {
  const { target } = tuneTarget(o);
  if (o.verdictRounds < MIN_VERDICT_ROUNDS)
    throw new UsageError(`--verdict-rounds ${o.verdictRounds}: the verdict needs at least ${MIN_VERDICT_ROUNDS}`);
  if (o.objective === 'rss' && o.maxRss !== undefined)
    throw new UsageError('--max-rss bounds memory while maximising speed; with --objective rss use --min-speed');
  const name = o.name ?? defaultName(target);
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new UsageError(`--name ${name}: letters, digits, '.', '_' and '-' only (it names the profile's files)`);
  if (!fs.existsSync(o.lib)) throw new UsageError(`${o.lib} is not built; run npm run build, or pass --lib`);
  const info = hakmemBuildInfos([{ name: 'lib', preload: o.lib }]).lib;
  if (info?.mode === 'fast')
    throw new UsageError(
      `${o.lib} is a FAST build, which reads no environment; tune a Standard (or OBSERVE) library (dist/native/lib/libhakmem.so)`,
    );
  const others = o.checkOthers
    ? presentWorkloads(
        selectWorkloads(typeof o.checkOthers === 'string' ? o.checkOthers : undefined).filter(
          (w) => w.name !== target.label,
        ),
        o.log,
      )
    : null;
  if (others && others.length === 0) throw new UsageError('--check-others: no other workload to check');

  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  const restore = scrubbedEnvironment(o.log);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-tune-'));
  try {
    const decls = await declarations();
    const project = await projectConfig();
    const controlValidated = await checkConfig('hakmem.config.ts', project);
    const controlValues = controlValidated.effective.get(controlValidated.profile)!;
    const controlConfigHash = configHash(controlValidated.profile, controlValues);
    const space = searchSpace(decls, controlValues, { knobs: o.knobs, buildKnobs: o.buildKnobs, log: o.log });
    if (space.length === 0) throw new UsageError('nothing to search: the knobs named have no other values to try');
    const rules: ScoreRules = {
      objective: o.objective,
      lowerIsBetter: target.metric.lowerIsBetter,
      maxRss: o.maxRss ?? null,
      minSpeed: o.minSpeed,
    };
    o.log(
      `tune: ${target.kind} ${target.label}; objective ${o.objective === 'speed' ? `speed (${target.metric.unit})` : `peak RSS within --min-speed ${o.minSpeed}`}; budget ${Math.round(o.budgetSeconds)} s; ${space.length} knob(s): ${space.map((k) => k.path).join(', ')}`,
    );

    // the libraries: the Standard build, or a build of each configuration when build-time knobs are searched
    const buildTime = space.some((k) => k.scope === 'const');
    let controlLib = o.lib;
    let secondsPerBuild: number | null = null;
    if (buildTime) {
      const b0 = Date.now();
      controlLib = (
        await buildVariant('default', project, fs.mkdtempSync(path.join(tmp, 'default-')), o.log, 'standard')
      ).lib;
      secondsPerBuild = (Date.now() - b0) / 1000;
    }
    const libs = new Map<string, string>();
    const byId = new Map<string, Candidate>();
    const allocatorOf = (id: string): Allocator =>
      id === CONTROL
        ? { name: CONTROL, preload: controlLib, env: {} }
        : { name: id, preload: libs.get(id) ?? o.lib, env: byId.get(id)!.env };

    // calibration: the default twice; it must work, and its runs time the plan
    const trials: Trial[] = [];
    const record = (t: Omit<Trial, 'index' | 'at'>): Trial => {
      const full = { ...t, index: trials.length, at: elapsed() } as Trial;
      trials.push(full);
      return full;
    };
    const runTimes: number[] = [];
    const calib: Outcome[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await runTargetOnce(target, o.binDir, allocatorOf(CONTROL), o.timeoutSeconds);
      runTimes.push(r.elapsed);
      calib.push(r);
      record({
        phase: 'calibrate',
        rung: null,
        pass: null,
        round: i + 1,
        workload: target.label,
        candidate: CONTROL,
        ...pickOutcome(r),
      });
      if (r.status !== 'ok') {
        const what =
          r.status === 'malformed'
            ? target.metric.source === 'regex'
              ? `printed no metric (--metric /${target.metric.regex}/ matched no positive number in its output)`
              : 'printed no result line'
            : failureReason(r);
        throw new UsageError(
          `the default configuration ${what}; nothing to tune against${r.stderrTail ? `:\n${r.stderrTail}` : ''}`,
        );
      }
    }
    const timeoutSeconds = Math.min(o.timeoutSeconds, Math.max(10, 5 * Math.max(...calib.map((r) => r.elapsed))));
    const secondsPerRun = () => runTimes.reduce((s, x) => s + x, 0) / runTimes.length;
    const verdictSeconds = () => 2 * o.verdictRounds * secondsPerRun();
    const searchLeft = () => o.budgetSeconds - elapsed() - verdictSeconds();

    // the plan, then candidates drawn for it (fewer when the space holds fewer valid ones)
    const spaceSize = space.reduce((n, k) => Math.min(1e6, n * (k.values.length + 1)), 1) - 1;
    const plan0 = planSearch({
      seconds: searchLeft(),
      secondsPerRun: secondsPerRun(),
      secondsPerBuild: secondsPerBuild ?? 0,
      maxCandidates: spaceSize,
    });
    if (!plan0) {
      const need = elapsed() + verdictSeconds() + 4 * secondsPerRun() + (secondsPerBuild ?? 0);
      throw new UsageError(
        `--budget ${Math.round(o.budgetSeconds)} s is too small: a run takes ${secondsPerRun().toFixed(2)} s and the verdict alone needs ${2 * o.verdictRounds} runs; give at least ${Math.ceil(need)} s (or a shorter workload, e.g. ${target.kind === 'workload' ? `${target.label.split(':')[0]}:seconds=1 or :iters=...` : 'a smaller input'})`,
      );
    }
    const drawn = await drawCandidates(decls, project, space, { count: plan0.candidates, seed: o.seed });
    if (drawn.candidates.length === 0)
      throw new UsageError(
        `codegen refused every candidate drawn (${drawn.refused.length}): ${drawn.refused[0]?.problems[0] ?? 'none drawn'}`,
      );
    const plan =
      drawn.candidates.length === plan0.candidates
        ? plan0
        : planSearch({
            seconds: searchLeft(),
            secondsPerRun: secondsPerRun(),
            secondsPerBuild: secondsPerBuild ?? 0,
            maxCandidates: drawn.candidates.length,
          })!;
    const candidates = drawn.candidates.slice(0, plan.candidates);
    for (const c of candidates) byId.set(c.id, c);
    o.log(
      `tune: ${candidates.length} candidate(s) (${drawn.refused.length} refused by codegen before running), ${plan.rungs.length} rung(s): ${plan.rungs.map((r) => `${r.candidates} x ${r.passes}`).join(', ')}; about ${Math.round(plan.seconds)} s of search and ${Math.round(verdictSeconds())} s of verdict (a run takes ${secondsPerRun().toFixed(2)} s)`,
    );

    const builds = new Map<string, string>();
    const search = await runSearch({
      ids: candidates.map((c) => c.id),
      plan,
      rules,
      seed: o.seed,
      timeoutSeconds,
      workload: target.label,
      secondsLeft: searchLeft,
      secondsPerRun,
      record,
      log: o.log,
      run: async (ids, timeout) => {
        const out: Outcome[] = [];
        for (const id of ids) {
          const r = await runTargetOnce(target, o.binDir, allocatorOf(id), timeout);
          runTimes.push(r.elapsed);
          out.push(r);
        }
        return out;
      },
      prepare: buildTime
        ? async (id) => {
            const c = byId.get(id)!;
            const key = JSON.stringify(c.settings.filter((s) => s.scope === 'const'));
            let lib = c.buildTime ? builds.get(key) : controlLib; // run-time knobs alone: the control's build
            if (!lib) {
              lib = (await buildVariant(id, c.config, fs.mkdtempSync(path.join(tmp, `${id}-`)), o.log, 'standard')).lib;
              builds.set(key, lib);
            }
            libs.set(id, lib);
          }
        : undefined,
    });
    if (search.cutShort) o.log(`tune: the search was cut short: ${search.cutShort}`);

    // the verdict: the best candidate against the default in fresh interleaved rounds
    let verdict: TuneVerdict;
    if (!search.best) {
      const count = (state: string) => search.standings.filter((s) => s.state === state).length;
      verdict = {
        result: 'none found',
        summary: `no better configuration was found: no candidate finished the search (${count('failed')} failed, ${count('rejected')} rejected, ${drawn.refused.length} refused by codegen)`,
        winner: null,
        overrides: null,
        rounds: 0,
        speed: null,
        rss: null,
        memory: null,
        failures: 0,
      };
    } else {
      const w = byId.get(search.best)!;
      const describe = describeOverrides(w.overrides);
      o.log(`tune: verdict: ${describe} against the default, ${o.verdictRounds} interleaved rounds`);
      for (let round = 1; round <= o.verdictRounds; round++) {
        for (const id of [CONTROL, w.id]) {
          const r = await runTargetOnce(target, o.binDir, allocatorOf(id), timeoutSeconds);
          record({
            phase: 'verdict',
            rung: null,
            pass: null,
            round,
            workload: target.label,
            candidate: id,
            ...pickOutcome(r),
          });
        }
      }
      verdict = {
        ...judge(trials, rules, o.verdictRounds, w.id, describe, target.metric.unit),
        overrides: w.overrides,
      };
    }
    o.log(`tune: ${verdict.result === 'better' ? 'better: ' : ''}${verdict.summary}`);

    // the winner on the rest of the matrix
    let otherResults: OtherWorkload[] | null = null;
    let checkRuns: RunRecord[] = [];
    if (others && verdict.result === 'better') {
      const c = await checkOthers({
        workloads: others,
        runs: o.checkRuns,
        control: allocatorOf(CONTROL),
        winner: { ...allocatorOf(verdict.winner!), name: 'winner' },
        binDir: o.binDir,
        timeoutSeconds: o.timeoutSeconds,
        log: o.log,
        onRun: (r) => record(checkTrial(r)),
      });
      otherResults = c.others;
      checkRuns = c.runs;
    } else if (others) {
      o.log('tune: --check-others: nothing to check, no better configuration was found');
    }

    const context = await collectContext([{ name: 'default', preload: o.lib }]);
    const results: TuneResults = {
      schema: TUNE_SCHEMA,
      context,
      config: {
        target,
        name,
        objective: o.objective,
        maxRss: o.maxRss ?? null,
        minSpeed: o.objective === 'rss' ? o.minSpeed : null,
        budgetSeconds: o.budgetSeconds,
        seed: o.seed,
        verdictRounds: o.verdictRounds,
        library: o.lib,
        controlConfigHash,
        space,
        timeoutSeconds,
      },
      plan: { ...plan, secondsPerRun: calib.reduce((t, r) => t + r.elapsed, 0) / calib.length, secondsPerBuild },
      candidates: candidates.map((c) => {
        const s = search.standings.find((x) => x.id === c.id)!;
        return {
          id: c.id,
          overrides: c.overrides,
          env: c.env,
          configHash: c.configHash,
          buildTime: c.buildTime,
          state: c.id === verdict.winner ? (verdict.result === 'better' ? 'winner' : 'best') : s.state,
          reason: s.reason ?? null,
          rung: s.rung,
          speed: s.speed,
          rss: s.rss,
          score: s.score,
          n: s.n,
        };
      }),
      refused: drawn.refused,
      rungs: search.rungs,
      cutShort: search.cutShort,
      trials,
      verdict,
      others: otherResults,
      outputs: { env: null, profile: null, profileLine: null, config: null, fragment: null, configProblems: null },
      elapsedSeconds: elapsed(),
    };
    return { results, checkRuns, candidates };
  } finally {
    restore();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function pickOutcome(r: Outcome): Omit<Outcome, 'elapsed'> {
  const { elapsed: _e, ...rest } = r;
  return rest;
}

function checkTrial(r: RunRecord): Omit<Trial, 'index' | 'at'> {
  return {
    phase: 'check',
    rung: null,
    pass: null,
    round: r.round,
    workload: r.workload,
    candidate: r.allocator,
    status: r.status,
    metric: r.result?.mops ?? null,
    wallSeconds: r.wallSeconds,
    maxRssKb: r.maxRssKb,
    exitCode: r.exitCode,
    signal: r.signal,
    stderrTail: r.stderrTail,
  };
}
