import { describe, expect, it } from 'vitest';
import { ownInvariantProblems } from '@hakmem/box-kit';
import { front } from './box.ts';

describe('box-front declarations', () => {
  it("the declared defaults satisfy the front gate's invariants", () => {
    expect(ownInvariantProblems(front)).toEqual([]);
  });

  it('the size-class rules refuse classes that do not end at tinyMax or are not multiples of 16', () => {
    expect(ownInvariantProblems(front, { 'front.tinyClasses': [16, 32, 512] })).toEqual([
      'front.tinyClasses last = 512 must equal front.tinyMax (1024)',
    ]);
    expect(ownInvariantProblems(front, { 'front.tinyClasses': [16, 40, 1024] })).toEqual([
      'front.tinyClasses[1] = 40 must be a multiple of 16',
    ]);
  });
});
