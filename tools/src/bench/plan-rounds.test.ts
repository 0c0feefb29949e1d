import { describe, expect, it } from 'vitest';
import { MIN_MT_ROUNDS, planRounds, roundsFor } from './plan-rounds.ts';

describe('planRounds', () => {
  it('defaults to 5 single-threaded and 9 threaded rounds', () => {
    expect(planRounds({})).toEqual({ single: 5, threaded: 9 });
    expect(MIN_MT_ROUNDS).toBe(9);
  });
  it('raises the threaded count with --runs but never below 9', () => {
    expect(planRounds({ runs: 3 })).toEqual({ single: 3, threaded: 9 });
    expect(planRounds({ runs: 12 })).toEqual({ single: 12, threaded: 12 });
  });
  it('takes an explicit --mt-runs, below 9 only with the flag', () => {
    expect(planRounds({ runs: 5, mtRuns: 15 })).toEqual({ single: 5, threaded: 15 });
    expect(() => planRounds({ mtRuns: 5 })).toThrow(/--mt-runs 5 is below .* --allow-few-mt-runs/);
    expect(planRounds({ mtRuns: 5, allowFewMtRuns: true })).toEqual({ single: 5, threaded: 5 });
  });
  it('is one round for everything with --quick', () => {
    expect(planRounds({ quick: true, runs: 7, mtRuns: 20 })).toEqual({ single: 1, threaded: 1 });
    expect(planRounds({ quick: true, mtRuns: 2 })).toEqual({ single: 1, threaded: 1 });
  });
  it('picks the count by the workload kind', () => {
    const plan = { single: 5, threaded: 9 };
    expect(roundsFor({ threaded: true }, plan)).toBe(9);
    expect(roundsFor({ threaded: false }, plan)).toBe(5);
  });
});
