// The allocator API as programs see it, the programs beside this spec: api_semantics.c (plain
// malloc API), api_hak.c (hak_* API, linked against libhakmem.so), cxx_new_delete.cpp (C++
// new/delete), alloc_limits.c (sizes and alignments near SIZE_MAX), realloc_growth.c (a buffer
// grown by realloc in small steps), carve_order.c (fresh blocks in ascending addresses) and
// block_sets.c (block starts spread over the cache's sets), under each library and
// under glibc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LIBS,
  acquireHeavyLock,
  describeRun,
  expectOk,
  LOCK_HOOK_TIMEOUT,
  libByMode,
  need,
  run,
  testBin,
} from '../helpers.ts';

let release: (() => void) | undefined;
beforeAll(async () => {
  release = await acquireHeavyLock();
}, LOCK_HOOK_TIMEOUT);
afterAll(() => release?.());

describe.sequential('api_semantics without preload (glibc, the control)', () => {
  it('passes', async () => {
    const r = await run(testBin('api_semantics'), [], { timeoutMs: 120_000 });
    expectOk(r);
    expect(r.stdout).toMatch(/^api_semantics: ok \(\d+ checks\)$/m);
  }, 150_000);
});

describe.sequential.each(LIBS)('$file', (lib) => {
  it('api_semantics passes under LD_PRELOAD', async () => {
    const r = await run(testBin('api_semantics'), [], { preload: lib.path, timeoutMs: 120_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^api_semantics: ok \(\d+ checks\)$/m);
  }, 150_000);

  it('cxx_new_delete passes under LD_PRELOAD, with the same digest as glibc', async () => {
    const control = await run(testBin('cxx_new_delete'), [], { timeoutMs: 60_000 });
    expectOk(control);
    const r = await run(testBin('cxx_new_delete'), [], { preload: lib.path, timeoutMs: 60_000 });
    expectOk(r);
    const digest = (s: string) => /^cxx_new_delete: digest=([0-9a-f]+)$/m.exec(s)?.[1];
    expect(digest(r.stdout), describeRun(r)).toBeDefined();
    expect(digest(r.stdout)).toBe(digest(control.stdout));
  }, 150_000);
});

// Fresh memory comes out in ascending addresses, as every peer carves it (glibc's top chunk,
// mimalloc's and tcmalloc's fresh pages): a program that writes its blocks in the order it got
// them then streams forward, which the prefetchers follow (batch, issue 10). hakmem handed each
// refill out downwards until 2026-11-29: 0 of 399 neighbour pairs ascended.
describe.each([{ file: 'glibc (no preload)', path: undefined as string | undefined }, ...LIBS])('$file', (t) => {
  it('carve_order: >= 95 % of neighbour blocks from fresh slabs ascend (16 B to 4 KiB)', async () => {
    const r = await run(testBin('carve_order'), ['min_pct=95'], { preload: t.path, timeoutMs: 60_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^carve_order: ok \(\d+ checks\)$/m);
    expect(r.stdout.match(/^carve_order: size=\d+ ascending=\d+\/\d+$/gm)).toHaveLength(5);
  }, 90_000);

  // The first bytes of a slab's 256 B to 1 KiB blocks spread over the L1's sets (larson at
  // scale, issue 10): laid at the bare class size, 1,024 B blocks started in 4 of the 64 sets
  // and 512 B blocks in 8 (until 2026-11-29); glibc's 16-byte chunk headers spread them. And
  // posix_memalign at 64 B to 4 KiB still returns aligned blocks of those sizes.
  it('block_sets: 256 B to 1 KiB blocks start in >= 48 of the L1 64 sets; aligned requests stay aligned', async () => {
    const r = await run(testBin('block_sets'), ['min_sets=48'], { preload: t.path, timeoutMs: 60_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^block_sets: ok \(\d+ checks\)$/m);
    expect(r.stdout.match(/^block_sets: size=\d+ sets=\d+\/64$/gm)).toHaveLength(4);
  }, 90_000);
});

describe.sequential('impossible requests', () => {
  it.each(LIBS)(
    'fail under $file exactly as under glibc (the kernel decides, ENOMEM)',
    async (lib) => {
      const control = await run(testBin('huge_alloc'), [], { timeoutMs: 60_000 });
      expectOk(control);
      const r = await run(testBin('huge_alloc'), [], { preload: lib.path, timeoutMs: 60_000 });
      expectOk(r);
      expect(r.stdout, describeRun(r)).toBe(control.stdout);
      expect(r.stdout).toMatch(/^malloc\(64 MiB\): ok$/m);
    },
    90_000,
  );
});

describe.sequential('sizes and alignments at the edge of size_t (alloc_limits)', () => {
  // every call must fail with glibc's errno, quickly: the test's own watchdog fails it
  // after 10 s (an alignment rounding loop that wrapped to 0 used to spin forever)
  const check = (r: Awaited<ReturnType<typeof run>>) => {
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^alloc_limits: ok \(\d+ checks\)$/m);
  };
  it('pass under glibc (the control)', async () => {
    check(await run(testBin('alloc_limits'), [], { timeoutMs: 30_000 }));
  }, 60_000);
  it.each(LIBS)(
    'pass under $file',
    async (lib) => {
      check(await run(testBin('alloc_limits'), [], { preload: lib.path, timeoutMs: 30_000 }));
    },
    60_000,
  );
});

describe.sequential('realloc growth (realloc_growth)', () => {
  // a buffer grown by 4 KiB steps to 256 MiB: under 20 s (the program checks it, and its
  // peak RSS, and its contents across every move); large blocks are remapped, not copied
  const check = (r: Awaited<ReturnType<typeof run>>) => {
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^realloc_growth: grow 256 MiB in \d+\.\d+ s/m);
    expect(r.stdout, describeRun(r)).toMatch(/^realloc_growth: ok \(\d+ checks\)$/m);
  };
  it('passes under glibc (the control)', async () => {
    check(await run(testBin('realloc_growth'), [], { timeoutMs: 150_000 }));
  }, 180_000);
  it.each(LIBS)(
    'passes under $file',
    async (lib) => {
      check(await run(testBin('realloc_growth'), [], { preload: lib.path, timeoutMs: 150_000 }));
    },
    180_000,
  );
});

describe.sequential('malloc_trim', () => {
  it.each(LIBS)(
    'gives memory back under $file: the RSS falls to within 16 MiB of the start',
    async (lib) => {
      const r = await run(testBin('trim'), [], { preload: lib.path, timeoutMs: 60_000 });
      expectOk(r);
      expect(r.stdout, describeRun(r)).toMatch(/^trim: ok \(\d+ checks\)$/m);
    },
    90_000,
  );
});

describe.sequential('the preloaded library really serves C++ allocations', () => {
  it('HAKMEM_VERBOSE=1 with libhakmem.so prints the start line', async () => {
    const lib = libByMode('standard');
    const r = await run(testBin('cxx_new_delete'), [], {
      preload: lib.path,
      env: { HAKMEM_VERBOSE: '1' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stderr, describeRun(r)).toMatch(
      /^hakmem standard profile=\S+ config=[0-9a-f]{16} box-front@\S+ box-unified-cache@\S+ box-large@\S+ box-superslab@\S+ box-remote@\S+ box-env@\S+$/m,
    );
  }, 90_000);

  it('HAKMEM_STATS=1 with libhakmem-observe.so reports cache hits or misses at exit', async () => {
    const lib = libByMode('observe');
    const r = await run(testBin('cxx_new_delete'), [], {
      preload: lib.path,
      env: { HAKMEM_STATS: '1' },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stderr, describeRun(r)).toMatch(/^hakmem stats \(observe\)/m);
    // a table (native/test/stats.test.ts reads it back): allocations happened, so the total
    // row counts hits or misses
    expect(r.stderr, describeRun(r)).toMatch(/^class\s+size B\s+hits\s+misses\s+hit rate$/m);
    expect(r.stderr, describeRun(r)).toMatch(/^total\s+(\d+)\s+(\d+)\s/m);
    const [, hits, misses] = /^total\s+(\d+)\s+(\d+)\s/m.exec(r.stderr)!;
    expect(Number(hits) + Number(misses)).toBeGreaterThan(0);
  }, 90_000);

  it('without HAKMEM_VERBOSE / HAKMEM_STATS nothing is printed on stderr', async () => {
    for (const lib of LIBS) {
      const r = await run(testBin('cxx_new_delete'), [], { preload: lib.path, timeoutMs: 60_000 });
      expectOk(r);
      expect(r.stderr, `${lib.file}: ${describeRun(r)}`).toBe('');
    }
  }, 120_000);
});

describe.sequential('api_hak (hak_* API, linked against libhakmem.so)', () => {
  it('passes and reports a complete build info', async () => {
    need(libByMode('standard').path);
    const r = await run(testBin('api_hak'), [], { timeoutMs: 60_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^api_hak: ok \(\d+ checks\)$/m);
    expect(r.stdout).toMatch(
      /^api_hak: mode=standard profile=(speed|balanced|lean) config=[0-9a-f]{16} box-front@\d+\.\d+\.\d+\S* box-unified-cache@\d+\.\d+\.\d+\S* box-large@\d+\.\d+\.\d+\S* box-superslab@\d+\.\d+\.\d+\S* box-remote@\d+\.\d+\.\d+\S* box-env@\d+\.\d+\.\d+\S*$/m,
    );
  }, 90_000);

  it('HAKMEM_PROFILE=lean is reflected in hak_build_info', async () => {
    const r = await run(testBin('api_hak'), [], { env: { HAKMEM_PROFILE: 'lean' }, timeoutMs: 60_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^api_hak: mode=standard profile=lean /m);
  }, 90_000);
});
