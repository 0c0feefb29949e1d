// Memory comes back without malloc_trim (issue 9): blocks freed after their thread exited
// (exited_free), threads that allocate in the last round of pthread key destructors
// (dtor_alloc), and time-based purging of empty SuperSlabs and cached large mappings
// (purge_delay, env.purgeDelayMs). Each under every library; glibc runs the same
// programs as the control (the knob's own cases run only where the environment is read).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseObserveReport } from '@hakmem/parse-output';
import {
  LIBS,
  acquireHeavyLock,
  bin,
  describeRun,
  expectOk,
  LOCK_HOOK_TIMEOUT,
  readResultLine,
  run,
  testBin,
} from '../helpers.ts';

let release: (() => void) | undefined;
beforeAll(async () => {
  release = await acquireHeavyLock();
}, LOCK_HOOK_TIMEOUT);
afterAll(() => release?.());

const TARGETS = [{ file: 'glibc (no preload)', path: undefined as string | undefined }, ...LIBS];

// The issue's case: 1 GiB in 1 KiB (tiny) or 64 KiB (mid) blocks, freed by main after the
// allocating thread exited; glibc ends near 10 MiB, hakmem near 10-30 MiB (the pool keeps up
// to poolLimit empty SuperSlabs). Without collection on free it stays at 1 GiB.
const EXITED_MB = 1024;
const EXITED_RSS_MB = 64;
// The issue's case: 20,000 threads allocating in the 4th (last) round of pthread key
// destructors. Before the fix each leaked a heap with its slabs (150-230 KB): 3 GB.
const DTOR_THREADS = 20_000;
const DTOR_RSS_MB = 64;
// purge_delay: 48 MiB of 1 MiB blocks (the large cache) and 64 MiB of 512 B blocks (SuperSlabs
// emptied into the pool), freed; 1.5 s later a few slow-path calls. Under the default
// purgeDelayMs (1000) the cache and the pool are released by then (hakmem: 60 MB resident
// right after the frees, 5 MB above the start after the purge; glibc returns it at free).
const PURGE_BOUND_MB = 16;
const PURGE_KEEP_MB = 40;
// Issue 9, item 4: many threads. 1,000 threads each holding 20 blocks of 16-1024 B at once,
// then exiting (each frees its own). Before: 180 MB alive (a 32-block refill per class per
// thread: 8 pages of 1 KiB blocks), 172 MB after they exited (parked caches and the empty
// slab per class kept by every abandoned heap); now 58 / 7 MB (glibc 21 / 13).
const MANY_THREADS = 1000;
const MANY_ALIVE_MB = 96;
const MANY_AFTER_MB = 32;
// 16 threads trading blocks (16-1024 B) through a 50,000-slot table for 4 s, so nearly every
// free is a remote one; then main frees what is left. Before: 140 MB kept after the frees,
// for good; now about 6 MB after a 1.5 s pause (free slabs are decommitted after purgeDelayMs,
// unadopted parked caches flushed). glibc keeps about 60 MB here: the bound is hakmem's only.
const PLATEAU_FINAL_MB = 32;

describe.sequential.each(TARGETS)('$file', (t) => {
  for (const size of [1024, 65536]) {
    it(`exited_free: ${EXITED_MB} MiB in ${size} B blocks freed after their thread exited: RSS <= ${EXITED_RSS_MB} MiB within 2 s`, async () => {
      const r = await run(
        testBin('exited_free'),
        [`size=${size}`, `total_mb=${EXITED_MB}`, 'wait_ms=2000', `rss_mb=${EXITED_RSS_MB}`],
        { preload: t.path, timeoutMs: 90_000 },
      );
      expectOk(r);
      expect(r.stdout, describeRun(r)).toMatch(/^exited_free: ok \(\d+ checks\)$/m);
      const m = /final=(\d+) ms=(\d+)/.exec(r.stdout);
      expect(m, describeRun(r)).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(EXITED_RSS_MB * 1024);
    }, 120_000);
  }

  // prior=1: the thread allocated before (the exit hook ran in round 1: later allocations
  // borrow a heap); prior=0: its first allocation is in the 4th round (the hook's key sits
  // after the user's, so it runs in that same round).
  it.each([1, 0])(
    `dtor_alloc: ${DTOR_THREADS} threads allocating in the 4th destructor round (prior=%i): RSS <= ${DTOR_RSS_MB} MiB`,
    async (prior) => {
      const r = await run(
        testBin('dtor_alloc'),
        [`threads=${DTOR_THREADS}`, 'concurrency=4', 'round=4', `prior=${prior}`, `rss_mb=${DTOR_RSS_MB}`],
        { preload: t.path, timeoutMs: 120_000 },
      );
      expectOk(r);
      expect(r.stdout, describeRun(r)).toMatch(/^dtor_alloc: ok \(\d+ checks\)$/m);
      const m = /allocs=(\d+) rss_kb early=(\d+) final=(\d+)/.exec(r.stdout);
      expect(m, describeRun(r)).not.toBeNull();
      expect(Number(m![1])).toBe(DTOR_THREADS);
      expect(Number(m![3])).toBeLessThanOrEqual(DTOR_RSS_MB * 1024);
    },
    150_000,
  );

  it(`many_threads: ${MANY_THREADS} threads x 20 blocks: RSS <= ${MANY_ALIVE_MB} MiB alive, <= ${MANY_AFTER_MB} MiB after they exit`, async () => {
    const r = await run(
      testBin('many_threads'),
      [`threads=${MANY_THREADS}`, 'blocks=20', 'max=1024', `alive_mb=${MANY_ALIVE_MB}`, `after_mb=${MANY_AFTER_MB}`],
      { preload: t.path, timeoutMs: 60_000 },
    );
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^many_threads: ok \(\d+ checks\)$/m);
  }, 90_000);

  it(`xthread_plateau: 16 threads freeing each other's blocks for 4 s, then all freed: ${t.path ? `RSS <= ${PLATEAU_FINAL_MB} MiB after purgeDelayMs` : 'no bound (control)'}`, async () => {
    const bound = t.path ? [`final_mb=${PLATEAU_FINAL_MB}`] : [];
    const r = await run(
      testBin('xthread_plateau'),
      ['threads=16', 'slots=50000', 'seconds=4', 'every=1', 'pause_ms=1500', ...bound],
      { preload: t.path, timeoutMs: 60_000 },
    );
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^xthread_plateau: ok \(\d+ checks\)$/m);
  }, 90_000);

  it(`purge_delay: after purgeDelayMs (default) the large cache and empty SuperSlabs are released: RSS within ${PURGE_BOUND_MB} MiB of the start`, async () => {
    const r = await run(testBin('purge_delay'), ['expect=purge', 'wait_ms=1500', `bound_mb=${PURGE_BOUND_MB}`], {
      preload: t.path,
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^purge_delay: ok \(\d+ checks\)$/m);
  }, 90_000);
});

// The issue's case, scaled down: posix_memalign(65536, 100), 20,000 times. Each block comes
// from the 64 KiB size class (slab areas start on a 64 KiB unit), so it costs 64 KiB of address
// space and the one page it touches: about 80 MiB resident and 1.3 GB of address space (glibc
// 160 MiB resident; jemalloc 88). A mapping of its own per block cost 2 MiB of address space
// and 8 KiB resident: 40 GB and 160 MiB.
describe.each(LIBS)('$file', (t) => {
  it('aligned_many: 20,000 x posix_memalign(65536, 100): <= 100 MiB resident, <= 2 GiB of address space', async () => {
    const r = await run(
      testBin('aligned_many'),
      ['align=65536', 'size=100', 'count=20000', 'rss_mb=100', 'vm_mb=2048'],
      {
        preload: t.path,
        timeoutMs: 60_000,
      },
    );
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^aligned_many: ok \(\d+ checks\)$/m);
  }, 90_000);
});

// Issue 9, item 2: a large block costs the address space it uses (its end rounded up to a
// page), not 2 MiB. Under an address-space limit (RLIMIT_AS, as `ulimit -v` sets it): 4,000
// blocks of 260 KiB all succeed under 4 GiB (before: 2,013), and under 1 GiB hakmem gives out at
// least 90 % of the MiB glibc does before malloc returns NULL (940 against 1,005 MiB; before:
// 121). The rest of the gap is the segment map, 64 MiB of address space never touched.
const ADDR_SHARE = 0.9;
let glibcMib: number | undefined;
async function largeAddr(preload: string | undefined, args: string[]) {
  const r = await run(testBin('large_addr'), args, { preload, timeoutMs: 60_000 });
  expectOk(r);
  expect(r.stdout, describeRun(r)).toMatch(/^large_addr: ok \(\d+ checks\)$/m);
  const m = /got=(\d+) mib=(\d+) again=(\d+)/.exec(r.stdout);
  expect(m, describeRun(r)).not.toBeNull();
  return { got: Number(m![1]), mib: Number(m![2]) };
}
describe.sequential.each(TARGETS)('$file', (t) => {
  it('large_addr: 4,000 x 260 KiB under a 4 GiB address-space limit all succeed, and again after they are freed', async () => {
    const { got } = await largeAddr(t.path, ['size=266240', 'count=4000', 'limit_mb=4096']);
    expect(got).toBe(4000);
  }, 90_000);

  it(`large_addr: under a 1 GiB address-space limit, >= ${ADDR_SHARE * 100} % of glibc's MiB of 260 KiB blocks before NULL`, async () => {
    const { mib } = await largeAddr(t.path, ['size=266240', 'count=0', 'limit_mb=1024']);
    if (t.path === undefined) glibcMib = mib;
    expect(glibcMib, 'the glibc control runs first').toBeDefined();
    expect(mib).toBeGreaterThanOrEqual(Math.floor(glibcMib! * ADDR_SHARE));
  }, 90_000);
});

// A cached 2 MiB mapping reused for a 300 KiB block gives back what its earlier blocks touched
// beyond twice the block, once live blocks keep largeCacheBytes / 16 (8 MiB) of such tails:
// 32 such blocks after 32 x 2 MiB were freed hold 18.5 MB (glibc 10 MB); with every tail kept,
// the cache's 64 MiB stayed resident until the age purge.
describe.each(TARGETS)('$file', (t) => {
  it('large_reuse: 32 x 300 KiB in the cached mappings of 32 x 2 MiB keep <= 24 MiB resident', async () => {
    const r = await run(testBin('large_reuse'), ['bound_mb=24'], { preload: t.path, timeoutMs: 60_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^large_reuse: ok \(\d+ checks\)$/m);
  }, 90_000);
});

// The large cache takes the smallest cached mapping that holds a block (not the nearest in
// length when that one is too small): the block starts where the block of that mapping
// started. glibc fails every check (it is the control of the program).
describe.each(LIBS)('$file', (t) => {
  it('large_fit: 40 cached mappings of different lengths, each block takes the smallest that holds it', async () => {
    const r = await run(testBin('large_fit'), [], { preload: t.path, timeoutMs: 60_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^large_fit: ok \(79 checks\)$/m);
  }, 90_000);
});

// ...and giving tails back costs no system call in steady state while that budget has room.
// vm_mixed (random replace, 512 KiB-2 MiB, one byte written per block; its seed is fixed): the
// large cache serves every request, so between 100,000 and 200,000 operations hakmem makes 60
// more mmap/mremap/munmap/madvise calls (OBSERVE's counters). Cutting every tail beyond twice
// the block off with munmap, and growing mappings back with mremap (82a0b91 to 325c66b), made
// 1,735, and halved vm_mixed's throughput.
describe.each(LIBS.filter((l) => l.mode === 'observe'))('$file: large mappings reused without system calls', (t) => {
  async function calls(iters: number): Promise<number> {
    const r = await run(bin('vm_mixed'), [`iters=${iters}`], {
      preload: t.path,
      env: { HAKMEM_STATS: 'json' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    const j = parseObserveReport(r.stderr);
    expect(j, describeRun(r)).not.toBeNull();
    const s = j!.boxes['superslab']!;
    return s.mmap_calls! + s.munmap_calls! + s.madvise_calls!;
  }

  it('vm_mixed: at most 250 more memory system calls for 100,000 more operations', async () => {
    const steady = (await calls(200_000)) - (await calls(100_000));
    expect(steady).toBeLessThanOrEqual(250);
  }, 90_000);
});

// unifiedCache.maxBytesPerThread: one thread frees 48 MiB of 1 KiB blocks, then 48 MiB
// of 4 KiB blocks, with every per-class cap lifted; with the pool releasing at once, what stays
// resident is what its caches hold. Under a 4 MiB budget that is about 2 MiB; with the budget
// lifted too, the caches keep all 96 MiB (the control: the test can fail). Standard and OBSERVE
// read the knobs from the environment.
const BUDGET_ENV = {
  HAKMEM_PURGE_DELAY_MS: '0',
  HAKMEM_UNIFIED_CACHE_CAPACITY: '65535',
  HAKMEM_UNIFIED_CACHE_MID_CAPACITY: '65535',
  HAKMEM_UNIFIED_CACHE_MAX_BYTES_PER_CLASS: String(1 << 30),
};
describe.each(LIBS.filter((l) => l.mode !== 'fast'))('$file: unifiedCache.maxBytesPerThread', (t) => {
  it('a 4 MiB budget: after 2 x 48 MiB of blocks are freed, <= 8 MiB stays resident', async () => {
    const r = await run(testBin('cache_budget'), ['mib=48', 'bound_mb=8'], {
      preload: t.path,
      env: { ...BUDGET_ENV, HAKMEM_UNIFIED_CACHE_MAX_BYTES_PER_THREAD: String(4 << 20) },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^cache_budget: ok \(\d+ checks\)$/m);
  }, 90_000);

  it('control: with the budget lifted (1 GiB per thread and in all) the caches keep >= 64 MiB', async () => {
    const r = await run(testBin('cache_budget'), ['mib=48'], {
      preload: t.path,
      env: {
        ...BUDGET_ENV,
        HAKMEM_UNIFIED_CACHE_MAX_BYTES_PER_THREAD: String(1 << 30),
        HAKMEM_UNIFIED_CACHE_MAX_BYTES_TOTAL: String(1 << 30),
      },
      timeoutMs: 60_000,
    });
    expectOk(r);
    const held = Number(/held_kb=(\d+)/.exec(r.stdout)?.[1]);
    expect(held, describeRun(r)).toBeGreaterThanOrEqual(64 * 1024);
  }, 90_000);

  it('the default budget (8 MiB): <= 16 MiB stays resident', async () => {
    const r = await run(testBin('cache_budget'), ['mib=48', 'bound_mb=16'], {
      preload: t.path,
      env: { HAKMEM_PURGE_DELAY_MS: '0' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^cache_budget: ok \(\d+ checks\)$/m);
  }, 90_000);
});

// All threads' caches together hold about unifiedCache.maxBytesTotal (32 MiB by default):
// 32 threads each free 4 MiB of their own 1 KiB blocks and wait while main reads the resident
// set. With only a per-thread budget (8 MiB) they kept 108 MiB; now each thread's share is the
// total divided by the threads that hold a heap. A thread that filled its caches before the
// others started keeps what it holds until its next refill, hence the margin.
describe.each(LIBS.filter((l) => l.mode !== 'fast'))('$file: unifiedCache.maxBytesTotal', (t) => {
  it('32 threads with 4 MiB of freed blocks each: <= 48 MiB stays resident while they wait', async () => {
    const r = await run(testBin('cache_budget'), ['threads=32', 'mib=4', 'bound_mb=48'], {
      preload: t.path,
      env: { HAKMEM_PURGE_DELAY_MS: '0' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^cache_budget: ok \(\d+ checks\)$/m);
  }, 90_000);

  it('control: with the total lifted (1 GiB) the caches keep >= 64 MiB', async () => {
    const r = await run(testBin('cache_budget'), ['threads=32', 'mib=4'], {
      preload: t.path,
      env: { HAKMEM_PURGE_DELAY_MS: '0', HAKMEM_UNIFIED_CACHE_MAX_BYTES_TOTAL: String(1 << 30) },
      timeoutMs: 60_000,
    });
    expectOk(r);
    const held = Number(/held_kb=(\d+)/.exec(r.stdout)?.[1]);
    expect(held, describeRun(r)).toBeGreaterThanOrEqual(64 * 1024);
  }, 90_000);
});

// 64 threads swapping blocks of mixed sizes through shared slots (the exchange workload), on a
// 2-core machine where each thread is descheduled most of the time: every block another thread
// frees is kept and reused by the thread that freed it (its cache, the depot), so none
// waits in the queue of an owner that is not running, and the caches share one budget. Peak RSS
// was 0.5-1.3 GB (the owners' queues, the caches, a second's worth of free slabs kept warm);
// tcmalloc holds about 130 MB, glibc 250 MB. About 75 MiB are live.
describe.each(LIBS)('$file: exchange at 64 threads', (t) => {
  it('peak RSS <= 224 MiB over 3 s', async () => {
    const r = await run(bin('exchange'), ['threads=64', 'seconds=3'], { preload: t.path, timeoutMs: 60_000 });
    expectOk(r);
    const peak = Number(readResultLine(r.stdout, 'exchange').extra.peak_rss_kb);
    expect(peak, describeRun(r)).toBeGreaterThan(0);
    expect(peak, describeRun(r)).toBeLessThanOrEqual(224 * 1024);
  }, 90_000);
});

// A class may fill what the budget has left, not only double: 1,600 blocks of 4 KiB (6.25 MiB)
// fit the default 8 MiB budget, so a thread that reuses them takes them from the slabs in
// the first round only (about 200 misses, slow start included) and never flushes. Before the
// fix the class's limit stopped at 1,024 (doubling to 2,048 did not fit), and 50 rounds
// missed 6,474 times with 100 flushes. Under a 4 MiB budget they cannot fit (the control).
// OBSERVE counts the misses (HAKMEM_STATS=json).
describe.each(LIBS.filter((l) => l.mode === 'observe'))('$file: a class grows to what the budget has left', (t) => {
  async function reuse(rounds: number, env: Record<string, string> = {}) {
    const r = await run(testBin('cache_budget'), ['reuse=1600', 'size=4096', `rounds=${rounds}`], {
      preload: t.path,
      env: { HAKMEM_STATS: 'json', ...env },
      timeoutMs: 60_000,
    });
    expectOk(r);
    const j = parseObserveReport(r.stderr);
    expect(j, describeRun(r)).not.toBeNull();
    const row = j!.classes.find((c) => c.size === 4096);
    expect(row, describeRun(r)).toBeDefined();
    return { misses: row!.misses!, flushes: j!.boxes['unified-cache']!.flushes! };
  }

  it('1,600 blocks of 4 KiB reused 50 times miss only in the first round, and never flush', async () => {
    const first = await reuse(1);
    const fifty = await reuse(50);
    expect(fifty.misses - first.misses).toBeLessThanOrEqual(8);
    expect(fifty.flushes).toBe(0);
  }, 90_000);

  it('control: under a 4 MiB budget they do not fit, and each round misses again', async () => {
    const env = { HAKMEM_UNIFIED_CACHE_MAX_BYTES_PER_THREAD: String(4 << 20) };
    const first = await reuse(1, env);
    const fifty = await reuse(50, env);
    expect(fifty.misses - first.misses).toBeGreaterThan(49 * 10);
    expect(fifty.flushes).toBeGreaterThan(0);
  }, 90_000);
});

// The knob itself: read from the environment by Standard and OBSERVE (a constant in FAST).
describe.sequential.each(LIBS.filter((l) => l.mode !== 'fast'))('$file: env.purgeDelayMs', (t) => {
  it('HAKMEM_PURGE_DELAY_MS=-1 keeps the large cache and the pool after the delay', async () => {
    const r = await run(testBin('purge_delay'), ['expect=keep', 'wait_ms=1500', `keep_mb=${PURGE_KEEP_MB}`], {
      preload: t.path,
      env: { HAKMEM_PURGE_DELAY_MS: '-1' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^purge_delay: ok \(\d+ checks\)$/m);
  }, 90_000);

  it('HAKMEM_PURGE_DELAY_MS=0 releases at once: nothing waits after the frees', async () => {
    const r = await run(testBin('purge_delay'), ['expect=immediate', 'wait_ms=0', `bound_mb=${PURGE_BOUND_MB}`], {
      preload: t.path,
      env: { HAKMEM_PURGE_DELAY_MS: '0' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^purge_delay: ok \(\d+ checks\)$/m);
  }, 90_000);

  it('HAKMEM_PURGE_DELAY_MS=60000 keeps both over a 1.5 s pause', async () => {
    const r = await run(testBin('purge_delay'), ['expect=keep', 'wait_ms=1500', `keep_mb=${PURGE_KEEP_MB}`], {
      preload: t.path,
      env: { HAKMEM_PURGE_DELAY_MS: '60000' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^purge_delay: ok \(\d+ checks\)$/m);
  }, 90_000);
});
