import { describe, expect, it } from 'vitest';
import { ownInvariantProblems } from '@hakmem/box-kit';
import { unifiedCache } from './box.ts';

describe('box-unified-cache declaration', () => {
  it('the declared defaults satisfy its invariants', () => {
    expect(ownInvariantProblems(unifiedCache)).toEqual([]);
  });

  it('the cache refuses a refill batch larger than its capacity, in the tiny and the mid classes', () => {
    expect(ownInvariantProblems(unifiedCache, { 'unifiedCache.capacity': 4, 'unifiedCache.refillBatch': 5 })).toEqual([
      'unifiedCache.refillBatch = 5 must be <= unifiedCache.capacity (4)',
    ]);
    expect(ownInvariantProblems(unifiedCache, { 'unifiedCache.midCapacity': 2 })).toEqual([
      'unifiedCache.midRefillBatch = 8 must be <= unifiedCache.midCapacity (2)',
    ]);
  });
});
