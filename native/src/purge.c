/* purge.c: time-based purge (SuperSlab box, superslab.purgeDelayMs). Empty SuperSlabs
 * (superslab.c) and cached large mappings (large.c) that have waited unused for purgeDelayMs
 * go back to the OS, with no background thread: the slow paths (a refill, a cache flush, a
 * free into an exited thread's heap, a large allocation or free) call hk_purge_maybe. While
 * nothing waits, that is four loads of globals that hold 0; while something waits, every
 * 16th call of a thread reads CLOCK_MONOTONIC_COARSE (the vDSO: no system call), and the
 * first call past the earliest due time releases what has aged. -1 never purges; 0 purges
 * at once (a SuperSlab the moment it is empty, a large mapping instead of caching it).
 *
 * Caches parked by exited threads that nobody adopted (heap.c) and the depot's chains
 * (depot.c, unified_cache.c) age the same way.
 * Each side notes its own earliest due time (hk_superslab_due, hk_large_due, hk_heap_due, hk_depot_due) with
 * hk_due_note, and takes it back (an exchange with 0) when it purges, so one thread purges
 * each side at a time and neither layer calls the other. */
#include "internal.h"

static hk_noinline void purge_run(uint64_t now) {
  int64_t delay = hk_superslab_purge_delay_ms();
  if (delay < 0) return;
  hk_superslab_purge(now, (uint64_t)delay);
  hk_large_purge(now, (uint64_t)delay);
  hk_heap_purge_parked(now, (uint64_t)delay);
  hk_unified_cache_purge_depot(now, (uint64_t)delay);
}

void hk_purge_maybe(void) {
  static __thread uint32_t tick HK_TLS_MODEL;
  uint64_t ss = atomic_load_explicit(&hk_superslab_due, memory_order_relaxed);
  uint64_t large = atomic_load_explicit(&hk_large_due, memory_order_relaxed);
  uint64_t heap = atomic_load_explicit(&hk_heap_due, memory_order_relaxed);
  uint64_t depot = atomic_load_explicit(&hk_depot_due, memory_order_relaxed);
  if (hk_likely((ss | large | heap | depot) == 0) || (tick++ & 15) != 0) return;
  uint64_t now = hk_clock_ms();
  if ((ss != 0 && now >= ss) || (large != 0 && now >= large) || (heap != 0 && now >= heap) ||
      (depot != 0 && now >= depot))
    purge_run(now);
}
