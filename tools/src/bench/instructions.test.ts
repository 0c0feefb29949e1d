import { describe, expect, it } from 'vitest';
import { marginalPerOp } from './instructions.ts';

describe('marginal instructions', () => {
  it('are the difference of the counts at 2n and n over the difference of the operations', () => {
    expect(marginalPerOp(19443316, 38702318, 200000, 400000)).toBeCloseTo(96.295, 3);
    expect(marginalPerOp(1, 2, 5, 5)).toBeNull();
  });
});
