/* remote_queue.c: the remote free box's queue. Blocks going home to the heap that owns their
 * slab, from a thread that is not its owner (a cache that could not keep them,
 * a thread without a cache), are pushed onto that heap's lock-free list; the owner takes them
 * back in batches when it refills. What happens to a heap whose thread has exited is heap.c. */
#include "internal.h"

/* Remote frees gathered for one owner heap, pushed as one chain (remote.pushBatch): per thread,
 * this layer's own (the unified cache's thread block does not hold it). */
typedef struct hk_outbox {
  hk_heap_t *owner;
  hk_block_t *head, *tail;
  uint32_t count;
} hk_outbox_t;
static __thread hk_outbox_t outbox HK_TLS_MODEL;

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
void hk_remote_send(hk_heap_t *owner, hk_block_t *head, hk_block_t *tail, uint32_t n) {
  if (hk_unlikely(atomic_load_explicit(&owner->state, memory_order_relaxed) == HK_HEAP_ABANDONED)) {
    tail->next = NULL;
    for (hk_block_t *b = head, *next; b != NULL; b = next) {
      next = b->next;
      hk_mark_clear(b);
      hk_free_to_exited(owner, b, false);
    }
    return;
  }
  push_chain(owner, head, tail, n);
}

/* What this thread gathered for one owner goes out now. */
void hk_remote_flush(void) {
  hk_outbox_t *o = &outbox;
  if (o->count == 0) return;
  push_chain(o->owner, o->head, o->tail, o->count);
  o->owner = NULL;
  o->head = o->tail = NULL;
  o->count = 0;
}

/* Is the outbox gathering for owner? */
bool hk_remote_gathering(const hk_heap_t *owner) { return outbox.owner == owner; }

/* A free of a block owned by another heap: gather it for its owner, push when the batch is
 * full. With pushBatch 1 (a constant in FAST) this is one push per free. A block that is
 * already free (queued, or in its slab's free list) is a double free: dropped, so it is
 * never in two lists at once (see the free key in internal.h; Standard has refused it before). */
void hk_remote_free(hk_heap_t *owner, hk_block_t *b) {
  if (hk_unlikely(hk_marked_free(b))) return;
  hk_mark_free(b);
  uint32_t batch = (uint32_t)hk_remote_push_batch();
  if (batch <= 1) {
    push_chain(owner, b, b, 1);
    return;
  }
  hk_outbox_t *o = &outbox;
  if (o->owner != owner) {
    hk_remote_flush();
    o->owner = owner;
    o->tail = b;
  }
  b->next = o->head;
  o->head = b;
  if (++o->count >= batch) hk_remote_flush();
}

/* Up to budget remote frees taken back by h's holder (its owner, or a collector): first those
 * left waiting by the last take, then the queue; what the budget does not cover waits in
 * h->pending. Returns them as a chain linked through next (NULL-terminated, keys cleared: they
 * are h's used blocks again), *n their count. Standard checks every block's key: a queue a use
 * after free has written is reported and cut there (the rest leaks; none is handed out). */
hk_block_t *hk_remote_take(hk_heap_t *h, uint64_t budget, uint64_t *n) {
  uint64_t done = 0;
  hk_block_t *chain = NULL, *last = NULL;
  for (int round = 0; round < 2 && done < budget; round++) {
    hk_block_t *b = h->pending;
    if (b == NULL) b = atomic_exchange_explicit(&h->remote, NULL, memory_order_acquire);
    while (b != NULL && done < budget) {
      if (HK_CHECKS && hk_unlikely(!hk_marked_free(b))) { /* written after it was freed */
        hk_corrupt_list("a remote free queue", b, hk_unit_of((uintptr_t)b)->cls);
        b = NULL;
        break;
      }
      HK_ASSERT(hk_unit_of((uintptr_t)b)->owner == h); /* owner stability: h's slab while queued */
      hk_block_t *next = b->next;
      hk_mark_clear(b); /* out of the queue: see the free key in internal.h */
      if (last != NULL) last->next = b;
      else chain = b;
      last = b;
      b = next;
      done++;
    }
    h->pending = b;
  }
  if (last != NULL) last->next = NULL;
  if (done) {
    if (hk_remote_drain_threshold() > 1) atomic_fetch_sub_explicit(&h->remote_count, done, memory_order_relaxed);
    HK_REMOTE_COUNT(remote_drained, done);
  }
  *n = done;
  return chain;
}

/* Up to budget remote frees back to h's slabs (abandonment, collection, malloc_trim). */
void hk_remote_drain(hk_heap_t *h, uint64_t budget) {
  uint64_t n;
  for (hk_block_t *b = hk_remote_take(h, budget, &n), *next; b != NULL; b = next) {
    next = b->next;
    hk_slab_give(h, b);
  }
}
