/**
 * `hakmem compare`: the statistics on results built here, and the real command on files written
 * to a temporary directory (its exit status, its errors).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compareResults, compareTable, estimateChange } from './compare.ts';
import { repoRoot, toolsDir } from '../paths.ts';
import { summarize } from '../results/summarize.ts';
import type { BenchResults, RunRecord } from '../types.ts';

const noise = [1, -1, 0.5, -0.5, 0.8, -0.8, 0.2, -0.2, 0, 0.6, -0.6, 0.3, -0.3, 0.1, -0.1];
const ALLOCATORS = ['hakmem-fast', 'hakmem', 'mimalloc'];
const MOPS: Record<string, number> = { 'hakmem-fast': 70, hakmem: 66, mimalloc: 64 };

interface Spec {
  rounds?: number;
  /** Throughput factor per allocator (1 = as BASE). */
  speed?: Record<string, number>;
  /** Peak RSS factor per allocator. */
  rss?: Record<string, number>;
  /** Noise sign: the same noise in both files, or mirrored. */
  mirror?: boolean;
  workloads?: { name: string; args: string[] }[];
}

function run(workload: string, allocator: string, round: number, mops: number, rssKb: number): RunRecord {
  return {
    workload,
    allocator,
    round,
    order: 0,
    argv: [workload],
    status: 'ok',
    exitCode: 0,
    signal: null,
    wallSeconds: 1,
    maxRssKb: rssKb,
    result: { name: workload, ops: 100, seconds: 1, mops, extra: {} },
    stderrTail: '',
  };
}

/** A results file: every allocator in every round, noise of ±1 % (or its mirror), a factor per allocator. */
function results(s: Spec = {}): BenchResults {
  const rounds = s.rounds ?? 9;
  const workloads = (s.workloads ?? [{ name: 'random_mixed', args: [] }]).map((w) => ({
    ...w,
    rounds,
    threaded: false,
  }));
  const runs = workloads.flatMap((w) =>
    Array.from({ length: rounds }, (_, i) =>
      ALLOCATORS.map((a) => {
        const e = (s.mirror ? -1 : 1) * noise[i % noise.length]!;
        const mops = MOPS[a]! * (s.speed?.[a] ?? 1) * (1 + e / 100);
        const rss = Math.round(2048 * (s.rss?.[a] ?? 1) * (1 + e / 400));
        return run(w.name, a, i + 1, mops, rss);
      }),
    ).flat(),
  );
  const { rows, verdicts } = summarize(
    runs,
    workloads.map((w) => w.name),
    ALLOCATORS,
    rounds,
  );
  const info = (mode: string) => ({
    path: `/x/${mode}.so`,
    mode,
    profile: 'balanced',
    configHash: 'c',
    boxVersions: 'b',
  });
  return {
    schema: 'hakmem-bench/3',
    context: {
      date: '2026-12-01T10:00:00.000Z',
      gitSha: 'abcdef0123456789',
      gitDirty: false,
      hakmem: { 'hakmem-fast': info('fast'), hakmem: info('standard') },
      compiler: 'cc',
      cflags: '-O2',
      peers: {},
      cpuModel: 'cpu',
      nproc: 2,
      memTotalKb: 1,
      kernel: 'Linux',
      node: 'v20',
    },
    config: {
      rounds,
      mtRounds: rounds,
      quick: false,
      baseline: 'mimalloc',
      workloads,
      allocators: ALLOCATORS.map((name) => ({ name, preload: `/x/${name}.so` })),
      missingPeers: [],
    },
    runs,
    summary: rows,
    verdicts,
  };
}

const row = (c: ReturnType<typeof compareResults>, allocator: string, workload = 'random_mixed') =>
  c.rows.find((r) => r.allocator === allocator && r.workload === workload)!;

describe('compareResults', () => {
  it('calls identical files the same everywhere, paired by round', () => {
    const c = compareResults(results(), results());
    expect(c.rows).toHaveLength(3);
    for (const r of c.rows) {
      expect(r.throughput).toMatchObject({ ratio: 1, ci: [1, 1], pairing: 'paired', n: 9, verdict: 'same' });
      expect(r.rss.verdict).toBe('same');
    }
    expect(c.failures).toEqual([]);
  });

  it('flags a synthetic regression of a hakmem build, and only the build that regressed', () => {
    // Standard 8 % slower in NEW, every round, with mirrored noise (the rounds do not move together)
    const c = compareResults(results(), results({ speed: { hakmem: 0.92 }, mirror: true }));
    const h = row(c, 'hakmem');
    expect(h.throughput.verdict).toBe('regression');
    expect(h.throughput.ci![1]).toBeLessThan(1);
    expect(h.throughput.ratio).toBeCloseTo(0.92, 1);
    expect(row(c, 'hakmem-fast').throughput.verdict).toBe('same');
    expect(row(c, 'mimalloc').throughput.verdict).toBe('same');
    expect(c.failures.map((r) => r.allocator)).toEqual(['hakmem']);
    // a faster build is an improvement, never a failure
    const up = compareResults(results(), results({ speed: { 'hakmem-fast': 1.1 } }));
    expect(row(up, 'hakmem-fast').throughput.verdict).toBe('improvement');
    expect(up.failures).toEqual([]);
  });

  it('does not fail on a peer that moved (the machine, not hakmem)', () => {
    const c = compareResults(results(), results({ speed: { mimalloc: 0.8 } }));
    expect(row(c, 'mimalloc').throughput.verdict).toBe('regression');
    expect(c.failures).toEqual([]);
  });

  it('says a comparison is unpaired when the round counts differ, with a Welch interval', () => {
    const c = compareResults(results({ rounds: 9 }), results({ rounds: 15, speed: { hakmem: 0.9 } }));
    const h = row(c, 'hakmem');
    expect(h.throughput.pairing).toBe('unpaired');
    expect(h.throughput.verdict).toBe('regression');
    expect(row(c, 'hakmem-fast').throughput).toMatchObject({ pairing: 'unpaired', verdict: 'same' });
    const text = compareTable(c, results(), results({ rounds: 15 }), { base: 'a.json', new: 'b.json' });
    expect(text).toMatch(/\| random_mixed +\| hakmem +\|.*\| unpaired, 9 vs 15 rounds +\| regression +\|/);
    expect(text).toContain('Unpaired (the files ran different round counts): random_mixed.');
  });

  it('flags a rise of peak RSS beyond its interval, and beyond 10 % with one round', () => {
    const c = compareResults(results(), results({ rss: { 'hakmem-fast': 1.05 } }));
    const f = row(c, 'hakmem-fast');
    expect(f.throughput.verdict).toBe('same');
    expect(f.rss.verdict).toBe('regression');
    expect(f.rss.ci![0]).toBeGreaterThan(1);
    expect(c.failures.map((r) => r.allocator)).toEqual(['hakmem-fast']);
    // less RSS is an improvement
    expect(row(compareResults(results(), results({ rss: { hakmem: 0.9 } })), 'hakmem').rss.verdict).toBe('improvement');
    // one round: a 12 % rise fails, a 8 % rise does not; throughput has no interval and no verdict
    const one = compareResults(
      results({ rounds: 1 }),
      results({ rounds: 1, rss: { hakmem: 1.12, 'hakmem-fast': 1.08 } }),
    );
    expect(row(one, 'hakmem').rss).toMatchObject({ pairing: 'one round', ci: null, verdict: 'regression' });
    expect(row(one, 'hakmem-fast').rss.verdict).toBe('same');
    expect(row(one, 'hakmem').throughput).toMatchObject({ pairing: 'one round', ci: null, verdict: null });
    expect(one.failures.map((r) => r.allocator)).toEqual(['hakmem']);
  });

  it('calls an RSS change below 1 % the same even with a zero-width interval', () => {
    // the same peak in every round: a zero-width interval; 0.5 % more is not a regression
    expect(estimateChange([1000, 1000, 1000], [1005, 1005, 1005], false)).toMatchObject({
      ci: [1.005, 1.005],
      verdict: 'same',
    });
    expect(estimateChange([1000, 1000, 1000], [1020, 1020, 1020], false).verdict).toBe('regression');
  });

  it('--allow keeps a regression on the named workloads from failing, and still shows it', () => {
    const two = [
      { name: 'random_mixed', args: [] },
      { name: 'larson', args: [] },
    ];
    const slow = results({ workloads: two, speed: { hakmem: 0.9 } });
    const c = compareResults(results({ workloads: two }), slow, { allow: ['random_mixed'] });
    expect(c.failures.map((r) => `${r.workload} ${r.allocator}`)).toEqual(['larson hakmem']);
    expect(c.allowedRegressions.map((r) => `${r.workload} ${r.allocator}`)).toEqual(['random_mixed hakmem']);
    const all = compareResults(results({ workloads: two }), slow, { allow: ['random_mixed,larson'] });
    expect(all.failures).toEqual([]);
    const text = compareTable(all, slow, slow, { base: 'a', new: 'b' });
    expect(text).toContain('No hakmem build regresses on any workload compared.');
    expect(text).toMatch(/Allowed \(--allow\): random_mixed hakmem \(throughput 0\.9\d\d \[/);
    expect(() => compareResults(results(), results(), { allow: ['larson'] })).toThrow(
      '--allow: larson is not a workload both files ran (they share random_mixed)',
    );
  });

  it('compares only what both files ran, with the same arguments, and says what it left out', () => {
    const base = results({
      workloads: [
        { name: 'random_mixed', args: [] },
        { name: 'tiny_hot', args: [] },
      ],
    });
    const next = results({
      workloads: [
        { name: 'random_mixed', args: [] },
        { name: 'tiny_hot', args: ['iters=1000000'] },
        { name: 'batch', args: [] },
      ],
    });
    const c = compareResults(base, next);
    expect([...new Set(c.rows.map((r) => r.workload))]).toEqual(['random_mixed']);
    expect(c.skipped).toEqual([
      { workload: 'tiny_hot', reason: 'arguments differ: BASE (defaults), NEW iters=1000000' },
    ]);
    expect(c.onlyInNew.workloads).toEqual(['batch']);
    const text = compareTable(c, base, next, { base: 'a', new: 'b' });
    expect(text).toContain('Not compared: tiny_hot (arguments differ: BASE (defaults), NEW iters=1000000).');
    expect(text).toContain('Only in NEW: workloads batch.');
  });

  it('--allocators keeps only the named allocators, in that order, and refuses one a file lacks', () => {
    const slow = results({ speed: { hakmem: 0.9 } });
    const c = compareResults(results(), slow, { allocators: ['mimalloc,hakmem-fast'] });
    expect(c.rows.map((r) => r.allocator)).toEqual(['mimalloc', 'hakmem-fast']);
    expect(c.failures).toEqual([]); // Standard's regression is not among the rows asked for
    expect(compareResults(results(), slow, { allocators: ['hakmem'] }).failures.map((r) => r.allocator)).toEqual([
      'hakmem',
    ]);
    expect(() => compareResults(results(), results(), { allocators: ['jemalloc'] })).toThrow(
      '--allocators: jemalloc is not an allocator both files ran (they share hakmem-fast, hakmem, mimalloc)',
    );
  });

  it('refuses files with no workload or no allocator in common', () => {
    expect(() => compareResults(results(), results({ workloads: [{ name: 'larson', args: [] }] }))).toThrow(
      'no workload in both files: BASE has random_mixed; NEW has larson',
    );
    const quick = results({ workloads: [{ name: 'random_mixed', args: ['iters=2000000'] }] });
    expect(() => compareResults(results(), quick)).toThrow(/no workload to compare: the files share random_mixed, but/);
    const other = results();
    other.config.allocators = [{ name: 'glibc', preload: null }];
    expect(() => compareResults(results(), other)).toThrow(/no allocator in both files/);
  });
});

describe('hakmem compare (the command)', () => {
  const bin = path.join(toolsDir, 'bin', 'hakmem.mjs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-compare-'));
  const write = (name: string, r: unknown) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, typeof r === 'string' ? r : JSON.stringify(r));
    return p;
  };
  const hakmem = (...args: string[]) => execa('node', [bin, 'compare', ...args], { cwd: repoRoot, reject: false });
  const base = write('base.json', results());
  const same = write('same.json', results());
  const slow = write('slow.json', results({ speed: { 'hakmem-fast': 0.9 }, mirror: true }));
  const fat = write('fat.json', results({ rss: { hakmem: 1.2 } }));

  it('exits 0 on identical files, every verdict same', async () => {
    const r = await hakmem(base, same);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^BASE: .*base\.json · git abcdef012345 · /);
    expect(r.stdout.split('\n')[1]).toMatch(/^NEW: .*same\.json · /);
    expect(r.stdout.match(/\| same +\|/g)).toHaveLength(6);
    expect(r.stdout).toContain('No hakmem build regresses');
  });

  it('exits 1 on a regression of a hakmem build, naming it, and 0 with --allow', async () => {
    const r = await hakmem(base, slow);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/\| random_mixed +\| hakmem-fast +\|.*\| paired, 9 rounds +\| regression +\|/);
    expect(r.stdout).toMatch(/Regressions of hakmem builds: random_mixed hakmem-fast \(throughput 0\.9/);
    expect(r.stderr).toContain('hakmem compare: 1 regression(s) of hakmem builds');
    const allowed = await hakmem(base, slow, '--allow', 'random_mixed');
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('Allowed (--allow): random_mixed hakmem-fast');
  });

  it('exits 1 on a rise of peak RSS', async () => {
    const r = await hakmem(base, fat);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/Regressions of hakmem builds: random_mixed hakmem \(peak RSS 1\.2\d\d \[/);
  });

  it('says clearly what is wrong with its arguments', async () => {
    const [missing, notResults, notJson, disjoint, badAllow] = await Promise.all([
      hakmem(base, path.join(dir, 'nope.json')),
      hakmem(base, write('ab.json', { schema: 'hakmem-ab/1' })),
      hakmem(write('text.json', 'hello'), base),
      hakmem(base, write('larson.json', results({ workloads: [{ name: 'larson', args: [] }] }))),
      hakmem(base, same, '--allow', 'xthread'),
    ]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^hakmem: .*nope\.json: no such file$/);
    expect(notResults.exitCode).toBe(1);
    expect(notResults.stderr).toContain('is not a hakmem bench results file (schema "hakmem-ab/1"');
    expect(notJson.exitCode).toBe(1);
    expect(notJson.stderr).toMatch(/text\.json is not JSON/);
    expect(disjoint.exitCode).toBe(2);
    expect(disjoint.stderr.trim()).toBe('hakmem: no workload in both files: BASE has random_mixed; NEW has larson');
    expect(badAllow.exitCode).toBe(2);
    expect(badAllow.stderr).toContain('--allow: xthread is not a workload both files ran');
  });

  it('reads an older hakmem-bench/2 file (the committed matrices)', async () => {
    const r = await hakmem('docs/results/2026-11-29-325c66b.json', 'docs/results/2026-11-29-325c66b.json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\| realloc_grow +\| tcmalloc +\|.*\| +1\.000 \[1\.00–1\.00\] \| paired, 9 rounds +\| same +\|/,
    );
  });
});
