import { describe, expect, it } from 'vitest';
import type { AnyKnobValue, ConfigView } from './types.ts';
import {
  atLeast,
  atMost,
  fillTemplate,
  INVARIANT_FORMS,
  isPowerOfTwo,
  lessThan,
  multipleOf,
  powerOfTwo,
  ratioWithin,
  rule,
} from './invariants.ts';

function view(values: Record<string, AnyKnobValue>): ConfigView {
  return {
    get: (p) => values[p] as AnyKnobValue,
    num: (p) => values[p] as number,
    list: (p) => values[p] as readonly number[],
  };
}

describe('invariant helpers', () => {
  it('atMost names both knobs and values', () => {
    const inv = atMost('a.x', 'a.y');
    expect(inv.check(view({ 'a.x': 2, 'a.y': 2 }))).toEqual([]);
    expect(inv.check(view({ 'a.x': 256, 'a.y': 128 }))).toEqual(['a.x = 256 must be <= a.y (128)']);
    expect(inv.paths).toEqual(['a.x', 'a.y']);
  });
  it('lessThan, atLeast, powerOfTwo, multipleOf, ratioWithin', () => {
    expect(lessThan('x', 'y').check(view({ x: 2, y: 2 }))).toEqual(['x = 2 must be < y (2)']);
    expect(atLeast('x', 1).check(view({ x: 0 }))).toEqual(['x = 0 must be >= 1']);
    expect(powerOfTwo('x').check(view({ x: 48 }))).toEqual(['x = 48 must be a power of two']);
    expect(multipleOf('x', 'y').check(view({ x: 10, y: 4 }))).toEqual(['x = 10 must be a multiple of y (4)']);
    expect(ratioWithin('x', 'y', 4, 64).check(view({ x: 256, y: 1 }))).toEqual(['x / y = 256 / 1 must be in [4, 64]']);
    expect(ratioWithin('x', 'y', 4, 64).check(view({ x: 64, y: 16 }))).toEqual([]);
  });
  it('rule passes through a custom problem line', () => {
    const inv = rule({
      name: 'n',
      rule: 'r',
      paths: ['x'],
      check: (c) => (c.num('x') > 0 ? undefined : 'x must be > 0'),
    });
    expect(inv.check(view({ x: 0 }))).toEqual(['x must be > 0']);
    expect(inv.check(view({ x: 1 }))).toEqual([]);
  });
  it("the structured helpers carry their form, and their problem line is the form's template filled in", () => {
    const inv = lessThan('s.release', 's.pool');
    expect(inv.form).toEqual({ op: 'lessThan', a: 's.release', b: 's.pool' });
    expect(inv.check(view({ 's.release': 9, 's.pool': 8 }))).toEqual([
      fillTemplate(INVARIANT_FORMS.lessThan.problem, inv.form!, { va: '9', vb: '8' }),
    ]);
    expect(INVARIANT_FORMS.lessThan.problem).toBe('{a} = {va} must be < {b} ({vb})');
  });
  it('a free-form rule has no form (codegen refuses it over run-time knobs)', () => {
    expect(rule({ name: 'n', rule: 'r', paths: ['x'], check: () => undefined }).form).toBeUndefined();
  });
  it('isPowerOfTwo', () => {
    expect([1, 2, 1024, 2 ** 34].every(isPowerOfTwo)).toBe(true);
    expect([0, 3, 48, -2, 1.5].some(isPowerOfTwo)).toBe(false);
  });
});
