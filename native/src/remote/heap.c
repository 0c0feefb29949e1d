/* heap.c: heaps (remote free box). A heap owns slabs and belongs to one thread at a time;
 * this file is its lifecycle: acquired by a new thread (adopting an abandoned heap, slabs
 * included, before making a new one), abandoned when its thread exits, collected (its queue
 * drained into its slabs, its parked cache flushed) by a thread that frees into it or that
 * would otherwise map memory, and the one place that decides where a refill's blocks come
 * from (hk_heap_take). See types.h, HEAP and REMOTE QUEUE. */
#include "internal.h"

_Atomic(hk_heap_t *) hk_heaps; /* every heap ever made, newest first; never unlinked */

static bool heap_collect(hk_heap_t *h, hk_block_t *b);

/* ABANDONED -> COLLECTING: this thread holds h until heap_let_go. False if h is not ABANDONED
 * (adopted, or held by another thread). */
static bool heap_claim(hk_heap_t *h) {
  int expect = HK_HEAP_ABANDONED;
  return atomic_compare_exchange_strong_explicit(&h->state, &expect, HK_HEAP_COLLECTING, memory_order_acquire,
                                                 memory_order_relaxed);
}

/* Back to ABANDONED. The release and the look at the queue after it are sequentially
 * consistent, as are a pusher's push and its look at the state after it (hk_free_to_exited):
 * of a push that races with the release, one of the two threads sees the other, and takes the
 * block (here, by collecting again). */
static void heap_let_go(hk_heap_t *h) {
  atomic_store_explicit(&h->state, HK_HEAP_ABANDONED, memory_order_seq_cst);
  if (atomic_load_explicit(&h->remote, memory_order_seq_cst) != NULL) heap_collect(h, NULL);
}

/* A held heap gives back what nobody uses: its queue, its parked cache, its empty slabs. */
static void heap_take_back(hk_heap_t *h) {
  hk_remote_drain(h, UINT64_MAX);
  hk_heap_flush_parked(h);
  hk_slab_release_empty(h);
}

_Atomic(uint32_t) hk_heaps_active;

/* A new thread's heap: an abandoned one if any (its slabs come along), else a new one. */
hk_heap_t *hk_heap_acquire(void) {
  for (hk_heap_t *h = atomic_load_explicit(&hk_heaps, memory_order_acquire); h; h = h->next_all) {
    int expect = HK_HEAP_ABANDONED;
    if (atomic_load_explicit(&h->state, memory_order_relaxed) == HK_HEAP_ABANDONED &&
        atomic_compare_exchange_strong_explicit(&h->state, &expect, HK_HEAP_ACTIVE, memory_order_acquire,
                                                memory_order_relaxed)) {
      HK_REMOTE_COUNT(heaps_adopted, 1);
      atomic_fetch_add_explicit(&hk_heaps_active, 1, memory_order_relaxed);
      return h;
    }
  }
  hk_heap_t *h = hk_os_meta_alloc(sizeof(hk_heap_t));
  if (h == NULL) return NULL;
  atomic_fetch_add_explicit(&hk_heaps_active, 1, memory_order_relaxed);
  atomic_store_explicit(&h->state, HK_HEAP_ACTIVE, memory_order_relaxed);
  hk_heap_t *head = atomic_load_explicit(&hk_heaps, memory_order_relaxed);
  do {
    h->next_all = head;
  } while (!atomic_compare_exchange_weak_explicit(&hk_heaps, &head, h, memory_order_release, memory_order_relaxed));
  return h;
}

/* Take back what abandoned heaps hold (their remote queues and the caches their threads
 * parked) so their empty slabs return to the pool. Runs only when the pool is dry, before
 * a new SuperSlab is mapped (hk_heap_take), and from malloc_trim. */
bool hk_heap_collect_abandoned(void) {
  bool any = false;
  for (hk_heap_t *h = atomic_load_explicit(&hk_heaps, memory_order_acquire); h; h = h->next_all) {
    /* abandoned heaps have nothing pending: abandonment and collection drain fully */
    if (atomic_load_explicit(&h->remote, memory_order_relaxed) == NULL &&
        !atomic_load_explicit(&h->has_parked, memory_order_relaxed))
      continue;
    if (!heap_claim(h)) continue;
    heap_take_back(h);
    heap_let_go(h);
    any = true;
  }
  return any;
}

/* Up to `want` blocks of class cls for h, from h's slabs and the pool. When the pool is dry,
 * what abandoned heaps hold is collected first (so thread churn reuses memory instead of
 * growing), and only then is a new SuperSlab mapped. */
unsigned hk_heap_take(hk_heap_t *h, unsigned cls, unsigned want, hk_block_t **out) {
  unsigned got = hk_slab_take(h, cls, want, HK_TAKE_POOL, out);
  if (got == 0 && hk_heap_collect_abandoned()) got = hk_slab_take(h, cls, want, HK_TAKE_POOL, out);
  if (got == 0) got = hk_slab_take(h, cls, want, HK_TAKE_MAP, out);
  return got;
}

/* Claim h, give it b (if any) and what waits in its queue, let go (heap_let_go's ordering;
 * what was pushed meanwhile is taken on another pass, as long as nobody else claims h).
 * Returns false, having done nothing, if h is not ABANDONED (b is still the caller's). */
static bool heap_collect(hk_heap_t *h, hk_block_t *b) {
  if (!heap_claim(h)) return false;
  for (;;) {
    if (b != NULL) {
      hk_slab_give(h, b); /* as the owner would: a block already free is dropped there */
      HK_REMOTE_COUNT(remote_collected, 1);
      b = NULL;
    }
    if (hk_remote_pending(h)) hk_remote_drain(h, UINT64_MAX);
    atomic_store_explicit(&h->state, HK_HEAP_ABANDONED, memory_order_seq_cst);
    if (atomic_load_explicit(&h->remote, memory_order_seq_cst) == NULL) return true;
    /* pushed while this thread held it: take those too, if nobody else has claimed it since */
    if (!heap_claim(h)) return true;
  }
}

/* The thread of h is exiting (its cache already flushed): return what came back,
 * give empty slabs to the pool, and let the next thread adopt the rest. */
void hk_heap_abandon(hk_heap_t *h) {
  atomic_fetch_sub_explicit(&hk_heaps_active, 1, memory_order_relaxed);
  hk_remote_drain(h, UINT64_MAX);
  hk_slab_release_empty(h);
  HK_REMOTE_COUNT(heaps_abandoned, 1);
  heap_let_go(h); /* a free that found the heap still ACTIVE and pushed after the drain: taken */
}

/* A free of a block of a heap whose thread has exited (ABANDONED). Nobody drains its queue
 * until a thread adopts it, which may never happen (a program that frees, after a worker
 * exited, what the worker allocated), so the freeing thread does the work: it claims the
 * heap as a collector does (ABANDONED -> COLLECTING), gives the block straight back to its
 * slab, takes back whatever waits in the queue, and lets go. Emptied slabs go to the pool,
 * emptied SuperSlabs to the OS under the pool's hysteresis: no lock unless a slab empties, no
 * system call but the pool's batched release. If the heap is being adopted or collected
 * meanwhile, the block is pushed as any remote free (that thread takes it); blocks pushed
 * while this thread held the heap are taken on a second pass. A thread that has exited
 * itself (exited) pushes its outbox at once (it would never be pushed otherwise). */
hk_noinline void hk_free_to_exited(hk_heap_t *owner, hk_block_t *b, bool exited) {
  if (hk_remote_gathering(owner) || exited) hk_remote_flush();
  if (heap_collect(owner, b)) {
    hk_purge_maybe();
    return;
  }
  /* adopted (its new owner drains the queue) or being collected (the collector will): push */
  hk_remote_free(owner, b);
  if (exited || hk_remote_push_batch() > 1) hk_remote_flush(); /* the push must be visible now */
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&owner->state, memory_order_seq_cst) == HK_HEAP_ABANDONED) heap_collect(owner, NULL);
}

/* ---- blocks going home, and parked caches -------------------------------------------
 * A block of a cache list (or the depot) leaves for where it belongs: its slab when h (the
 * heap of the calling thread, or the heap a collector holds; NULL for none) owns it, else its
 * owner's queue. */
void hk_heap_give_block(hk_heap_t *h, hk_block_t *b) {
  hk_heap_t *owner = hk_unit_of((uintptr_t)b)->owner;
  if (hk_likely(owner == h)) {
    hk_slab_give(h, b);
    return;
  }
  hk_mark_free(b); /* into a queue: see the free key in internal.h */
  hk_remote_send(owner, b, b, 1);
}

/* A chain of n blocks in cache-list form (hk_link_dec follows it) goes home, block by block.
 * The walk stops at n: a FAST double free can link a block twice. */
void hk_heap_give_chain(hk_heap_t *h, hk_block_t *b, uint32_t n) {
  for (uint32_t i = 0; i < n && b != NULL && b != HK_LIST_END; i++) {
    hk_block_t *next = hk_link_dec(b);
    hk_heap_give_block(h, b);
    b = next;
  }
}

/* Abandoned heaps holding parked caches (at most HK_PARK_MAX, unified_cache.c parks them). */
_Atomic(uint32_t) hk_parked_heaps;

/* Nobody adopted h and memory is short, or its parked cache aged: its parked blocks go back
 * where they belong (the calling thread holds h: a collector). */
void hk_heap_flush_parked(hk_heap_t *h) {
  if (!atomic_load_explicit(&h->has_parked, memory_order_acquire)) return;
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    if (h->parked[c].count != 0) hk_heap_give_chain(h, h->parked[c].head, h->parked[c].count);
    h->parked[c].head = NULL;
    h->parked[c].count = 0;
  }
  atomic_store_explicit(&h->has_parked, false, memory_order_relaxed);
  atomic_fetch_sub_explicit(&hk_parked_heaps, 1, memory_order_relaxed);
}

/* Time-based purge (env.purgeDelayMs; purge.c decides when): the parked cache of a heap
 * nobody adopted for delay ms goes back to its slabs, and the slabs it emptied to the pool,
 * so a parked heap pins no memory for long. hk_heap_due is when the first parked cache ages. */
_Atomic(uint64_t) hk_heap_due;

void hk_heap_purge_parked(uint64_t now) {
  int64_t purge_delay = hk_env_purge_delay_ms();
  if (purge_delay < 0) return; /* -1: never */
  uint64_t delay = (uint64_t)purge_delay;
  if (atomic_exchange_explicit(&hk_heap_due, 0, memory_order_relaxed) == 0) return; /* another thread purges */
  uint64_t next = 0;
  for (hk_heap_t *h = atomic_load_explicit(&hk_heaps, memory_order_acquire); h; h = h->next_all) {
    if (!atomic_load_explicit(&h->has_parked, memory_order_relaxed) ||
        atomic_load_explicit(&h->state, memory_order_relaxed) != HK_HEAP_ABANDONED)
      continue;
    if (!heap_claim(h)) continue;
    if (atomic_load_explicit(&h->has_parked, memory_order_relaxed) && h->parked_since + delay > now) {
      if (next == 0 || h->parked_since + delay < next) next = h->parked_since + delay;
    } else {
      heap_take_back(h);
    }
    heap_let_go(h);
  }
  if (next) hk_due_note(&hk_heap_due, next);
}
