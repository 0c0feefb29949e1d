import { atMost, bool, bytes, counter, defineBox, GiB, int, KiB, MiB, perClassCounter } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

const unifiedCachePath = 'unifiedCache';

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
    /** All threads' caches together grow by at most about this many bytes beyond their first
     * limits (about a page, or one block, per class): a thread's budget is its first limits plus
     * maxBytesTotal divided by the threads that hold a heap, never more than maxBytesPerThread.
     * So the memory caches keep does not grow with the thread count: 64 threads may grow by
     * 512 KiB each by default, one or two threads to maxBytesPerThread. As threads come and go,
     * each thread's limits follow at its next refill. */
    maxBytesTotal: bytes({ default: MiB(32), min: MiB(1), max: GiB(64), scope: 'env' }),
    /** The depot: chains of free blocks that threads passed on (a cache that ran out of
     * room), per class, for any thread's next refill of the class, taken whole without a look at
     * a block. It holds at most this many bytes (0: none, such blocks go home to their owners'
     * queues); malloc_trim empties it. 32 MiB was too little for 64 threads (exchange): the
     * blocks it refused went home and waited in their owners' slabs and queues while other heaps
     * carved new slabs, and RSS kept growing (issue 24, docs/memory.md). */
    depotBytes: bytes({ default: MiB(64), min: 0, max: GiB(64), scope: 'env' }),
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
    /** Blocks of other threads' heaps freed by this thread into its own cache, for its next mallocs. */
    foreignKept: counter(),
    /** Blocks put into the depot (the other heaps' blocks of a cache that overflowed, a thread's exit). */
    depotPuts: counter(),
    /** Blocks a refill took from the depot, a chain at a time. */
    depotTakes: counter(),
    /** Blocks the depot turned away because it held depotBytes already: they went home to their
     * owners' queues and slabs instead, where only their owner's refills find them. */
    depotRefused: counter(),
  },
});
