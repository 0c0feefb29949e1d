/* superslab.c: the SuperSlab box. SuperSlab-aligned mappings carved into per-class slabs, the
 * shared pool of free slabs and empty SuperSlabs, and lazy, batched release to the OS.
 * The layout is explained in types.h. */
#include "internal.h"

static uint8_t class_tier[HK_CLASS_COUNT];   /* the tier whose slabs hold each class */
static uint64_t class_magic[HK_CLASS_COUNT]; /* ceil(2^64 / block stride), + 1 for a power of two: hk_block_start */
pthread_mutex_t hk_pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* Pool state, all under hk_pool_lock. */
static hk_slab_t *tier_free[HK_TIERS];      /* free slabs of partly used SuperSlabs, per tier: warm, newest first */
static hk_slab_t *tier_free_tail[HK_TIERS]; /* the oldest warm slab: the purge starts there */
static hk_slab_t *tier_cold[HK_TIERS];      /* free slabs that hold no memory (types.h, POOL) */
static hk_superslab_t *empty_superslabs;    /* SuperSlabs with every slab free, most recent first */
static size_t empty_committed;              /* of those, the ones still holding memory */

/* The count hysteresis adapts to churn. A program whose working set swings by more than
 * poolLimit SuperSlabs (batch: 6,400 blocks of 4 KiB, 13 SuperSlabs, allocated and freed
 * whole, hundreds of times a second) would otherwise unmap the swing at every trough and map
 * and fault it in again at every peak: 2,200 munmap, 2,200 mmap and 970,000 page faults per
 * run, half of its time in the kernel. So when a SuperSlab must be mapped (or a decommitted
 * one reused) within purgeDelayMs of a release by count, the count limit doubles (up to
 * POOL_KEEP_SCALE x poolLimit); the age purge still returns whatever then waits
 * purgeDelayMs unused, and when it does (the swing has stopped) the limit falls back to
 * poolLimit, as it does on malloc_trim. Only with an age purge (purgeDelayMs > 0): without
 * one the count is the only bound, and it stays as configured. All under hk_pool_lock. */
#define POOL_KEEP_SCALE 8
static size_t pool_keep;          /* the count limit in force; 0: poolLimit */
static uint64_t count_release_at; /* when the count last released SuperSlabs (ms); 0: not since the last raise */

static inline size_t pool_limit_now(void) {
  size_t base = (size_t)hk_superslab_pool_limit();
  return pool_keep > base ? pool_keep : base;
}

/* The pool lock, counted in OBSERVE (poolLocks): a lock taken per operation would show. */
static inline void pool_lock(void) {
  pthread_mutex_lock(&hk_pool_lock);
  HK_SUPERSLAB_COUNT(pool_locks, 1);
}

static inline unsigned tier_shift(unsigned tier) {
  unsigned s = HK_SLAB_SHIFT + 3 * tier;
  return s < HK_SUPERSLAB_SHIFT ? s : HK_SUPERSLAB_SHIFT;
}

void hk_superslab_init(void) {
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    unsigned t = 0;
    while (t + 1 < HK_TIERS && ((size_t)1 << tier_shift(t)) < 8 * (size_t)hk_class_size[c]) t++;
    class_tier[c] = (uint8_t)t;
    uint64_t d = hk_block_stride(c);
    class_magic[c] = UINT64_MAX / d + 1 + ((d & (d - 1)) == 0); /* so that d * magic mod 2^64 is not 0 */
  }
}

static void superslab_unlink(hk_superslab_t *ss) {
  if (ss->prev) ss->prev->next = ss->next;
  else empty_superslabs = ss->next;
  if (ss->next) ss->next->prev = ss->prev;
  ss->next = ss->prev = NULL;
  ss->in_empty_list = 0;
}

static void superslab_push_empty(hk_superslab_t *ss) {
  ss->prev = NULL;
  ss->next = empty_superslabs;
  if (empty_superslabs) empty_superslabs->prev = ss;
  empty_superslabs = ss;
  ss->in_empty_list = 1;
}

static inline size_t slab_bytes(const hk_slab_t *s) { return (size_t)1 << tier_shift(s->tier); }
static size_t warm_bytes; /* the warm lists' slabs, in bytes (superslab.warmBytes bounds it) */

/* The pool's slab lists (pool lock held). Warm slabs are pushed at the head with the time
 * they came; the tail is the oldest, which the purge decommits first. */
static void pool_push_warm(hk_slab_t *s, uint64_t now) {
  unsigned t = s->tier;
  s->in_pool = HK_POOL_WARM;
  s->pooled_since = now;
  hk_slab_list_push(&tier_free[t], s);
  if (tier_free_tail[t] == NULL) tier_free_tail[t] = s;
  warm_bytes += slab_bytes(s);
}

static void pool_push_cold(hk_slab_t *s) {
  s->in_pool = HK_POOL_COLD;
  hk_slab_list_push(&tier_cold[s->tier], s);
}

static void pool_unlink(hk_slab_t *s) {
  unsigned t = s->tier;
  if (s->in_pool == HK_POOL_WARM) {
    if (tier_free_tail[t] == s) tier_free_tail[t] = s->prev;
    hk_slab_list_unlink(&tier_free[t], s);
    warm_bytes -= slab_bytes(s);
  } else {
    hk_slab_list_unlink(&tier_cold[t], s);
  }
  s->in_pool = 0;
}

/* ---- slab geometry ------------------------------------------------------------- */
/* The unit of the tier's slab number i in a SuperSlab: tier 0 slabs are units 1 .. UNITS-1. */
static inline unsigned slab_unit(unsigned tier, unsigned i) {
  unsigned per = 1u << (tier_shift(tier) - HK_SLAB_SHIFT);
  return tier == 0 ? i + 1 : i * per;
}

static inline size_t slab_end_offset(const hk_slab_t *s) {
  return ((size_t)hk_slab_index(s) << HK_SLAB_SHIFT) + ((size_t)1 << tier_shift(s->tier));
}

/* Stamp owner, class and block geometry into every unit the slab covers (free reads them
 * there). With no owner (the slab goes to the pool) cap is 0: every block check fails. */
static void slab_stamp(hk_slab_t *s, void *owner, unsigned cls) {
  hk_superslab_t *ss = hk_superslab_of((uintptr_t)s);
  unsigned first = hk_slab_index(s);
  unsigned units = 1u << (tier_shift(s->tier) - HK_SLAB_SHIFT);
  s->cls = (uint8_t)cls;
  for (unsigned u = first ? first : 1; u < first + units; u++) { /* never unit 0 */
    hk_unit_t *un = &ss->units[u];
    un->cls = (uint8_t)cls;
    un->tc_off = (uint16_t)(cls * HK_CACHE_ENTRY_BYTES);
    un->base = (uint32_t)(uintptr_t)hk_slab_area(s);
    un->magic = class_magic[cls];
    un->limit = owner ? (uint64_t)s->capacity * (uint32_t)(hk_block_stride(cls) * class_magic[cls]) : 0;
    atomic_store_explicit((_Atomic(void *) *)&un->owner, owner, memory_order_release);
  }
}

/* Format an empty SuperSlab for a tier: every slab free and in the tier's cold list (a new or
 * decommitted SuperSlab holds no memory), or warm list as of `warm` (a committed one may). Pool
 * lock held. */
static void superslab_format(hk_superslab_t *ss, unsigned tier, uint64_t warm) {
  unsigned shift = tier_shift(tier);
  unsigned per = 1u << (shift - HK_SLAB_SHIFT);
  ss->tier = (uint8_t)tier;
  ss->nslabs = (uint16_t)(tier == 0 ? HK_UNITS - 1 : HK_UNITS / per);
  ss->free_slabs = ss->nslabs;
  for (unsigned u = 0; u < HK_UNITS; u++) {
    hk_slab_t *s = &ss->slabs[u];
    memset(s, 0, sizeof *s);
    s->head = &ss->slabs[u - u % per];
    s->tier = (uint8_t)tier;
  }
  for (unsigned i = ss->nslabs; i-- > 0;) {
    hk_slab_t *s = &ss->slabs[slab_unit(tier, i)];
    if (warm) pool_push_warm(s, warm);
    else pool_push_cold(s);
  }
}

/* Take a formatted SuperSlab's slabs out of its tier list (it became empty). Pool lock held. */
static void superslab_unformat(hk_superslab_t *ss) {
  for (unsigned i = 0; i < ss->nslabs; i++) {
    hk_slab_t *s = &ss->slabs[slab_unit(ss->tier, i)];
    if (s->in_pool) pool_unlink(s);
  }
}

static hk_superslab_t *superslab_map(void) {
  hk_superslab_t *ss = hk_os_map_aligned(HK_SUPERSLAB_SIZE, HK_SUPERSLAB_SIZE);
  if (ss == NULL) return NULL;
  HK_SUPERSLAB_COUNT(superslabs_mapped, 1);
  ss->magic = HK_SUPERSLAB_MAGIC;
  hk_segmap_mark(ss, HK_SUPERSLAB_SIZE, HK_SEG_SUPERSLAB);
  return ss;
}

/* One committed empty SuperSlab back to the OS: unmapped, or decommitted and kept. Pool lock held. */
static void release_superslab(hk_superslab_t *ss, int mode) {
  empty_committed--;
  HK_SUPERSLAB_COUNT(superslabs_released, 1);
  if (mode == HK_SUPERSLAB_RELEASE_MODE_UNMAP) {
    superslab_unlink(ss);
    hk_segmap_mark(ss, HK_SUPERSLAB_SIZE, 0);
    hk_os_unmap(ss, HK_SUPERSLAB_SIZE);
  } else {
    ss->decommitted = 1;
    hk_os_decommit((char *)ss + HK_SUPERSLAB_HDR, HK_SUPERSLAB_SIZE - HK_SUPERSLAB_HDR);
  }
}

static hk_superslab_t *empty_tail(void) {
  hk_superslab_t *ss = empty_superslabs;
  while (ss && ss->next) ss = ss->next;
  return ss;
}

/* Release empty SuperSlabs beyond poolLimit down to releaseThreshold. Pool lock held. */
static size_t release_down_to(size_t keep, int mode) {
  size_t released = 0;
  /* oldest first: walk from the tail */
  for (hk_superslab_t *ss = empty_tail(); ss && empty_committed > keep;) {
    hk_superslab_t *prev = ss->prev;
    if (!ss->decommitted) {
      release_superslab(ss, mode);
      released++;
    }
    ss = prev;
  }
  return released;
}

/* ---- time-based purge (env.purgeDelayMs; purge.c decides when) -------------------
 * An empty SuperSlab notes when it became empty (empty_since) and hk_superslab_due when the
 * first of them will have waited purgeDelayMs; hk_superslab_purge releases those that have. */
_Atomic(uint64_t) hk_superslab_due; /* the earliest time (ms) an empty SuperSlab ages; 0: none waits */

/* Release the empty SuperSlabs that have waited `delay` ms by `now`; returns when the next one
 * ages (0: none waits). The list runs from the newest (head) to the oldest (tail), so the
 * walk stops at the first that is still young. Pool lock held. */
static uint64_t purge_superslabs_locked(uint64_t now, uint64_t delay) {
  int mode = (int)hk_superslab_release_mode();
  if (mode == HK_SUPERSLAB_RELEASE_MODE_NEVER) return 0;
  for (hk_superslab_t *ss = empty_tail(); ss;) {
    hk_superslab_t *prev = ss->prev;
    if (!ss->decommitted) {
      if (ss->empty_since + delay > now) return ss->empty_since + delay;
      release_superslab(ss, mode);
      pool_keep = 0; /* a SuperSlab waited unused: the swing that raised the limit is over */
    }
    ss = prev;
  }
  return 0;
}

/* Free slabs of partly used SuperSlabs that waited `delay` ms in the warm list by `now` give
 * their pages back (decommitted, address range kept: the slab stays in the pool, cold) and
 * the rest note when they will have. A long-lived block pins its slab, no longer its SuperSlab.
 * Adjacent slabs of one SuperSlab go in one call. Returns the next due time (0: none waits).
 * Pool lock held (a slab being decommitted must not be handed out meanwhile). */
static uint64_t purge_slabs_locked(uint64_t now, uint64_t delay) {
  if ((int)hk_superslab_release_mode() == HK_SUPERSLAB_RELEASE_MODE_NEVER) return 0;
  uint64_t next = 0;
  for (unsigned t = 0; t < HK_TIERS; t++) {
    char *run = NULL, *run_end = NULL;
    for (hk_slab_t *s = tier_free_tail[t]; s;) {
      if (s->pooled_since + delay > now) {
        if (next == 0 || s->pooled_since + delay < next) next = s->pooled_since + delay;
        break;
      }
      hk_slab_t *prev = s->prev;
      char *area = hk_slab_area(s);
      char *end = (char *)hk_superslab_of((uintptr_t)s) + slab_end_offset(s);
      if (area == run_end) {
        run_end = end;
      } else if (end == run) {
        run = area;
      } else {
        if (run) hk_os_decommit(run, (size_t)(run_end - run));
        run = area, run_end = end;
      }
      pool_unlink(s);
      pool_push_cold(s);
      s = prev;
    }
    if (run) hk_os_decommit(run, (size_t)(run_end - run));
  }
  return next;
}

/* The warm pool beyond superslab.warmBytes: its oldest slabs give their pages back now, one
 * madvise each (never in FAST's or anyone's steady state unless slabs churn faster than they are
 * reused). Pool lock held. */
static void warm_trim_locked(void) {
  size_t cap = (size_t)hk_superslab_warm_bytes();
  if ((int)hk_superslab_release_mode() == HK_SUPERSLAB_RELEASE_MODE_NEVER) return;
  while (warm_bytes > cap) {
    hk_slab_t *old = NULL;
    for (unsigned t = 0; t < HK_TIERS; t++)
      if (tier_free_tail[t] && (old == NULL || tier_free_tail[t]->pooled_since < old->pooled_since))
        old = tier_free_tail[t];
    if (old == NULL) return;
    char *area = hk_slab_area(old);
    hk_os_decommit(area, (size_t)((char *)hk_superslab_of((uintptr_t)old) + slab_end_offset(old) - area));
    pool_unlink(old);
    pool_push_cold(old);
  }
}

void hk_superslab_purge(uint64_t now) {
  int64_t purge_delay = hk_env_purge_delay_ms();
  if (purge_delay < 0) return; /* -1: never */
  uint64_t delay = (uint64_t)purge_delay;
  if (atomic_exchange_explicit(&hk_superslab_due, 0, memory_order_relaxed) == 0) return; /* another thread purges */
  pool_lock();
  uint64_t next = purge_superslabs_locked(now, delay);
  uint64_t next_slab = purge_slabs_locked(now, delay);
  pthread_mutex_unlock(&hk_pool_lock);
  if (next) hk_due_note(&hk_superslab_due, next);
  if (next_slab) hk_due_note(&hk_superslab_due, next_slab);
}

/* now: the time (ms) the caller read, 0 if it read none (no age purge). */
static void pool_trim(uint64_t now) {
  if (empty_committed <= pool_limit_now()) return;
  int mode = (int)hk_superslab_release_mode();
  if (mode == HK_SUPERSLAB_RELEASE_MODE_NEVER) return;
  if (release_down_to((size_t)hk_superslab_release_threshold(), mode) && now) count_release_at = now;
}

/* A SuperSlab is about to be mapped, or a decommitted one faulted in again: if SuperSlabs
 * were released by count within purgeDelayMs, they would have served; keep twice as many
 * from now on. Pool lock held. */
static void pool_note_map(uint64_t now) {
  int64_t delay = hk_env_purge_delay_ms();
  if (delay <= 0 || count_release_at == 0 || now > count_release_at + (uint64_t)delay) return;
  size_t cap = (size_t)hk_superslab_pool_limit() * POOL_KEEP_SCALE;
  size_t keep = 2 * pool_limit_now();
  pool_keep = keep < cap ? keep : cap;
  count_release_at = 0; /* one raise per release: the next needs another release */
}

/* malloc_trim: every empty SuperSlab goes back now (decommitted when releaseMode keeps them). */
size_t hk_superslab_trim(void) {
  int mode = (int)hk_superslab_release_mode() == HK_SUPERSLAB_RELEASE_MODE_UNMAP ? HK_SUPERSLAB_RELEASE_MODE_UNMAP
                                                                                 : HK_SUPERSLAB_RELEASE_MODE_DECOMMIT;
  pool_lock();
  size_t n = release_down_to(0, mode);
  pool_keep = 0;
  count_release_at = 0;
  purge_slabs_locked(UINT64_MAX, 0); /* and every free slab's pages */
  pthread_mutex_unlock(&hk_pool_lock);
  return n;
}

/* A free slab of the tier from the pool, formatting an empty SuperSlab if need be. Pool lock held. */
static hk_slab_t *pool_pop_locked(unsigned tier) {
  hk_slab_t *s = tier_free[tier];
  if (s == NULL) s = tier_cold[tier];
  if (s != NULL) {
    if (s->capacity != 0) HK_SUPERSLAB_COUNT(slabs_reused, 1); /* served a class before */
  } else if (empty_superslabs != NULL) {
    hk_superslab_t *ss = empty_superslabs;
    superslab_unlink(ss);
    uint64_t warm = 0;
    if (!ss->decommitted) {
      empty_committed--;
      warm = ss->empty_since ? ss->empty_since : 1; /* its pages may be resident: they age from then */
    } else if (count_release_at != 0) {
      pool_note_map(hk_clock_ms()); /* releaseMode decommit: faulted in again */
    }
    ss->decommitted = 0;
    superslab_format(ss, tier, warm);
    if (warm && hk_env_purge_delay_ms() > 0) hk_due_note(&hk_superslab_due, warm + (uint64_t)hk_env_purge_delay_ms());
    s = tier_free[tier] ? tier_free[tier] : tier_cold[tier];
  } else {
    return NULL;
  }
  pool_unlink(s);
  hk_superslab_of((uintptr_t)s)->free_slabs--;
  HK_ASSERT(hk_superslab_valid(hk_superslab_of((uintptr_t)s)));
  return s;
}

/* A free slab of the tier: from the pool; else, if may_map, from a new SuperSlab. */
static hk_slab_t *pool_take(unsigned tier, bool may_map) {
  pool_lock();
  hk_slab_t *s = pool_pop_locked(tier);
  pthread_mutex_unlock(&hk_pool_lock);
  if (s != NULL || !may_map) return s;
  uint64_t now = hk_env_purge_delay_ms() > 0 ? hk_clock_ms() : 0; /* a mapping is coming: a clock read is cheap */
  hk_superslab_t *ss = superslab_map();
  if (ss == NULL) return NULL;
  pool_lock();
  if (now) pool_note_map(now);
  superslab_format(ss, tier, 0);
  s = pool_pop_locked(tier);
  pthread_mutex_unlock(&hk_pool_lock);
  return s;
}

/* Give an empty slab back to the pool. Its owner has no block of it anywhere. */
void hk_slab_to_pool(hk_slab_t *s) {
  HK_ASSERT(s->used == 0 && !s->in_pool); /* every block back, not in the pool yet */
  HK_ASSERT(hk_slab_valid(s, hk_unit_of((uintptr_t)hk_slab_area(s))->owner, true));
  slab_stamp(s, NULL, s->cls); /* no owner, no span; the class stays for misuse reports (misuse.c) */
  s->free = NULL;
  s->carved = 0;
  s->used = 0;
  s->listed = 0;
  hk_superslab_t *ss = hk_superslab_of((uintptr_t)s);
  int64_t delay = hk_env_purge_delay_ms();
  uint64_t now = delay >= 0 ? hk_clock_ms() : 0; /* a slab came back: rare enough for a (vDSO) clock read */
  pool_lock();
  pool_push_warm(s, now);
  if (++ss->free_slabs == ss->nslabs) {
    superslab_unformat(ss);
    ss->decommitted = 0;
    ss->empty_since = now;
    superslab_push_empty(ss);
    empty_committed++;
    pool_trim(now);
    if (delay == 0) purge_superslabs_locked(now, 0); /* purgeDelayMs 0: at once */
    else if (delay > 0) hk_due_note(&hk_superslab_due, now + (uint64_t)delay);
  } else {
    HK_ASSERT(hk_superslab_valid(ss)); /* (an emptied one may be released above: not read again) */
    if (delay == 0) {
      purge_slabs_locked(now, 0);
    } else {
      if (warm_bytes > (size_t)hk_superslab_warm_bytes()) warm_trim_locked();
      if (delay > 0) hk_due_note(&hk_superslab_due, now + (uint64_t)delay);
    }
  }
  pthread_mutex_unlock(&hk_pool_lock);
}

#if HK_DEBUG
/* The SLAB accounting of types.h as code (mimalloc's mi_page_is_valid), for the debug build:
 * used <= carved <= capacity; a slab a heap holds (owner) is out of the pool, and every unit it
 * covers carries its owner, class, base, magic and limit; it is on its heap's list exactly when
 * it has a free or an uncarved block; and (walk) its free list holds carved - used blocks, each
 * the start of one of its blocks and holding the free key. Each condition is its own HK_ASSERT,
 * so a broken one names itself. */
bool hk_slab_valid(const hk_slab_t *s, const void *owner, bool walk) {
  HK_ASSERT(s->head == s);
  HK_ASSERT(s->used <= s->carved && s->carved <= s->capacity);
  HK_ASSERT(s->in_pool == 0);
  HK_ASSERT(s->listed == (s->free != NULL || s->carved < s->capacity));
  hk_superslab_t *ss = hk_superslab_of((uintptr_t)s);
  unsigned first = hk_slab_index(s), units = 1u << (tier_shift(s->tier) - HK_SLAB_SHIFT);
  uint64_t limit = (uint64_t)s->capacity * (uint32_t)(hk_block_stride(s->cls) * class_magic[s->cls]);
  for (unsigned u = first ? first : 1; u < first + units; u++) {
    const hk_unit_t *un = &ss->units[u];
    HK_ASSERT(un->owner == owner && un->cls == s->cls && un->base == (uint32_t)(uintptr_t)hk_slab_area(s));
    HK_ASSERT(un->magic == class_magic[s->cls] && un->limit == limit);
    HK_ASSERT(ss->slabs[u].head == s);
  }
  if (walk) {
    uint32_t n = 0;
    for (const hk_block_t *b = s->free; b != NULL && n <= s->carved; b = b->next, n++)
      HK_ASSERT(hk_slab_of((uintptr_t)b) == s && hk_block_start(hk_unit_of((uintptr_t)b), (uintptr_t)b) &&
                hk_marked_free(b));
    HK_ASSERT(n == s->carved - s->used);
  }
  return true;
}

/* A SuperSlab as types.h states it (mimalloc's mi_segment_is_valid), pool lock held: its magic;
 * in the empty list none of its slabs is in the pool, otherwise free_slabs counts those that are;
 * every unit's descriptor points to the first of its slab's. */
bool hk_superslab_valid(const hk_superslab_t *ss) {
  HK_ASSERT(ss->magic == HK_SUPERSLAB_MAGIC);
  unsigned pooled = 0, slabs = 0;
  if (!ss->in_empty_list) {
    HK_ASSERT(ss->tier < HK_TIERS);
    unsigned per = 1u << (tier_shift(ss->tier) - HK_SLAB_SHIFT);
    for (unsigned u = 0; u < HK_UNITS; u++) {
      const hk_slab_t *s = &ss->slabs[u];
      HK_ASSERT(s->head == &ss->slabs[u - u % per]);
      if (s->head != s || (u == 0 && ss->tier == 0)) continue; /* tier 0 has no slab in unit 0 */
      slabs++;
      pooled += s->in_pool != 0;
    }
    HK_ASSERT(slabs == ss->nslabs);
    HK_ASSERT(pooled == ss->free_slabs);
  } else {
    for (unsigned u = 0; u < HK_UNITS; u++) HK_ASSERT(ss->slabs[u].in_pool == 0);
  }
  return true;
}
#endif

/* A free slab for class cls, formatted for it and stamped with its owner (an opaque heap): from
 * the pool; else, if may_map, from a new SuperSlab. NULL when none could be had. */
hk_slab_t *hk_slab_from_pool(unsigned cls, void *owner, bool may_map) {
  hk_slab_t *s = pool_take(class_tier[cls], may_map);
  if (s == NULL) return NULL;
  HK_SUPERSLAB_COUNT(slabs_carved, 1);
  char *area = hk_slab_area(s);
  size_t end = slab_end_offset(s);
  size_t start = (size_t)(area - (char *)hk_superslab_of((uintptr_t)s));
  s->capacity = (uint32_t)((end - start) / hk_block_stride(cls));
  s->carved = 0;
  s->free = NULL;
  s->used = 0;
  slab_stamp(s, owner, cls);
  return s;
}
