// Threads: cross-thread frees with checksums (mt_cross_free), 10,000 short threads with an
// RSS bound (thread_churn), fork while other threads allocate (fork_stress); each under
// every library and under glibc as the control.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIBS, acquireHeavyLock, describeRun, expectOk, LOCK_HOOK_TIMEOUT, run, testBin } from '../helpers.ts';

let release: (() => void) | undefined;
beforeAll(async () => {
  release = await acquireHeavyLock();
}, LOCK_HOOK_TIMEOUT);
afterAll(() => release?.());

const TARGETS = [{ file: 'glibc (no preload)', path: undefined as string | undefined }, ...LIBS];

// Sizes chosen to keep the file near a minute and a half on a loaded 2-core machine.
const MT_OPS = 2_000_000;
const CHURN_THREADS = 10_000;
const CHURN_RSS_MB = 64; // see the comment at the top of thread_churn.c (beside this spec)
const FORKS = 200;

describe.sequential.each(TARGETS)('$file', (t) => {
  it(`mt_cross_free: ${MT_OPS} blocks through 8 threads, every checksum verified`, async () => {
    const r = await run(testBin('mt_cross_free'), [`ops=${MT_OPS}`, 'threads=8'], {
      preload: t.path,
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^mt_cross_free: ok \(\d+ checks\)$/m);
    expect(r.stdout).toMatch(new RegExp(`^mt_cross_free: threads=8 blocks=${MT_OPS} `, 'm'));
  }, 90_000);

  it(`thread_churn: ${CHURN_THREADS} short threads, final RSS <= ${CHURN_RSS_MB} MiB`, async () => {
    const r = await run(
      testBin('thread_churn'),
      [`threads=${CHURN_THREADS}`, 'concurrency=4', `rss_mb=${CHURN_RSS_MB}`],
      { preload: t.path, timeoutMs: 90_000 },
    );
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^thread_churn: ok \(\d+ checks\)$/m);
    const m = /rss_kb=(\d+) bound_kb=(\d+)/.exec(r.stdout);
    expect(m, describeRun(r)).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(CHURN_RSS_MB * 1024);
  }, 120_000);

  it(`fork_stress: ${FORKS} forks while 2 threads allocate; every child exits 0`, async () => {
    const r = await run(testBin('fork_stress'), [`forks=${FORKS}`, 'workers=2', 'child_timeout=20'], {
      preload: t.path,
      timeoutMs: 120_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(
      new RegExp(`^fork_stress: forks=${FORKS} workers=2 ok=${FORKS} hung=0 crashed=0 failed=0 `, 'm'),
    );
    expect(r.stdout).toMatch(/^fork_stress: ok \(\d+ checks\)$/m);
  }, 150_000);
});
