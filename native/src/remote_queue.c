/* remote_queue.c: the remote free box's queue. A free by a thread that does not own the
 * block's slab pushes it onto the owning heap's lock-free list; the owner drains that list
 * in batches when it refills. What happens to a heap whose thread has exited is heap.c. */
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

/* A chain of blocks that hold the free key back to their owner: pushed as one chain, or, when
 * the owner's thread has exited (nobody would drain its queue), given to its slabs by this
 * thread, block by block (hk_free_to_exited, which expects blocks as the program frees them:
 * without the key). */
void hk_remote_send(hk_tls_t *t, hk_heap_t *owner, hk_block_t *head, hk_block_t *tail, uint32_t n) {
  if (hk_unlikely(atomic_load_explicit(&owner->state, memory_order_relaxed) == HK_HEAP_ABANDONED)) {
    tail->next = NULL;
    for (hk_block_t *b = head, *next; b != NULL; b = next) {
      next = b->next;
      hk_mark_clear(b);
      hk_free_to_exited(t, owner, b);
    }
    return;
  }
  push_chain(owner, head, tail, n);
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
      hk_unified_cache_t *tc = t ? &t->cache[cls] : NULL;
      if (tc && tc->room > 0) {
        hk_unified_cache_push(tc, b);
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
