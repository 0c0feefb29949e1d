/* unified_cache.c: the unified cache box, slow halves. The fast halves (pop in malloc,
 * push in free) are inline in front.c; this file refills an empty cache from the
 * heap's slabs and flushes a full one back to them. */
#include <errno.h>

#include "internal.h"

/* Every thread's block starts as this image: empty caches, and malloc's size -> cache table. */
#define TINY_OFF(cls) (uint16_t) offsetof(hk_tls_t, cache[cls])
#define TINY_OFF4(cls) TINY_OFF(cls), TINY_OFF(cls), TINY_OFF(cls), TINY_OFF(cls)
#define TINY_OFF16(cls) TINY_OFF4(cls), TINY_OFF4(cls), TINY_OFF4(cls), TINY_OFF4(cls) /* one entry per size */
/* Where Standard's cache lists end (HK_LIST_END, internal.h): no block, never written. */
const uintptr_t hk_list_end[2] __attribute__((aligned(16))) = {0, 0};
__thread hk_tls_t hk_tls HK_TLS_MODEL = {.cache = {[0 ... HK_CLASS_COUNT - 1] = {.head = HK_LIST_END}},
                                         .tiny_off = {HK_TINY_CLASS_INDEX_MAP(TINY_OFF16)}};
static uint32_t class_refill[HK_CLASS_COUNT]; /* blocks per refill */
static uint32_t class_limit[HK_CLASS_COUNT];  /* blocks a cache may hold */
/* Slow start: a thread's cache of a class starts at this limit, so its first refill carves
 * about one page of blocks (at least two), and doubles its limit at every refill and every
 * overflow until class_limit: a thread that uses a class a little touches one page of
 * it, not a whole refill batch (32 blocks of 1 KiB: 8 pages), so thousands of threads that
 * hold a few blocks each cost little memory apiece. Steady state is unchanged. */
static uint32_t class_start[HK_CLASS_COUNT];
#define HK_START_BYTES 4096u
/* The sum over classes of class_start * class size: the least a live thread's limits add up to. */
static uint64_t start_bytes;

/* Per-class limits from the knobs: tiny and mid classes have their own capacity and
 * batch, and no class caches more than maxBytesPerClass. Read once at start. */
void hk_unified_cache_derive_limits(void) {
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    bool tiny = hk_class_is_tiny(c);
    uint64_t cap = (uint64_t)(tiny ? hk_unified_cache_capacity() : hk_unified_cache_mid_capacity());
    uint64_t by_bytes = (uint64_t)hk_unified_cache_max_bytes_per_class() / hk_class_size[c];
    if (by_bytes < 1) by_bytes = 1;
    if (cap > by_bytes) cap = by_bytes;
    if (cap > 65535) cap = 65535;
    uint64_t batch = (uint64_t)(tiny ? hk_unified_cache_refill_batch() : hk_unified_cache_mid_refill_batch());
    if (batch > cap) batch = cap;
    if (batch < 1) batch = 1;
    class_limit[c] = hk_unified_cache_enabled() ? (uint32_t)cap : 0;
    class_refill[c] = hk_unified_cache_enabled() ? (uint32_t)batch : 1;
    uint32_t start = HK_START_BYTES / hk_class_size[c]; /* the first refill takes limit + 1 blocks */
    start = start > 2 ? start - 1 : 1;
    class_start[c] = start < class_limit[c] ? start : class_limit[c];
  }
  start_bytes = 0;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) start_bytes += (uint64_t)class_start[c] * hk_class_size[c];
}

/* A thread's caches hold at most maxBytesPerThread at their limits. t->limit_bytes is the sum
 * of limit * class size: cache_grow and cache_make_room keep it, and the lifecycle functions
 * below, which set every limit, recompute it in their loops (or set it to 0). The debug build
 * checks it against the sum itself. */
static __attribute__((unused)) uint64_t cache_bytes(const hk_tls_t *t) {
  uint64_t sum = 0;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) sum += (uint64_t)t->cache[c].limit * hk_class_size[c];
  return sum;
}

/* Up to n blocks from the head of uc (class cls) leave (fewer when a double free shortened the
 * list): h's own to their slabs, other heaps' into the depot as one chain when `depot`, else (or
 * when the depot is full) home; room rises by as many. Returns how many went. */
static int32_t cache_give_back(hk_unified_cache_t *uc, unsigned cls, hk_heap_t *h, int32_t n, bool depot) {
  hk_block_t *fh = HK_LIST_END, *ft = NULL; /* the chain may become a cache's list (the depot) */
  uint32_t fn = 0;
  int32_t i = 0;
  for (; i < n && uc->head != HK_LIST_END; i++) {
    hk_block_t *b = uc->head;
    uc->head = hk_link_dec(b);
    if (hk_likely(hk_unit_of((uintptr_t)b)->owner == h)) {
      hk_slab_give(h, b);
      continue;
    }
    b->next = hk_link_enc(b, fh); /* a chain in cache-list form, as the depot keeps them */
    fh = b;
    if (ft == NULL) ft = b;
    fn++;
  }
  uc->room += i;
  if (fn != 0 && !(depot && hk_depot_put(cls, fh, ft, fn))) hk_heap_give_chain(h, fh, fn);
  return i;
}

/* The thread's budget: its first limits (start_bytes) plus its share of maxBytesTotal, the
 * share divided among the threads that hold a heap; at most maxBytesPerThread. The first limits
 * are not shared out: they add up to about 1.7 MiB, mostly one block of each mid class that a
 * thread may never use, so a share that had to cover them left nothing to grow on beyond about
 * 18 threads (32 MiB / 1.7 MiB), and every cache of 33 threads stayed at its first limit
 * (handoff, 16 workers: a flush per 32 frees, 0.55x mimalloc). One load of a counter that
 * changes only as threads start and exit. */
static inline uint64_t thread_budget(void) {
  uint64_t per = (uint64_t)hk_unified_cache_max_bytes_per_thread();
  uint32_t n = atomic_load_explicit(&hk_heaps_active, memory_order_relaxed);
  uint64_t share = start_bytes + (uint64_t)hk_unified_cache_max_bytes_total() / (n > 1 ? n : 1);
  return share < per ? share : per;
}

/* Room for `need` more bytes of cls's limit within the budget (cls = HK_CLASS_COUNT: none; the
 * limits just come down to the budget): the other classes' limits halve, in turn, never below
 * their first limit, and what such a cache holds beyond its new limit goes back at once, so the
 * bytes held stay within the budget too. A live thread's limits never drop below their first
 * ones (set_limits, unpark), so what the others hold above theirs is known without a look at
 * them: when it is nothing, nothing is looked at (a class stuck at the budget calls this at
 * every refill and overflow). */
static void cache_make_room(hk_tls_t *t, unsigned cls, uint64_t need, uint64_t budget) {
  HK_ASSERT(t->limit_bytes == cache_bytes(t));
  HK_ASSERT(cls == HK_CLASS_COUNT || t->cache[cls].limit >= class_start[cls]);
  uint64_t have = t->limit_bytes;
  uint64_t own = cls == HK_CLASS_COUNT ? 0 : (uint64_t)(t->cache[cls].limit - class_start[cls]) * hk_class_size[cls];
  if (have <= start_bytes + own) return; /* the others are all at their first limits */
  for (unsigned i = 0; have + need > budget && i < 2 * HK_CLASS_COUNT; i++) {
    unsigned v = t->steal_next;
    t->steal_next = (uint8_t)(v + 1 < HK_CLASS_COUNT ? v + 1 : 0);
    hk_unified_cache_t *uc = &t->cache[v];
    if (v == cls || uc->limit <= class_start[v]) continue;
    uint32_t nl = uc->limit / 2 > class_start[v] ? uc->limit / 2 : class_start[v];
    have -= (uint64_t)(uc->limit - nl) * hk_class_size[v];
    uc->room -= (int32_t)(uc->limit - nl);
    uc->limit = nl;
    if (uc->room < 0) cache_give_back(uc, v, t->heap, -uc->room, true);
  }
  t->limit_bytes = have;
}

/* The cache of cls may hold more: its limit doubles, up to the class's (slow start), if the
 * thread's budget has room or the other classes can make it; else it grows as far as the
 * budget allows. (Doubling or nothing left a class that reached half the budget stuck there:
 * 1,600 blocks of 4 KiB fit an 8 MiB budget, but the limit stayed at 1,024.) */
static inline void cache_grow(hk_tls_t *t, unsigned cls) {
  hk_unified_cache_t *uc = &t->cache[cls];
  uint32_t max = class_limit[cls];
  if (hk_likely(uc->limit >= max)) return;
  uint64_t size = hk_class_size[cls], budget = thread_budget();
  uint32_t nl = uc->limit * 2 > max ? max : uc->limit * 2;
  uint64_t need = (uint64_t)(nl - uc->limit) * size;
  if (t->limit_bytes + need > budget) {
    cache_make_room(t, cls, need, budget);
    uint64_t left = budget > t->limit_bytes ? budget - t->limit_bytes : 0;
    if (left < need) {
      nl = uc->limit + (uint32_t)(left / size);
      if (nl == uc->limit) return;
      need = (uint64_t)(nl - uc->limit) * size;
    }
  }
  t->limit_bytes += need;
  uc->room += (int32_t)(nl - uc->limit);
  uc->limit = nl;
}

void hk_unified_cache_set_limits(hk_tls_t *t) {
  uint64_t bytes = 0;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_unified_cache_t *uc = &t->cache[c];
    int32_t held = (int32_t)uc->limit - uc->room;
    uc->limit = class_start[c]; /* slow start: grows at each refill and overflow */
    if (held > 0 && (uint32_t)held > uc->limit)
      uc->limit = (uint32_t)held < class_limit[c] ? (uint32_t)held : class_limit[c];
    uc->room = (int32_t)uc->limit - held;
    bytes += (uint64_t)uc->limit * hk_class_size[c];
  }
  t->limit_bytes = bytes;
}

/* Blocks of this thread's heap that came home (remote_queue.c) go straight into the caches of
 * their classes while there is room (they stay counted as used), so a refill need not carve
 * them out of their slab again; the rest back to their slabs. */
static void drain_into_cache(hk_tls_t *t, hk_heap_t *h) {
  uint64_t n;
  for (hk_block_t *b = hk_remote_take(h, (uint64_t)hk_remote_drain_batch(), &n), *next; b != NULL; b = next) {
    next = b->next;
    hk_unified_cache_t *uc = &t->cache[hk_unit_of((uintptr_t)b)->cls];
    if (uc->room > 0) hk_unified_cache_push(uc, b);
    else hk_slab_give(h, b);
  }
}

/* The cache of cls is empty: drain remote frees if due, take a batch from the slabs,
 * return one block and keep the rest. NULL with errno ENOMEM when memory is out. */
void *hk_unified_cache_refill(unsigned cls) {
  hk_tls_t *t = &hk_tls;
  hk_heap_t *h = t->heap;
  HK_ASSERT(h != NULL); /* the front gate starts the thread first (front.c, cache_refill) */
  hk_unified_cache_t *uc = &t->cache[cls];
  hk_block_t *b = hk_unified_cache_pop(uc); /* refilled meanwhile (thread start may allocate) */
  if (b != NULL) return b;
  HK_UNIFIED_CACHE_COUNT_AT(misses, cls, 1);
  HK_UNIFIED_CACHE_COUNT(refills, 1);
  hk_remote_flush(); /* what this thread gathered for others goes out at least this often */
  hk_purge_maybe();  /* one load while nothing waits to be purged */
  uint64_t budget = thread_budget();
  if (hk_unlikely(t->limit_bytes > budget)) cache_make_room(t, HK_CLASS_COUNT, 0, budget); /* more threads now */
  if (hk_remote_due(h)) {
    drain_into_cache(t, h);
    if ((b = hk_unified_cache_pop(uc)) != NULL) return b; /* the drain brought blocks of this class */
  }
  unsigned want = class_refill[cls];
  if (want > uc->limit + 1) want = uc->limit + 1;
  hk_block_t *chain;
  unsigned got = hk_slab_take(h, cls, want, HK_TAKE_FREED, &chain); /* blocks that came home */
  uint32_t n;
  if (got == 0 && (chain = hk_depot_take(cls, &n)) != NULL) { /* blocks other threads passed on */
    uc->head = hk_link_dec(chain);
    uc->room = (int32_t)uc->limit - (int32_t)(n - 1);
    cache_grow(t, cls);
    if (HK_CHECKS) hk_mark_clear(chain); /* handed out */
    return chain;
  }
  if (got == 0) got = hk_heap_take(h, cls, want, &chain);
  if (got == 0) {
    errno = ENOMEM;
    return NULL;
  }
  uc->head = hk_link_dec(chain);
  uc->room = (int32_t)uc->limit - (int32_t)(got - 1);
  cache_grow(t, cls);                  /* the next refill may take more */
  if (HK_CHECKS) hk_mark_clear(chain); /* handed out */
  return chain;
}

/* A unified cache's list holds a block without the free key (a use after free wrote it): the
 * report (env/report.c), and the list is dropped (its blocks leak; none is handed out); a block
 * from the slabs instead (NULL with ENOMEM). */
hk_block_t *hk_unified_cache_poisoned(hk_unified_cache_t *uc) {
  hk_tls_t *t = &hk_tls;
  unsigned cls = (unsigned)(uc - t->cache);
  hk_corrupt_list("a unified cache", uc->head, cls);
  uc->head = HK_LIST_END;
  uc->room = (int32_t)uc->limit;
  return hk_unified_cache_refill(cls);
}

/* free found the cache of cls full (or disabled): flush half of it to the slabs, then
 * keep b. A disabled cache (limit 0) returns b straight to its slab. */
void hk_unified_cache_overflow(hk_block_t *b, unsigned cls) {
  hk_tls_t *t = &hk_tls;
  hk_heap_t *h = t->heap;
  hk_unified_cache_t *uc = &t->cache[cls];
  if (uc->limit == 0) {
    hk_slab_give(h, b);
    return;
  }
  if (uc->limit < class_limit[cls]) { /* slow start: room for more instead of a flush */
    cache_grow(t, cls);
    if (uc->room > 0) {
      hk_unified_cache_push(uc, b);
      return;
    }
  }
  HK_UNIFIED_CACHE_COUNT(flushes, 1);
  hk_purge_maybe(); /* frees drive the purge too: one load while nothing waits */
  cache_give_back(uc, cls, h, (int32_t)uc->limit - uc->room - (int32_t)(uc->limit / 2), true); /* down to half */
  hk_unified_cache_push(uc, b);
}

/* Debug: the cache list of a class holds limit - room blocks (or more, from a depot chain),
 * each of its class and owned by some heap. */
static void check_cache(const hk_tls_t *t, unsigned cls) {
#if HK_DEBUG
  const hk_unified_cache_t *uc = &t->cache[cls];
  int32_t n = 0, held = (int32_t)uc->limit - uc->room; /* a chain from the depot may hold more than the limit */
  for (const hk_block_t *b = uc->head; b != HK_LIST_END && n <= held; b = hk_link_dec(b), n++)
    HK_ASSERT(hk_unit_of((uintptr_t)b)->owner != NULL && hk_unit_of((uintptr_t)b)->cls == cls);
  HK_ASSERT(!HK_CHECKS || n == held); /* FAST: a double free may have changed it */
#else
  (void)t, (void)cls;
#endif
}

/* Time-based purge (purge.c): the depot's chains that waited `delay` ms by `now` go home, so
 * that the memory a program stopped using can empty its slabs and return to the OS. */
void hk_unified_cache_purge_depot(uint64_t now) {
  int64_t purge_delay = hk_env_purge_delay_ms();
  if (purge_delay < 0) return; /* -1: never */
  uint64_t delay = (uint64_t)purge_delay;
  if (atomic_exchange_explicit(&hk_depot_due, 0, memory_order_relaxed) == 0) return; /* another thread purges */
  hk_tls_t *t = &hk_tls;
  uint64_t next = 0;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    uint32_t n;
    hk_block_t *b = hk_depot_take_aged(c, now > delay ? now - delay : 0, delay, &n, &next);
    if (b != NULL) hk_heap_give_chain(t->heap, b, n);
  }
  if (next) hk_due_note(&hk_depot_due, next);
}

/* Every cached block of t back to where it belongs, and the caches emptied; the depot's chains
 * too (malloc_trim). */
void hk_unified_cache_flush_all(hk_tls_t *t, hk_heap_t *h) {
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    check_cache(t, c);
    uint32_t n;
    for (hk_block_t *b; (b = hk_depot_take(c, &n)) != NULL;) hk_heap_give_chain(h, b, n);
  }
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_unified_cache_t *uc = &t->cache[c];
    int32_t held = (int32_t)uc->limit - uc->room;
    if (uc->head != HK_LIST_END && held > 0) hk_heap_give_chain(h, uc->head, (uint32_t)held);
    uc->head = HK_LIST_END;
    uc->room = 0;
    uc->limit = 0;
  }
  t->limit_bytes = 0;
}

/* The thread is exiting: up to one refill batch per tiny class stays with its heap (still
 * counted as used), so the thread that adopts the heap next starts with a warm cache
 * without moving those blocks one by one; the rest, and every mid block (a few of which
 * would pin whole slabs), go back to their slabs, so a parked heap holds little memory.
 * Parking is for thread churn (a thread exits, the next adopts its heap): at most
 * HK_PARK_MAX heaps hold parked blocks at once; beyond that an exiting thread flushes
 * everything, so that thousands of threads exiting together do not each pin a slab per class.
 * A parked cache nobody adopts within purgeDelayMs is flushed by the
 * time-based purge (hk_heap_purge_parked). */
#define HK_PARK_MAX 8

void hk_unified_cache_park(hk_tls_t *t, hk_heap_t *h) {
  bool any = false;
  bool park = atomic_load_explicit(&hk_parked_heaps, memory_order_relaxed) < HK_PARK_MAX;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    check_cache(t, c);
    hk_unified_cache_t *uc = &t->cache[c];
    uint32_t held = uc->head != HK_LIST_END ? (uint32_t)((int32_t)uc->limit - uc->room) : 0;
    uint32_t keep = park && hk_class_is_tiny(c) ? class_refill[c] : 0;
    /* other heaps' blocks go home, not into the depot: from there the next refill of any thread
     * would take them, and blocks of a heap whose thread never frees them home (larson's main
     * thread allocated every lane before the clock, then waits) would circulate among the
     * workers for good, every free of them a foreign one and neighbouring blocks in use by
     * different threads (larson, 2 threads: 1.38x faster with them home, 1.13x with 1 thread;
     * the price, about 5 MB held in the waiting thread's queue: docs/memory.md) */
    if (held > keep) held -= (uint32_t)cache_give_back(uc, c, h, (int32_t)(held - keep), false);
    h->parked[c].head = uc->head; /* a cache's list: it ends at HK_LIST_END */
    h->parked[c].count = held;
    any |= uc->head != HK_LIST_END;
    uc->head = HK_LIST_END;
    uc->room = 0;
    uc->limit = 0;
  }
  t->limit_bytes = 0;
  if (any) {
    atomic_fetch_add_explicit(&hk_parked_heaps, 1, memory_order_relaxed);
    int64_t delay = hk_env_purge_delay_ms();
    if (delay >= 0) {
      h->parked_since = hk_clock_ms();
      hk_due_note(&hk_heap_due, h->parked_since + (uint64_t)delay);
    }
  }
  atomic_store_explicit(&h->has_parked, any, memory_order_release);
}

/* A thread adopted h: its cache becomes what the last thread left (limits already set). A
 * class in use skips the slow start: its limit starts at four refill batches (a few hundred
 * KiB over all classes, well within any budget; maxBytesPerThread is at least 64 KiB, and a
 * smaller budget only stops later growth). */
void hk_unified_cache_unpark(hk_tls_t *t, hk_heap_t *h) {
  if (!atomic_load_explicit(&h->has_parked, memory_order_acquire)) return;
  uint64_t bytes = 0;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_unified_cache_t *uc = &t->cache[c];
    uint32_t held = h->parked[c].count;
    uc->head = held ? h->parked[c].head : HK_LIST_END;
    if (held) {
      uint32_t warm = 4 * class_refill[c] < class_limit[c] ? 4 * class_refill[c] : class_limit[c];
      if (warm > uc->limit) uc->limit = warm;
      if (held > uc->limit) uc->limit = held;
    }
    uc->room = (int32_t)uc->limit - (int32_t)held;
    bytes += (uint64_t)uc->limit * hk_class_size[c];
    h->parked[c].head = NULL;
    h->parked[c].count = 0;
  }
  t->limit_bytes = bytes;
  atomic_store_explicit(&h->has_parked, false, memory_order_relaxed);
  atomic_fetch_sub_explicit(&hk_parked_heaps, 1, memory_order_relaxed);
}
