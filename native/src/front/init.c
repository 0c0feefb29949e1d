/* init.c: process and thread lifecycle. Everything here runs once per process or once
 * per thread, behind the first cache miss, never on a fast path.
 *
 * Safe first calls: the first malloc may come from the dynamic loader, a constructor,
 * dlsym, getenv or atexit. Process initialisation therefore allocates nothing and calls
 * nothing that allocates (no stdio, no atexit, no dlsym); work that may allocate
 * (pthread_atfork) runs from the library constructor, when the allocator already works. */
#include <errno.h>
#include <unistd.h>

#include "internal.h"

static pthread_once_t process_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;

static void thread_exit(void *arg);

/* The exit hook's key gets an index of 32 or more. glibc calls the key destructors of each
 * round in key order, reading the blocks of keys 32 and up (which it allocates per thread)
 * as it reaches them; so when a thread first allocates from another key's destructor, even
 * in the last round, the heap it gets is abandoned in that same round instead of leaking.
 * (User keys are almost always below 32: the keys taken to get past them are given back.)
 *
 * That per-thread block is a calloc of 512 bytes, through hakmem: when it fails (no SuperSlab
 * could be mapped at that moment) pthread_setspecific returns ENOMEM and sets nothing, and the
 * thread would exit without its hook: its heap ACTIVE for good, its slabs and queue never
 * returned.
 * So one key below 32 is kept too (fallback_key): setting it never allocates (glibc keeps the
 * first 32 in the thread descriptor), and a thread whose registration under thread_key failed
 * is registered under it instead. Its hook then runs with the low keys' destructors, earlier
 * in the round; allocations from later destructors borrow a heap per call (hk_exited_alloc),
 * as after any exit hook. (A program that took all 32 low keys before hakmem's first allocation
 * leaves none to keep: there a failed registration still loses the hook.) */
#define HK_KEY_LEVEL2 32
static pthread_key_t fallback_key;
static bool have_fallback;
static void create_thread_key(void) {
  pthread_key_t spare[HK_KEY_LEVEL2 + 1];
  unsigned n = 0;
  for (;;) {
    pthread_key_t k;
    if (pthread_key_create(&k, thread_exit) != 0) { /* out of keys: the last one made will do */
      if (n == 0) return;
      thread_key = spare[--n];
      break;
    }
    if (k >= HK_KEY_LEVEL2 || n == HK_KEY_LEVEL2) {
      thread_key = k;
      break;
    }
    spare[n++] = k;
  }
  if (n > 0 && thread_key >= HK_KEY_LEVEL2) { /* the lowest spare stays, as the fallback */
    fallback_key = spare[0];
    have_fallback = true;
    for (unsigned i = 1; i < n; i++) spare[i - 1] = spare[i];
    n--;
  }
  while (n > 0) pthread_key_delete(spare[--n]);
}

static void process_init_once(void) {
  int saved = errno; /* reading the environment (strtol) may change it; the first malloc must not */
  hk_os_free_key_init();
  hk_env_load();
  hk_superslab_init();
  hk_unified_cache_derive_limits();
  /* the layers that keep free memory for a while, and what lets it go (env/purge.c) */
  hk_purge_register(&hk_superslab_due, hk_superslab_purge);
  hk_purge_register(&hk_heap_due, hk_heap_purge_parked);
  hk_purge_register(&hk_depot_due, hk_unified_cache_purge_depot);
  hk_purge_register(&hk_large_due, hk_large_purge);
  create_thread_key();
  errno = saved;
}

void hk_process_init(void) { pthread_once(&process_once, process_init_once); }

bool hk_thread_init(void) {
  hk_tls_t *t = &hk_tls;
  hk_process_init();
  if (t->heap != NULL) return true;
  if (t->exited) return false; /* a heap of its own would never be abandoned: see hk_exited_alloc */
  hk_heap_t *h = hk_heap_acquire();
  if (h == NULL) return false;
  t->heap = h;
  hk_unified_cache_set_limits(t);
  hk_unified_cache_unpark(t, h);
  /* May allocate (keys beyond the first 32): the heap is already usable. If that allocation
   * fails, the fallback key (which never allocates) carries the exit hook instead. */
  int saved = errno; /* a failed calloc inside sets it; the allocation that got here succeeds */
  if (pthread_setspecific(thread_key, h) != 0 && have_fallback) pthread_setspecific(fallback_key, h);
  errno = saved;
  return true;
}

/* A thread whose exit hook has run allocates again, from a later pthread key destructor.
 * glibc runs the destructors for at most PTHREAD_DESTRUCTOR_ITERATIONS rounds, so a heap
 * given to the thread now would never be abandoned if this is the last round: one heap and
 * its slabs leaked per such thread (232 KB each, 4.6 GB after 20,000 threads). Instead each
 * such allocation borrows a heap: it adopts an abandoned one (or makes one), takes one block
 * from its slabs and abandons it again at once. Frees of those blocks find the owner
 * ABANDONED and give them straight back to their slabs (hk_free_to_exited, heap.c). A heap
 * hand-over per call is slow, but only a thread that is already gone pays it. */
void *hk_exited_alloc(unsigned cls) {
  hk_heap_t *h = hk_heap_acquire();
  if (h == NULL) return NULL;
  hk_block_t *b = NULL;
  unsigned got = hk_heap_take(h, cls, 1, &b);
  hk_heap_abandon(h);     /* at once, as an exiting thread abandons its own */
  hk_stats_thread_exit(); /* this thread's counters were folded at its exit: fold these too */
  if (got == 0) return NULL;
  if (HK_CHECKS) hk_mark_clear(b); /* handed out: no longer free (see the free key in internal.h) */
  return b;
}

/* The thread is exiting (a pthread key destructor): hand everything back. If the thread
 * allocates again afterwards (a later destructor), it borrows a heap per call
 * (hk_exited_alloc) instead of getting one of its own, which nothing would abandon. */
static void thread_exit(void *arg) {
  (void)arg;
  hk_tls_t *t = &hk_tls;
  hk_heap_t *h = t->heap;
  if (h == NULL) return;
  hk_unified_cache_park(t, h);
  hk_remote_flush();
  t->heap = NULL;
  t->exited = true;
  hk_heap_abandon(h);
  hk_stats_thread_exit(); /* last: abandoning the heap counts too (heaps_abandoned) */
}

/* fork(): take every lock so that no other thread is inside the allocator's shared
 * structures, then release them on both sides. The child keeps the forking thread's
 * heap; the other threads' heaps stay marked in use and are never touched again. */
static void fork_prepare(void) {
  hk_depot_fork_prepare();
  pthread_mutex_lock(&hk_meta_lock);
  pthread_mutex_lock(&hk_pool_lock);
  pthread_mutex_lock(&hk_large_lock);
  pthread_mutex_lock(&hk_os_defer_lock);
}

static void fork_parent(void) {
  pthread_mutex_unlock(&hk_os_defer_lock);
  pthread_mutex_unlock(&hk_large_lock);
  pthread_mutex_unlock(&hk_pool_lock);
  pthread_mutex_unlock(&hk_meta_lock);
  hk_depot_fork_parent();
}

static void fork_child(void) {
  pthread_mutex_init(&hk_os_defer_lock, NULL);
  pthread_mutex_init(&hk_large_lock, NULL);
  pthread_mutex_init(&hk_pool_lock, NULL);
  pthread_mutex_init(&hk_meta_lock, NULL);
  hk_depot_fork_child();
}

__attribute__((constructor)) static void hakmem_constructor(void) {
  int saved = errno;
  hk_process_init();
  if (hk_env_provisional()) { /* the first call came before the environment was set up */
    hk_env_load();
    hk_unified_cache_derive_limits();
    if (hk_tls.heap) hk_unified_cache_set_limits(&hk_tls);
  }
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  hk_stats_prepare();
  errno = saved;
}

__attribute__((destructor)) static void hakmem_destructor(void) { hk_stats_report(); }
