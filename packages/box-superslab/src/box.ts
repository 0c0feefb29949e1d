import {
  bytes,
  counter,
  defineBox,
  enumOf,
  GiB,
  int,
  KiB,
  lessThan,
  MiB,
  multipleOf,
  powerOfTwo,
  ratioWithin,
  rule,
} from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

const ss = 'superslab';

/** SuperSlabs: aligned mappings carved into slabs of one size class each; metadata at a computable address. */
export const superslab = defineBox({
  name: 'superslab',
  packageName: pkg.name,
  version: pkg.version,
  configPath: ss,
  cPrefix: 'superslab',
  envPrefix: 'SUPERSLAB_',
  knobs: {
    /** Size and alignment of one SuperSlab (a power of two; the range starts at 1 MiB). */
    size: bytes({ default: MiB(2), min: MiB(1), max: MiB(4), scope: 'const' }),
    /** Size of one slab inside a SuperSlab (a power of two). */
    slabSize: bytes({ default: KiB(64), min: KiB(16), max: MiB(1), scope: 'const' }),
    /** Empty SuperSlabs kept before any is released. */
    poolLimit: int({ default: 8, min: 1, max: 65536, scope: 'env' }),
    /** When the pool exceeds poolLimit, empty SuperSlabs are released down to this many. */
    releaseThreshold: int({ default: 2, min: 0, max: 65535, scope: 'env' }),
    /** How an empty SuperSlab is released: unmap it, decommit it (madvise) and keep the range, or never release. */
    releaseMode: enumOf(['unmap', 'decommit', 'never'], { default: 'unmap', scope: 'env' }),
    /**
     * Bytes of free slabs in partly used SuperSlabs that keep their pages for reuse (the warm
     * pool, newest first): beyond this, the oldest give their pages back at once (madvise), the
     * rest after env.purgeDelayMs. Many threads that empty and refill slabs all the time would
     * otherwise keep a second's worth of them resident (64 threads exchanging blocks: 250 MB).
     */
    warmBytes: bytes({ default: MiB(16), min: 0, max: GiB(64), scope: 'env' }),
  },
  invariants: [
    powerOfTwo(`${ss}.size`),
    powerOfTwo(`${ss}.slabSize`),
    multipleOf(`${ss}.size`, `${ss}.slabSize`),
    ratioWithin(`${ss}.size`, `${ss}.slabSize`, 4, 64),
    rule({
      name: `${ss}.size >= 4 * front.midMax`,
      rule: `${ss}.size must be >= 4 * front.midMax`,
      paths: [`${ss}.size`, 'front.midMax'],
      check: (c) => {
        const size = c.num(`${ss}.size`);
        const mid = c.num('front.midMax');
        return size >= 4 * mid ? undefined : `${ss}.size = ${size} must be >= 4 * front.midMax (${4 * mid})`;
      },
    }),
    lessThan(`${ss}.releaseThreshold`, `${ss}.poolLimit`),
  ],
  counters: {
    /** SuperSlabs mapped. */
    superslabsMapped: counter(),
    /** SuperSlabs released (unmapped or decommitted). */
    superslabsReleased: counter(),
    /** Slabs carved from fresh SuperSlab space. */
    slabsCarved: counter(),
    /** Empty slabs reused for another class. */
    slabsReused: counter(),
    /** mmap system calls. */
    mmapCalls: counter(),
    /** munmap system calls. */
    munmapCalls: counter(),
    /** madvise system calls. */
    madviseCalls: counter(),
    /** Acquisitions of the SuperSlab pool lock (slab taken from or given back to the pool, purge, trim). */
    poolLocks: counter(),
    /** Acquisitions of the metadata lock (os.c: a heap descriptor carved; not the fork handlers). */
    metaLocks: counter(),
    /**
     * Address ranges held now (a level, not an event count): SuperSlabs, large mappings (cached
     * ones too), metadata chunks and ranges whose unmap the kernel refused; mapped minus unmapped.
     * Near vm.max_map_count this is the budget; the kernel may merge neighbours into one mapping.
     */
    mappings: counter(),
    /** munmap calls the kernel refused (e.g. past vm.max_map_count): the range was decommitted and kept, its unmap retried. */
    unmapsDeferred: counter(),
  },
});
