/* front_gate.c: the front gate box. malloc and free themselves (size -> class by table,
 * the unified cache pop and push inline), routing to the mid and large paths, large
 * mappings with their cache, aligned allocation, realloc, and the exported symbols.
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

#define HK_EXPORT __attribute__((visibility("default")))

/* ---- the fast paths --------------------------------------------------------------- */

HK_EXPORT void *hak_malloc(size_t size) {
  if (hk_likely(size <= HK_FRONT_TINY_MAX)) {
    unsigned cls = hk_tiny_class(size);
    hk_tcache_t *tc = &hk_tls.cache[cls];
    hk_block_t *b = tc->head;
    if (hk_likely(b != NULL)) {
      /* Standard: still free (see hk_tcache_pop); the report is a tail call, so the hit path keeps nothing */
      hk_block_t *next = hk_link_dec(b);
      if (HK_CHECKS && hk_unlikely(!hk_marked_free(b) || hk_link_bad(next))) return hk_tiny_poisoned(size);
      tc->head = next;
      tc->room++;
      if (HK_CHECKS) hk_mark_clear(b); /* handed out: no longer free */
      HK_UC_COUNT_AT(hits, cls, 1);
      return b;
    }
    return hk_tiny_refill(size); /* takes size, still in its register: the hit path copies nothing */
  }
  return hk_alloc_slow(size);
}

HK_EXPORT void hak_free(void *p) {
  uintptr_t a = (uintptr_t)p;
  uintptr_t i = a >> HK_SS_SHIFT;
  if (hk_likely(i < HK_SEGMAP_LEN && hk_seg_load(i) == HK_SEG_REGION)) {
    hk_unit_t *u = hk_unit_at(i, a);
    hk_heap_t *owner = u->owner;
    /* Standard: the start of a live block, or a misuse (a free slab's unit has cap 0) */
    if (HK_CHECKS && hk_unlikely(!hk_block_start(u, a) || hk_marked_free(p))) {
      hk_invalid("free", p);
      return;
    }
    if (hk_likely(owner == hk_tls.heap)) {
      hk_tcache_t *tc = (hk_tcache_t *)((char *)hk_tls.cache + u->tc_off);
      if (hk_likely(--tc->room >= 0)) { /* one decrement-and-test */
        if (HK_CHECKS) hk_mark_free(p);
        ((hk_block_t *)p)->next = hk_link_enc(p, tc->head);
        tc->head = p;
        return;
      }
      hk_free_full(p); /* undoes the decrement; recomputes what it needs, so the hit path keeps nothing live */
      return;
    }
    hk_free_remote(p, owner);
    return;
  }
  hk_free_slow(p);
}

/* ---- large mappings ---------------------------------------------------------------- */

pthread_mutex_t hk_large_lock = PTHREAD_MUTEX_INITIALIZER;

#define HK_LARGE_CACHE_MAX 1024
static struct {
  void *base;
  size_t len;
  uint64_t since; /* when it was cached (ms): superslab.purgeDelayMs later it is unmapped */
} large_cache[HK_LARGE_CACHE_MAX];
static size_t large_cached, large_cached_bytes;

/* large_cached is written under hk_large_lock, and read without it as a hint (large_alloc):
 * its writes are atomic stores so that the hint is not a data race. */
static inline void set_large_cached(size_t n) { __atomic_store_n(&large_cached, n, __ATOMIC_RELAXED); }

static void seg_mark(void *base, size_t len, uint8_t kind) {
  for (uintptr_t a = (uintptr_t)base; a < (uintptr_t)base + len; a += HK_SS_SIZE)
    atomic_store_explicit((_Atomic(uint8_t) *)&hk_segmap[a >> HK_SS_SHIFT], kind, memory_order_release);
}

/* A block of size bytes aligned to align (>= 16), in its own SS-aligned mapping with a
 * header just before it. *fresh tells calloc whether the memory is still zero. */
static void *large_alloc(size_t size, size_t align, bool *fresh) {
  size_t off = align > HK_LARGE_HDR ? align : HK_LARGE_HDR;
  /* off + size + SS must not pass PTRDIFF_MAX (no object may), and off alone must not
   * make the subtraction wrap: an alignment of 2^62 or more can never be mapped anyway */
  if (off > PTRDIFF_MAX / 2 || size > PTRDIFF_MAX - off - HK_SS_SIZE) return NULL;
  /* at least one byte after off: a zero-size block with align = SS would otherwise sit one
   * past its own mapping, on whatever is mapped next (a region's header) */
  size_t len = (off + (size ? size : 1) + HK_SS_SIZE - 1) & ~(HK_SS_SIZE - 1);
  void *base = NULL;
  hk_process_init();
  HK_FRONT_COUNT(large_allocs, 1);
  hk_purge_maybe();
  size_t map_align = align > HK_SS_SIZE ? align : HK_SS_SIZE; /* base + off must be aligned */
  /* the unlocked look at the count is only a hint; the lock decides */
  if (__atomic_load_n(&large_cached, __ATOMIC_RELAXED) &&
      map_align == HK_SS_SIZE) { /* best fit: the smallest that holds it */
    pthread_mutex_lock(&hk_large_lock);
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < large_cached; i++)
      if (large_cache[i].len >= len && large_cache[i].len <= 2 * len &&
          (best == SIZE_MAX || large_cache[i].len < large_cache[best].len))
        best = i;
    if (best != SIZE_MAX) {
      base = large_cache[best].base;
      len = large_cache[best].len;
      large_cached_bytes -= len;
      set_large_cached(large_cached - 1);
      large_cache[best] = large_cache[large_cached];
      HK_FRONT_COUNT(large_cache_hits, 1);
    }
    pthread_mutex_unlock(&hk_large_lock);
  }
  *fresh = base == NULL;
  if (base == NULL) {
    base = hk_os_map_aligned(len, map_align);
    if (base == NULL) return NULL;
    seg_mark(base, len, HK_SEG_LARGE);
  }
  char *user = (char *)base + off;
  hk_large_t *h = (hk_large_t *)(user - HK_LARGE_HDR);
  h->magic = HK_LARGE_MAGIC;
  h->base = base;
  h->map_len = len;
  h->user = user;
  return user;
}

static hk_large_t *large_header(const void *p) {
  /* p lies in a large mapping; its header would too (a bogus p near the start does not);
   * large blocks are at least 16-byte aligned, so a misaligned p is no block's */
  if (((uintptr_t)p & 15) != 0 || hk_seg_kind((uintptr_t)p - HK_LARGE_HDR) != HK_SEG_LARGE) return NULL;
  hk_large_t *h = (hk_large_t *)((uintptr_t)p - HK_LARGE_HDR);
  return h->magic == HK_LARGE_MAGIC && h->user == p ? h : NULL;
}

static void large_free(void *p) {
  hk_large_t *h = large_header(p);
  if (h == NULL) { /* an interior or already freed pointer: leave it alone */
    hk_invalid("free", p);
    return;
  }
  HK_FRONT_COUNT(large_frees, 1);
  void *base = h->base;
  size_t len = h->map_len;
  h->magic = 0;
  int64_t delay = hk_ss_purge_delay_ms(); /* 0: nothing waits, the mapping goes at once */
  pthread_mutex_lock(&hk_large_lock);
  if (delay != 0 && large_cached < (size_t)hk_front_large_cache_entries() && large_cached < HK_LARGE_CACHE_MAX &&
      large_cached_bytes + len <= (size_t)hk_front_large_cache_bytes()) {
    uint64_t now = delay > 0 ? hk_clock_ms() : 0;
    large_cache[large_cached].base = base;
    large_cache[large_cached].len = len;
    large_cache[large_cached].since = now;
    set_large_cached(large_cached + 1);
    large_cached_bytes += len;
    pthread_mutex_unlock(&hk_large_lock);
    if (delay > 0) hk_purge_schedule(now + (uint64_t)delay);
    hk_purge_maybe();
    return;
  }
  pthread_mutex_unlock(&hk_large_lock);
  seg_mark(base, len, 0);
  hk_os_unmap(base, len);
}

/* superslab.purgeDelayMs: cached mappings that have waited `delay` ms by `now` are unmapped.
 * Returns when the next one ages (0: none waits). */
uint64_t hk_large_purge(uint64_t now, uint64_t delay) {
  uint64_t next = 0;
  pthread_mutex_lock(&hk_large_lock);
  for (size_t i = 0; i < large_cached;) {
    if (large_cache[i].since + delay > now) {
      if (next == 0 || large_cache[i].since + delay < next) next = large_cache[i].since + delay;
      i++;
      continue;
    }
    seg_mark(large_cache[i].base, large_cache[i].len, 0);
    hk_os_unmap(large_cache[i].base, large_cache[i].len);
    large_cached_bytes -= large_cache[i].len;
    large_cache[i] = large_cache[large_cached - 1];
    set_large_cached(large_cached - 1);
  }
  pthread_mutex_unlock(&hk_large_lock);
  return next;
}

/* Make h's mapping new_len bytes (more than now), keeping the block's offset in it.
 * Returns the block (moved or not), or NULL with nothing changed.
 *
 * Pages are not copied: the mapping grows where it lies when the addresses after it are
 * free; else a suitably aligned range of the new length is reserved and the mapping is
 * moved into it (mremap), as one kernel mapping, so the next growth can do the same. Only
 * a mapping the program has split (mprotect or madvise on part of it) is copied.
 *
 * The segment map never names memory another thread may be mapping: a new range is
 * marked before the block is handed back (nobody else has a pointer into it before), and
 * the old range is cleared before it is unmapped (after that another thread may map it
 * and mark it for itself; clearing it late would undo that). Only this block's entries
 * change; a concurrent free of any other block reads what it always read. */
static void *large_grow(hk_large_t *h, size_t new_len) {
  char *base = h->base;
  size_t len = h->map_len;
  size_t off = (size_t)((char *)h->user - base);
  int grown = hk_os_remap_in_place(base, len, new_len);
  if (grown > 0) {
    seg_mark(base + len, new_len - len, HK_SEG_LARGE);
    h->map_len = new_len;
    return h->user;
  }
  /* the block keeps its alignment: a block aligned beyond SS sits at off = its alignment */
  size_t align = off & -off;
  if (align < HK_SS_SIZE) align = HK_SS_SIZE;
  char *dst = hk_os_map_aligned(new_len, align);
  if (dst == NULL) return NULL;
  if (grown == 0) { /* one kernel mapping with no room after it: move it */
    seg_mark(base, len, 0);
    if (hk_os_remap_to(base, len, new_len, dst)) goto moved;
    seg_mark(base, len, HK_SEG_LARGE); /* still mapped, so still ours: nobody can have taken it */
    if ((dst = hk_os_map_aligned(new_len, align)) == NULL) return NULL; /* remap_to released the first */
  }
  memcpy(dst + off - HK_LARGE_HDR, base + off - HK_LARGE_HDR, len - off + HK_LARGE_HDR);
  seg_mark(base, len, 0);
  hk_os_unmap(base, len);
moved:
  seg_mark(dst, new_len, HK_SEG_LARGE);
  hk_large_t *nh = (hk_large_t *)(dst + off - HK_LARGE_HDR);
  nh->base = dst;
  nh->map_len = new_len;
  nh->user = dst + off;
  return nh->user;
}

/* realloc of a large block to a size that stays large (> midMax). A shrink stays in place
 * (the tail goes back to the OS when the block keeps half of the mapping or less); a
 * growth that fits the mapping's slack is free; beyond it the mapping grows by at least
 * half (rounded to SS), so a buffer grown in small steps is remapped O(log n) times and
 * never copied. NULL with errno ENOMEM when nothing can hold it; the block is intact then. */
static void *large_realloc(hk_large_t *h, size_t size) {
  char *base = h->base;
  size_t len = h->map_len;
  size_t off = (size_t)((char *)h->user - base);
  if (size > PTRDIFF_MAX - off - HK_SS_SIZE) {
    errno = ENOMEM;
    return NULL;
  }
  size_t need = (off + size + HK_SS_SIZE - 1) & ~(HK_SS_SIZE - 1);
  if (need <= len) {
    if (need <= len / 2) {
      seg_mark(base + need, len - need, 0); /* cleared before the range can be reused */
      hk_os_unmap(base + need, len - need);
      h->map_len = need;
    }
    return h->user;
  }
  size_t want = len + len / 2;
  want = want > need && want <= PTRDIFF_MAX - HK_SS_SIZE ? (want + HK_SS_SIZE - 1) & ~(HK_SS_SIZE - 1) : need;
  void *q = large_grow(h, want);
  if (q == NULL && want > need) q = large_grow(h, need); /* the address space or commit limit is tight */
  if (q != NULL) return q;
  /* no mapping of the new size could be made at all: the ordinary path (and its ENOMEM) */
  void *user = h->user;
  q = hak_malloc(size);
  if (q == NULL) return NULL;
  memcpy(q, user, len - off);
  hak_free(user);
  return q;
}

/* ---- slow paths ------------------------------------------------------------------ */

hk_noinline void *hk_tiny_refill(size_t size) { return hk_cache_refill(hk_tiny_class(size)); }

/* malloc's pop found its cache list poisoned: from size, like the refill, so that the hit path
 * keeps nothing else live for it. */
hk_noinline void *hk_tiny_poisoned(size_t size) { return hk_tcache_poisoned(&hk_tls.cache[hk_tiny_class(size)]); }

static inline void *class_alloc(unsigned cls) {
  hk_block_t *b = hk_tcache_pop(&hk_tls.cache[cls]);
  if (b != NULL) {
    HK_UC_COUNT_AT(hits, cls, 1);
    return b;
  }
  return hk_cache_refill(cls);
}

hk_noinline void *hk_alloc_slow(size_t size) {
  if (size <= HK_FRONT_MID_MAX) return class_alloc(hk_mid_class(size));
  bool fresh;
  void *p = large_alloc(size, 16, &fresh);
  if (p == NULL) errno = ENOMEM;
  return p;
}

/* A block of this thread's heap, and its cache is full (or disabled). */
hk_noinline void hk_free_full(void *p) {
  unsigned cls = hk_unit_of((uintptr_t)p)->cls;
  hk_tls.cache[cls].room++;                       /* hak_free decremented it to test it */
  if (hk_tls.heap == NULL || hk_marked_free(p)) { /* owner NULL: the slab is in the pool; or already free */
    hk_invalid("free", p);
    return;
  }
  hk_cache_overflow(p, cls);
}

/* A block of another heap: to that heap's remote queue. */
hk_noinline void hk_free_remote(void *p, hk_heap_t *owner) {
  hk_tls_t *t = &hk_tls;
  if (owner == NULL) { /* the slab is in the pool: a double free */
    hk_invalid("free", p);
    return;
  }
  /* A thread that only frees still needs its exit hook: to push what its outbox holds
   * and, in OBSERVE, to fold its counters. */
  if (hk_unlikely(t->heap == NULL) && (HAKMEM_OBSERVE || hk_remote_push_batch() > 1)) hk_thread_init();
  /* The owner's thread has exited (nobody would drain its queue), or this one has (its
   * outbox would never be pushed). state shares the line the push reads anyway. */
  if (hk_unlikely(atomic_load_explicit(&owner->state, memory_order_relaxed) == HK_HEAP_ABANDONED ||
                  (hk_remote_push_batch() > 1 && t->exited))) {
    hk_free_to_exited(t, owner, p);
    return;
  }
  hk_remote_free(t, owner, p);
}

/* NULL, large blocks, and pointers that are not ours. */
hk_noinline void hk_free_slow(void *p) {
  uintptr_t a = (uintptr_t)p;
  if (p == NULL) return;
  switch (hk_seg_kind(a)) {
  case HK_SEG_LARGE: large_free(p); return;
  default: /* not ours: a wild or stack pointer, or a block of another allocator */ hk_invalid("free", p); return;
  }
}

size_t hk_usable(const void *p) {
  uintptr_t a = (uintptr_t)p;
  switch (hk_seg_kind(a)) {
  case HK_SEG_REGION: return hk_unit_of(a)->owner ? hk_class_size[hk_unit_of(a)->cls] : 0;
  case HK_SEG_LARGE: {
    hk_large_t *h = large_header(p);
    return h ? (size_t)((char *)h->base + h->map_len - (char *)p) : 0;
  }
  default: return 0;
  }
}

/* Blocks of a class whose size is a multiple of align are aligned to it (slab areas are
 * page-aligned), so up to a page the answer is the first such class; beyond, a mapping. */
void *hk_alloc_aligned(size_t align, size_t size) {
  if (align <= 16) return hak_malloc(size);
  HK_FRONT_COUNT(aligned_allocs, 1);
  if (align <= HK_ALIGN_SLAB_MAX && size <= HK_FRONT_MID_MAX) {
    for (unsigned c = hk_class_of(size ? size : 1); c < HK_CLASS_COUNT; c++)
      if (hk_class_size[c] % align == 0) {
        return class_alloc(c);
      }
  }
  bool fresh;
  void *p = large_alloc(size, align, &fresh);
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
    void *p = large_alloc(total, 16, &fresh);
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
  if (kind == HK_SEG_REGION) return hk_block_start(hk_unit_of(a), a) && !hk_marked_free(p);
  if (kind == HK_SEG_LARGE) return large_header(p) != NULL;
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
    hk_large_t *h = large_header(p);
    if (h != NULL) return large_realloc(h, size);
  }
  size_t old = kind ? hk_usable(p) : foreign_size(p);
  if (kind == HK_SEG_REGION && size <= old && (size > old / 2 || old <= 64)) return p; /* fits, not wasteful */
  if (kind == HK_SEG_LARGE && size <= old && size > old / 4) return p; /* shrinks to a mid size in place */
  void *q = hak_malloc(size);
  if (q == NULL) return NULL;
  memcpy(q, p, old < size ? old : size);
  if (kind) hak_free(p);
  return q;
}

HK_EXPORT void *hak_aligned_alloc(size_t align, size_t size) {
  if (align == 0 || (align & (align - 1)) != 0) {
    errno = EINVAL;
    return NULL;
  }
  return hk_alloc_aligned(align, size);
}

HK_EXPORT size_t hak_usable_size(const void *p) { return p ? hk_usable(p) : 0; }

HK_EXPORT const hak_build_info_t *hak_build_info(void) {
  static hak_build_info_t info;
  hk_process_init();
  info.mode = HAKMEM_MODE_NAME;
  info.profile = hk_env_profile_name();
  info.config_hash = hk_env_config_hash(); /* the configuration in force (HAKMEM_VERBOSE=1 names the same) */
  info.box_front = HAKMEM_BOX_FRONT_VERSION;
  info.box_superslab = HAKMEM_BOX_SUPERSLAB_VERSION;
  info.box_remote = HAKMEM_BOX_REMOTE_VERSION;
  info.box_env = HAKMEM_BOX_ENV_VERSION;
  return &info;
}

HK_EXPORT void hak_stats_print(void) { hk_stats_print_now(); }

/* ---- the C library's names ---------------------------------------------------------- */

#define HK_ALIAS(target) __attribute__((alias(#target), visibility("default"), used))

void *malloc(size_t size) HK_ALIAS(hak_malloc);
void free(void *p) HK_ALIAS(hak_free);
void *calloc(size_t n, size_t size) HK_ALIAS(hak_calloc);
void *realloc(void *p, size_t size) HK_ALIAS(hak_realloc);

HK_EXPORT size_t malloc_usable_size(void *p) { return hak_usable_size(p); }

HK_EXPORT void *reallocarray(void *p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return hak_realloc(p, total);
}

HK_EXPORT int posix_memalign(void **out, size_t align, size_t size) {
  if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
  int saved = errno;
  void *p = hk_alloc_aligned(align, size);
  if (p == NULL) {
    errno = saved;
    return ENOMEM;
  }
  *out = p;
  return 0;
}

/* Return what can be returned now: the calling thread's cached blocks go back to its
 * slabs, then every empty region and every cached large mapping to the OS. 1 if anything
 * was released, as glibc. */
HK_EXPORT int malloc_trim(size_t pad) {
  (void)pad;
  hk_tls_t *t = &hk_tls;
  if (t->heap != NULL) {
    hk_heap_t *h = t->heap;
    hk_cache_flush_all(t, h);
    hk_cache_set_limits(t);
    hk_remote_flush(t);
    hk_remote_drain(h, NULL, UINT64_MAX);
    hk_slab_release_empty(h);
  }
  hk_remote_collect_abandoned();
  size_t released = hk_superslab_trim();
  pthread_mutex_lock(&hk_large_lock);
  for (size_t i = 0; i < large_cached; i++, released++) {
    seg_mark(large_cache[i].base, large_cache[i].len, 0);
    hk_os_unmap(large_cache[i].base, large_cache[i].len);
  }
  set_large_cached(0);
  large_cached_bytes = 0;
  pthread_mutex_unlock(&hk_large_lock);
  return released > 0;
}

HK_EXPORT void *aligned_alloc(size_t align, size_t size) { return hak_aligned_alloc(align, size); }

HK_EXPORT void *memalign(size_t align, size_t size) {
  if (align > SIZE_MAX / 2 + 1) { /* as glibc: no power of two holds it (rounding up would wrap) */
    errno = EINVAL;
    return NULL;
  }
  if (align & (align - 1)) /* as glibc: round up to a power of two; align < 2^63 here */
    align = (size_t)1 << (64 - __builtin_clzll((unsigned long long)align));
  return hk_alloc_aligned(align ? align : 1, size);
}

HK_EXPORT void *valloc(size_t size) { return hk_alloc_aligned((size_t)sysconf(_SC_PAGESIZE), size); }

HK_EXPORT void *pvalloc(size_t size) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (size > SIZE_MAX - page) {
    errno = ENOMEM;
    return NULL;
  }
  return hk_alloc_aligned(page, (size + page - 1) & ~(page - 1));
}
