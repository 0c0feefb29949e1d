import { describe, expect, it } from 'vitest';
import { KiB, MiB, ownInvariantProblems } from '@hakmem/box-kit';
import { superslab } from './box.ts';

describe('box-superslab declaration', () => {
  it('the declared defaults satisfy its invariants', () => {
    expect(ownInvariantProblems(superslab)).toEqual([]);
  });

  it('refuses a slab size that does not divide the SuperSlab into 4 to 64 slabs', () => {
    expect(ownInvariantProblems(superslab, { 'superslab.size': MiB(4), 'superslab.slabSize': KiB(16) })).toEqual([
      'superslab.size / superslab.slabSize = 4194304 / 16384 must be in [4, 64]',
    ]);
  });

  it('keeps fewer empty SuperSlabs after a release than it allows before one', () => {
    expect(ownInvariantProblems(superslab, { 'superslab.releaseThreshold': 8 })).toEqual([
      'superslab.releaseThreshold = 8 must be < superslab.poolLimit (8)',
    ]);
  });
});
