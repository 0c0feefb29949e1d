// The runs that killed the predecessor (CONTRIBUTING.md, "What the predecessor taught"):
// random_mixed for 10M iterations at ws=400 ran its pool dry (OOM), and ws=40,000
// segfaulted. hakmem must finish both with exit 0 and a valid result line, in every build.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LIBS,
  acquireHeavyLock,
  bin,
  describeRun,
  expectOk,
  LOCK_HOOK_TIMEOUT,
  readResultLine,
  run,
} from './helpers.ts';

let release: (() => void) | undefined;
beforeAll(async () => {
  release = await acquireHeavyLock();
}, LOCK_HOOK_TIMEOUT);
afterAll(() => release?.());

const CASES = [
  { iters: 10_000_000, ws: 400 },
  { iters: 10_000_000, ws: 40_000 },
  { iters: 2_000_000, ws: 400 },
  { iters: 2_000_000, ws: 40_000 },
];

describe.sequential.each(LIBS)('$file', (lib) => {
  it.each(CASES)(
    'random_mixed iters=$iters ws=$ws completes',
    async ({ iters, ws }) => {
      const r = await run(bin('random_mixed'), [`iters=${iters}`, `ws=${ws}`, 'seed=1'], {
        preload: lib.path,
        timeoutMs: 90_000,
      });
      expectOk(r);
      const res = readResultLine(r.stdout, 'random_mixed');
      expect(res.ops, describeRun(r)).toBe(iters);
      expect(res.seconds).toBeGreaterThan(0);
      expect(res.mops).toBeGreaterThan(0);
    },
    120_000,
  );
});

describe.sequential('control (glibc)', () => {
  it('random_mixed iters=10000000 ws=40000 completes without preload', async () => {
    const r = await run(bin('random_mixed'), ['iters=10000000', 'ws=40000'], { timeoutMs: 90_000 });
    expectOk(r);
    expect(readResultLine(r.stdout, 'random_mixed').ops).toBe(10_000_000);
  }, 120_000);
});
