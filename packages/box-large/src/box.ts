import { bytes, counter, defineBox, GiB, int, MiB } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

/** Large blocks: requests above front.midMax, each in a mapping of its own, and the cache of
 * freed mappings kept for reuse. */
export const large = defineBox({
  name: 'large',
  packageName: pkg.name,
  version: pkg.version,
  configPath: 'large',
  cPrefix: 'large',
  envPrefix: 'LARGE_',
  knobs: {
    /** Recently freed large mappings kept for reuse instead of being unmapped (0 = none). */
    cacheEntries: int({ default: 64, min: 0, max: 1024, scope: 'env' }),
    /** Total bytes the large-mapping cache may hold. Both cache limits rise eightfold while a swinging working set would otherwise unmap and fault in again (a mapping made within env.purgeDelayMs of one the limits let go), and fall back as the age purge finds mappings unused. */
    cacheBytes: bytes({ default: MiB(128), min: 0, max: GiB(16), scope: 'env' }),
  },
  counters: {
    /** Requests above front.midMax served by their own mapping. */
    allocs: counter(),
    /** Large blocks freed. */
    frees: counter(),
    /** Large requests served from the large-mapping cache. */
    cacheHits: counter(),
    /** Acquisitions of the large-mapping cache lock (large malloc with a cached mapping, large free, purge, trim). */
    locks: counter(),
  },
});
