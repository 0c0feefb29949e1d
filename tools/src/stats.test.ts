import { describe, expect, it } from 'vitest';
import {
  coefficientOfVariation,
  comparePaired,
  goThresholdPct,
  median,
  medianPairedRatio,
  pairedRatios,
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
    const half = 2.776445105 * Math.sqrt(2.5) / Math.sqrt(5);
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
