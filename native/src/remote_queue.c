/* remote_queue.c: the remote free box. A free by a thread that does not own the block's
 * slab pushes it onto the owning heap's lock-free list; the owner drains that list in
 * batches when it refills. Heaps of exited threads are abandoned, adopted by new threads
 * and, while nobody adopts them, collected by threads that would otherwise map memory. */
#include "internal.h"

/* Multi-producer push of a chain head..tail; the owner takes the whole list at once with
 * an exchange, so a node is never popped alone and there is no ABA. */
static void push_chain(hk_heap_t *owner, hk_block_t *head, hk_block_t *tail, uint32_t n) {
  hk_block_t *old = atomic_load_explicit(&owner->remote, memory_order_relaxed);
  do {
    tail->next = old;
  } while (
      !atomic_compare_exchange_weak_explicit(&owner->remote, &old, head, memory_order_release, memory_order_relaxed));
  /* Counted only when a threshold needs the count (a constant in FAST: no second atomic). */
  if (hk_remote_drain_threshold() > 1) atomic_fetch_add_explicit(&owner->remote_count, n, memory_order_relaxed);
  HK_REMOTE_COUNT(remote_pushed, n);
  HK_REMOTE_COUNT(remote_batches, 1);
}

void hk_remote_flush(hk_tls_t *t) {
  hk_outbox_t *o = &t->outbox;
  if (o->count == 0) return;
  push_chain(o->owner, o->head, o->tail, o->count);
  o->owner = NULL;
  o->head = o->tail = NULL;
  o->count = 0;
}

/* A free of a block owned by another heap: gather it for its owner, push when the batch is
 * full. With pushBatch 1 (a constant in FAST) this is one push per free. A block that is
 * already free (queued, or in its slab's free list) is a double free: dropped, so it is
 * never in two lists at once (see the free key in internal.h; Standard has refused it before). */
void hk_remote_free(hk_tls_t *t, hk_heap_t *owner, hk_block_t *b) {
  if (hk_unlikely(hk_marked_free(b))) return;
  hk_mark_free(b);
  uint32_t batch = (uint32_t)hk_remote_push_batch();
  if (batch <= 1) {
    push_chain(owner, b, b, 1);
    return;
  }
  hk_outbox_t *o = &t->outbox;
  if (o->owner != owner) {
    hk_remote_flush(t);
    o->owner = owner;
    o->tail = b;
  }
  b->next = o->head;
  o->head = b;
  if (++o->count >= batch) hk_remote_flush(t);
}

/* Take back up to budget remote frees: first those left waiting by the last drain, then
 * the queue. What the budget does not cover waits in h->pending. With t (the owner thread
 * draining its own heap), a block goes straight into t's cache for its class while there
 * is room (it stays counted as used, as in the queue), so a refill need not carve it out
 * of its slab again; otherwise it goes back to its slab. */
void hk_remote_drain(hk_heap_t *h, hk_tls_t *t, uint64_t budget) {
  uint64_t done = 0;
  for (int round = 0; round < 2 && done < budget; round++) {
    hk_block_t *b = h->pending;
    if (b == NULL) b = atomic_exchange_explicit(&h->remote, NULL, memory_order_acquire);
    while (b != NULL && done < budget) {
      unsigned cls = hk_unit_of((uintptr_t)b)->cls;
      if (HK_CHECKS && hk_unlikely(!hk_marked_free(b))) { /* written after it was freed */
        hk_corrupt_list("a remote free queue", b, cls);
        b = NULL; /* the rest cannot be trusted: left out (leaked), never handed out */
        break;
      }
      HK_ASSERT(hk_unit_of((uintptr_t)b)->owner == h); /* owner stability: h's slab while queued */
      hk_block_t *next = b->next;
      hk_mark_clear(b); /* out of the queue: see the free key in internal.h */
      hk_tcache_t *tc = t ? &t->cache[cls] : NULL;
      if (tc && tc->room > 0) {
        hk_tcache_push(tc, b);
      } else {
        hk_slab_give(h, b);
      }
      b = next;
      done++;
    }
    h->pending = b;
  }
  if (done) {
    if (hk_remote_drain_threshold() > 1) atomic_fetch_sub_explicit(&h->remote_count, done, memory_order_relaxed);
    HK_REMOTE_COUNT(remote_drained, done);
  }
}

static bool heap_collect(hk_heap_t *h, hk_block_t *b);

/* The thread of h is exiting (its cache already flushed): return what came back,
 * give empty slabs to the pool, and let the next thread adopt the rest. */
void hk_heap_abandon(hk_heap_t *h) {
  hk_remote_drain(h, NULL, UINT64_MAX);
  hk_slab_release_empty(h);
  HK_REMOTE_COUNT(heaps_abandoned, 1);
  atomic_store_explicit(&h->state, HK_HEAP_ABANDONED, memory_order_seq_cst);
  /* a free that found the heap still ACTIVE pushed after the drain: nobody else would take it */
  if (atomic_load_explicit(&h->remote, memory_order_seq_cst) != NULL) heap_collect(h, NULL);
}

/* A free of a block of a heap whose thread has exited (ABANDONED). Nobody drains its queue
 * until a thread adopts it, which may never happen (a program that frees, after a worker
 * exited, what the worker allocated), so the freeing thread does the work: it claims the
 * heap as a collector does (ABANDONED -> COLLECTING), gives the block straight back to its
 * slab, takes back whatever waits in the queue, and lets go. Emptied slabs go to the pool,
 * emptied regions to the OS under the pool's hysteresis: no lock unless a slab empties, no
 * system call but the pool's batched release. If the heap is being adopted or collected
 * meanwhile, the block is pushed as any remote free (that thread takes it); blocks pushed
 * while this thread held the heap are taken on a second pass. A thread that has exited
 * itself pushes its outbox at once (it would never be pushed otherwise). */
/* Claim h (ABANDONED -> COLLECTING), give it b (if any) and what waits in its queue, let go.
 * The release and the look at the queue after it are sequentially consistent, as are a
 * pusher's push and its look at the state after it (hk_free_to_exited): of a push that
 * races with the release, one of the two threads sees the other, and takes the block.
 * Returns false, having done nothing, if h is not ABANDONED (b is still the caller's). */
static bool heap_collect(hk_heap_t *h, hk_block_t *b) {
  int expect = HK_HEAP_ABANDONED;
  if (!atomic_compare_exchange_strong_explicit(&h->state, &expect, HK_HEAP_COLLECTING, memory_order_acquire,
                                               memory_order_relaxed))
    return false;
  for (;;) {
    if (b != NULL) {
      hk_slab_give(h, b); /* as the owner would: a block already free is dropped there */
      HK_REMOTE_COUNT(remote_collected, 1);
      b = NULL;
    }
    if (hk_remote_pending(h)) hk_remote_drain(h, NULL, UINT64_MAX);
    atomic_store_explicit(&h->state, HK_HEAP_ABANDONED, memory_order_seq_cst);
    if (atomic_load_explicit(&h->remote, memory_order_seq_cst) == NULL) return true;
    /* pushed while this thread held it: take those too, if nobody else has claimed it since */
    expect = HK_HEAP_ABANDONED;
    if (!atomic_compare_exchange_strong_explicit(&h->state, &expect, HK_HEAP_COLLECTING, memory_order_acquire,
                                                 memory_order_relaxed))
      return true;
  }
}

hk_noinline void hk_free_to_exited(hk_tls_t *t, hk_heap_t *owner, hk_block_t *b) {
  if (t->outbox.owner == owner || t->exited) hk_remote_flush(t);
  if (heap_collect(owner, b)) return;
  /* adopted (its new owner drains the queue) or being collected (the collector will): push */
  hk_remote_free(t, owner, b);
  if (t->exited || hk_remote_push_batch() > 1) hk_remote_flush(t); /* the push must be visible now */
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&owner->state, memory_order_seq_cst) == HK_HEAP_ABANDONED) heap_collect(owner, NULL);
}

/* A new thread's heap: an abandoned one if any (its slabs come along), else a new one. */
hk_heap_t *hk_heap_acquire(void) {
  for (hk_heap_t *h = atomic_load_explicit(&hk_heaps, memory_order_acquire); h; h = h->next_all) {
    int expect = HK_HEAP_ABANDONED;
    if (atomic_load_explicit(&h->state, memory_order_relaxed) == HK_HEAP_ABANDONED &&
        atomic_compare_exchange_strong_explicit(&h->state, &expect, HK_HEAP_ACTIVE, memory_order_acquire,
                                                memory_order_relaxed)) {
      HK_REMOTE_COUNT(heaps_adopted, 1);
      return h;
    }
  }
  hk_heap_t *h = hk_os_meta_alloc(sizeof(hk_heap_t));
  if (h == NULL) return NULL;
  atomic_store_explicit(&h->state, HK_HEAP_ACTIVE, memory_order_relaxed);
  hk_heap_t *head = atomic_load_explicit(&hk_heaps, memory_order_relaxed);
  do {
    h->next_all = head;
  } while (!atomic_compare_exchange_weak_explicit(&hk_heaps, &head, h, memory_order_release, memory_order_relaxed));
  return h;
}

/* Take back what abandoned heaps hold (their remote queues and the caches their threads
 * parked) so their empty slabs return to the pool. Runs only when the pool is dry, before
 * a new region is mapped, and from malloc_trim. */
bool hk_remote_collect_abandoned(void) {
  bool any = false;
  for (hk_heap_t *h = atomic_load_explicit(&hk_heaps, memory_order_acquire); h; h = h->next_all) {
    /* abandoned heaps have nothing pending: abandonment and collection drain fully */
    if (atomic_load_explicit(&h->remote, memory_order_relaxed) == NULL &&
        !atomic_load_explicit(&h->has_parked, memory_order_relaxed))
      continue;
    int expect = HK_HEAP_ABANDONED;
    if (!atomic_compare_exchange_strong_explicit(&h->state, &expect, HK_HEAP_COLLECTING, memory_order_acquire,
                                                 memory_order_relaxed))
      continue;
    hk_remote_drain(h, NULL, UINT64_MAX);
    hk_cache_flush_parked(h);
    hk_slab_release_empty(h);
    atomic_store_explicit(&h->state, HK_HEAP_ABANDONED, memory_order_release);
    any = true;
  }
  return any;
}
