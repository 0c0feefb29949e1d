import { describe, expect, it } from 'vitest';
import { logRatioInterval } from './stats.ts';
import { hakmemBuildsOf, summarize } from './summarize.ts';
import type { RunRecord } from '../types.ts';

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
  const { rows, verdicts } = summarize(runs, ['w'], ['glibc', 'mimalloc', 'hakmem'], 3);
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
  it('calls a tie when the interval of hakmem against the best peer includes 1.0', () => {
    // hakmem (89.5) vs the best peer mimalloc (100): rounds 1 and 3 only, 0.8 and 0.9 -> wide interval
    expect(verdicts).toEqual([
      {
        workload: 'w',
        hakmem: 'hakmem',
        peer: 'mimalloc',
        ratio: expect.closeTo(0.85, 10),
        ci: logRatioInterval([0.8, 0.9]),
        n: 2,
        verdict: 'tie',
        standardOverFast: null,
      },
    ]);
    expect(verdicts[0]!.ci![0]).toBeLessThan(1);
    expect(verdicts[0]!.ci![1]).toBeGreaterThan(1);
    // the verdict sits on hakmem's row only; the peers carry none
    expect(rows.map((r) => [r.allocator, r.verdict, r.best])).toEqual([
      ['glibc', null, false],
      ['mimalloc', null, false],
      ['hakmem', 'tie', false],
    ]);
  });
  it('leaves ratios empty when the baseline is not in the run', () => {
    const only = summarize(
      runs.filter((r) => r.allocator !== 'mimalloc'),
      ['w'],
      ['glibc', 'hakmem'],
      3,
    ).rows;
    expect(only[0]!.ratioToMimalloc).toBeNull();
    expect(only[0]!.ratioToMimallocCi).toBeNull();
    expect(only[1]!.ratioToGlibc).toBeCloseTo((80 / 50 + 99 / 55) / 2, 10);
  });
  it('keeps the ratios to a baseline that is in the runs but not among the rows', () => {
    const sub = summarize(runs, ['w'], ['hakmem'], 3).rows;
    expect(sub).toHaveLength(1);
    expect(sub[0]!.ratioToMimalloc).toBeCloseTo(0.85, 10);
  });
});

describe('verdicts: the best hakmem build against the best peer', () => {
  // 9 rounds with +-1 % noise: hakmem-fast is 10 % above the peers; Standard (hakmem) and the
  // peers mimalloc and tcmalloc are within noise of each other; glibc is half as fast.
  const noise = [1, -1, 0.5, -0.5, 0.8, -0.8, 0.2, -0.2, 0];
  const rounds9 = noise.flatMap((e, i) => [
    run('t', 'hakmem-fast', i + 1, 110 * (1 + e / 100)),
    run('t', 'hakmem', i + 1, 100 * (1 + e / 100)),
    run('t', 'mimalloc', i + 1, 100 * (1 - e / 100)),
    run('t', 'tcmalloc', i + 1, 99 * (1 + e / 100)),
    run('t', 'glibc', i + 1, 50 * (1 + e / 100)),
  ]);
  const all = ['hakmem-fast', 'hakmem', 'glibc', 'mimalloc', 'tcmalloc'];

  it('marks ★ when the interval against the best peer lies above 1.0, though FAST and Standard are level with each other', () => {
    // The old rule compared the top two rows whatever they were; two hakmem builds within noise of
    // each other at the top made every workload a tie (issue 25). Here Standard is level with
    // the peers, FAST ahead of them.
    const { rows, verdicts } = summarize(rounds9, ['t'], all, 9);
    const v = verdicts[0]!;
    expect(v).toMatchObject({ hakmem: 'hakmem-fast', peer: 'mimalloc', n: 9, verdict: 'best' });
    expect(v.ci![0]).toBeGreaterThan(1);
    expect(rows.filter((r) => r.verdict != null).map((r) => [r.allocator, r.verdict, r.best])).toEqual([
      ['hakmem-fast', 'best', true],
    ]);
  });
  it('reports Standard / FAST per round with its interval, whether or not both are among the rows', () => {
    const { verdicts } = summarize(rounds9, ['t'], all, 9);
    const sf = verdicts[0]!.standardOverFast!;
    expect(sf.n).toBe(9);
    expect(sf.ratio).toBeCloseTo(100 / 110, 10);
    expect(sf.ci![1]).toBeLessThan(1);
    // FAST alone against the peers (the README's matrix): Standard / FAST still comes from the runs
    expect(summarize(rounds9, ['t'], ['hakmem-fast', 'mimalloc'], 9).verdicts[0]!.standardOverFast!.n).toBe(9);
    expect(
      summarize(
        rounds9.filter((r) => r.allocator !== 'hakmem'),
        ['t'],
        all,
        9,
      ).verdicts[0]!.standardOverFast,
    ).toBeNull();
  });
  it('calls a tie when hakmem is within noise of the best peer', () => {
    const { rows, verdicts } = summarize(rounds9, ['t'], ['hakmem', 'mimalloc', 'tcmalloc', 'glibc'], 9);
    expect(verdicts[0]).toMatchObject({ hakmem: 'hakmem', peer: 'mimalloc', verdict: 'tie' });
    expect(rows.map((r) => r.verdict)).toEqual(['tie', null, null, null]);
  });
  it('says behind when the best peer is ahead with an interval below 1.0', () => {
    const { rows, verdicts } = summarize(rounds9, ['t'], ['hakmem-fast', 'glibc', 'mimalloc'], 9);
    expect(verdicts[0]).toMatchObject({ hakmem: 'hakmem-fast', peer: 'mimalloc', verdict: 'best' });
    const slow = rounds9.filter((r) => r.allocator !== 'hakmem-fast');
    const behind = summarize(
      slow.map((r) => (r.allocator === 'hakmem' ? { ...r, result: { ...r.result!, mops: r.result!.mops * 0.8 } } : r)),
      ['t'],
      ['hakmem', 'glibc', 'mimalloc'],
      9,
    );
    expect(behind.verdicts[0]).toMatchObject({ hakmem: 'hakmem', peer: 'mimalloc', verdict: 'behind' });
    expect(behind.verdicts[0]!.ci![1]).toBeLessThan(1);
    expect(behind.rows.find((r) => r.allocator === 'hakmem')!.verdict).toBe('behind');
    expect(rows.find((r) => r.allocator === 'mimalloc')!.verdict).toBeNull();
  });
  it('gives no verdict with one round (no interval), nor without a peer or without a hakmem build', () => {
    const one = summarize(
      rounds9.filter((r) => r.round === 1),
      ['t'],
      all,
      1,
    );
    expect(one.rows.every((r) => r.verdict === null && !r.best && r.ratioToMimallocCi === null)).toBe(true);
    // round 1 alone: tcmalloc 99.99 > mimalloc 99, so tcmalloc is the best peer there
    expect(one.verdicts[0]).toMatchObject({ hakmem: 'hakmem-fast', peer: 'tcmalloc', n: 1, ci: null, verdict: null });
    expect(summarize(rounds9, ['t'], ['hakmem-fast', 'hakmem'], 9).verdicts[0]).toMatchObject({
      hakmem: 'hakmem-fast',
      peer: null,
      verdict: null,
    });
    expect(summarize(rounds9, ['t'], ['glibc', 'mimalloc'], 9).verdicts[0]).toMatchObject({
      hakmem: null,
      peer: 'mimalloc',
      verdict: null,
    });
  });
  it('calls a hakmem build whose peers all failed best, and one that failed where a peer ran behind', () => {
    const won = summarize([run('c', 'hakmem', 1, 10), run('c', 'glibc', 1, null)], ['c'], ['hakmem', 'glibc'], 1);
    expect(won.rows.map((r) => r.verdict)).toEqual(['best', null]);
    expect(won.verdicts[0]!.verdict).toBe('best');
    const lost = summarize([run('c', 'hakmem', 1, null), run('c', 'glibc', 1, 10)], ['c'], ['hakmem', 'glibc'], 1);
    expect(lost.verdicts[0]).toMatchObject({ hakmem: null, peer: 'glibc', verdict: 'behind' });
  });
  it("counts a library that carries hakmem's manifest as ours, whatever its name", () => {
    const renamed = rounds9.map((r) => (r.allocator === 'hakmem-fast' ? { ...r, allocator: 'hardened' } : r));
    const names = ['hardened', 'hakmem', 'mimalloc', 'tcmalloc'];
    // by name alone, `hardened` is a peer, and ahead of Standard
    expect(summarize(renamed, ['t'], names, 9).verdicts[0]).toMatchObject({ hakmem: 'hakmem', peer: 'hardened' });
    const ours = hakmemBuildsOf({
      hakmem: { hardened: { path: '/h.so', mode: 'standard', profile: 'hardened', configHash: 'x', boxVersions: 'y' } },
    });
    expect(summarize(renamed, ['t'], names, 9, ours).verdicts[0]).toMatchObject({
      hakmem: 'hardened',
      peer: 'mimalloc',
      verdict: 'best',
    });
  });
  it('gives a workload that no allocator ran a row-less, verdict-less entry under its own name', () => {
    const { rows, verdicts } = summarize(rounds9, ['t', 'nobody'], ['hakmem-fast', 'mimalloc'], 9);
    expect(rows.filter((r) => r.workload === 'nobody')).toEqual([]);
    expect(verdicts[1]).toMatchObject({ workload: 'nobody', hakmem: null, peer: null, verdict: null });
  });
  it("uses each workload's own round count", () => {
    const mixed = [...rounds9, run('s', 'hakmem-fast', 1, 10), run('s', 'mimalloc', 1, 9)];
    const { verdicts } = summarize(mixed, ['t', 's'], ['hakmem-fast', 'mimalloc'], { t: 9, s: 1 });
    expect(verdicts.map((v) => [v.workload, v.n])).toEqual([
      ['t', 9],
      ['s', 1],
    ]);
  });
});
