/* large.c: large blocks (front gate box). Requests above HK_FRONT_MID_MAX, and alignments
 * above HK_ALIGN_SLAB_MAX, get a mapping of their own with a 64-byte hk_large_t just before
 * the block (types.h, LARGE MAPPINGS); freed mappings wait in a small cache for reuse and are
 * unmapped after env.purgeDelayMs (purge.c); realloc grows a mapping where it lies or
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
  HK_LARGE_COUNT(locks, 1);
}

#define HK_LARGE_CACHE_MAX 1024
static struct {
  char *base;
  size_t len;
  size_t touched; /* bytes from base that may be resident (hk_large_t.touched) */
  uint64_t since; /* when it was cached (ms): env.purgeDelayMs later it is unmapped */
} large_cache[HK_LARGE_CACHE_MAX];
static size_t large_cached, large_cached_bytes;

/* The cache's limits adapt as the pool's do (superslab.c): a program whose large working set
 * swings by more than large.cacheBytes (large_mixed: 4-32 MiB blocks, about 10 live) would
 * otherwise unmap at every trough and fault the same amount in again at every peak. So when
 * a mapping must be made or grown within purgeDelayMs of a free that the limits sent back to
 * the OS, both limits rise to LARGE_KEEP_SCALE x large.cacheBytes and large.cacheEntries at once
 * (rising by doubling cost large_mixed a third more page faults while it ramped up);
 * the age purge still unmaps whatever waits purgeDelayMs unused, and when it does (the swing
 * may be ending) the factor halves; malloc_trim sets it back to 1. Only with an age purge
 * (purgeDelayMs > 0). All under hk_large_lock. */
#define LARGE_KEEP_SCALE 8
static size_t large_scale = 1; /* the factor in force */
static uint64_t large_drop_at; /* when a free last unmapped for the limits (ms); 0: not since the last raise;
                                 * read without the lock as a hint, so atomic loads and stores */

static inline bool large_room(size_t len) {
  size_t entries = (size_t)hk_large_cache_entries() * large_scale;
  return large_cached < (entries < HK_LARGE_CACHE_MAX ? entries : HK_LARGE_CACHE_MAX) &&
         large_cached_bytes + len <= (size_t)hk_large_cache_bytes() * large_scale;
}

/* Memory is about to be faulted in that a cached mapping would have held: raise the limits
 * if the cache let one go within purgeDelayMs. Lock held. */
static void large_note_map(void) {
  uint64_t dropped = __atomic_load_n(&large_drop_at, __ATOMIC_RELAXED);
  if (dropped == 0) return;
  int64_t delay = hk_env_purge_delay_ms();
  if (delay > 0 && hk_clock_ms() <= dropped + (uint64_t)delay) large_scale = LARGE_KEEP_SCALE;
  __atomic_store_n(&large_drop_at, 0, __ATOMIC_RELAXED); /* one raise per drop: the next needs another drop */
}

/* malloc_trim: the limits fall back to the knobs. Lock held. */
static void large_scale_reset(void) {
  large_scale = 1;
  __atomic_store_n(&large_drop_at, 0, __ATOMIC_RELAXED);
}

/* large_cached is written under hk_large_lock, and read without it as a hint (hk_large_alloc):
 * its writes are atomic stores so that the hint is not a data race. */
static inline void set_large_cached(size_t n) { __atomic_store_n(&large_cached, n, __ATOMIC_RELAXED); }

#define HK_PAGE ((size_t)4096)
static inline size_t page_up(size_t n) { return (n + HK_PAGE - 1) & ~(HK_PAGE - 1); }

/* Where the block starts in its mapping (types.h, LARGE MAPPINGS): right after the header, at
 * its alignment below a SuperSlab size, or one SuperSlab size in for larger alignments. In
 * every case the header, at the mapping's start, is at (block - 64) rounded down to a
 * SuperSlab size. */
static inline size_t large_off(size_t align) {
  return align <= HK_LARGE_HDR ? HK_LARGE_HDR : align < HK_SUPERSLAB_SIZE ? align : HK_SUPERSLAB_SIZE;
}

/* A mapping of len bytes (a multiple of a page) that starts on a SuperSlab boundary, with
 * base + large_off(align) aligned to align. */
static char *large_map(size_t len, size_t align) {
  if (align <= HK_SUPERSLAB_SIZE) return hk_os_map_aligned(len, HK_SUPERSLAB_SIZE);
  if (len > SIZE_MAX - align) return NULL;
  char *raw = hk_os_map_aligned(len + align, HK_SUPERSLAB_SIZE);
  if (raw == NULL) return NULL;
  uintptr_t base = (((uintptr_t)raw + HK_SUPERSLAB_SIZE + align - 1) & ~(uintptr_t)(align - 1)) - HK_SUPERSLAB_SIZE;
  size_t head = base - (uintptr_t)raw;
  if (head) hk_os_unmap_part(raw, head);
  if (align - head) hk_os_unmap_part((char *)base + len, align - head);
  return (char *)base;
}

/* Shorten the mapping [base, base + have) to keep bytes (a multiple of a page): the pieces of
 * the address space past the one holding its new end are no longer ours, and are cleared in
 * the segment map before they are unmapped (after that another thread may map them). */
static void large_cut(char *base, size_t keep, size_t have) {
  uintptr_t keep_to = ((uintptr_t)base + keep + HK_SUPERSLAB_SIZE - 1) & ~(HK_SUPERSLAB_SIZE - 1);
  if (keep_to < (uintptr_t)base + have) hk_segmap_mark((void *)keep_to, (uintptr_t)base + have - keep_to, 0);
  hk_os_unmap_part(base + keep, have - keep); /* a refused unmap keeps the tail, decommitted (os.c) */
}

/* Make the mapping [base, base + len) new_len bytes long (more) without copying a page: where
 * it lies when the addresses after it are free, else moved (mremap) into a fresh range
 * that keeps large_off(align) aligned, as one kernel mapping, so the next growth can do the
 * same. When no such range can be reserved, or the move into it fails (under an address-space
 * limit a reservation needs room for the old block, the new one and the growth at once), the
 * kernel moves it where it likes (hk_os_remap_anywhere: room for the new block only, as glibc's
 * and mimalloc's realloc need) and it is shifted to a SuperSlab boundary there, with a copy if
 * the kernel did not align it. Returns its start (base, or where it moved), or NULL with the
 * mapping as it was: it spans several kernel mappings (the program split it with mprotect or
 * madvise), or no range could be had.
 *
 * The segment map never names memory another thread may be mapping: a new range is marked
 * before the block is handed back (nobody else has a pointer into it before), and the old
 * range is cleared before it is unmapped (after that another thread may map it and mark it
 * for itself; clearing it late would undo that). Only this mapping's entries change; a
 * concurrent free of any other block reads what it always read. */
static char *large_extend(char *base, size_t len, size_t new_len, size_t align) {
  int grown = hk_os_remap_in_place(base, len, new_len);
  if (grown > 0) {
    hk_segmap_mark(base + len, new_len - len, HK_SEG_LARGE);
    return base;
  }
  if (grown < 0) return NULL;
  char *dst = large_map(new_len, align);
  hk_segmap_mark(base, len, 0);
  if (dst != NULL && hk_os_remap_to(base, len, new_len, dst)) {
    hk_segmap_mark(dst, new_len, HK_SEG_LARGE);
    return dst;
  }
  /* (remap_to released dst) no reservation, or no move into it: anywhere, if the alignment allows */
  dst = align <= HK_SUPERSLAB_SIZE ? hk_os_remap_anywhere(base, len, new_len, HK_SUPERSLAB_SIZE) : NULL;
  if (dst != NULL) {
    hk_segmap_mark(dst, new_len, HK_SEG_LARGE);
    return dst;
  }
  hk_segmap_mark(base, len, HK_SEG_LARGE); /* still mapped, so still ours: nobody can have taken it */
  return NULL;
}

/* The slack of live blocks: the pages beyond twice its need that a block kept from a cached
 * mapping's earlier, larger blocks (possibly resident, possibly never touched: only the kernel
 * knows). Up to large.cacheBytes / 16 (8 MiB by default) is kept without a system call; beyond,
 * a reused mapping's tail is given back. Under hk_large_lock. */
static size_t large_slack;
static inline size_t large_slack_budget(void) { return (size_t)hk_large_cache_bytes() / 16; }

/* A block's slack is no longer counted (freed, or its mapping changed). */
static void large_slack_drop(hk_large_t *h) {
  if (h->slack == 0) return;
  large_lock();
  large_slack -= h->slack;
  pthread_mutex_unlock(&hk_large_lock);
  h->slack = 0;
}

/* A cached mapping for a block that needs *len bytes, or NULL; *len becomes its length,
 * *touched how much of it may be resident and *slack what of that the block keeps beyond
 * twice its need (counted in large_slack). The smallest that holds it is taken; if it is
 * longer than the block needs by a SuperSlab size or more, it is split at the first SuperSlab
 * boundary past the block and the rest stays cached (it starts on a boundary, as every
 * mapping does). If its earlier blocks touched more than twice what this one needs, the pages
 * beyond the need are kept while the slack budget has room, else given back (madvise): 32
 * blocks of 300 KiB must not keep 32 x 2 MiB resident. Either way the mapping keeps its length,
 * so a larger block can have it again without an mremap (cutting every such tail off, or
 * giving each one back at once, costs a workload whose large blocks vary in size a system call
 * every few dozen operations). With none that holds it, the largest
 * is grown (mremap, where it lies or moved, never copied), so only the difference is faulted
 * in instead of a whole new mapping: a program whose large blocks vary in size (large_mixed)
 * keeps reusing its resident pages. */
static char *large_cache_take(size_t *len, size_t *touched, size_t *slack) {
  size_t need = *len, best = SIZE_MAX;
  large_lock();
  for (size_t i = 0; i < large_cached; i++) {
    size_t l = large_cache[i].len, b = best == SIZE_MAX ? 0 : large_cache[best].len;
    if (best == SIZE_MAX || (l >= need ? b < need || l < b : b < need && l > b)) best = i;
  }
  if (best == SIZE_MAX || large_cache[best].len < need) large_note_map();
  if (best == SIZE_MAX) {
    pthread_mutex_unlock(&hk_large_lock);
    return NULL;
  }
  char *base = large_cache[best].base;
  size_t have = large_cache[best].len, dirty = large_cache[best].touched;
  size_t split = (need + HK_SUPERSLAB_SIZE - 1) & ~(HK_SUPERSLAB_SIZE - 1);
  if (have > split) {                /* the rest stays */
    HK_SUPERSLAB_COUNT(mappings, 1); /* one held range becomes two (os.c, the mapping count) */
    large_cache[best].base = base + split;
    large_cache[best].len = have - split;
    large_cache[best].touched = dirty > split ? dirty - split : 0;
    have = split;
    if (dirty > split) dirty = split;
  } else {
    set_large_cached(large_cached - 1);
    large_cache[best] = large_cache[large_cached];
  }
  large_cached_bytes -= have;
  /* touched beyond twice the block: kept while the slack budget has room, else given back */
  size_t tail = have >= need && dirty > need && dirty - need > need ? dirty - need : 0;
  if (tail && large_slack + tail <= large_slack_budget()) {
    large_slack += tail;
    *slack = tail;
    tail = 0;
  }
  pthread_mutex_unlock(&hk_large_lock);
  HK_LARGE_COUNT(cache_hits, 1);
  *touched = dirty;
  if (have >= need) {
    if (tail) {
      hk_os_decommit(base + need, tail);
      *touched = need;
    }
    *len = have;
    return base;
  }
  char *grown = large_extend(base, have, need, HK_SUPERSLAB_SIZE);
  if (grown != NULL) return grown;
  /* split by the program (mprotect, madvise), or no room: it goes, the caller maps afresh */
  hk_segmap_mark(base, have, 0);
  hk_os_unmap(base, have);
  return NULL;
}

/* A block of size bytes aligned to align (>= 16), in its own mapping with the header at the
 * start, len = the block's end rounded up to a page. *fresh tells calloc whether the memory
 * is still zero. */
void *hk_large_alloc(size_t size, size_t align, bool *fresh) {
  size_t off = large_off(align);
  /* an alignment of 2^62 or more can never be mapped; off + size (+ a page of rounding) must
   * not pass PTRDIFF_MAX (no object may) */
  if (align > PTRDIFF_MAX / 2 || size > PTRDIFF_MAX - off - HK_PAGE) return NULL;
  /* at least one byte after off: a zero-size block at off = HK_SUPERSLAB_SIZE would otherwise
   * sit one past its own mapping */
  size_t len = page_up(off + (size ? size : 1)), need = len, touched = 0, slack = 0;
  char *base = NULL;
  HK_LARGE_COUNT(allocs, 1);
  hk_purge_maybe();
  /* the unlocked look at the count is only a hint; the lock decides */
  if (__atomic_load_n(&large_cached, __ATOMIC_RELAXED) && align <= HK_SUPERSLAB_SIZE)
    base = large_cache_take(&len, &touched, &slack);
  else if (__atomic_load_n(&large_drop_at, __ATOMIC_RELAXED)) {
    large_lock();
    large_note_map();
    pthread_mutex_unlock(&hk_large_lock);
  }
  *fresh = base == NULL;
  if (base == NULL) {
    base = large_map(len, align);
    /* under an address-space or commit limit, what the cache holds may be what is missing */
    if (base == NULL && __atomic_load_n(&large_cached, __ATOMIC_RELAXED) && hk_large_trim())
      base = large_map(len, align);
    if (base == NULL) return NULL;
    hk_segmap_mark(base, len, HK_SEG_LARGE);
  }
  hk_large_t *h = (hk_large_t *)base;
  h->magic = HK_LARGE_MAGIC;
  h->base = base;
  h->map_len = len;
  h->user = base + off;
  h->align = align;
  h->touched = touched > need ? touched : need;
  h->slack = slack;
  return h->user;
}

hk_large_t *hk_large_header(const void *p) {
  /* p lies in a large mapping; its header would too (a bogus p near the start does not);
   * large blocks are at least 16-byte aligned, so a misaligned p is no block's */
  if (((uintptr_t)p & 15) != 0 || hk_seg_kind((uintptr_t)p - HK_LARGE_HDR) != HK_SEG_LARGE) return NULL;
  hk_large_t *h = (hk_large_t *)(((uintptr_t)p - HK_LARGE_HDR) & ~(HK_SUPERSLAB_SIZE - 1));
  return h->magic == HK_LARGE_MAGIC && h->user == p ? h : NULL;
}

bool hk_large_free(void *p) {
  hk_large_t *h = hk_large_header(p);
  if (h == NULL) return false; /* an interior or already freed pointer: left alone (the caller reports it) */
  HK_LARGE_COUNT(frees, 1);
  char *base = h->base;
  size_t len = h->map_len, touched = h->touched;
  h->magic = 0;
  int64_t delay = hk_env_purge_delay_ms(); /* 0: nothing waits, the mapping goes at once */
  large_lock();
  large_slack -= h->slack;
  if (delay != 0 && large_room(len)) {
    uint64_t now = delay > 0 ? hk_clock_ms() : 0;
    large_cached_bytes += len;
    /* a cached neighbour joins it: one that ends where it starts, or one that starts where it
     * ends (a piece split off when it was taken); either way the joined range starts on a
     * SuperSlab boundary, as every mapping does */
    size_t i;
    for (i = 0; i < large_cached; i++)
      if (large_cache[i].base + large_cache[i].len == base || base + len == large_cache[i].base) break;
    if (i < large_cached) {
      HK_SUPERSLAB_COUNT(mappings, (uint64_t)-1); /* two held ranges become one */
      if (large_cache[i].base > base) {           /* this one first: the neighbour's touched pages lie after it */
        large_cache[i].touched = large_cache[i].touched ? len + large_cache[i].touched : touched;
        large_cache[i].base = base;
      } else {
        large_cache[i].touched = large_cache[i].len + touched;
      }
      large_cache[i].len += len;
      large_cache[i].since = now;
    } else {
      large_cache[large_cached].base = base;
      large_cache[large_cached].len = len;
      large_cache[large_cached].touched = touched;
      large_cache[large_cached].since = now;
      set_large_cached(large_cached + 1);
    }
    pthread_mutex_unlock(&hk_large_lock);
    if (delay > 0) hk_due_note(&hk_large_due, now + (uint64_t)delay);
    hk_purge_maybe();
    return true;
  }
  if (delay > 0) __atomic_store_n(&large_drop_at, hk_clock_ms(), __ATOMIC_RELAXED);
  pthread_mutex_unlock(&hk_large_lock);
  hk_segmap_mark(base, len, 0);
  hk_os_unmap(base, len);
  return true;
}

/* The earliest time (ms) at which a cached mapping will have waited purgeDelayMs; 0: none waits. */
_Atomic(uint64_t) hk_large_due;

/* env.purgeDelayMs (purge.c): the cached mappings that have waited `delay` ms by `now`
 * are unmapped; hk_large_due is set to when the next one will have. */
void hk_large_purge(uint64_t now) {
  int64_t purge_delay = hk_env_purge_delay_ms();
  if (purge_delay < 0) return; /* -1: never */
  uint64_t delay = (uint64_t)purge_delay;
  if (atomic_exchange_explicit(&hk_large_due, 0, memory_order_relaxed) == 0) return; /* another thread purges */
  uint64_t next = 0;
  bool released = false;
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
    released = true;
  }
  if (released && large_scale > 1) large_scale /= 2; /* the swing may be ending: half the raise goes */
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
  large_scale_reset();
  pthread_mutex_unlock(&hk_large_lock);
  hk_os_retry_unmaps(); /* and the ranges whose unmap the kernel refused before (os.c) */
  return n;
}

/* Make h's mapping new_len bytes (more than now), keeping the block's offset and alignment.
 * Returns the block (moved or not), or NULL with nothing changed. Pages are not copied
 * (large_extend), except for a mapping the program has split. */
static void *large_grow(hk_large_t *h, size_t new_len) {
  char *base = h->base;
  size_t len = h->map_len;
  size_t off = (size_t)((char *)h->user - base);
  char *nb = large_extend(base, len, new_len, h->align);
  if (nb == NULL) { /* copied */
    if ((nb = large_map(new_len, h->align)) == NULL) return NULL;
    memcpy(nb, base, sizeof(hk_large_t));
    memcpy(nb + off, base + off, len - off);
    hk_segmap_mark(nb, new_len, HK_SEG_LARGE);
    hk_segmap_mark(base, len, 0);
    hk_os_unmap(base, len);
  }
  hk_large_t *nh = (hk_large_t *)nb;
  nh->base = nb;
  nh->map_len = new_len;
  nh->user = nb + off;
  return nh->user;
}

/* realloc of a large block to a size that stays large (> midMax). A shrink stays in place
 * (the tail goes back to the OS when the block keeps half of the mapping or less); a
 * growth that fits the mapping's slack is free; beyond it the mapping grows by at least
 * half (rounded to a page), so a buffer grown in small steps is remapped O(log n) times and
 * never copied. NULL with errno ENOMEM when nothing can hold it; the block is intact then. */
void *hk_large_realloc(hk_large_t *h, size_t size) {
  char *base = h->base;
  size_t len = h->map_len;
  size_t off = (size_t)((char *)h->user - base);
  if (size > PTRDIFF_MAX - off - HK_PAGE) {
    errno = ENOMEM;
    return NULL;
  }
  size_t need = page_up(off + size);
  if (need <= len / 2 || need > len) large_slack_drop(h); /* the mapping changes */
  if (need <= len) {
    if (need <= len / 2) {
      large_cut(base, need, len);
      h->map_len = need;
      if (h->touched > need) h->touched = need;
    } else if (h->touched < need) {
      h->touched = need;
    }
    return h->user;
  }
  size_t want = len + len / 2;
  want = want > need && want <= PTRDIFF_MAX - HK_PAGE ? page_up(want) : need;
  void *q = large_grow(h, want);
  if (q == NULL && want > need) q = large_grow(h, need); /* the address space or commit limit is tight */
  if (q != NULL) {
    ((hk_large_t *)((char *)q - off))->touched = need; /* the header moved with the mapping */
    return q;
  }
  /* no mapping of the new size could be made at all: a fresh one and a copy (or ENOMEM) */
  void *user = h->user;
  bool fresh;
  q = hk_large_alloc(size, h->align, &fresh);
  if (q == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  memcpy(q, user, len - off);
  hk_large_free(user);
  return q;
}
