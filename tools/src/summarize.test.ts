import { describe, expect, it } from 'vitest';
import { summarize } from './summarize.ts';
import type { RunRecord } from './types.ts';

function run(workload: string, allocator: string, round: number, mops: number | null, rss = 1000): RunRecord {
  return {
    workload, allocator, round, order: 0, argv: [workload],
    status: mops == null ? 'crashed' : 'ok',
    exitCode: mops == null ? null : 0,
    signal: mops == null ? 11 : null,
    wallSeconds: 0.1, maxRssKb: rss,
    result: mops == null ? null : { name: workload, ops: 1, seconds: 1, mops, extra: {} },
    stderrTail: '',
  };
}

describe('summarize', () => {
  const runs = [
    run('w', 'glibc', 1, 50), run('w', 'mimalloc', 1, 100), run('w', 'hakmem', 1, 80, 3000),
    run('w', 'glibc', 2, 60), run('w', 'mimalloc', 2, 90), run('w', 'hakmem', 2, null),
    run('w', 'glibc', 3, 55), run('w', 'mimalloc', 3, 110), run('w', 'hakmem', 3, 99, 2000),
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
  it('computes paired ratios per round and marks the best', () => {
    const h = rows.find((r) => r.allocator === 'hakmem')!;
    // rounds 1 and 3: 80/100 = 0.8, 99/110 = 0.9 -> median 0.85
    expect(h.ratioToMimalloc).toBeCloseTo(0.85, 10);
    expect(rows.find((r) => r.allocator === 'mimalloc')!.ratioToMimalloc).toBe(1);
    expect(rows.filter((r) => r.best).map((r) => r.allocator)).toEqual(['mimalloc']);
  });
  it('leaves ratios empty when the baseline is not in the run', () => {
    const only = summarize(runs.filter((r) => r.allocator !== 'mimalloc'), ['w'], ['glibc', 'hakmem'], 3);
    expect(only[0]!.ratioToMimalloc).toBeNull();
    expect(only[1]!.ratioToGlibc).toBeCloseTo(((80 / 50) + (99 / 55)) / 2, 10);
  });
});
