import { describe, expect, it } from 'vitest';
import { instructionsTable, syscallsTable } from './format-counts.ts';

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
