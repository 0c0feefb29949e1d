// A double free must stay the bug of the thread that made it: double_free_remote.c (beside this spec)
// (a thread allocates a block and exits, main frees it twice, later threads adopt the heap)
// must finish under every library with no crash, hang or block handed out twice. Not run
// under glibc, which aborts on these double frees by design.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIBS, acquireHeavyLock, describeRun, expectOk, LOCK_HOOK_TIMEOUT, run, testBin } from '../helpers.ts';

let release: (() => void) | undefined;
beforeAll(async () => {
  release = await acquireHeavyLock();
}, LOCK_HOOK_TIMEOUT);
afterAll(() => release?.());

describe.sequential('a double free across threads is contained (double_free_remote)', () => {
  // Standard and OBSERVE report the first double free and abort (HAKMEM_ON_INVALID=abort, the
  // default); with ignore they skip each bad call, and the run must then finish like FAST's.
  it.each(LIBS)(
    'under $file, the bad calls skipped',
    async (lib) => {
      const env: Record<string, string> = lib.mode === 'fast' ? {} : { HAKMEM_ON_INVALID: 'ignore' };
      const r = await run(testBin('double_free_remote'), [], { preload: lib.path, env, timeoutMs: 90_000 });
      expectOk(r);
      expect(r.stdout, describeRun(r)).toMatch(/^double_free_remote: ok \(\d+ checks\)$/m);
      expect(r.stderr, describeRun(r)).not.toMatch(/^hakmem: /m);
    },
    120_000,
  );

  it.each(LIBS.filter((l) => l.mode !== 'fast'))(
    'under $file, the first double free is reported and aborts',
    async (lib) => {
      const r = await run(testBin('double_free_remote'), [], { preload: lib.path, timeoutMs: 90_000 });
      expect(r.signal ?? r.exitCode, describeRun(r)).toBe('SIGABRT');
      expect(r.stderr, describeRun(r)).toMatch(/^hakmem: free\(\): double free of 0x[0-9a-f]+ \(class \d+, \d+ B\)$/m);
    },
    120_000,
  );

  it('with remote frees gathered in batches (HAKMEM_REMOTE_PUSH_BATCH=8, libhakmem.so)', async () => {
    const lib = LIBS.find((l) => l.mode === 'standard')!;
    const r = await run(testBin('double_free_remote'), [], {
      preload: lib.path,
      env: { HAKMEM_REMOTE_PUSH_BATCH: '8', HAKMEM_REMOTE_DRAIN_THRESHOLD: '4', HAKMEM_ON_INVALID: 'ignore' },
      timeoutMs: 90_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^double_free_remote: ok \(\d+ checks\)$/m);
  }, 120_000);
});
