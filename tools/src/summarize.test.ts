import { describe, expect, it } from 'vitest';
import { logRatioInterval } from './stats.ts';
import { summarize } from './summarize.ts';
import type { RunRecord } from './types.ts';

function run(workload: string, allocator: string, round: number, mops: number | null, rss = 1000): RunRecord {
  return {
    workload,
    allocator,
    round,
    order: 0,
    argv: [workload],
    status: mops == null ? 'crashed' : 'ok',
    exitCode: mops == null ? null : 0,
    signal: mops == null ? 11 : null,
    wallSeconds: 0.1,
    maxRssKb: rss,
    result: mops == null ? null : { name: workload, ops: 1, seconds: 1, mops, extra: {} },
    stderrTail: '',
  };
}

describe('summarize', () => {
  const runs = [
    run('w', 'glibc', 1, 50),
    run('w', 'mimalloc', 1, 100),
    run('w', 'hakmem', 1, 80, 3000),
    run('w', 'glibc', 2, 60),
    run('w', 'mimalloc', 2, 90),
    run('w', 'hakmem', 2, null),
    run('w', 'glibc', 3, 55),
    run('w', 'mimalloc', 3, 110),
    run('w', 'hakmem', 3, 99, 2000),
  ];
  const rows = summarize(runs, ['w'], ['glibc', 'mimalloc', 'hakmem'], 3);
  it('computes medians, CV and failures, never dropping a crashed run', () => {
    const h = rows.find((r) => r.allocator === 'hakmem')!;
    expect(h.runs).toBe(3);
    expect(h.failures).toBe(1);
    expect(h.failureKinds).toEqual(['crashed']);
    expect(h.medianMops).toBeCloseTo(89.5);
    expect(h.medianMaxRssKb).toBe(2000);
    const g = rows.find((r) => r.allocator === 'glibc')!;
    expect(g.cv).toBeCloseTo(5 / 55, 10);
  });
  it('computes paired ratios per round, with intervals over the paired rounds only', () => {
    const h = rows.find((r) => r.allocator === 'hakmem')!;
    // rounds 1 and 3: 80/100 = 0.8, 99/110 = 0.9 -> median 0.85
    expect(h.ratioToMimalloc).toBeCloseTo(0.85, 10);
    expect(h.ratioToMimallocCi).toEqual(logRatioInterval([0.8, 0.9]));
    const m = rows.find((r) => r.allocator === 'mimalloc')!;
    expect(m.ratioToMimalloc).toBe(1);
    expect(m.ratioToMimallocCi).toEqual([1, 1]);
  });
  it('calls a tie when the interval against the runner-up includes 1.0', () => {
    // top mimalloc (median 100) vs runner-up hakmem (89.5): rounds 1 and 3 only, 1.25 and 1.11 -> wide interval
    const m = rows.find((r) => r.allocator === 'mimalloc')!;
    expect(m.vsRunnerUp).toMatchObject({ allocator: 'hakmem', n: 2 });
    expect(m.vsRunnerUp!.ratio).toBeCloseTo((100 / 80 + 110 / 99) / 2, 10);
    expect(m.vsRunnerUp!.ci![0]).toBeLessThan(1);
    expect(rows.map((r) => [r.allocator, r.verdict, r.best])).toEqual([
      ['glibc', null, false], // glibc / mimalloc: 0.5, 0.67, 0.5 -> interval below 1
      ['mimalloc', 'tie', false],
      ['hakmem', 'tie', false],
    ]);
    expect(rows.find((r) => r.allocator === 'hakmem')!.vsRunnerUp).toBeNull();
  });
  it('leaves ratios empty when the baseline is not in the run', () => {
    const only = summarize(
      runs.filter((r) => r.allocator !== 'mimalloc'),
      ['w'],
      ['glibc', 'hakmem'],
      3,
    );
    expect(only[0]!.ratioToMimalloc).toBeNull();
    expect(only[0]!.ratioToMimallocCi).toBeNull();
    expect(only[1]!.ratioToGlibc).toBeCloseTo((80 / 50 + 99 / 55) / 2, 10);
  });
  it('keeps the ratios to a baseline that is in the runs but not among the rows', () => {
    const sub = summarize(runs, ['w'], ['hakmem'], 3);
    expect(sub).toHaveLength(1);
    expect(sub[0]!.ratioToMimalloc).toBeCloseTo(0.85, 10);
  });
});

describe('verdicts', () => {
  // 9 rounds: fast is 10 % above mid in every round (+-1 % noise), mid and mid2 are within noise of each other
  const noise = [1, -1, 0.5, -0.5, 0.8, -0.8, 0.2, -0.2, 0];
  const rounds9 = noise.flatMap((e, i) => [
    run('t', 'fast', i + 1, 110 * (1 + e / 100)),
    run('t', 'mid', i + 1, 100 * (1 - e / 100)),
    run('t', 'mid2', i + 1, 100 * (1 + e / 100)),
  ]);
  it('marks ★ when the interval against the runner-up is above 1.0', () => {
    const rows = summarize(rounds9, ['t'], ['mid', 'fast', 'mid2'], 9);
    const fast = rows.find((r) => r.allocator === 'fast')!;
    expect(fast.verdict).toBe('best');
    expect(fast.best).toBe(true);
    expect(fast.vsRunnerUp!.ci![0]).toBeGreaterThan(1);
    expect(fast.vsRunnerUp!.n).toBe(9);
    expect(rows.filter((r) => r.verdict != null).map((r) => r.allocator)).toEqual(['fast']);
  });
  it('calls the top rows a tie when they are within noise, and leaves out a clearly slower one', () => {
    const rows = summarize(rounds9, ['t'], ['mid', 'mid2', 'slow'], 9);
    expect(rows.map((r) => r.verdict)).toEqual(['tie', 'tie', null]);
    const withSlow = summarize(
      [...rounds9, ...noise.map((e, i) => run('t', 'slow', i + 1, 50 + e))],
      ['t'],
      ['mid', 'mid2', 'slow'],
      9,
    );
    expect(withSlow.map((r) => r.verdict)).toEqual(['tie', 'tie', null]);
    expect(withSlow.filter((r) => r.vsRunnerUp).map((r) => r.allocator)).toHaveLength(1);
  });
  it('gives no verdict with one round (no interval)', () => {
    const rows = summarize(
      rounds9.filter((r) => r.round === 1),
      ['t'],
      ['mid', 'fast', 'mid2'],
      1,
    );
    expect(rows.every((r) => r.verdict === null && !r.best && r.ratioToMimallocCi === null)).toBe(true);
    expect(rows.find((r) => r.allocator === 'fast')!.vsRunnerUp).toMatchObject({ allocator: 'mid2', n: 1, ci: null });
  });
  it('calls the only allocator that did not fail best', () => {
    const rows = summarize([run('c', 'a', 1, 10), run('c', 'b', 1, null)], ['c'], ['a', 'b'], 1);
    expect(rows.map((r) => r.verdict)).toEqual(['best', null]);
  });
  it("uses each workload's own round count", () => {
    const mixed = [...rounds9, run('s', 'fast', 1, 10), run('s', 'mid', 1, 9)];
    const rows = summarize(mixed, ['t', 's'], ['fast', 'mid'], { t: 9, s: 1 });
    expect(rows.find((r) => r.workload === 't' && r.allocator === 'fast')!.vsRunnerUp!.n).toBe(9);
    expect(rows.find((r) => r.workload === 's' && r.allocator === 'fast')!.vsRunnerUp!.n).toBe(1);
  });
});
