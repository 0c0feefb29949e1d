// hakmem tune: the space (every candidate inside its knob's range, codegen's invariants kept,
// refused ones never run), the plan and the scoring, then real tunes on small budgets: commands
// run under the real Standard library with planted knob effects (a score that reads
// HAKMEM_SUPERSLAB_POOL_LIMIT, a memory use that does), a command that crashes or prints no
// metric, a planted no-op knob (env.onInvalid, which only acts on a detected misuse, on the
// tiny_hot program whose operation count is the metric: exactly the same under any value), a
// workload by name, and the outputs: the profile file loaded by the library, the
// hakmem.config.ts type-checked by the TypeScript compiler, tune.json against its schema.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Knob } from '@hakmem/box-kit';
import { checkValues, effectiveFor, knobIndex, loadBoxes, parseConfig, validate } from '@hakmem/codegen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectConfig } from '../bench/knobs.ts';
import { defaultBinDir, defaultLibDir, repoRoot } from '../paths.ts';
import { parseDuration, metricIn, runTune, tuneTarget, type TuneOptions, type TuneResults } from './tune.ts';
import { validateTuneResults, writeTune, configFragment, oneLine } from './tune-report.ts';
import {
  bracketRatios,
  CONTROL,
  CONTROL_EVERY,
  planSearch,
  rungsFor,
  runsOf,
  standingOf,
  type Trial,
} from './tune-search.ts';
import { drawCandidates, EXCLUDED_BY_DEFAULT, numericGrid, searchSpace } from './tune-space.ts';
import { UsageError } from '../bench/workloads.ts';

const LIB = path.join(defaultLibDir, 'libhakmem.so');
const CLI = path.join(repoRoot, 'tools', 'bin', 'hakmem.mjs');

const candidatesWith = (
  cs: readonly { overrides: Record<string, unknown>; config: Record<string, unknown> }[],
  batch: number,
) => cs.find((c) => c.overrides['unifiedCache.refillBatch'] === batch);

async function controlValues() {
  const decls = await loadBoxes();
  const project = await projectConfig();
  const v = validate(decls, parseConfig(project, decls, 'hakmem.config.ts'));
  return { decls, project, base: v.effective.get(v.profile)! };
}

function inRange(knob: Knob, value: unknown): boolean {
  switch (knob.kind) {
    case 'bool':
      return typeof value === 'boolean';
    case 'enum':
      return knob.values.includes(value as string);
    case 'int':
    case 'bytes':
      return Number.isInteger(value) && (value as number) >= knob.min && (value as number) <= knob.max;
    default:
      return false;
  }
}

describe('the search space', () => {
  it('is every run-time knob by default (not the diagnostic ones, nor env.onInvalid), each value inside its range', async () => {
    const { decls, base } = await controlValues();
    const index = knobIndex(decls);
    const space = searchSpace(decls, base);
    const expected = [...index.entries()]
      .filter(([p, k]) => k.scope === 'env' && !k.diagnostic && !(p in EXCLUDED_BY_DEFAULT))
      .map(([p]) => p)
      .sort();
    expect(space.map((k) => k.path)).toEqual(expected);
    for (const k of space) {
      const knob = index.get(k.path)!;
      expect(k.scope).toBe('env');
      expect(k.base).toEqual(base.get(k.path));
      expect(k.values).not.toContain(k.base);
      for (const v of k.values) expect(inRange(knob, v), `${k.path}=${String(v)}`).toBe(true);
      if (knob.kind === 'enum')
        expect(k.values).toEqual(
          knob.values.filter((v) => v !== k.base && !(k.path === 'env.profile' && v === 'hardened')),
        );
      if (knob.kind === 'bool') expect(k.values).toEqual([!k.base]);
    }
  });

  it('tries byte sizes and counts on a log scale, with off / never and the default neighbours', () => {
    const g = numericGrid(1, 65535, 8192);
    expect(g).not.toContain(8192);
    expect(g).toEqual(expect.arrayContaining([1, 2048, 4096, 16384, 32768, 65535]));
    const positive = g.filter((x) => x > 0);
    expect(positive.length).toBeLessThanOrEqual(16);
    // consecutive grid points (the neighbours of the default aside) are at least twice apart
    const grid = positive.filter((x) => ![2048, 4096, 16384, 32768, 65535].includes(x));
    for (let i = 1; i < grid.length; i++) expect(grid[i]! / grid[i - 1]!).toBeGreaterThanOrEqual(2);
    expect(numericGrid(-1, 3_600_000, 1000)).toEqual(expect.arrayContaining([-1, 0, 250, 500, 2000, 4000, 3_600_000]));
    expect(numericGrid(0, 2, 0)).toEqual([1, 2]);
  });

  it('globs pick knobs; a knob of the wrong scope, a diagnostic one or a glob that matches nothing is refused', async () => {
    const { decls, base } = await controlValues();
    expect(searchSpace(decls, base, { knobs: 'unifiedCache.*,remote.push*' }).map((k) => k.path)).toEqual([
      'remote.pushBatch',
      'unifiedCache.capacity',
      'unifiedCache.depotBytes',
      'unifiedCache.enabled',
      'unifiedCache.maxBytesPerClass',
      'unifiedCache.maxBytesPerThread',
      'unifiedCache.maxBytesTotal',
      'unifiedCache.midCapacity',
      'unifiedCache.midRefillBatch',
      'unifiedCache.refillBatch',
    ]);
    expect(searchSpace(decls, base, { knobs: 'env.*' }).map((k) => k.path)).toEqual([
      'env.profile',
      'env.purgeDelayMs',
    ]);
    expect(searchSpace(decls, base, { knobs: 'env.onInvalid' }).map((k) => k.path)).toEqual(['env.onInvalid']);
    expect(searchSpace(decls, base, { buildKnobs: 'superslab.slabSize' }).map((k) => [k.path, k.scope])).toEqual([
      ['superslab.slabSize', 'const'],
    ]);
    expect(() => searchSpace(decls, base, { knobs: 'superslab.slabSize' })).toThrow(
      '--knobs superslab.slabSize: a build-time knob; name it with --build-knobs',
    );
    expect(() => searchSpace(decls, base, { knobs: 'env.verbose' })).toThrow('cannot change a score');
    expect(() => searchSpace(decls, base, { knobs: 'front.nothing.*' })).toThrow(
      /--knobs front\.nothing\.\* matches no knob it can search; they are: unifiedCache\.enabled, .*large\.cacheEntries/,
    );
  });

  it("draws candidates that codegen's validation accepts; those it refuses carry its words and never run", async () => {
    const { decls, base, project } = await controlValues();
    const index = knobIndex(decls);
    const space = searchSpace(decls, base);
    const { candidates, refused } = await drawCandidates(decls, project, space, { count: 60, seed: 7 });
    expect(candidates.length).toBe(60);
    expect(new Set(candidates.map((c) => JSON.stringify(c.overrides))).size).toBe(60);
    expect(candidates.some((c) => Object.keys(c.overrides).length > 1)).toBe(true);
    for (const c of candidates) {
      for (const [p, v] of Object.entries(c.overrides))
        expect(inRange(index.get(p)!, v), `${p}=${String(v)}`).toBe(true);
      // the ranges and invariants of the configuration in force under its profile: what Standard checks
      const user = parseConfig(c.config, decls, c.id);
      expect(checkValues(decls, effectiveFor(decls, user.profile ?? 'balanced', user)), c.id).toEqual([]);
      expect(Object.keys(c.env).every((e) => e.startsWith('HAKMEM_'))).toBe(true);
    }
    for (const r of refused) expect(r.problems.length).toBeGreaterThan(0);
    // the invariant releaseThreshold (2) < poolLimit refuses the smallest pool limits
    const pool = searchSpace(decls, base, { knobs: 'superslab.poolLimit' });
    const drawn = await drawCandidates(decls, project, pool, { count: 50, seed: 1 });
    const limits = drawn.candidates.map((c) => c.overrides['superslab.poolLimit'] as number);
    expect(Math.min(...limits)).toBe(4);
    const refusedPools = [...drawn.refused].sort(
      (a, b) => (a.overrides['superslab.poolLimit'] as number) - (b.overrides['superslab.poolLimit'] as number),
    );
    expect(refusedPools).toEqual([
      {
        overrides: { 'superslab.poolLimit': 1 },
        problems: ['superslab.releaseThreshold = 2 must be < superslab.poolLimit (1)'],
      },
      {
        overrides: { 'superslab.poolLimit': 2 },
        problems: ['superslab.releaseThreshold = 2 must be < superslab.poolLimit (2)'],
      },
    ]);
    // a run-time candidate is held to its own profile (as the allocator holds it), a build-time one to every profile
    const batch = await drawCandidates(
      decls,
      project,
      searchSpace(decls, base, { knobs: 'unifiedCache.refillBatch' }),
      {
        count: 50,
        seed: 1,
      },
    );
    const batches = batch.candidates.map((c) => c.overrides['unifiedCache.refillBatch'] as number);
    expect(Math.max(...batches)).toBe(4096); // <= capacity (8192) under balanced, though lean's capacity is 32
    expect(() => validate(decls, parseConfig(candidatesWith(batch.candidates, 64)!.config, decls, 't'))).toThrow(
      'profile lean: unifiedCache.refillBatch = 64 must be <= unifiedCache.capacity (32)',
    );
  });
});

describe('the plan and the scores', () => {
  it('successive halving: a third go on, three times the passes, the last rung 9 passes, within the time', () => {
    expect(rungsFor(27, 9)).toEqual([
      { candidates: 27, passes: 1 },
      { candidates: 9, passes: 3 },
      { candidates: 3, passes: 9 },
    ]);
    expect(rungsFor(2, 9)).toEqual([{ candidates: 2, passes: 9 }]);
    const plan = planSearch({ seconds: 600, secondsPerRun: 5, maxCandidates: 1000 })!;
    expect(plan.seconds).toBeLessThanOrEqual(600);
    expect(plan.runs).toBe(runsOf(plan.rungs));
    expect(plan.candidates).toBeGreaterThan(20);
    expect(plan.rungs.at(-1)!.passes).toBe(9);
    // one more candidate would not have fitted
    expect(runsOf(rungsFor(plan.candidates + 1, 9)) * 5).toBeGreaterThan(600);
    expect(planSearch({ seconds: 600, secondsPerRun: 5, maxCandidates: 2 })!.candidates).toBe(2);
    expect(planSearch({ seconds: 3, secondsPerRun: 5, maxCandidates: 100 })).toBeNull();
    // builds are paid per candidate
    const built = planSearch({ seconds: 600, secondsPerRun: 5, secondsPerBuild: 10, maxCandidates: 1000 })!;
    expect(built.candidates).toBeLessThan(plan.candidates);
  });

  it('scores a run against the control runs before and after it; --max-rss and --min-speed reject', () => {
    const t = (candidate: string, metric: number, rss = 1000): Trial => ({
      index: 0,
      phase: 'search',
      rung: 0,
      pass: 1,
      round: null,
      workload: 'w',
      candidate,
      status: 'ok',
      metric,
      wallSeconds: 1,
      maxRssKb: rss,
      exitCode: 0,
      signal: null,
      at: 0,
      stderrTail: '',
    });
    const pass = [t(CONTROL, 100), t('c1', 110, 3000), t('c2', 90), t(CONTROL, 400), t('c3', 200)];
    bracketRatios(pass, { lowerIsBetter: false });
    expect(pass[1]!.ratio).toBeCloseTo(110 / 200); // geometric mean of 100 and 400
    expect(pass[1]!.rssRatio).toBeCloseTo(3);
    expect(pass[4]!.ratio).toBeCloseTo(0.5); // only the control before it
    const speed = { objective: 'speed' as const, lowerIsBetter: false, maxRss: 2, minSpeed: 0.95 };
    expect(standingOf('c1', pass, speed, 0)).toMatchObject({
      state: 'rejected',
      reason: expect.stringMatching(/--max-rss 2/),
    });
    expect(standingOf('c2', pass, speed, 0)).toMatchObject({ state: 'running' });
    expect(standingOf('c2', pass, speed, 0).score).toBeCloseTo(90 / 200);
    const rss = { ...speed, objective: 'rss' as const, maxRss: null };
    expect(standingOf('c3', pass, rss, 0)).toMatchObject({
      state: 'rejected',
      reason: expect.stringMatching(/--min-speed/),
    });
    const lower = [t(CONTROL, 2), t('c1', 1), t(CONTROL, 2)];
    bracketRatios(lower, { lowerIsBetter: true });
    expect(lower[1]!.ratio).toBeCloseTo(2); // half the wall time is twice as good
  });

  it('parses budgets, metrics and targets, and refuses what it cannot do', () => {
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90')).toBe(90);
    expect(() => parseDuration('soon')).toThrow('--budget soon: expected a duration such as 90s, 15m, 1h or 1h30m');
    expect(metricIn('a 1\nrequests per second: 12,345.5\nscore 3\n', 'per second: ([\\d.,]+)')).toBe(12345.5);
    expect(metricIn('nothing', 'score (\\d+)')).toBeNull();
    expect(tuneTarget({ workload: 'larson:threads=16', lower: false }).target).toMatchObject({
      kind: 'workload',
      label: 'larson:threads=16',
      argv: ['threads=16'],
      metric: { source: 'result-line', lowerIsBetter: false },
    });
    // a real program of the matrix, by the same name and variants as bench takes (npm run setup installs them)
    expect(tuneTarget({ workload: 'redis:requests=8000', lower: false }).target).toMatchObject({
      kind: 'workload',
      label: 'redis:requests=8000',
      argv: ['requests=8000'],
    });
    expect(tuneTarget({ command: ['sh', '-c', 'true'], lower: false }).target.metric).toMatchObject({
      source: 'wall-time',
      lowerIsBetter: true,
    });
    expect(() => tuneTarget({ lower: false })).toThrow(UsageError);
    expect(() => tuneTarget({ workload: 'tiny_hot', command: ['x'], lower: false })).toThrow('not both');
    expect(() => tuneTarget({ workload: 'tiny_hot', metric: 'x', lower: false })).toThrow(
      '--metric applies to a command',
    );
    expect(() => tuneTarget({ workload: 'nope', lower: false })).toThrow('unknown workload "nope"');
    expect(() => tuneTarget({ command: ['x'], metric: '(', lower: false })).toThrow('not a regular expression');
  });
});

describe('real tunes on small budgets', () => {
  let out: string;
  const logs: string[] = [];
  beforeAll(() => {
    for (const f of [LIB, path.join(defaultBinDir, 'tiny_hot')])
      if (!fs.existsSync(f)) throw new Error(`missing ${f}: run npm run build first`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-tune-test-'));
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  const tune = (o: Partial<TuneOptions>) =>
    runTune({
      budgetSeconds: 20,
      objective: 'speed',
      minSpeed: 0.95,
      lower: false,
      verdictRounds: 9,
      checkRuns: 2,
      seed: 1,
      lib: LIB,
      binDir: defaultBinDir,
      outDir: out,
      timeoutSeconds: 60,
      log: (l) => logs.push(l),
      ...o,
    });

  /** Every pass of every rung starts and ends with the control, with at most CONTROL_EVERY candidate runs between two. */
  function expectControlInEveryRung(r: TuneResults) {
    expect(r.rungs.length).toBeGreaterThan(0);
    for (const g of r.rungs) {
      const runs = r.trials.filter((t) => t.phase === 'search' && t.rung === g.rung);
      expect(
        runs.some((t) => t.candidate === CONTROL),
        `rung ${g.rung}`,
      ).toBe(true);
      for (let p = 1; p <= g.passes; p++) {
        const seq = runs.filter((t) => t.pass === p).map((t) => t.candidate);
        expect(seq[0]).toBe(CONTROL);
        expect(seq.at(-1)).toBe(CONTROL);
        let since = 0;
        for (const c of seq) {
          since = c === CONTROL ? 0 : since + 1;
          expect(since).toBeLessThanOrEqual(CONTROL_EVERY);
        }
      }
    }
  }

  const POOL = '${HAKMEM_SUPERSLAB_POOL_LIMIT:-8}';

  it('finds a planted effect, and hands it back as a line, a profile file the library loads and a config that type-checks', async () => {
    const r = await tune({
      command: ['sh', '-c', `echo score ${POOL}`],
      metric: 'score (\\d+)',
      knobs: 'superslab.poolLimit',
      checkOthers: 'tiny_hot:iters=20000,batch:iters=4000',
      name: 'planted',
    });
    const res = r.results;
    expectControlInEveryRung(res);
    expect(res.refused.length).toBeGreaterThan(0); // the small pool limits: codegen said no, nothing ran them
    const tried = new Set(res.candidates.map((c) => c.overrides['superslab.poolLimit']));
    for (const x of res.refused) expect(tried.has(x.overrides['superslab.poolLimit'])).toBe(false);
    expect(res.verdict).toMatchObject({ result: 'better', overrides: { 'superslab.poolLimit': 65536 } });
    expect(res.verdict.speed!.ci![0]).toBeGreaterThan(1);
    expect(res.verdict.speed!.n).toBe(9);
    expect(res.trials.filter((t) => t.phase === 'verdict')).toHaveLength(18);
    // the other workloads, run with the winner and the default
    expect(res.others!.map((w) => [w.workload, w.rounds])).toEqual([
      ['tiny_hot:iters=20000', 2],
      ['batch:iters=4000', 2],
    ]);
    for (const w of res.others!) expect(['slower', 'faster', 'same', null]).toContain(w.effect);
    const winner = r.candidates.find((c) => c.id === res.verdict.winner)!;
    const w = await writeTune(res, winner, out);
    expect(validateTuneResults(JSON.parse(fs.readFileSync(path.join(w.dir, 'tune.json'), 'utf8')))).toBe(true);
    expect(fs.readFileSync(path.join(w.dir, 'planted.env'), 'utf8')).toBe('HAKMEM_SUPERSLAB_POOL_LIMIT=65536\n');
    expect(oneLine(res.outputs.fragment!)).toBe('{ superslab: { poolLimit: 65536 } }');
    expect(w.summary).toMatch(/\*\*better\*\*: superslab\.poolLimit=65536 is 8192\.000× \[8192\.000–8192\.000\]/);
    expect(w.summary).toMatch(/## Other workloads[\s\S]*tiny_hot:iters=20000/);
    const html = fs.readFileSync(path.join(w.dir, 'report.html'), 'utf8');
    expect(html).toContain('data-result="better"');
    expect(html).toContain('data-chart="chart-search.svg"');
    expect(html).toContain('data-chart="chart-verdict.svg"');
    // the profile file: the library reads it and names the configuration tune recorded
    const profile = path.join(w.dir, 'planted.profile');
    const shown = await execa('/bin/true', [], {
      env: { LD_PRELOAD: LIB, HAKMEM_PROFILE: profile, HAKMEM_VERBOSE: '1' },
      reject: false,
    });
    expect(shown.stderr).toMatch(
      new RegExp(
        `config=${winner.configHash} .* overrides: HAKMEM_PROFILE=${profile} HAKMEM_SUPERSLAB_POOL_LIMIT=65536 `,
      ),
    );
    // the hakmem.config.ts: the TypeScript compiler accepts it, and refuses a copy with a wrong value
    // inside the repository, so that @hakmem/codegen and the root tsconfig.json resolve as for hakmem.config.ts
    const cache = path.join(repoRoot, 'node_modules', '.cache');
    fs.mkdirSync(cache, { recursive: true });
    const tc = fs.mkdtempSync(path.join(cache, 'tune-typecheck-'));
    try {
      const text = fs.readFileSync(path.join(w.dir, 'planted.config.ts'), 'utf8');
      fs.writeFileSync(path.join(tc, 'planted.config.ts'), text);
      fs.writeFileSync(path.join(tc, 'wrong.config.ts'), text.replace('poolLimit: 65536', "poolLimit: 'many'"));
      fs.writeFileSync(
        path.join(tc, 'tsconfig.json'),
        JSON.stringify({
          extends: path.join(repoRoot, 'tsconfig.json'),
          compilerOptions: { noEmit: true },
          include: [],
          files: ['planted.config.ts', 'wrong.config.ts'],
        }),
      );
      const tsc = await execa('npx', ['tsc', '-p', path.join(tc, 'tsconfig.json')], { cwd: repoRoot, reject: false });
      const errors = tsc.stdout.split('\n').filter((l) => /error TS/.test(l));
      expect(errors.length, tsc.stdout).toBeGreaterThan(0);
      expect(
        errors.every((l) => l.includes('wrong.config.ts') && l.includes('TS2322')),
        tsc.stdout,
      ).toBe(true);
    } finally {
      fs.rmSync(tc, { recursive: true, force: true });
    }
  }, 120_000);

  it('a command that crashes or prints no metric is reported and skipped; the verdict is none found', async () => {
    const r = await tune({
      command: ['sh', '-c', 'case "$HAKMEM_ON_INVALID" in warn) kill -SEGV $$;; ignore) exit 0;; esac; echo score 5'],
      metric: 'score (\\d+)',
      knobs: 'env.onInvalid',
    });
    const res = r.results;
    expectControlInEveryRung(res);
    const byValue = Object.fromEntries(res.candidates.map((c) => [c.overrides['env.onInvalid'], c]));
    expect(byValue.warn).toMatchObject({ state: 'failed', reason: 'crashed (SIGSEGV)' });
    expect(byValue.ignore).toMatchObject({ state: 'failed', reason: 'printed no metric' });
    // each ran once, then left the search
    expect(res.trials.filter((t) => t.candidate !== CONTROL && t.phase === 'search')).toHaveLength(2);
    expect(res.verdict.result).toBe('none found');
    expect(res.verdict.summary).toBe(
      'no better configuration was found: no candidate finished the search (2 failed, 0 rejected, 0 refused by codegen)',
    );
    const w = await writeTune(res, null, out);
    expect(fs.readdirSync(w.dir).sort()).toEqual(['chart-search.svg', 'report.html', 'summary.md', 'tune.json']);
    expect(fs.readFileSync(path.join(w.dir, 'report.html'), 'utf8')).toContain('crashed (SIGSEGV)');
  }, 60_000);

  it('a planted no-op knob (env.onInvalid on tiny_hot, scored by its operation count) gives none found', async () => {
    const r = await tune({
      command: [path.join(defaultBinDir, 'tiny_hot'), 'iters=20000'],
      metric: '\\bops=(\\d+)',
      knobs: 'env.onInvalid',
    });
    const res = r.results;
    expectControlInEveryRung(res);
    expect(res.candidates.every((c) => c.state !== 'failed')).toBe(true);
    expect(res.verdict.result).toBe('none found');
    expect(res.verdict.speed).toMatchObject({ n: 9, ratio: 1, ci: [1, 1] });
    expect(res.verdict.summary).toMatch(
      /^no better configuration was found: the best candidate \(env\.onInvalid=\w+\) measured 1\.000×/,
    );
  }, 60_000);

  it('--max-rss rejects what holds too much; --objective rss finds what holds less within --min-speed', async () => {
    // the shell holds a string of poolLimit x 64 bytes: the score grows with the memory
    const grow = `x=$(head -c $((${POOL}*64)) /dev/zero | tr '\\0' a); echo score ${POOL}`;
    const capped = await tune({
      command: ['sh', '-c', grow],
      metric: 'score (\\d+)',
      knobs: 'superslab.poolLimit',
      maxRss: 1.5,
    });
    expect(capped.results.candidates.some((c) => c.state === 'rejected' && /--max-rss 1\.5/.test(c.reason ?? ''))).toBe(
      true,
    );
    expect(capped.results.verdict.result).toBe('better');
    expect(capped.results.verdict.overrides!['superslab.poolLimit']).toBeLessThan(65536);
    expect(capped.results.verdict.rss!.ratio!).toBeLessThanOrEqual(1.5);
    // the shell holds 32 MiB / poolLimit: a larger pool limit, less memory; the score stays
    const shrink = `x=$(head -c $((33554432/${POOL})) /dev/zero | tr '\\0' a); echo score 7`;
    const lean = await tune({
      command: ['sh', '-c', shrink],
      metric: 'score (\\d+)',
      knobs: 'superslab.poolLimit',
      objective: 'rss',
    });
    expect(lean.results.verdict).toMatchObject({ result: 'better', speed: { ratio: 1 } });
    expect(lean.results.verdict.overrides!['superslab.poolLimit']).toBeGreaterThanOrEqual(1024);
    expect(lean.results.verdict.memory!.ci![0]).toBeGreaterThan(1);
  }, 120_000);

  it("a run-time winner that only another profile breaks: the .config.ts says codegen refuses it as a build's", async () => {
    const r = await tune({
      command: ['sh', '-c', 'echo score ${HAKMEM_UNIFIED_CACHE_REFILL_BATCH:-32}'],
      metric: 'score (\\d+)',
      knobs: 'unifiedCache.refillBatch',
      name: 'batchy',
    });
    expect(r.results.verdict).toMatchObject({
      result: 'better',
      overrides: { 'unifiedCache.refillBatch': 4096 },
    });
    const w = await writeTune(
      r.results,
      r.candidates.find((c) => c.id === r.results.verdict.winner)!,
      out,
    );
    expect(r.results.outputs.configProblems).toEqual([
      'batchy.config.ts: profile lean: unifiedCache.refillBatch = 4096 must be <= unifiedCache.capacity (32)',
    ]);
    const text = fs.readFileSync(path.join(w.dir, 'batchy.config.ts'), 'utf8');
    expect(text).toMatch(/^\/\/ Codegen refuses it as a build configuration/m);
    expect(text).toMatch(/^\/\/ {3}batchy\.config\.ts: profile lean: unifiedCache\.refillBatch = 4096 must be/m);
    // the profile file holds it at run time: the library takes it without a word
    const shown = await execa('/bin/true', [], {
      env: { LD_PRELOAD: LIB, HAKMEM_PROFILE: path.join(w.dir, 'batchy.profile'), HAKMEM_VERBOSE: '1' },
      reject: false,
    });
    expect(shown.stderr).toMatch(
      /^hakmem standard profile=balanced config=\S+ .* HAKMEM_UNIFIED_CACHE_REFILL_BATCH=4096 /,
    );
  }, 60_000);

  it('tunes a workload by name (its result line) and records every run', async () => {
    const r = await tune({ workload: 'tiny_hot:iters=20000', knobs: 'env.onInvalid', budgetSeconds: 15 });
    const res = r.results;
    expectControlInEveryRung(res);
    expect(res.config.target).toMatchObject({ kind: 'workload', argv: ['iters=20000'], metric: { unit: 'M ops/s' } });
    expect(res.trials.every((t) => t.status === 'ok' && t.metric! > 0)).toBe(true);
    expect(['better', 'none found']).toContain(res.verdict.result);
    expect(res.verdict.result === 'better').toBe((res.verdict.speed!.ci?.[0] ?? 0) > 1);
  }, 60_000);

  it('the command: a tune from the CLI; bad arguments are refused with one line (exit 2)', async () => {
    const run = (args: string[]) =>
      execa('node', [CLI, 'tune', '--no-build', '--out', out, ...args], { cwd: repoRoot, reject: false });
    const [ok, both] = await Promise.all([
      run([
        '--budget',
        '20s',
        '--knobs',
        'env.onInvalid',
        '--metric',
        '\\bops=(\\d+)',
        '--',
        path.join(defaultBinDir, 'tiny_hot'),
        'iters=20000',
      ]),
      run(['--workload', 'tiny_hot', '--', 'true']),
    ]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^none found: no better configuration was found: /m);
    expect(ok.stdout).toMatch(/^results: .*tune-[^/]+\/tune\.json$/m);
    expect(both.exitCode).toBe(2);
    expect(both.stderr.trim()).toBe('hakmem: give either --workload NAME or a command after --, not both');
    await expect(tune({ workload: 'tiny_hot', lib: path.join(defaultLibDir, 'libhakmem-fast.so') })).rejects.toThrow(
      /is a FAST build, which reads no environment/,
    );
    await expect(tune({ workload: 'tiny_hot', verdictRounds: 5 })).rejects.toThrow('the verdict needs at least 9');
    await expect(tune({ command: ['sh', '-c', 'echo no score'], metric: 'score (\\d+)' })).rejects.toThrow(
      'the default configuration printed no metric',
    );
  }, 120_000);

  it('configFragment nests the overrides as hakmem.config.ts does (env.profile as the top-level profile)', () => {
    expect(
      oneLine(
        configFragment({
          'env.profile': 'lean',
          'unifiedCache.capacity': 64,
          'superslab.releaseMode': 'decommit',
        }),
      ),
    ).toBe("{ unifiedCache: { capacity: 64 }, superslab: { releaseMode: 'decommit' }, profile: 'lean' }");
  });
});
