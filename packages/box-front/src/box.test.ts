import { describe, expect, it } from 'vitest';
import { ownInvariantProblems } from '@hakmem/box-kit';
import { frontGate, unifiedCache } from './box.ts';

describe('box-front declarations', () => {
  it("the declared defaults satisfy both boxes' invariants", () => {
    expect(ownInvariantProblems(frontGate)).toEqual([]);
    expect(ownInvariantProblems(unifiedCache)).toEqual([]);
  });

  it('the size-class rules refuse classes that do not end at tinyMax or are not multiples of 16', () => {
    expect(ownInvariantProblems(frontGate, { 'front.gate.tinyClasses': [16, 32, 512] })).toEqual([
      'front.gate.tinyClasses last = 512 must equal front.gate.tinyMax (1024)',
    ]);
    expect(ownInvariantProblems(frontGate, { 'front.gate.tinyClasses': [16, 40, 1024] })).toEqual([
      'front.gate.tinyClasses[1] = 40 must be a multiple of 16',
    ]);
  });

  it('the cache refuses a refill batch larger than its capacity, in the tiny and the mid classes', () => {
    expect(
      ownInvariantProblems(unifiedCache, { 'front.unifiedCache.capacity': 4, 'front.unifiedCache.refillBatch': 5 }),
    ).toEqual(['front.unifiedCache.refillBatch = 5 must be <= front.unifiedCache.capacity (4)']);
    expect(ownInvariantProblems(unifiedCache, { 'front.unifiedCache.midCapacity': 2 })).toEqual([
      'front.unifiedCache.midRefillBatch = 8 must be <= front.unifiedCache.midCapacity (2)',
    ]);
  });
});
