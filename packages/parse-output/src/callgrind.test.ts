import { describe, expect, it } from 'vitest';
import { parseCallgrindCollected } from './callgrind.ts';

describe('parseCallgrindCollected', () => {
  it("reads the Collected total of callgrind's summary, the last one when there are several", () => {
    expect(parseCallgrindCollected('==2586== Events    : Ir\n==2586== Collected : 19443316\n==2586==\n')).toBe(
      19443316,
    );
    expect(parseCallgrindCollected('==1== Collected : 5\n==2== Collected : 7\n')).toBe(7);
  });

  it('returns null when there is no summary (valgrind failed before the end)', () => {
    expect(parseCallgrindCollected('nothing')).toBeNull();
  });
});
