import { describe, expect, it } from 'vitest';
import {
  coefficientOfVariation,
  comparePaired,
  excludesOneAbove,
  excludesOneBelow,
  goThresholdPct,
  includesOne,
  logRatioInterval,
  median,
  medianPairedRatio,
  pairedRatioEstimate,
  pairedRatios,
  unpairedRatioEstimate,
  verdict,
} from './stats.ts';

describe('median and CV', () => {
  it('takes the median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
  it('computes the sample CV and refuses a single value', () => {
    // mean 10, sample sd = sqrt(((−2)^2 + 0 + 2^2)/2) = 2
    expect(coefficientOfVariation([8, 10, 12])).toBeCloseTo(0.2, 12);
    expect(coefficientOfVariation([5])).toBeNull();
    expect(coefficientOfVariation([])).toBeNull();
  });
});

describe('paired ratios', () => {
  it('pairs by round and skips rounds where either side failed', () => {
    expect(pairedRatios([10, 20, null, 30], [5, 10, 10, null])).toEqual([2, 2]);
    expect(medianPairedRatio([1, 2, 3], [1, 1, 1])).toBe(2);
    expect(medianPairedRatio([null], [1])).toBeNull();
  });
  it('is not the ratio of medians', () => {
    const a = [100, 50, 80];
    const b = [50, 50, 100];
    // per round: 2, 1, 0.8 -> median 1; ratio of medians would be 80/50 = 1.6
    expect(medianPairedRatio(a, b)).toBe(1);
  });
});

describe('paired comparison and 95% CI', () => {
  it('uses the t distribution with n-1 degrees of freedom', () => {
    const a = [100, 100, 100, 100, 100];
    const b = [101, 103, 102, 104, 100];
    const c = comparePaired(a, b)!;
    expect(c.n).toBe(5);
    expect(c.deltaPct).toBeCloseTo(2, 10);
    // sd of [1,3,2,4,0] = sqrt(2.5); t(0.975, 4) = 2.776445
    const half = (2.776445105 * Math.sqrt(2.5)) / Math.sqrt(5);
    expect(c.ciLowPct).toBeCloseTo(2 - half, 5);
    expect(c.ciHighPct).toBeCloseTo(2 + half, 5);
    expect(c.meanA).toBe(100);
    expect(c.medianB).toBe(102);
  });
  it('has an unbounded interval with one pair and null with none', () => {
    const c = comparePaired([10], [11])!;
    expect(c.ciLowPct).toBe(-Infinity);
    expect(comparePaired([null], [1])).toBeNull();
  });
});

describe('verdict thresholds', () => {
  it('GO needs the interval above zero and the gain over the threshold', () => {
    expect(goThresholdPct('env')).toBe(1.0);
    expect(goThresholdPct('const')).toBe(0.5);
    expect(verdict({ deltaPct: 1.2, ciLowPct: 0.3, ciHighPct: 2.1 }, 1.0)).toBe('GO');
    expect(verdict({ deltaPct: 0.8, ciLowPct: 0.3, ciHighPct: 1.3 }, 1.0)).toBe('NEUTRAL');
    expect(verdict({ deltaPct: 0.8, ciLowPct: 0.3, ciHighPct: 1.3 }, 0.5)).toBe('GO');
    expect(verdict({ deltaPct: 1.0, ciLowPct: 0.1, ciHighPct: 1.9 }, 1.0)).toBe('GO');
  });
  it('NO-GO when the interval is below zero, NEUTRAL when it straddles zero', () => {
    expect(verdict({ deltaPct: -3, ciLowPct: -5, ciHighPct: -1 }, 1.0)).toBe('NO-GO');
    expect(verdict({ deltaPct: 3, ciLowPct: -1, ciHighPct: 7 }, 1.0)).toBe('NEUTRAL');
    expect(verdict({ deltaPct: 0, ciLowPct: -Infinity, ciHighPct: Infinity }, 0.5)).toBe('NEUTRAL');
  });
});

describe('ratio intervals (t-interval of log-ratios)', () => {
  it('gives the known interval for known log-ratios', () => {
    // logs 0.1, 0.2, 0.3: mean 0.2, sd 0.1, n 3, t(0.975, 2) = 4.302653
    const half = (4.30265273 * 0.1) / Math.sqrt(3);
    const ci = logRatioInterval([Math.exp(0.1), Math.exp(0.2), Math.exp(0.3)])!;
    expect(ci[0]).toBeCloseTo(Math.exp(0.2 - half), 6);
    expect(ci[1]).toBeCloseTo(Math.exp(0.2 + half), 6);
    expect(ci[0]).toBeCloseTo(0.95274, 4);
    expect(ci[1]).toBeCloseTo(1.5658, 4);
  });
  it('is symmetric under swapping the sides (reciprocal interval)', () => {
    const a = [10, 12, 11, 13, 9];
    const b = [9, 11, 11.5, 12, 8];
    const ab = pairedRatioEstimate(a, b).ci!;
    const ba = pairedRatioEstimate(b, a).ci!;
    expect(ab[0]).toBeCloseTo(1 / ba[1], 12);
    expect(ab[1]).toBeCloseTo(1 / ba[0], 12);
  });
  it('has no interval with one round, and none with no pair', () => {
    expect(logRatioInterval([1.2])).toBeNull();
    expect(pairedRatioEstimate([12], [10])).toEqual({ n: 1, ratio: 1.2, ci: null });
    expect(pairedRatioEstimate([null], [10])).toEqual({ n: 0, ratio: null, ci: null });
  });
  it('uses only the paired rounds when a run failed', () => {
    const a = [Math.exp(0.1) * 10, null, Math.exp(0.2) * 10, Math.exp(0.3) * 10, 50];
    const b = [10, 10, 10, 10, null];
    const e = pairedRatioEstimate(a, b);
    expect(e.n).toBe(3);
    expect(e.ratio).toBeCloseTo(Math.exp(0.2), 12);
    expect(e.ci).toEqual(logRatioInterval([Math.exp(0.1), Math.exp(0.2), Math.exp(0.3)]));
  });
  it('a zero-width interval at 1 for a side against itself', () => {
    expect(pairedRatioEstimate([5, 6, 7], [5, 6, 7]).ci).toEqual([1, 1]);
  });
  it('tells whether an interval excludes or includes 1.0', () => {
    expect(excludesOneAbove([1.01, 1.2])).toBe(true);
    expect(excludesOneAbove([0.99, 1.2])).toBe(false);
    expect(excludesOneAbove(null)).toBe(false);
    expect(includesOne([0.99, 1.2])).toBe(true);
    expect(includesOne([1.01, 1.2])).toBe(false);
    expect(includesOne([0.8, 0.95])).toBe(false);
    expect(includesOne(null)).toBe(false);
  });
});

describe('unpaired ratio (Welch)', () => {
  it('takes the ratio of medians and the Welch interval of the mean log difference', () => {
    const a = [110, 112, 108, 111, 109];
    const b = [100, 103, 97, 101, 99, 100, 102, 98, 100];
    const e = unpairedRatioEstimate(a, b);
    expect(e.n).toBe(5);
    expect(e.ratio).toBeCloseTo(110 / 100, 12);
    // by hand: the Welch-Satterthwaite degrees of freedom and t quantile
    const la = a.map(Math.log);
    const lb = b.map(Math.log);
    const m = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const v = (x: number[]) => x.reduce((s, y) => s + (y - m(x)) ** 2, 0) / (x.length - 1);
    const va = v(la) / la.length;
    const vb = v(lb) / lb.length;
    const df = (va + vb) ** 2 / (va ** 2 / (la.length - 1) + vb ** 2 / (lb.length - 1));
    expect(df).toBeGreaterThan(6);
    expect(df).toBeLessThan(12);
    const d = m(la) - m(lb);
    // the interval is centred on the ratio of geometric means, and excludes 1.0 here
    expect(Math.sqrt(e.ci![0] * e.ci![1])).toBeCloseTo(Math.exp(d), 10);
    expect(excludesOneAbove(e.ci)).toBe(true);
    // wider than a naive z interval of the same standard error
    expect(Math.log(e.ci![1]) - d).toBeGreaterThan(1.96 * Math.sqrt(va + vb));
  });
  it('has no interval with fewer than two values on a side, and a point interval without spread', () => {
    expect(unpairedRatioEstimate([10], [5, 6])).toEqual({ n: 1, ratio: 2 / 1.1, ci: null });
    expect(unpairedRatioEstimate([4, 4, 4], [2, 2])).toEqual({ n: 2, ratio: 2, ci: [2, 2] });
    expect(unpairedRatioEstimate([], [1, 2]).ratio).toBeNull();
  });
  it('reads an interval below 1.0', () => {
    expect(excludesOneBelow([0.8, 0.95])).toBe(true);
    expect(excludesOneBelow([0.8, 1.01])).toBe(false);
    expect(excludesOneBelow(null)).toBe(false);
  });
});
