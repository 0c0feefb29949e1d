import { describe, expect, it } from 'vitest';
import { marginalPerOp } from './instructions.ts';
import { instructionsTable, syscallsTable } from './format-counts.ts';

describe('marginal instructions', () => {
  it('are the difference of the counts at 2n and n over the difference of the operations', () => {
    expect(marginalPerOp(19443316, 38702318, 200000, 400000)).toBeCloseTo(96.295, 3);
    expect(marginalPerOp(1, 2, 5, 5)).toBeNull();
  });
});

describe('count tables', () => {
  it('formats both tables', () => {
    expect(
      instructionsTable([
        { workload: 'w', allocator: 'a', n: 1, irAtN: 1, irAt2N: 2, opsAtN: 1, opsAt2N: 2, perOp: 1 },
      ]),
    ).toContain('| w');
    expect(
      syscallsTable([
        { workload: 'w', allocator: 'a', n: 1, atN: {}, at2N: {}, steady: {}, steadyPer1e8Ops: null, error: 'x' },
      ]),
    ).toContain('FAILED');
  });
});
