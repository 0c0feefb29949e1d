/* slabs.c: a heap's slabs (remote free box). Per class, the heap's list of slabs that still
 * have free or uncarved blocks (partial[c]); which blocks a refill takes from them (their free
 * lists, then fresh blocks in ascending addresses), new slabs from the pool (superslab.c), and
 * blocks coming back to their slab, which returns to the pool when its last block does. The
 * heap's owner calls these, or a thread that holds the heap (a collector). See types.h, SLAB
 * and HEAP. */
#include "internal.h"

/* A new slab of class cls for h, at the head of its partial list (refills take from there). */
static hk_slab_t *slab_acquire(hk_heap_t *h, unsigned cls, bool may_map) {
  hk_slab_t *s = hk_slab_from_pool(cls, h, may_map);
  if (s == NULL) return NULL;
  s->listed = 1;
  hk_slab_list_push(&h->partial[cls], s);
  HK_ASSERT(hk_slab_valid(s, h, true));
  return s;
}

/* Links b after *last, the end of the chain *head starts (a cache's list: safe-linked when on).
 * The end is terminated once, by hk_slab_take. */
static inline void chain_append(hk_block_t **head, hk_block_t **last, hk_block_t *b) {
  if (*last != NULL) (*last)->next = hk_link_enc(*last, b);
  else *head = b;
  *last = b;
}

/* Move up to `want` blocks of class cls from h's slabs into a chain, in the order a cache
 * hands them out: slab by slab, each slab's free list first, then its fresh blocks in
 * ascending addresses, as the peers carve fresh memory. A program that writes its blocks in
 * the order it got them then streams forward, which the hardware prefetchers follow
 * (native/test/api/carve_order.c). Returns the count. */
unsigned hk_slab_take(hk_heap_t *h, unsigned cls, unsigned want, int how, hk_block_t **out) {
  hk_block_t *chain = NULL, *last = NULL;
  unsigned got = 0;
  size_t bs = hk_block_stride(cls);
  while (got < want) {
    hk_slab_t *s = h->partial[cls];
    if (how == HK_TAKE_FREED) { /* the head slab's free list only: stop where it ends */
      if (s == NULL || s->free == NULL) break;
    } else if (s == NULL && (s = slab_acquire(h, cls, how == HK_TAKE_MAP)) == NULL) {
      break;
    }
    unsigned n = 0;
    while (got + n < want && s->free) {
      hk_block_t *b = s->free;
      if (HK_CHECKS && hk_unlikely(!hk_marked_free(b))) { /* written after it was freed */
        hk_corrupt_list("a slab's free list", b, cls);
        s->free = NULL; /* the rest cannot be trusted: left out (leaked), never handed out */
        break;
      }
      HK_ASSERT(hk_slab_of((uintptr_t)b) == s && hk_block_start(hk_unit_of((uintptr_t)b), (uintptr_t)b));
      s->free = b->next;
      hk_mark_cached(b); /* into a cache: see the free key in internal.h */
      chain_append(&chain, &last, b);
      n++;
    }
    if (got + n < want && s->carved < s->capacity && how != HK_TAKE_FREED) {
      unsigned k = want - got - n;
      if (k > s->capacity - s->carved) k = s->capacity - s->carved;
      char *p = hk_slab_area(s) + (size_t)s->carved * bs;
      s->carved += k;
      n += k;
      for (unsigned i = 0; i < k; i++, p += bs) {
        hk_mark_cached((hk_block_t *)p); /* a reformatted SuperSlab may hold an old block's key here */
        chain_append(&chain, &last, (hk_block_t *)p);
      }
    }
    s->used += n;
    got += n;
    if (s->free == NULL && s->carved == s->capacity) {
      hk_slab_list_unlink(&h->partial[cls], s);
      s->listed = 0;
    }
    HK_ASSERT(hk_slab_valid(s, h, false)); /* the SLAB accounting of types.h */
  }
  if (last != NULL) last->next = hk_link_enc(last, HK_LIST_END); /* a cache's list */
  *out = chain;
  return got;
}

/* One block back to its slab, by the owning heap. An emptied slab goes back to the pool
 * unless it is the class's only listed slab of a small tier (keeping one avoids ping-pong;
 * a whole-SuperSlab slab is too big to sit idle in one heap). */
void hk_slab_give(hk_heap_t *h, hk_block_t *b) {
  hk_slab_t *s = hk_slab_of((uintptr_t)b);
  /* A slab with nothing out, or (FAST) a block already free: a double free got this far.
   * Dropping it keeps the slab's list acyclic and its count true (see the free key in
   * internal.h). Standard refuses double frees where they are made, and its cached blocks
   * carry the key, so it does not look here. */
  HK_ASSERT(hk_unit_of((uintptr_t)b)->owner == h);                   /* h's own slab */
  HK_ASSERT(hk_block_start(hk_unit_of((uintptr_t)b), (uintptr_t)b)); /* a block's start */
  HK_ASSERT(!HK_CHECKS || s->used > 0);                              /* Standard refused any double free before */
  if (hk_unlikely(s->used == 0 || (!HK_CHECKS && hk_marked_free(b)))) return;
  unsigned cls = s->cls;
  hk_mark_free(b);
  b->next = s->free;
  s->free = b;
  s->used--;
  if (!s->listed) {
    s->listed = 1;
    hk_slab_list_insert_second(&h->partial[cls], s);
  }
  HK_ASSERT(hk_slab_valid(s, h, s->used == 0)); /* an empty slab: its free list is every carved block */
  /* (a heap whose thread has exited keeps none: nobody would reuse it soon) */
  if (s->used == 0 && !(h->partial[cls] == s && s->next == NULL && s->tier < HK_TIERS - 1 &&
                        atomic_load_explicit(&h->state, memory_order_relaxed) == HK_HEAP_ACTIVE)) {
    hk_slab_list_unlink(&h->partial[cls], s);
    hk_slab_to_pool(s);
  }
}

/* Every empty slab of h back to the pool (the heap is being abandoned or collected). */
void hk_slab_release_empty(hk_heap_t *h) {
  for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
    hk_slab_t *s = h->partial[c];
    while (s) {
      hk_slab_t *next = s->next;
      if (s->used == 0) {
        hk_slab_list_unlink(&h->partial[c], s);
        hk_slab_to_pool(s);
      }
      s = next;
    }
  }
}
