import { describe, expect, it } from 'vitest';
import * as knobs from './knobs.ts';
import { KIND_BY_CTOR, KNOB_KINDS, kindOf } from './kinds.ts';
import type { Knob, KnobKind } from './types.ts';

describe('the knob kinds table', () => {
  it('names, for every kind, the constructor that builds it', () => {
    const built: Record<KnobKind, Knob> = {
      bool: knobs.bool({ default: true, scope: 'env' }),
      int: knobs.int({ default: 1, min: 0, max: 2, scope: 'env' }),
      bytes: knobs.bytes({ default: 4096, min: 0, max: 8192, scope: 'env' }),
      enum: knobs.enumOf(['a', 'b'], { default: 'a', scope: 'env' }),
      intList: knobs.intList({ default: [1], min: 0, max: 2 }),
    };
    for (const [kind, knob] of Object.entries(built)) {
      expect(knob.kind).toBe(kind);
      const ctor = KNOB_KINDS[kind as KnobKind].ctor;
      expect(typeof (knobs as Record<string, unknown>)[ctor], ctor).toBe('function');
      expect(KIND_BY_CTOR.get(ctor)).toBe(kind);
    }
  });

  it('checks types and ranges, spells C and TypeScript, and shows values', () => {
    const cap = knobs.int({ default: 4, min: 1, max: 8, scope: 'env' });
    expect(kindOf(cap).typeProblem(cap, '4')).toBe('expected an integer, got "4"');
    expect(kindOf(cap).rangeProblems('x.cap', cap, 9)).toEqual(['x.cap = 9 must be in [1, 8]']);
    const mode = knobs.enumOf(['unmap', 'never'], { default: 'unmap', scope: 'env' });
    expect(kindOf(mode).typeProblem(mode, 'sometimes')).toBe(`expected one of 'unmap', 'never', got "sometimes"`);
    expect(kindOf(mode).tsType(mode)).toBe(`'unmap' | 'never'`);
    expect(kindOf(mode).cLiteral('never', (v) => `K_${v.toUpperCase()}`)).toBe('K_NEVER');
    const size = knobs.bytes({ default: 2097152, min: 0, max: 2 ** 34, scope: 'env' });
    expect(kindOf(size).cLiteral(2097152, String)).toBe('((size_t)2097152)');
    expect(kindOf(size).shown(2097152)).toBe('2097152 (2 MiB)');
    const list = knobs.intList({ default: [16, 32], min: 16, max: 64 });
    expect(kindOf(list).rangeProblems('x.l', list, [16, 128])).toEqual(['x.l[1] = 128 must be in [16, 64]']);
    expect(kindOf(list).runtime).toBe(false);
  });
});
