import { defineBox, defineProfiles, enumOf, int, KiB, MiB } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

/** The environment gate: run-time profile selection, verbosity, the reports (misuse, statistics) and
 * the time-based purge's delay, process-wide policies every layer reads. */
export const env = defineBox({
  name: 'env',
  packageName: pkg.name,
  version: pkg.version,
  configPath: 'env',
  cPrefix: 'env',
  envPrefix: '',
  knobs: {
    /** The profile; HAKMEM_PROFILE selects one at run time (Standard/OBSERVE), hakmem.config.ts `profile` at build time.
     * HAKMEM_PROFILE may also name a profile file (a path, with a `/`): lines HAKMEM_<KNOB>=VALUE, # comments, and at most
     * one HAKMEM_PROFILE=<name> it starts from (`hakmem tune` writes them); its values go over the profile's, the
     * environment's variables over both, and a file with a bad line is refused whole with one line naming it. */
    profile: enumOf(['speed', 'balanced', 'lean', 'hardened'], { default: 'balanced', scope: 'env' }),
    /** 0 silent; 1 one start-up line naming mode, profile, the hash of the configuration in force, box versions and the
     * environment's overrides; 2 also every knob's value and where it came from (default, profile, build config, environment). */
    verbose: int({ default: 0, min: 0, max: 2, scope: 'env', diagnostic: true }),
    /** What Standard and OBSERVE do on a misuse they detect (double free, a free or realloc of a
     * pointer hakmem did not hand out, an interior or misaligned free, a poisoned free list):
     * abort prints one line naming the call, the pointer and what was wrong, then abort()s; warn
     * prints the line and skips the call; ignore skips the call silently. FAST detects less
     * (docs/reliability.md) and skips what it finds without a word. */
    onInvalid: enumOf(['abort', 'warn', 'ignore'], { default: 'abort', scope: 'env', env: 'HAKMEM_ON_INVALID' }),
    /** OBSERVE: the counter report at exit, on stderr. `1` or `table`: a table, one row per size
     * class in use, then one line per box and the totals; `json`: the same as one JSON object on
     * one line (for tools; `hakmem bench --stats` stores it); `off`: none. */
    stats: enumOf(['off', '1', 'table', 'json'], { default: 'off', scope: 'env', diagnostic: true }),
    /** Milliseconds memory kept for reuse may wait unused before it goes back to the OS: empty
     * SuperSlabs and free slabs' pages (superslab), cached large mappings (large), caches parked
     * by exited threads, the depot's chains (unifiedCache); -1 never, 0 at once. Checked on slow
     * paths only (a coarse clock, no system call); no background thread. */
    purgeDelayMs: int({ default: 1000, min: -1, max: 3_600_000, scope: 'env' }),
  },
});

/** Named sets of overrides, keyed by full knob path. The order is the C profile index. */
export const profiles = defineProfiles({
  /** Larger caches and pools: fewer refills and system calls, more memory held. */
  speed: {
    'unifiedCache.capacity': 16384,
    'unifiedCache.refillBatch': 64,
    'unifiedCache.midCapacity': 4096,
    'unifiedCache.midRefillBatch': 16,
    'unifiedCache.maxBytesPerThread': MiB(32),
    'superslab.poolLimit': 32,
    'superslab.releaseThreshold': 16,
    'large.cacheEntries': 256,
    'large.cacheBytes': MiB(512),
  },
  /** The middle ground: every box as declared. */
  balanced: {},
  /** Small caches and pools: least memory held, more refills. */
  lean: {
    'unifiedCache.capacity': 32,
    'unifiedCache.refillBatch': 8,
    'unifiedCache.midCapacity': 8,
    'unifiedCache.midRefillBatch': 2,
    'unifiedCache.maxBytesPerClass': KiB(128),
    'unifiedCache.maxBytesPerThread': MiB(1),
    'unifiedCache.depotBytes': MiB(32),
    'superslab.poolLimit': 2,
    'superslab.releaseThreshold': 0,
    'large.cacheEntries': 4,
    'large.cacheBytes': MiB(16),
  },
  /** Balanced, plus safe-linking of the unified caches' free lists (a build-time profile:
   * `profile: 'hardened'` in hakmem.config.ts; HAKMEM_PROFILE cannot turn it on at run time). */
  hardened: {
    'unifiedCache.safeLinking': true,
  },
});

export type ProfileName = keyof typeof profiles;
