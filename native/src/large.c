/* large.c: large blocks (front gate box). Requests above HK_FRONT_MID_MAX, and alignments
 * above HK_ALIGN_SLAB_MAX, get a mapping of their own with a 64-byte hk_large_t just before
 * the block (types.h, LARGE MAPPINGS); freed mappings wait in a small cache for reuse and are
 * unmapped after superslab.purgeDelayMs (purge.c); realloc grows a mapping where it lies or
 * moves it with mremap, never copying pages. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include "hakmem.h"
#include "internal.h"

pthread_mutex_t hk_large_lock = PTHREAD_MUTEX_INITIALIZER;

/* The large-mapping cache's lock, counted in OBSERVE (largeLocks). */
static inline void large_lock(void) {
  pthread_mutex_lock(&hk_large_lock);
  HK_FRONT_COUNT(large_locks, 1);
}

#define HK_LARGE_CACHE_MAX 1024
static struct {
  void *base;
  size_t len;
  uint64_t since; /* when it was cached (ms): superslab.purgeDelayMs later it is unmapped */
} large_cache[HK_LARGE_CACHE_MAX];
static size_t large_cached, large_cached_bytes;

/* large_cached is written under hk_large_lock, and read without it as a hint (hk_large_alloc):
 * its writes are atomic stores so that the hint is not a data race. */
static inline void set_large_cached(size_t n) { __atomic_store_n(&large_cached, n, __ATOMIC_RELAXED); }

/* A block of size bytes aligned to align (>= 16), in its own SuperSlab-aligned mapping with a
 * header just before it. *fresh tells calloc whether the memory is still zero. */
void *hk_large_alloc(size_t size, size_t align, bool *fresh) {
  size_t off = align > HK_LARGE_HDR ? align : HK_LARGE_HDR;
  /* off + size + HK_SUPERSLAB_SIZE must not pass PTRDIFF_MAX (no object may), and off alone must not
   * make the subtraction wrap: an alignment of 2^62 or more can never be mapped anyway */
  if (off > PTRDIFF_MAX / 2 || size > PTRDIFF_MAX - off - HK_SUPERSLAB_SIZE) return NULL;
  /* at least one byte after off: a zero-size block with align = HK_SUPERSLAB_SIZE would otherwise sit one
   * past its own mapping, on whatever is mapped next (a SuperSlab's header) */
  size_t len = (off + (size ? size : 1) + HK_SUPERSLAB_SIZE - 1) & ~(HK_SUPERSLAB_SIZE - 1);
  void *base = NULL;
  hk_process_init();
  HK_FRONT_COUNT(large_allocs, 1);
  hk_purge_maybe();
  size_t map_align = align > HK_SUPERSLAB_SIZE ? align : HK_SUPERSLAB_SIZE; /* base + off must be aligned */
  /* the unlocked look at the count is only a hint; the lock decides */
  if (__atomic_load_n(&large_cached, __ATOMIC_RELAXED) &&
      map_align == HK_SUPERSLAB_SIZE) { /* best fit: the smallest that holds it */
    large_lock();
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
    hk_segmap_mark(base, len, HK_SEG_LARGE);
  }
  char *user = (char *)base + off;
  hk_large_t *h = (hk_large_t *)(user - HK_LARGE_HDR);
  h->magic = HK_LARGE_MAGIC;
  h->base = base;
  h->map_len = len;
  h->user = user;
  return user;
}

hk_large_t *hk_large_header(const void *p) {
  /* p lies in a large mapping; its header would too (a bogus p near the start does not);
   * large blocks are at least 16-byte aligned, so a misaligned p is no block's */
  if (((uintptr_t)p & 15) != 0 || hk_seg_kind((uintptr_t)p - HK_LARGE_HDR) != HK_SEG_LARGE) return NULL;
  hk_large_t *h = (hk_large_t *)((uintptr_t)p - HK_LARGE_HDR);
  return h->magic == HK_LARGE_MAGIC && h->user == p ? h : NULL;
}

void hk_large_free(void *p) {
  hk_large_t *h = hk_large_header(p);
  if (h == NULL) { /* an interior or already freed pointer: leave it alone */
    hk_invalid("free", p);
    return;
  }
  HK_FRONT_COUNT(large_frees, 1);
  void *base = h->base;
  size_t len = h->map_len;
  h->magic = 0;
  int64_t delay = hk_superslab_purge_delay_ms(); /* 0: nothing waits, the mapping goes at once */
  large_lock();
  if (delay != 0 && large_cached < (size_t)hk_front_large_cache_entries() && large_cached < HK_LARGE_CACHE_MAX &&
      large_cached_bytes + len <= (size_t)hk_front_large_cache_bytes()) {
    uint64_t now = delay > 0 ? hk_clock_ms() : 0;
    large_cache[large_cached].base = base;
    large_cache[large_cached].len = len;
    large_cache[large_cached].since = now;
    set_large_cached(large_cached + 1);
    large_cached_bytes += len;
    pthread_mutex_unlock(&hk_large_lock);
    if (delay > 0) hk_due_note(&hk_large_due, now + (uint64_t)delay);
    hk_purge_maybe();
    return;
  }
  pthread_mutex_unlock(&hk_large_lock);
  hk_segmap_mark(base, len, 0);
  hk_os_unmap(base, len);
}

/* The earliest time (ms) at which a cached mapping will have waited purgeDelayMs; 0: none waits. */
_Atomic(uint64_t) hk_large_due;

/* superslab.purgeDelayMs (purge.c): the cached mappings that have waited `delay` ms by `now`
 * are unmapped; hk_large_due is set to when the next one will have. */
void hk_large_purge(uint64_t now, uint64_t delay) {
  if (atomic_exchange_explicit(&hk_large_due, 0, memory_order_relaxed) == 0) return; /* another thread purges */
  uint64_t next = 0;
  large_lock();
  for (size_t i = 0; i < large_cached;) {
    if (large_cache[i].since + delay > now) {
      if (next == 0 || large_cache[i].since + delay < next) next = large_cache[i].since + delay;
      i++;
      continue;
    }
    hk_segmap_mark(large_cache[i].base, large_cache[i].len, 0);
    hk_os_unmap(large_cache[i].base, large_cache[i].len);
    large_cached_bytes -= large_cache[i].len;
    large_cache[i] = large_cache[large_cached - 1];
    set_large_cached(large_cached - 1);
  }
  pthread_mutex_unlock(&hk_large_lock);
  if (next) hk_due_note(&hk_large_due, next);
}

/* malloc_trim: every cached mapping is unmapped now. Returns how many. */
size_t hk_large_trim(void) {
  large_lock();
  size_t n = large_cached;
  for (size_t i = 0; i < n; i++) {
    hk_segmap_mark(large_cache[i].base, large_cache[i].len, 0);
    hk_os_unmap(large_cache[i].base, large_cache[i].len);
  }
  set_large_cached(0);
  large_cached_bytes = 0;
  pthread_mutex_unlock(&hk_large_lock);
  return n;
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
    hk_segmap_mark(base + len, new_len - len, HK_SEG_LARGE);
    h->map_len = new_len;
    return h->user;
  }
  /* the block keeps its alignment: a block aligned beyond HK_SUPERSLAB_SIZE sits at off = its alignment */
  size_t align = off & -off;
  if (align < HK_SUPERSLAB_SIZE) align = HK_SUPERSLAB_SIZE;
  char *dst = hk_os_map_aligned(new_len, align);
  if (dst == NULL) return NULL;
  if (grown == 0) { /* one kernel mapping with no room after it: move it */
    hk_segmap_mark(base, len, 0);
    if (hk_os_remap_to(base, len, new_len, dst)) goto moved;
    hk_segmap_mark(base, len, HK_SEG_LARGE); /* still mapped, so still ours: nobody can have taken it */
    if ((dst = hk_os_map_aligned(new_len, align)) == NULL) return NULL; /* remap_to released the first */
  }
  memcpy(dst + off - HK_LARGE_HDR, base + off - HK_LARGE_HDR, len - off + HK_LARGE_HDR);
  hk_segmap_mark(base, len, 0);
  hk_os_unmap(base, len);
moved:
  hk_segmap_mark(dst, new_len, HK_SEG_LARGE);
  hk_large_t *nh = (hk_large_t *)(dst + off - HK_LARGE_HDR);
  nh->base = dst;
  nh->map_len = new_len;
  nh->user = dst + off;
  return nh->user;
}

/* realloc of a large block to a size that stays large (> midMax). A shrink stays in place
 * (the tail goes back to the OS when the block keeps half of the mapping or less); a
 * growth that fits the mapping's slack is free; beyond it the mapping grows by at least
 * half (rounded to HK_SUPERSLAB_SIZE), so a buffer grown in small steps is remapped O(log n) times and
 * never copied. NULL with errno ENOMEM when nothing can hold it; the block is intact then. */
void *hk_large_realloc(hk_large_t *h, size_t size) {
  char *base = h->base;
  size_t len = h->map_len;
  size_t off = (size_t)((char *)h->user - base);
  if (size > PTRDIFF_MAX - off - HK_SUPERSLAB_SIZE) {
    errno = ENOMEM;
    return NULL;
  }
  size_t need = (off + size + HK_SUPERSLAB_SIZE - 1) & ~(HK_SUPERSLAB_SIZE - 1);
  if (need <= len) {
    if (need <= len / 2) {
      hk_segmap_mark(base + need, len - need, 0); /* cleared before the range can be reused */
      hk_os_unmap(base + need, len - need);
      h->map_len = need;
    }
    return h->user;
  }
  size_t want = len + len / 2;
  want = want > need && want <= PTRDIFF_MAX - HK_SUPERSLAB_SIZE
             ? (want + HK_SUPERSLAB_SIZE - 1) & ~(HK_SUPERSLAB_SIZE - 1)
             : need;
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
