/* purge.c: the time-based purge (ENV gate box). Every layer that keeps free memory for reuse
 * lets it go after env.purgeDelayMs unused: empty SuperSlabs and free slabs' pages
 * (superslab.c), cached large mappings (large.c), caches parked by exited threads that nobody
 * adopted (heap.c), the depot's chains (depot.c). There is no background thread: the slow paths
 * (a refill, a flush, a free into an exited thread's heap, a large allocation or free) call
 * hk_purge_maybe. Each layer notes when its oldest waiting memory ages in its own due time
 * (hk_due_note, which keeps hk_purge_due the earliest of them all) and registers, at process
 * start, the function that releases what has aged (hk_purge_register); this file calls the
 * registered functions and names none of them, so no layer calls one above it. While nothing
 * waits, hk_purge_maybe is one load of a global that holds 0; while something waits, every
 * 16th call of a thread reads CLOCK_MONOTONIC_COARSE (the vDSO: no system call), and the first
 * call past the earliest due time runs the purgers. Each purger takes its own due time back
 * (an exchange with 0) before it purges, so one thread purges each layer at a time. */
#include "internal.h"

#define HK_PURGERS 8

static struct {
  _Atomic(uint64_t) *due;
  void (*run)(uint64_t now);
} purgers[HK_PURGERS];
static unsigned npurgers;

_Atomic(uint64_t) hk_purge_due; /* the earliest of the registered due times (0: nothing waits) */

/* At process start (init.c), before any memory waits: a layer's due time and its purger. */
void hk_purge_register(_Atomic(uint64_t) *due, void (*run)(uint64_t now)) {
  HK_ASSERT(npurgers < HK_PURGERS);
  purgers[npurgers].due = due;
  purgers[npurgers].run = run;
  npurgers++;
}

static hk_noinline void purge_run(uint64_t now) {
  atomic_store_explicit(&hk_purge_due, 0, memory_order_relaxed); /* each layer notes again what still waits */
  for (unsigned i = 0; i < npurgers; i++) {
    uint64_t due = atomic_load_explicit(purgers[i].due, memory_order_relaxed);
    if (due == 0) continue;
    if (now >= due) purgers[i].run(now);
    else hk_due_note(purgers[i].due, due);
  }
}

void hk_purge_maybe(void) {
  static __thread uint32_t tick HK_TLS_MODEL;
  uint64_t due = atomic_load_explicit(&hk_purge_due, memory_order_relaxed);
  if (hk_likely(due == 0) || (tick++ & 15) != 0) return;
  uint64_t now = hk_clock_ms();
  if (now >= due) purge_run(now);
}
