import {
  atMost,
  bool,
  bytes,
  counter,
  defineBox,
  GiB,
  int,
  intList,
  KiB,
  MiB,
  perClassCounter,
  powerOfTwo,
  rule,
} from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

const gate = 'front.gate';
const unifiedCachePath = 'front.unifiedCache';

/** The front gate: maps a request size to a size class, and routes large requests to mmap. */
export const frontGate = defineBox({
  name: 'front-gate',
  packageName: pkg.name,
  version: pkg.version,
  configPath: gate,
  cPrefix: 'front',
  envPrefix: 'FRONT_',
  knobs: {
    /** Block sizes of the tiny classes, ascending multiples of 16; the last one is tinyMax. */
    tinyClasses: intList({
      default: [16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024],
      min: 16,
      max: 4096,
    }),
    /** Largest tiny request; tiny classes are looked up by (size + 15) >> 4. A power of two. */
    tinyMax: bytes({ default: 1024, min: 256, max: 4096, scope: 'const' }),
    /** Largest mid request; anything larger is "large" and gets its own mapping. tinyMax times a power of two. */
    midMax: bytes({ default: KiB(256), min: KiB(4), max: MiB(1), scope: 'const' }),
    /** Mid classes per doubling of size above tinyMax (a power of two). */
    midClassesPerDoubling: int({ default: 4, min: 1, max: 8, scope: 'const' }),
    /** Recently freed large mappings kept for reuse instead of being unmapped (0 = none). */
    largeCacheEntries: int({ default: 64, min: 0, max: 1024, scope: 'env' }),
    /** Total bytes the large-mapping cache may hold. Both cache limits rise eightfold while a swinging working set would otherwise unmap and fault in again (a mapping made within superslab.purgeDelayMs of one the limits let go), and fall back as the age purge finds mappings unused. */
    largeCacheBytes: bytes({ default: MiB(128), min: 0, max: GiB(16), scope: 'env' }),
  },
  invariants: [
    rule({
      name: 'tinyClasses ascending multiples of 16',
      rule: `${gate}.tinyClasses must be strictly ascending multiples of 16`,
      paths: [`${gate}.tinyClasses`],
      check: (c) => {
        const list = c.list(`${gate}.tinyClasses`);
        for (let i = 0; i < list.length; i++) {
          const v = list[i] ?? 0;
          if (v % 16 !== 0) return `${gate}.tinyClasses[${i}] = ${v} must be a multiple of 16`;
          const prev = list[i - 1];
          if (prev !== undefined && v <= prev) {
            return `${gate}.tinyClasses[${i}] = ${v} must be > ${gate}.tinyClasses[${i - 1}] (${prev}) (strictly ascending)`;
          }
        }
        return undefined;
      },
    }),
    rule({
      name: 'tinyClasses end at tinyMax',
      rule: `the last of ${gate}.tinyClasses must equal ${gate}.tinyMax`,
      paths: [`${gate}.tinyClasses`, `${gate}.tinyMax`],
      check: (c) => {
        const list = c.list(`${gate}.tinyClasses`);
        const last = list[list.length - 1];
        const max = c.num(`${gate}.tinyMax`);
        return last === max
          ? undefined
          : `${gate}.tinyClasses last = ${last ?? 'none'} must equal ${gate}.tinyMax (${max})`;
      },
    }),
    powerOfTwo(`${gate}.tinyMax`),
    powerOfTwo(`${gate}.midClassesPerDoubling`),
    rule({
      name: 'midMax = tinyMax * 2^n, n >= 1',
      rule: `${gate}.midMax must be ${gate}.tinyMax times a power of two, and larger`,
      paths: [`${gate}.midMax`, `${gate}.tinyMax`],
      check: (c) => {
        const mid = c.num(`${gate}.midMax`);
        const tiny = c.num(`${gate}.tinyMax`);
        const r = mid / tiny;
        return Number.isInteger(r) && r >= 2 && (r & (r - 1)) === 0
          ? undefined
          : `${gate}.midMax = ${mid} must be ${gate}.tinyMax (${tiny}) times 2^n with n >= 1`;
      },
    }),
    rule({
      name: 'mid granule >= 16',
      rule: `${gate}.tinyMax / ${gate}.midClassesPerDoubling must be >= 16`,
      paths: [`${gate}.tinyMax`, `${gate}.midClassesPerDoubling`],
      check: (c) => {
        const g = c.num(`${gate}.tinyMax`) / c.num(`${gate}.midClassesPerDoubling`);
        return g >= 16 ? undefined : `${gate}.tinyMax / ${gate}.midClassesPerDoubling = ${g} must be >= 16`;
      },
    }),
  ],
  counters: {
    /** Requests above midMax served by their own mapping. */
    largeAllocs: counter(),
    /** Large blocks freed. */
    largeFrees: counter(),
    /** Large requests served from the large-mapping cache. */
    largeCacheHits: counter(),
    /** Calls to the aligned allocation entry points. */
    alignedAllocs: counter(),
    /** Frees of pointers hakmem does not own (passed on or ignored). */
    foreignFrees: counter(),
    /** Acquisitions of the large-mapping cache lock (large malloc with a cached mapping, large free, purge, trim). */
    largeLocks: counter(),
  },
});

/** The unified cache: one per-thread LIFO list per size class in front of the slabs. */
export const unifiedCache = defineBox({
  name: 'unified-cache',
  packageName: pkg.name,
  version: pkg.version,
  configPath: unifiedCachePath,
  cPrefix: 'unified_cache',
  envPrefix: 'UNIFIED_CACHE_',
  knobs: {
    /** Gate: false sends every malloc/free straight to the slabs (cache limit 0). */
    enabled: bool({ default: true, scope: 'env' }),
    /** The most blocks a tiny class's cache may grow to. A thread's cache of a class starts at
     * about a page of blocks and doubles its limit at each refill and overflow, within
     * maxBytesPerClass and maxBytesPerThread. */
    capacity: int({ default: 8192, min: 1, max: 65535, scope: 'env' }),
    /** Blocks moved from a slab into the cache on a miss, tiny classes. */
    refillBatch: int({ default: 32, min: 1, max: 65535, scope: 'env' }),
    /** The most blocks a mid class's cache may grow to (as capacity). */
    midCapacity: int({ default: 2048, min: 1, max: 65535, scope: 'env' }),
    /** Blocks moved from a slab into the cache on a miss, mid classes. */
    midRefillBatch: int({ default: 8, min: 1, max: 65535, scope: 'env' }),
    /** Safe-linking (the `hardened` profile): a unified cache's next pointers are stored XOR their
     * own address >> 12 and the process's secret key, and checked for alignment when followed,
     * so freed memory shows no heap address and a pointer written into a freed block is
     * refused. Standard and OBSERVE only (FAST ignores it); costs about 3 instructions per
     * malloc and per free (docs/reliability.md). */
    safeLinking: bool({ default: false, scope: 'const' }),
    /** A class caches at most max(1, maxBytesPerClass / blockSize) blocks. */
    maxBytesPerClass: bytes({ default: MiB(8), min: KiB(4), max: GiB(1), scope: 'env' }),
    /** A thread's caches together hold at most this many bytes at their limits. A class whose
     * limit would grow past it takes the room from the other classes (their limits halve, in
     * turn, never below their first limit); when nothing can give, the limit stays. */
    maxBytesPerThread: bytes({ default: MiB(8), min: KiB(64), max: GiB(64), scope: 'env' }),
    /** All threads' caches together hold at most about this many bytes at their limits: a thread's
     * budget is maxBytesTotal divided by the threads that hold a heap, never more than
     * maxBytesPerThread (nor less than a class's first limit: about a page, or one block). So the
     * memory caches keep does not grow with the thread count: 64 threads get 512 KiB each by
     * default, one or two threads maxBytesPerThread. As threads come and go, each thread's
     * limits follow at its next refill. */
    maxBytesTotal: bytes({ default: MiB(32), min: MiB(1), max: GiB(64), scope: 'env' }),
    /** The depot: chains of free blocks that threads passed on (a foreign list that ran out of
     * room), per class, for any thread's next refill of the class, taken whole without a look at
     * a block. It holds at most this many bytes (0: none, such blocks go home to their owners'
     * queues); malloc_trim empties it. */
    depotBytes: bytes({ default: MiB(32), min: 0, max: GiB(64), scope: 'env' }),
  },
  invariants: [
    atMost(`${unifiedCachePath}.refillBatch`, `${unifiedCachePath}.capacity`),
    atMost(`${unifiedCachePath}.midRefillBatch`, `${unifiedCachePath}.midCapacity`),
  ],
  counters: {
    /** Allocations served from the cache, per class. */
    hits: perClassCounter(),
    /** Allocations that found the cache empty, per class. */
    misses: perClassCounter(),
    /** Refills from a slab. */
    refills: counter(),
    /** Flushes of a full cache back to the slabs. */
    flushes: counter(),
    /** Blocks of other threads' heaps freed by this thread and kept in its foreign lists for reuse. */
    foreignKept: counter(),
    /** Foreign blocks a refill took instead of asking the thread's own slabs. */
    foreignReused: counter(),
    /** Foreign blocks sent back to their owners (the class's room ran out and the depot was full, trim). */
    foreignReturned: counter(),
    /** Blocks put into the depot (a foreign list that ran out of room, a thread's exit). */
    depotPuts: counter(),
    /** Blocks a refill took from the depot, a chain at a time. */
    depotTakes: counter(),
  },
});
