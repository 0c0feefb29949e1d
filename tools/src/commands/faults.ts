/**
 * `npm run faults` / `hakmem faults`: failure injection after SQLite's out-of-memory tests
 * (issue 29). For each allocator (hakmem's three builds by default; the peers on request) and
 * each scenario of native/test/os-faults/faults.c, a baseline run under faultinj.so counts the calls the
 * scenario makes (mmap, mremap, munmap, madvise; pthread_setspecific of keys >= 32), then one
 * run per failure point:
 *
 *   - nth:   each of those calls fails once in turn (`SITE:nth=N`, every N from 1 to the count);
 *   - after: every mmap after the first K fails (`mmap:after=K`, every K): memory runs out;
 *   - prob:  each memory call fails with probability 0.05 (`mem:prob=0.05:seed=S`).
 *
 * Each run must end as the baseline does: exit 0 (no crash, no hang within the timeout, no
 * broken contract: the program checks that every NULL comes with ENOMEM, a success leaves errno
 * alone, every block keeps its pattern, a failed realloc leaves the block intact), and after
 * everything is freed and malloc_trim(0) ran, the resident set within `rssSlackKb` of the
 * baseline's and (nth and after runs) the address space within `vmSlackKb`. A prob run may fail
 * a munmap and its retry at malloc_trim both, so its address space is reported, not bounded.
 * `--sample N` runs N failure points per scenario and build, spread over the sweep (CI).
 */
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { markdownTable } from 'markdown-table';
import { finiteNumber, parseKeyValues } from '@hakmem/parse-output';
import { findPeer } from '../bench/find-allocators.ts';
import { defaultLibDir, distDir, repoRoot } from '../paths.ts';

export const FAULT_SCENARIOS = ['threads', 'large', 'aligned', 'realloc', 'exit', 'purge'] as const;
export type FaultScenario = (typeof FAULT_SCENARIOS)[number];
export const FAULT_SITES = ['mmap', 'mremap', 'munmap', 'madvise', 'setspecific'] as const;
export type FaultSite = (typeof FAULT_SITES)[number];
export type CallCounts = Record<FaultSite, number>;
export type FaultKind = 'nth' | 'after' | 'prob';

export const TESTS_DIR = path.join(distDir, 'native', 'tests');
export const FAULTINJ_SO = path.join(TESTS_DIR, 'faultinj.so');
export const FAULTS_BIN = path.join(TESTS_DIR, 'faults');

/** The bounds after a failed run, against the baseline run of the same scenario and allocator. */
export const DEFAULT_BOUNDS = { rssSlackKb: 4 * 1024, vmSlackKb: 8 * 1024 };
export type Bounds = typeof DEFAULT_BOUNDS;

/** Environment every run gets: a short purge delay, so that the purge scenario purges. */
export const SCENARIO_ENV: Record<string, string> = { HAKMEM_PURGE_DELAY_MS: '10' };

export interface FaultTarget {
  name: string;
  /** the allocator library; undefined = glibc */
  lib: string | undefined;
}

export const HAKMEM_TARGETS = ['hakmem-fast', 'hakmem', 'hakmem-observe'] as const;
export const PEER_TARGETS = ['glibc', 'mimalloc', 'jemalloc', 'tcmalloc'] as const;

export class FaultsUsageError extends Error {}

/** Names to targets: hakmem's builds from libDir, glibc, the Debian peers (a missing one is an error). */
export function resolveFaultTargets(names: readonly string[], libDir = defaultLibDir): FaultTarget[] {
  const files: Record<string, string> = {
    'hakmem-fast': 'libhakmem-fast.so',
    hakmem: 'libhakmem.so',
    'hakmem-observe': 'libhakmem-observe.so',
  };
  return names.map((name) => {
    if (name === 'glibc') return { name, lib: undefined };
    if (files[name]) return { name, lib: path.join(libDir, files[name]) };
    if ((PEER_TARGETS as readonly string[]).includes(name)) {
      const lib = findPeer(name);
      if (!lib) throw new FaultsUsageError(`${name} is not installed (npm run peers installs the Debian peers)`);
      return { name, lib };
    }
    throw new FaultsUsageError(
      `unknown allocator '${name}' (allowed: ${[...HAKMEM_TARGETS, ...PEER_TARGETS].join(', ')})`,
    );
  });
}

/** The counts of faultinj.so's exit line (`faultinj calls mmap=.. ... failed ...`), or null. */
export function parseFaultinjLog(text: string): CallCounts | null {
  const line = text
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('faultinj calls '));
  if (!line) return null;
  const calls = line.slice('faultinj calls '.length).split(' failed ')[0]!.trim().split(/\s+/);
  const kv = parseKeyValues(calls);
  if (!kv) return null;
  const out = {} as CallCounts;
  for (const s of FAULT_SITES) {
    const n = finiteNumber(kv[s]);
    if (n === null) return null;
    out[s] = n;
  }
  return out;
}

export interface ScenarioLine {
  nulls: number;
  vmKb: number;
  rssKb: number;
}

/** The program's `faults: scenario=S nulls=N vm_kb=V rss_kb=R` line, or null. */
export function parseScenarioLine(stdout: string): ScenarioLine | null {
  const line = stdout.split('\n').find((l) => l.startsWith('faults: scenario='));
  const kv = line ? parseKeyValues(line.slice('faults: '.length).trim().split(/\s+/)) : null;
  const nulls = finiteNumber(kv?.nulls),
    vmKb = finiteNumber(kv?.vm_kb),
    rssKb = finiteNumber(kv?.rss_kb);
  return nulls === null || vmKb === null || rssKb === null ? null : { nulls, vmKb, rssKb };
}

export interface FaultCase {
  kind: FaultKind;
  /** the FAULTINJ value */
  rule: string;
}

/** Every failure point of a scenario that made `counts` calls: nth of each site, after, prob. */
export function planFaultCases(counts: CallCounts, opts: { probRuns?: number; kinds?: readonly FaultKind[] } = {}) {
  const kinds = opts.kinds ?? ['nth', 'after', 'prob'];
  const cases: FaultCase[] = [];
  if (kinds.includes('nth'))
    for (const site of FAULT_SITES)
      for (let n = 1; n <= counts[site]; n++) cases.push({ kind: 'nth', rule: `${site}:nth=${n}` });
  if (kinds.includes('after'))
    for (let k = 0; k < counts.mmap; k++) cases.push({ kind: 'after', rule: `mmap:after=${k}` });
  if (kinds.includes('prob'))
    for (let s = 1; s <= (opts.probRuns ?? 8); s++) cases.push({ kind: 'prob', rule: `mem:prob=0.05:seed=${s}` });
  return cases;
}

/** n cases spread evenly over the list (the first and the last included), in order. */
export function sampleCases<T>(cases: readonly T[], n: number): T[] {
  if (n >= cases.length) return [...cases];
  if (n <= 0) return [];
  if (n === 1) return [cases[0]!];
  const picked = new Set<number>();
  for (let i = 0; i < n; i++) picked.add(Math.round((i * (cases.length - 1)) / (n - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => cases[i]!);
}

export type FaultStatus = 'ok' | 'crashed' | 'hung' | 'broken-contract' | 'leaked' | 'no-result';

export interface FaultRun {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface FaultVerdict {
  status: FaultStatus;
  detail: string;
  line: ScenarioLine | null;
}

/** How one run ended against the baseline's line and the bounds. */
export function judgeFaultRun(run: FaultRun, kind: FaultKind, baseline: ScenarioLine, bounds: Bounds): FaultVerdict {
  const line = parseScenarioLine(run.stdout);
  const firstFail = () =>
    run.stderr
      .split('\n')
      .filter((l) => /FAIL|FATAL|hakmem:/.test(l))
      .slice(0, 2)
      .join(' | ');
  if (run.timedOut) return { status: 'hung', detail: 'timed out', line };
  if (run.signal) return { status: 'crashed', detail: `killed by ${run.signal} ${firstFail()}`.trim(), line };
  if (run.exitCode === 3) return { status: 'hung', detail: 'watchdog expired', line };
  if (run.exitCode !== 0) return { status: 'broken-contract', detail: `exit ${run.exitCode}: ${firstFail()}`, line };
  if (!line) return { status: 'no-result', detail: 'no `faults:` line', line };
  const rss = line.rssKb - baseline.rssKb;
  const vm = line.vmKb - baseline.vmKb;
  if (rss > bounds.rssSlackKb)
    return { status: 'leaked', detail: `RSS ${line.rssKb} kB, baseline ${baseline.rssKb} kB (+${rss})`, line };
  if (kind !== 'prob' && vm > bounds.vmSlackKb)
    return { status: 'leaked', detail: `VmSize ${line.vmKb} kB, baseline ${baseline.vmKb} kB (+${vm})`, line };
  return { status: 'ok', detail: '', line };
}

export interface FaultResult extends FaultCase {
  target: string;
  scenario: FaultScenario;
  status: FaultStatus;
  detail: string;
  nulls: number | null;
  rssDeltaKb: number | null;
  vmDeltaKb: number | null;
  command: string;
}

export interface FaultSweepOptions {
  targets: FaultTarget[];
  scenarios?: readonly FaultScenario[];
  kinds?: readonly FaultKind[];
  /** failure points per scenario and target (spread over the sweep); undefined = all */
  sample?: number;
  probRuns?: number;
  bounds?: Bounds;
  timeoutSeconds?: number;
  jobs?: number;
  log?: (line: string) => void;
}

export interface FaultSweepReport {
  results: FaultResult[];
  baselines: { target: string; scenario: FaultScenario; counts: CallCounts; line: ScenarioLine }[];
  bounds: Bounds;
  seconds: number;
}

function preloadOf(t: FaultTarget): string {
  return t.lib ? `${FAULTINJ_SO} ${t.lib}` : FAULTINJ_SO;
}

function commandOf(t: FaultTarget, scenario: string, rule: string | null): string {
  const rel = (p: string) => (p.startsWith(`${repoRoot}${path.sep}`) ? path.relative(repoRoot, p) : p);
  const preload = t.lib ? `${rel(FAULTINJ_SO)} ${rel(t.lib)}` : rel(FAULTINJ_SO);
  const env = Object.entries(SCENARIO_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${rule ? `FAULTINJ=${rule} ` : ''}${env} LD_PRELOAD="${preload}" ${rel(FAULTS_BIN)} scenario=${scenario}`;
}

async function runOnce(t: FaultTarget, scenario: string, env: Record<string, string>, timeoutSeconds: number) {
  const r = await execa(FAULTS_BIN, [`scenario=${scenario}`], {
    env: { ...SCENARIO_ENV, ...env, LD_PRELOAD: preloadOf(t) },
    extendEnv: true,
    reject: false,
    timeout: timeoutSeconds * 1000,
    cwd: repoRoot,
  });
  return {
    exitCode: r.exitCode,
    signal: r.signal ?? undefined,
    timedOut: Boolean(r.timedOut),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
  };
}

/** Runs `tasks` with at most `jobs` at a time, in order of start. */
async function pool<T>(tasks: (() => Promise<T>)[], jobs: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return out;
}

/** The sweep: a baseline per target and scenario, then every (or a sample of) failure point. */
export async function runFaultSweep(o: FaultSweepOptions): Promise<FaultSweepReport> {
  for (const f of [FAULTINJ_SO, FAULTS_BIN, ...o.targets.flatMap((t) => (t.lib ? [t.lib] : []))])
    if (!fs.existsSync(f)) throw new FaultsUsageError(`missing ${path.relative(repoRoot, f)}: run npm run build first`);
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const bounds = o.bounds ?? DEFAULT_BOUNDS;
  const timeout = o.timeoutSeconds ?? 60;
  const scenarios = o.scenarios ?? FAULT_SCENARIOS;
  const results: FaultResult[] = [];
  const baselines: FaultSweepReport['baselines'] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-faults-'));
  try {
    for (const t of o.targets) {
      for (const scenario of scenarios) {
        const logFile = path.join(tmp, `${t.name}-${scenario}.log`);
        const base = await runOnce(t, scenario, { FAULTINJ_LOG: logFile }, timeout);
        const line = parseScenarioLine(base.stdout);
        const counts = fs.existsSync(logFile) ? parseFaultinjLog(fs.readFileSync(logFile, 'utf8')) : null;
        if (base.exitCode !== 0 || !line || !counts) {
          const v = judgeFaultRun(base, 'nth', line ?? { nulls: 0, vmKb: 0, rssKb: 0 }, bounds);
          results.push({
            kind: 'nth',
            rule: '(none: the baseline)',
            target: t.name,
            scenario,
            status: v.status === 'ok' ? 'no-result' : v.status,
            detail: `baseline run failed: ${v.detail || 'no faultinj log'}`,
            nulls: null,
            rssDeltaKb: null,
            vmDeltaKb: null,
            command: commandOf(t, scenario, null),
          });
          log(`${t.name} ${scenario}: the baseline run failed: ${v.detail}`);
          continue;
        }
        baselines.push({ target: t.name, scenario, counts, line });
        // a little past the counts: a failure may make the allocator call again (a retry, a fallback)
        const padded = { ...counts };
        for (const s of FAULT_SITES) if (padded[s] > 0) padded[s] += 2;
        let cases = planFaultCases(padded, { kinds: o.kinds, probRuns: o.probRuns });
        if (o.sample !== undefined) cases = sampleCases(cases, o.sample);
        const verdicts = await pool(
          cases.map((c) => async () => {
            const r = await runOnce(t, scenario, { FAULTINJ: c.rule }, timeout);
            return { c, v: judgeFaultRun(r, c.kind, line, bounds) };
          }),
          o.jobs ?? 2,
        );
        let bad = 0;
        for (const { c, v } of verdicts) {
          results.push({
            ...c,
            target: t.name,
            scenario,
            status: v.status,
            detail: v.detail,
            nulls: v.line?.nulls ?? null,
            rssDeltaKb: v.line ? v.line.rssKb - line.rssKb : null,
            vmDeltaKb: v.line ? v.line.vmKb - line.vmKb : null,
            command: commandOf(t, scenario, c.rule),
          });
          if (v.status !== 'ok') {
            bad++;
            log(
              `FAIL ${t.name} ${scenario} ${c.rule}: ${v.status} ${v.detail}\n  replay: ${commandOf(t, scenario, c.rule)}`,
            );
          }
        }
        const callsText = FAULT_SITES.map((s) => `${s} ${counts[s]}`).join(', ');
        log(`${t.name} ${scenario}: ${cases.length} failure points (calls: ${callsText}), ${bad} failed`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { results, baselines, bounds, seconds: (performance.now() - t0) / 1000 };
}

/** One row per target: failure points, how each ended, NULLs handed out, the worst memory left. */
export function summarizeFaults(report: FaultSweepReport): string {
  const targets = [...new Set(report.results.map((r) => r.target))];
  const rows = targets.map((t) => {
    const rs = report.results.filter((r) => r.target === t);
    const count = (s: FaultStatus) => rs.filter((r) => r.status === s).length;
    const max = (xs: (number | null)[]) => Math.max(0, ...xs.filter((x): x is number => x !== null));
    const bounded = rs.filter((r) => r.kind !== 'prob');
    return [
      t,
      String(rs.length),
      String(count('ok')),
      String(count('crashed')),
      String(count('hung')),
      String(count('broken-contract')),
      String(count('leaked') + count('no-result')),
      String(rs.filter((r) => (r.nulls ?? 0) > 0).length),
      (max(rs.map((r) => r.rssDeltaKb)) / 1024).toFixed(1),
      (max(bounded.map((r) => r.vmDeltaKb)) / 1024).toFixed(1),
    ];
  });
  const head = [
    'allocator',
    'failure points',
    'ok',
    'crashed',
    'hung',
    'broken contract',
    'leaked',
    'runs with a NULL',
    'max RSS left MiB',
    'max VmSize left MiB (nth, after)',
  ];
  return markdownTable([head, ...rows], { align: ['l', ...head.slice(1).map(() => 'r' as const)] });
}
