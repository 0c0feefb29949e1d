import { describe, expect, it } from 'vitest';
import { marginalPerOp, parseCollected } from './instructions.ts';
import { instructionsTable, syscallsTable } from './format-counts.ts';

describe('callgrind parsing', () => {
  it('reads the Collected total and computes the marginal cost', () => {
    expect(parseCollected('==2586== Events    : Ir\n==2586== Collected : 19443316\n==2586==\n')).toBe(19443316);
    expect(parseCollected('nothing')).toBeNull();
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
