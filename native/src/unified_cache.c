/* unified_cache.c: the unified cache box, slow halves. The fast halves (pop in malloc,
 * push in free) are inline in front_gate.c; this file refills an empty cache from the
 * heap's slabs and flushes a full one back to them. */
#include <errno.h>

#include "internal.h"

/* Every thread's block starts as this image: empty caches, and malloc's size -> cache table. */
#define TINY_OFF(cls) (uint16_t) offsetof(hk_tls_t, cache[cls])
#define TINY_OFF4(cls) TINY_OFF(cls), TINY_OFF(cls), TINY_OFF(cls), TINY_OFF(cls)
#define TINY_OFF16(cls) TINY_OFF4(cls), TINY_OFF4(cls), TINY_OFF4(cls), TINY_OFF4(cls) /* one entry per size */
__thread hk_tls_t hk_tls HK_TLS_MODEL = {.tiny_off = {HK_TINY_CLASS_INDEX_MAP(TINY_OFF16)}};
static uint32_t class_refill[HK_CLASS_COUNT]; /* blocks per refill */
static uint32_t class_limit[HK_CLASS_COUNT];  /* blocks a cache may hold */
/* Slow start: a thread's cache of a class starts at this limit, so its first refill carves
 * about one page of blocks (at least two), and doubles its limit at every refill and every
 * overflow until class_limit: a thread that uses a class a little touches one page of
 * it, not a whole refill batch (32 blocks of 1 KiB: 8 pages). 2,000 threads with 20 blocks
 * each used to cost 170 KB apiece (issue 9, item 4). Steady state is unchanged. */
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

/* Up to n blocks from the head of tc back to their slabs (fewer when a double free shortened
 * the list); room rises by as many. Returns how many went. */
static int32_t cache_give_back(hk_unified_cache_t *tc, hk_heap_t *h, int32_t n) {
  int32_t i = 0;
  for (; i < n && tc->head; i++) {
    hk_block_t *b = tc->head;
    tc->head = hk_link_dec(b);
    hk_slab_give(h, b);
  }
  tc->room += i;
  return i;
}

/* Room for `need` more bytes of cls's limit within the budget: the other classes' limits
 * halve, in turn, never below their first limit, and what such a cache holds beyond its new
 * limit goes back to the slabs at once, so the bytes held stay within the budget too. A live
 * thread's limits never drop below their first ones (set_limits, unpark), so what the others
 * hold above theirs is known without a look at them: when it is nothing, nothing is looked at
 * (a class stuck at the budget calls this at every refill and overflow). */
static void cache_make_room(hk_tls_t *t, unsigned cls, uint64_t need) {
  uint64_t budget = (uint64_t)hk_unified_cache_max_bytes_per_thread();
  HK_ASSERT(t->limit_bytes == cache_bytes(t));
  HK_ASSERT(t->cache[cls].limit >= class_start[cls]);
  uint64_t have = t->limit_bytes;
  uint64_t own = (uint64_t)(t->cache[cls].limit - class_start[cls]) * hk_class_size[cls];
  if (have <= start_bytes + own) return; /* the others are all at their first limits */
  for (unsigned i = 0; have + need > budget && i < 2 * HK_CLASS_COUNT; i++) {
    unsigned v = t->steal_next;
    t->steal_next = (uint8_t)(v + 1 < HK_CLASS_COUNT ? v + 1 : 0);
    hk_unified_cache_t *tc = &t->cache[v];
    if (v == cls || tc->limit <= class_start[v]) continue;
    uint32_t nl = tc->limit / 2 > class_start[v] ? tc->limit / 2 : class_start[v];
    have -= (uint64_t)(tc->limit - nl) * hk_class_size[v];
    tc->room -= (int32_t)(tc->limit - nl);
    tc->limit = nl;
    if (tc->room < 0) cache_give_back(tc, t->heap, -tc->room);
  }
  t->limit_bytes = have;
}

/* The cache of cls may hold more: its limit doubles, up to the class's (slow start), if the
 * thread's budget has room or the other classes can make it; else it grows as far as the
 * budget allows. (Doubling or nothing left a class that reached half the budget stuck there:
 * 1,600 blocks of 4 KiB fit an 8 MiB budget, but the limit stayed at 1,024.) */
static inline void cache_grow(hk_tls_t *t, unsigned cls) {
  hk_unified_cache_t *tc = &t->cache[cls];
  uint32_t max = class_limit[cls];
  if (hk_likely(tc->limit >= max)) return;
  uint64_t size = hk_class_size[cls], budget = (uint64_t)hk_unified_cache_max_bytes_per_thread();
  uint32_t nl = tc->limit * 2 > max ? max : tc->limit * 2;
  uint64_t need = (uint64_t)(nl - tc->limit) * size;
  if (t->limit_bytes + need > budget) {
    cache_make_room(t, cls, need);
    uint64_t left = budget > t->limit_bytes ? budget - t->limit_bytes : 0;
    if (left < need) {
      nl = tc->limit + (uint32_t)(left / size);
      if (nl == tc->limit) return;
      need = (uint64_t)(nl - tc->limit) * size;
    }
  }
  t->limit_bytes += need;
  tc->room += (int32_t)(nl - tc->limit);
  tc->limit = nl;
}

void hk_unified_cache_set_limits(hk_tls_t *t) {
  uint64_t bytes = 0;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_unified_cache_t *tc = &t->cache[c];
    int32_t held = (int32_t)tc->limit - tc->room;
    tc->limit = class_start[c]; /* slow start: grows at each refill and overflow */
    if (held > 0 && (uint32_t)held > tc->limit)
      tc->limit = (uint32_t)held < class_limit[c] ? (uint32_t)held : class_limit[c];
    tc->room = (int32_t)tc->limit - held;
    bytes += (uint64_t)tc->limit * hk_class_size[c];
  }
  t->limit_bytes = bytes;
}

/* The cache of cls is empty: drain remote frees if due, take a batch from the slabs,
 * return one block and keep the rest. NULL with errno ENOMEM when memory is out. */
void *hk_unified_cache_refill(unsigned cls) {
  hk_tls_t *t = &hk_tls;
  if (hk_unlikely(t->heap == NULL) && !hk_thread_init()) {
    void *e = t->exited ? hk_exited_alloc(cls) : NULL; /* allocating in a pthread key destructor, after ours */
    if (e != NULL) return e;
    errno = ENOMEM;
    return NULL;
  }
  hk_heap_t *h = t->heap;
  hk_unified_cache_t *tc = &t->cache[cls];
  hk_block_t *b = hk_unified_cache_pop(tc); /* refilled meanwhile (thread init may allocate) */
  if (b != NULL) return b;
  HK_UNIFIED_CACHE_COUNT_AT(misses, cls, 1);
  HK_UNIFIED_CACHE_COUNT(refills, 1);
  hk_remote_flush(t); /* what this thread gathered for others goes out at least this often */
  hk_purge_maybe();   /* one load while nothing waits to be purged */
  if (hk_remote_due(h)) {
    hk_remote_drain(h, t, (uint64_t)hk_remote_drain_batch());
    if ((b = hk_unified_cache_pop(tc)) != NULL) return b; /* the drain brought blocks of this class */
  }
  hk_block_t *chain;
  unsigned want = class_refill[cls];
  if (want > tc->limit + 1) want = tc->limit + 1;
  unsigned got = hk_heap_take(h, cls, want, &chain);
  if (got == 0) {
    errno = ENOMEM;
    return NULL;
  }
  tc->head = hk_link_dec(chain);
  tc->room = (int32_t)tc->limit - (int32_t)(got - 1);
  cache_grow(t, cls);                  /* the next refill may take more */
  if (HK_CHECKS) hk_mark_clear(chain); /* handed out */
  return chain;
}

/* free found the cache of cls full (or disabled): flush half of it to the slabs, then
 * keep b. A disabled cache (limit 0) returns b straight to its slab. */
void hk_unified_cache_overflow(hk_block_t *b, unsigned cls) {
  hk_tls_t *t = &hk_tls;
  hk_heap_t *h = t->heap;
  hk_unified_cache_t *tc = &t->cache[cls];
  if (tc->limit == 0) {
    hk_slab_give(h, b);
    return;
  }
  if (tc->limit < class_limit[cls]) { /* slow start: room for more instead of a flush */
    cache_grow(t, cls);
    if (tc->room > 0) {
      hk_unified_cache_push(tc, b);
      return;
    }
  }
  HK_UNIFIED_CACHE_COUNT(flushes, 1);
  hk_purge_maybe(); /* frees drive the purge too: one load while nothing waits */
  cache_give_back(tc, h, (int32_t)tc->limit - tc->room - (int32_t)(tc->limit / 2)); /* down to half */
  hk_unified_cache_push(tc, b);
}

/* Debug: a cache list holds limit - room blocks, each of its class, each of this heap. */
static void check_cache(const hk_unified_cache_t *tc, unsigned cls, const hk_heap_t *h) {
#if HK_DEBUG
  int32_t n = 0;
  for (const hk_block_t *b = tc->head; b && n <= (int32_t)tc->limit; b = hk_link_dec(b), n++)
    HK_ASSERT(hk_unit_of((uintptr_t)b)->owner == h && hk_unit_of((uintptr_t)b)->cls == cls);
  HK_ASSERT(!HK_CHECKS || n == (int32_t)tc->limit - tc->room); /* FAST: a double free may have changed it */
#else
  (void)tc, (void)cls, (void)h;
#endif
}

/* Every cached block of t back to its slab, and the caches emptied (malloc_trim). */
void hk_unified_cache_flush_all(hk_tls_t *t, hk_heap_t *h) {
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_unified_cache_t *tc = &t->cache[c];
    check_cache(tc, c, h);
    hk_block_t *b = tc->head;
    while (b) {
      hk_block_t *next = hk_link_dec(b);
      hk_slab_give(h, b);
      b = next;
    }
    tc->head = NULL;
    tc->room = 0;
    tc->limit = 0;
  }
  t->limit_bytes = 0;
}

/* The thread is exiting: up to one refill batch per tiny class stays with its heap (still
 * counted as used), so the thread that adopts the heap next starts with a warm cache
 * without moving those blocks one by one; the rest, and every mid block (a few of which
 * would pin whole slabs), go back to their slabs, so a parked heap holds little memory.
 * Parking is for thread churn (a thread exits, the next adopts its heap): at most
 * HK_PARK_MAX heaps hold parked blocks at once; beyond that an exiting thread flushes
 * everything, so that 2,000 threads exiting together do not each pin a slab per class
 * (issue 9, item 4). A parked cache nobody adopts within purgeDelayMs is flushed by the
 * time-based purge (hk_heap_purge_parked). */
#define HK_PARK_MAX 8
_Atomic(uint32_t) hk_parked_heaps;

void hk_unified_cache_park(hk_tls_t *t, hk_heap_t *h) {
  bool any = false;
  bool park = atomic_load_explicit(&hk_parked_heaps, memory_order_relaxed) < HK_PARK_MAX;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_unified_cache_t *tc = &t->cache[c];
    check_cache(tc, c, h);
    uint32_t held = tc->head ? (uint32_t)((int32_t)tc->limit - tc->room) : 0;
    uint32_t keep = park && hk_class_is_tiny(c) ? class_refill[c] : 0;
    if (held > keep) held -= (uint32_t)cache_give_back(tc, h, (int32_t)(held - keep));
    h->parked[c].head = tc->head;
    h->parked[c].count = held;
    any |= tc->head != NULL;
    tc->head = NULL;
    tc->room = 0;
    tc->limit = 0;
  }
  t->limit_bytes = 0;
  if (any) {
    atomic_fetch_add_explicit(&hk_parked_heaps, 1, memory_order_relaxed);
    int64_t delay = hk_superslab_purge_delay_ms();
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
    hk_unified_cache_t *tc = &t->cache[c];
    tc->head = h->parked[c].head;
    uint32_t held = h->parked[c].count;
    if (held) {
      uint32_t warm = 4 * class_refill[c] < class_limit[c] ? 4 * class_refill[c] : class_limit[c];
      if (warm > tc->limit) tc->limit = warm;
      if (held > tc->limit) tc->limit = held;
    }
    tc->room = (int32_t)tc->limit - (int32_t)held;
    bytes += (uint64_t)tc->limit * hk_class_size[c];
    h->parked[c].head = NULL;
    h->parked[c].count = 0;
  }
  t->limit_bytes = bytes;
  atomic_store_explicit(&h->has_parked, false, memory_order_relaxed);
  atomic_fetch_sub_explicit(&hk_parked_heaps, 1, memory_order_relaxed);
}

/* Nobody adopted h and memory is short: its parked blocks go back to their slabs. */
void hk_unified_cache_flush_parked(hk_heap_t *h) {
  if (!atomic_load_explicit(&h->has_parked, memory_order_acquire)) return;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_block_t *b = h->parked[c].head;
    while (b) {
      hk_block_t *next = hk_link_dec(b);
      hk_slab_give(h, b);
      b = next;
    }
    h->parked[c].head = NULL;
    h->parked[c].count = 0;
  }
  atomic_store_explicit(&h->has_parked, false, memory_order_relaxed);
  atomic_fetch_sub_explicit(&hk_parked_heaps, 1, memory_order_relaxed);
}
