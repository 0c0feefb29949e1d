/* front.c: the front gate box's entry points. malloc and free themselves (size -> class
 * by table, the unified cache pop and push inline), the slow paths they hand off to (refill,
 * a full cache, a remote free, large blocks in large.c), calloc, realloc and aligned
 * allocation's routing. The rest of the API is in api.c.
 *
 * The fast paths are the first two functions. What they hand off to is noinline, so
 * that they stay a handful of instructions with nothing to spill. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "hakmem.h"
#include "internal.h"

/* What the fast paths hand off to (below): noinline, so that they stay a handful of instructions. */
static void *hk_alloc_slow(size_t size);
static void *hk_tiny_refill(size_t size);
static void *hk_tiny_poisoned(size_t size) __attribute__((cold));
static void *hk_mid_refill(size_t size);
static void *hk_mid_poisoned(size_t size) __attribute__((cold));
static void *hk_large_malloc(size_t size);
static void hk_free_slow(void *p);                 /* NULL, large, not ours */
static void hk_free_full(void *p);                 /* own block, cache full */
static void hk_free_remote(void *p, hk_unit_t *u); /* another heap's block */
static void hk_free_remote_rest(void *p, hk_unit_t *u);

/* ---- the fast paths --------------------------------------------------------------- */

/* The pop of malloc's hit path, for the tiny classes (hak_malloc) and the mid ones
 * (hk_alloc_slow). FAST: the list's end is NULL. Standard: one key test for a block still free
 * (see hk_unified_cache_pop) and for the end (HK_LIST_END holds no key); what fails it, the end
 * or a poisoned block, goes to refill, whose pop tells them apart. refill and poisoned take
 * size, still in its register, and are tail calls: the hit path copies and keeps nothing. cls
 * is only counted (OBSERVE). */
hk_inline void *cache_pop(hk_unified_cache_t HK_TLS_SEG *uc, size_t size, unsigned cls, void *(*refill)(size_t),
                          void *(*poisoned)(size_t)) {
  hk_block_t *b = uc->head;
  if (hk_likely(HK_CHECKS ? hk_marked_free(b) : b != NULL)) {
    hk_block_t *next = hk_link_dec(b);
    if (HK_CHECKS && hk_unlikely(hk_link_bad(next))) return poisoned(size);
    uc->head = next;
    uc->room++;
    if (HK_CHECKS) hk_mark_clear(b); /* handed out: no longer free */
    HK_UNIFIED_CACHE_COUNT_AT(hits, cls, 1);
    (void)cls;
    return b;
  }
  return refill(size);
}

HK_EXPORT void *hak_malloc(size_t size) {
  if (hk_likely(size <= HK_FRONT_TINY_MAX)) {
    hk_tls_t HK_TLS_SEG *t = hk_tls_fs();
    HK_KEEP_IN_RDX(t);
    return cache_pop(hk_tls_cache_at(t, t->tiny_off[size + 15]), size, hk_tiny_class(size), hk_tiny_refill,
                     hk_tiny_poisoned);
  }
  return hk_alloc_slow(size);
}

HK_EXPORT void hak_free(void *p) {
  uintptr_t a = (uintptr_t)p;
  uintptr_t i = a >> HK_SUPERSLAB_SHIFT;
  if (hk_likely(i < HK_SEGMAP_LEN && hk_seg_load(i) == HK_SEG_SUPERSLAB)) {
    hk_unit_t *u = hk_unit_at(i, a);
    hk_heap_t *owner = u->owner;
    /* Standard: the start of a live block, or a misuse (a free slab's unit has cap 0) */
    if (HK_CHECKS && hk_unlikely(!hk_block_start(u, a) || hk_marked_free(p))) {
      hk_invalid("free", p);
      return;
    }
    hk_tls_t HK_TLS_SEG *t = hk_tls_fs();
    if (hk_likely(owner == t->heap)) {
      hk_unified_cache_t HK_TLS_SEG *uc = hk_tls_cache_at(t, u->tc_off);
      if (hk_likely(--uc->room >= 0)) { /* one decrement-and-test */
        if (HK_CHECKS) hk_mark_free(p);
        ((hk_block_t *)p)->next = hk_link_enc(p, uc->head);
        uc->head = p;
        return;
      }
      hk_free_full(p); /* undoes the decrement; recomputes what it needs, so the hit path keeps nothing live */
      return;
    }
    hk_free_remote(p, u);
    return;
  }
  hk_free_slow(p);
}

/* ---- slow paths ------------------------------------------------------------------ */

/* The cache of cls is empty: a refill, after this thread's start if it has no heap yet. A thread
 * whose exit hook has run (allocating in a later pthread key destructor) borrows a heap per
 * block (init.c). NULL with errno ENOMEM when memory is out. */
static void *cache_refill(unsigned cls) {
  if (hk_unlikely(hk_tls.heap == NULL) && !hk_thread_init()) {
    void *e = hk_tls.exited ? hk_exited_alloc(cls) : NULL;
    if (e == NULL) errno = ENOMEM;
    return e;
  }
  return hk_unified_cache_refill(cls);
}

static hk_noinline void *hk_tiny_refill(size_t size) { return cache_refill(hk_tiny_class(size)); }

/* malloc's pop found its cache list poisoned: from size, like the refill, so that the hit path
 * keeps nothing else live for it. */
static hk_noinline void *hk_tiny_poisoned(size_t size) {
  return hk_unified_cache_poisoned(&hk_tls.cache[hk_tiny_class(size)]);
}

static inline void *class_alloc(unsigned cls) {
  hk_block_t *b = hk_unified_cache_pop(&hk_tls.cache[cls]);
  if (b != NULL) {
    HK_UNIFIED_CACHE_COUNT_AT(hits, cls, 1);
    return b;
  }
  return cache_refill(cls);
}

/* Above the tiny classes: a mid class's pop, malloc's own (cache_pop), in a function that needs
 * no stack frame: what it hands off to (the refill, a poisoned list, a large block) is a tail
 * call taking size. */
static hk_noinline void *hk_alloc_slow(size_t size) {
  if (hk_likely(size <= HK_FRONT_MID_MAX)) {
    hk_tls_t HK_TLS_SEG *t = hk_tls_fs();
    hk_unified_cache_t HK_TLS_SEG *uc = hk_tls_cache_at(t, (size_t)hk_mid_class(size) * HK_CACHE_ENTRY_BYTES);
    HK_KEEP_IN_RDX(uc);
    return cache_pop(uc, size, hk_mid_class(size), hk_mid_refill, hk_mid_poisoned);
  }
  return hk_large_malloc(size);
}

static hk_noinline void *hk_mid_refill(size_t size) { return cache_refill(hk_mid_class(size)); }

static hk_noinline void *hk_mid_poisoned(size_t size) {
  return hk_unified_cache_poisoned(&hk_tls.cache[hk_mid_class(size)]);
}

static hk_noinline void *hk_large_malloc(size_t size) {
  bool fresh;
  hk_process_init(); /* a large block may be the process's first */
  void *p = hk_large_alloc(size, 16, &fresh);
  if (p == NULL) errno = ENOMEM;
  HK_STATS_FOLD_IF_EXITED();
  return p;
}

/* A block of this thread's heap, and its cache is full (or disabled). */
static hk_noinline void hk_free_full(void *p) {
  unsigned cls = hk_unit_of((uintptr_t)p)->cls;
  hk_tls.cache[cls].room++;                       /* hak_free decremented it to test it */
  if (hk_tls.heap == NULL || hk_marked_free(p)) { /* owner NULL: the slab is in the pool; or already free */
    hk_invalid("free", p);
    return;
  }
  hk_unified_cache_overflow(p, cls);
}

/* A block of another heap. While its owner's thread runs, the block joins this thread's cache
 * for its class, to be reused here (THREAD CACHE in types.h): the common case, a push as on
 * free's own path, in a function that needs no stack frame. The rest is hk_free_remote_rest. */
static hk_noinline void hk_free_remote(void *p, hk_unit_t *u) {
  hk_heap_t *owner = u->owner;
  hk_tls_t HK_TLS_SEG *t = hk_tls_fs();
  if (hk_likely(owner != NULL && t->heap != NULL &&
                atomic_load_explicit(&owner->state, memory_order_relaxed) != HK_HEAP_ABANDONED)) {
    hk_unified_cache_t HK_TLS_SEG *uc = hk_tls_cache_at(t, u->tc_off);
    /* FAST: a block that holds the key is in a slab or a queue already (Standard refused it) */
    if (hk_likely(uc->room > 0) && (HK_CHECKS || hk_likely(!hk_marked_free(p)))) {
      HK_UNIFIED_CACHE_COUNT(foreign_kept, 1);
      uc->room--;
      if (HK_CHECKS) hk_mark_free(p);
      ((hk_block_t *)p)->next = hk_link_enc(p, uc->head);
      uc->head = p;
      return;
    }
  }
  hk_free_remote_rest(p, u);
}

/* hk_free_remote's other cases. The slab is in the pool (owner NULL): a double free. The cache
 * of the class is full: hk_unified_cache_foreign flushes. When the owner's thread has exited,
 * the block goes straight back to its slab (hk_free_to_exited), so the memory of threads that
 * are gone comes back without malloc_trim; so it does when this thread has no cache (it has
 * exited, or no heap could be had): to the owner's queue. A thread that only frees gets its
 * heap and cache here. */
static hk_noinline void hk_free_remote_rest(void *p, hk_unit_t *u) {
  hk_tls_t *t = &hk_tls;
  hk_heap_t *owner = u->owner;
  if (owner == NULL) { /* the slab is in the pool: a double free */
    hk_invalid("free", p);
    return;
  }
  if (hk_unlikely(atomic_load_explicit(&owner->state, memory_order_relaxed) == HK_HEAP_ABANDONED ||
                  (hk_remote_push_batch() > 1 && t->exited))) {
    hk_free_to_exited(owner, p, t->exited);
    HK_STATS_FOLD_IF_EXITED();
    return;
  }
  if (hk_unlikely(t->heap == NULL) && !t->exited) hk_thread_init();
  if (hk_likely(t->heap != NULL)) {
    hk_unified_cache_foreign(t, p, u->cls);
    return;
  }
  hk_remote_free(owner, p);
  HK_STATS_FOLD_IF_EXITED();
}

/* NULL, large blocks, and pointers that are not ours. */
static hk_noinline void hk_free_slow(void *p) {
  uintptr_t a = (uintptr_t)p;
  if (p == NULL) return;
  switch (hk_seg_kind(a)) {
  case HK_SEG_LARGE:
    if (!hk_large_free(p)) hk_invalid("free", p); /* an interior or already freed pointer: left alone */
    HK_STATS_FOLD_IF_EXITED();
    return;
  default: /* not ours: a wild or stack pointer, or a block of another allocator */ hk_invalid("free", p); return;
  }
}

size_t hk_usable(const void *p) {
  uintptr_t a = (uintptr_t)p;
  switch (hk_seg_kind(a)) {
  case HK_SEG_SUPERSLAB: return hk_unit_of(a)->owner ? hk_class_size[hk_unit_of(a)->cls] : 0;
  case HK_SEG_LARGE: {
    hk_large_t *h = hk_large_header(p);
    return h ? (size_t)((char *)h->base + h->map_len - (char *)p) : 0;
  }
  default: return 0;
  }
}

/* Blocks of a class whose stride (hk_block_stride) is a multiple of align are aligned to it
 * (every slab area starts on a unit boundary, HK_SLAB_SIZE), so up to a unit the answer is the
 * first such class: posix_memalign(65536, 100) costs a 64 KiB block (one page resident), not a mapping
 * of its own (its alignment in address space and a header page). Beyond a unit, a mapping. */
void *hk_alloc_aligned(size_t align, size_t size) {
  if (align <= 16) return hak_malloc(size);
  HK_FRONT_COUNT(aligned_allocs, 1);
  if (align <= HK_ALIGN_SLAB_MAX && size <= HK_FRONT_MID_MAX) {
    for (unsigned c = hk_class_of(size ? size : 1); c < HK_CLASS_COUNT; c++)
      if (hk_block_stride(c) % align == 0) {
        return class_alloc(c);
      }
  }
  bool fresh;
  hk_process_init();
  void *p = hk_large_alloc(size, align, &fresh);
  if (p == NULL) errno = ENOMEM;
  return p;
}

/* ---- the rest of the API ------------------------------------------------------------ */

HK_EXPORT void *hak_calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  if (total > HK_FRONT_MID_MAX) {
    bool fresh;
    hk_process_init();
    void *p = hk_large_alloc(total, 16, &fresh);
    if (p == NULL) {
      errno = ENOMEM;
      return NULL;
    }
    if (!fresh) memset(p, 0, total);
    return p;
  }
  void *p = hak_malloc(total);
  if (p) memset(p, 0, total);
  return p;
}

/* A foreign block's size is unknown; glibc's chunk header is read only when it lies on
 * the same page as the block (so it is mapped), else nothing can be copied safely. */
static size_t foreign_size(const void *p) {
  uintptr_t a = (uintptr_t)p;
  if ((a & 4095) < 16) return 0;
  size_t chunk = ((const size_t *)p)[-1] & ~(size_t)7;
  return chunk >= 16 && chunk < ((size_t)1 << 40) ? chunk - sizeof(size_t) : 0;
}

/* Standard: may p be resized? The start of a live block of ours; realloc(p, 0) frees, and
 * free makes the same checks. */
static bool realloc_valid(const void *p, unsigned kind) {
  uintptr_t a = (uintptr_t)p;
  if (kind == HK_SEG_SUPERSLAB) return hk_block_start(hk_unit_of(a), a) && !hk_marked_free(p);
  if (kind == HK_SEG_LARGE) return hk_large_header(p) != NULL;
  return false;
}

HK_EXPORT void *hak_realloc(void *p, size_t size) {
  if (p == NULL) return hak_malloc(size);
  if (size == 0) { /* as glibc: free and return NULL */
    hak_free(p);
    return NULL;
  }
  uintptr_t a = (uintptr_t)p;
  unsigned kind = hk_seg_kind(a);
  if (HK_CHECKS && !realloc_valid(p, kind)) {
    hk_invalid("realloc", p);
    errno = EINVAL;
    return NULL; /* the call is skipped: p is left as it was */
  }
  if (kind == HK_SEG_LARGE && size > HK_FRONT_MID_MAX) { /* stays large: resized in its mapping */
    hk_large_t *h = hk_large_header(p);
    if (h != NULL) return hk_large_realloc(h, size);
  }
  size_t old = kind ? hk_usable(p) : foreign_size(p);
  if (kind == HK_SEG_SUPERSLAB && size <= old && (size > old / 2 || old <= 64)) return p; /* fits, not wasteful */
  if (kind == HK_SEG_LARGE && size <= old && size > old / 4) return p; /* shrinks to a mid size in place */
  void *q = hak_malloc(size);
  if (q == NULL) return NULL;
  memcpy(q, p, old < size ? old : size);
  if (kind) hak_free(p);
  return q;
}

HK_EXPORT void *reallocarray(void *p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return hak_realloc(p, total);
}

/* ---- the C library's names ---------------------------------------------------------- */

#define HK_ALIAS(target) __attribute__((alias(#target), visibility("default"), used))

void *malloc(size_t size) HK_ALIAS(hak_malloc);
void free(void *p) HK_ALIAS(hak_free);
void *calloc(size_t n, size_t size) HK_ALIAS(hak_calloc);
void *realloc(void *p, size_t size) HK_ALIAS(hak_realloc);
