// Workload entries on the command line: a name, or a variant name:key=value[:key=value...].
import { describe, expect, it } from 'vitest';
import { isThreadedWorkload } from './plan-rounds.ts';
import { programOf, selectWorkloads, UsageError, workloadSpec } from './workloads.ts';

describe('workload variants', () => {
  it('a plain name is the spec itself: no arguments in a full run', () => {
    const w = workloadSpec('larson');
    expect(w.name).toBe('larson');
    expect(w.full).toEqual([]);
    expect(programOf(w.name)).toBe('larson');
  });

  it('larson:threads=16 runs larson with threads=16, under its own name, threaded', () => {
    const w = workloadSpec('larson:threads=16');
    expect(w.name).toBe('larson:threads=16');
    expect(programOf(w.name)).toBe('larson');
    expect(w.full).toEqual(['threads=16']);
    expect(w.quick).toEqual(['seconds=1', 'threads=16']);
    expect(isThreadedWorkload(w.name)).toBe(true);
  });

  it('several keys, and a key that replaces a quick setting', () => {
    const w = workloadSpec('xthread:threads=64:iters=2000000');
    expect(w.full).toEqual(['threads=64', 'iters=2000000']);
    expect(w.quick).toEqual(['threads=64', 'iters=2000000']);
  });

  it('one list can hold the same program at several thread counts', () => {
    const ws = selectWorkloads('larson:threads=8,larson:threads=64,random_mixed');
    expect(ws.map((w) => w.name)).toEqual(['larson:threads=8', 'larson:threads=64', 'random_mixed']);
    expect(ws.map((w) => programOf(w.name))).toEqual(['larson', 'larson', 'random_mixed']);
  });

  it('refuses an unknown program and a setting that is not key=<number>, naming what is allowed', () => {
    expect(() => workloadSpec('nope:threads=2')).toThrow(UsageError);
    expect(() => workloadSpec('nope:threads=2')).toThrow(/unknown workload "nope"; known: random_mixed/);
    for (const bad of ['larson:threads', 'larson:threads=', 'larson:threads=x', 'larson:=3', 'larson:Threads=2'])
      expect(() => workloadSpec(bad)).toThrow(/is not key=<number>; a variant is name:key=value/);
  });
});
