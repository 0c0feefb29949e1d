/* depot.c: the depot (unified cache box). Chains of free blocks that threads passed on, per
 * class, for any thread's next refill of the class: the place between thread caches that the
 * other heaps' blocks of a cache that overflows go to instead of going home (THREAD CACHE and DEPOT in
 * types.h). A chain is kept in the form a cache list has (links as hk_link_enc writes them;
 * the free key in Standard and OBSERVE, none in FAST), so a refill makes a whole chain its
 * cache list without touching a block: the blocks are first touched when malloc hands them
 * out, and a producer whose blocks a consumer frees gets them back at a cost per chain, not
 * per block. Bounded by unifiedCache.depotBytes; what does not fit goes home. Each
 * class has its own lock, taken on slow paths only (a refill, a cache that overflowed), for a handful of stores. */
#define _GNU_SOURCE /* PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP */
#include "internal.h"

#define HK_DEPOT_CHAIN_BYTES (64u << 10) /* a chain grows by joining the newest up to this (or 8 blocks) */

/* A chain's descriptor. Descriptors are carved from metadata memory as needed and reused; a
 * class needs about depotBytes / HK_DEPOT_CHAIN_BYTES of them at most. */
typedef struct depot_chain {
  hk_block_t *head, *tail;
  uint32_t count;
  struct depot_chain *next;
  uint64_t since; /* when it was made (ms): env.purgeDelayMs later it goes home */
} depot_chain_t;

typedef struct __attribute__((aligned(64))) {
  pthread_mutex_t lock;
  depot_chain_t *top;   /* newest first */
  depot_chain_t *spare; /* unused descriptors */
  uint32_t chains;
} depot_class_t;

/* Adaptive mutexes (glibc: spin a little before sleeping): a depot lock is held for a handful of
 * stores, so a thread that finds it taken is better off spinning than entering the kernel. */
static depot_class_t depot[HK_CLASS_COUNT] = {
    [0 ... HK_CLASS_COUNT - 1] = {.lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP}};
_Atomic(uint64_t) hk_depot_due; /* purge.c: when the oldest chain has waited purgeDelayMs (0: none waits) */
static _Atomic(uint64_t)
    depot_bytes; /* over every class: at most depotBytes (checked before a put: a bound, not exact) */

static inline uint32_t chain_max(unsigned cls) {
  uint32_t n = HK_DEPOT_CHAIN_BYTES / (uint32_t)hk_class_size[cls];
  return n > 8 ? n : 8;
}

/* A descriptor for class d (lock held): a spare one, else 64 more from metadata memory. */
static depot_chain_t *chain_new(depot_class_t *d) {
  if (d->spare == NULL) {
    depot_chain_t *more = hk_os_meta_alloc(64 * sizeof(depot_chain_t));
    if (more == NULL) return NULL;
    for (unsigned i = 0; i < 64; i++) {
      more[i].next = d->spare;
      d->spare = &more[i];
    }
  }
  depot_chain_t *c = d->spare;
  d->spare = c->next;
  return c;
}

/* A chain head..tail of n blocks of cls, in cache-list form, into the depot. False (the chain
 * is still the caller's) when the depot is full or off. */
bool hk_depot_put(unsigned cls, hk_block_t *head, hk_block_t *tail, uint32_t n) {
  uint64_t bytes = (uint64_t)n * hk_class_size[cls];
  uint64_t cap = (uint64_t)hk_unified_cache_depot_bytes();
  int64_t delay = hk_env_purge_delay_ms(); /* 0: nothing waits, so nothing waits here */
  if (delay == 0 || atomic_load_explicit(&depot_bytes, memory_order_relaxed) + bytes > cap) {
    HK_UNIFIED_CACHE_COUNT(depot_refused, delay != 0 ? n : 0); /* off (delay 0) refuses nothing */
    return false;
  }
  depot_class_t *d = &depot[cls];
  pthread_mutex_lock(&d->lock);
  depot_chain_t *top = d->top;
  bool ok = true;
  if (top != NULL && top->count + n <= chain_max(cls)) { /* joins the newest chain */
    tail->next = hk_link_enc(tail, top->head);
    top->head = head;
    top->count += n;
  } else if ((top = chain_new(d)) != NULL) {
    uint64_t now = delay > 0 ? hk_clock_ms() : 0; /* a new chain per 64 KiB: rare enough for a (vDSO) clock read */
    *top = (depot_chain_t){head, tail, n, d->top, now};
    d->top = top;
    __atomic_store_n(&d->chains, d->chains + 1, __ATOMIC_RELAXED);
    if (delay > 0) hk_due_note(&hk_depot_due, now + (uint64_t)delay);
  } else {
    ok = false;
  }
  pthread_mutex_unlock(&d->lock);
  if (ok) atomic_fetch_add_explicit(&depot_bytes, bytes, memory_order_relaxed);
  HK_UNIFIED_CACHE_COUNT(depot_puts, ok ? n : 0);
  return ok;
}

/* The newest chain of cls (NULL if none): *n its length. */
hk_block_t *hk_depot_take(unsigned cls, uint32_t *n) {
  depot_class_t *d = &depot[cls];
  if (__atomic_load_n(&d->chains, __ATOMIC_RELAXED) == 0) return NULL; /* a hint: the lock decides */
  pthread_mutex_lock(&d->lock);
  depot_chain_t *c = d->top;
  hk_block_t *head = NULL;
  if (c != NULL) {
    d->top = c->next;
    __atomic_store_n(&d->chains, d->chains - 1, __ATOMIC_RELAXED);
    head = c->head;
    *n = c->count;
    c->next = d->spare;
    d->spare = c;
  }
  pthread_mutex_unlock(&d->lock);
  if (head != NULL) {
    atomic_fetch_sub_explicit(&depot_bytes, (uint64_t)*n * hk_class_size[cls], memory_order_relaxed);
    HK_UNIFIED_CACHE_COUNT(depot_takes, *n);
  }
  return head;
}

/* The chains of cls made at or before `before` (ms), joined into one (NULL if none): *n its
 * length; *next becomes the earlier of itself and when the oldest younger chain ages. The
 * chains are newest first, so the aged ones are the list's tail. */
hk_block_t *hk_depot_take_aged(unsigned cls, uint64_t before, uint64_t delay, uint32_t *n, uint64_t *next) {
  depot_class_t *d = &depot[cls];
  if (__atomic_load_n(&d->chains, __ATOMIC_RELAXED) == 0) return NULL;
  pthread_mutex_lock(&d->lock);
  depot_chain_t **link = &d->top, *young = NULL;
  while (*link != NULL && (*link)->since > before) {
    young = *link;
    link = &(*link)->next;
  }
  if (young != NULL && (*next == 0 || young->since + delay < *next)) *next = young->since + delay;
  hk_block_t *head = NULL, *tail = NULL;
  uint32_t count = 0, chains = 0;
  for (depot_chain_t *c = *link; c != NULL;) {
    depot_chain_t *after = c->next;
    if (tail != NULL) tail->next = hk_link_enc(tail, c->head);
    else head = c->head;
    tail = c->tail;
    count += c->count;
    chains++;
    c->next = d->spare;
    d->spare = c;
    c = after;
  }
  *link = NULL;
  __atomic_store_n(&d->chains, d->chains - chains, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&d->lock);
  if (head != NULL) atomic_fetch_sub_explicit(&depot_bytes, (uint64_t)count * hk_class_size[cls], memory_order_relaxed);
  *n = count;
  return head;
}

/* fork(): no depot lock may be held by a thread that does not exist in the child. */
void hk_depot_fork_prepare(void) {
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) pthread_mutex_lock(&depot[c].lock);
}
void hk_depot_fork_parent(void) {
  for (unsigned c = HK_CLASS_COUNT; c-- > 0;) pthread_mutex_unlock(&depot[c].lock);
}
void hk_depot_fork_child(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) pthread_mutex_init(&depot[c].lock, &a);
  pthread_mutexattr_destroy(&a);
}
