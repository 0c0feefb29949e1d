/* misuse.c: the front gate's reports of misuse. Standard and OBSERVE find a double free, a
 * free or realloc of a pointer hakmem did not hand out, an interior or misaligned free and a
 * poisoned free list (internal.h: HK_CHECKS, the free key, hk_block_start); this file says
 * what was wrong in one line and then does what env.onInvalid (HAKMEM_ON_INVALID) asks:
 * abort (the default), warn and skip the call, or skip it silently. The caller has changed
 * nothing yet, so skipping leaves every structure of the allocator intact. FAST returns
 * without a word (docs/reliability.md lists what it refuses and what it does not see). */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#if HK_CHECKS
/* What p is, for the report: never reads memory that may be unmapped (the segment map says
 * whether p is in a SuperSlab, and a SuperSlab's header and unit map are always mapped). */
static void describe(const char *call, const void *p, char *out, size_t n) {
  uintptr_t a = (uintptr_t)p;
  switch (hk_seg_kind(a)) {
  case HK_SEG_SUPERSLAB: {
    hk_unit_t *u = hk_unit_of(a);
    if (u == &hk_superslab_of(a)->units[0]) {
      snprintf(out, n, "invalid pointer %p (in the header of a hakmem SuperSlab)", p);
      return;
    }
    if (u->owner == NULL) { /* the slab is in the pool: it keeps its class and base until reused */
      size_t size = hk_class_size[u->cls];
      if (u->base != 0 && a >= u->base && (a - u->base) % hk_block_stride(u->cls) == 0 &&
          hk_marked_free((const hk_block_t *)p) && strcmp(call, "free") == 0)
        snprintf(out, n, "double free of %p (class %u, %zu B)", p, u->cls, size);
      else snprintf(out, n, "invalid pointer %p (not a live block: freed twice, or never allocated)", p);
      return;
    }
    size_t size = hk_class_size[u->cls];
    if (hk_block_start(u, a)) {
      if (hk_marked_free((const hk_block_t *)p) && strcmp(call, "free") == 0)
        snprintf(out, n, "double free of %p (class %u, %zu B)", p, u->cls, size);
      else if (hk_marked_free((const hk_block_t *)p))
        snprintf(out, n, "%p was already freed (class %u, %zu B)", p, u->cls, size);
      else snprintf(out, n, "invalid pointer %p (class %u, %zu B)", p, u->cls, size);
      return;
    }
    if (a >= u->base && a - u->base < hk_unit_span(u)) {
      uintptr_t start = u->base + (a - u->base) / size * size;
      snprintf(out, n, "invalid pointer %p (%zu B into the block %p of class %u, %zu B)", p, (size_t)(a - start),
               (void *)start, u->cls, size);
      return;
    }
    snprintf(out, n, "invalid pointer %p (between the blocks of a slab of class %u, %zu B)", p, u->cls, size);
    return;
  }
  case HK_SEG_LARGE:
    snprintf(out, n, "invalid pointer %p (not the start of a live large block: freed twice, or an interior pointer)",
             p);
    return;
  default: snprintf(out, n, "invalid pointer %p (not allocated by hakmem)", p); return;
  }
}

static void act(const char *line) {
  hk_env_on_invalid_t mode = hk_env_on_invalid();
  if (mode == HK_ENV_ON_INVALID_IGNORE) return;
  hk_os_write_err("%s", line);
  if (mode == HK_ENV_ON_INVALID_ABORT) {
    hk_os_write_err("hakmem: aborting (HAKMEM_ON_INVALID=warn reports and skips the call instead)\n");
    abort();
  }
}
#endif

void hk_invalid(const char *call, const void *p) {
  HK_FRONT_COUNT(foreign_frees, 1);
#if HK_CHECKS
  char why[200], line[256];
  describe(call, p, why, sizeof why);
  snprintf(line, sizeof line, "hakmem: %s(): %s\n", call, why);
  act(line);
#else
  (void)call;
  (void)p;
#endif
}

#if HK_DEBUG
void hk_assert_fail(const char *file, int line, const char *cond) {
  hk_os_write_err("hakmem: internal invariant broken at %s:%d: %s\n", file, line, cond);
  abort();
}
#endif

hk_block_t *hk_unified_cache_poisoned(hk_unified_cache_t *tc) {
  unsigned cls = (unsigned)(tc - hk_tls.cache);
  hk_corrupt_list("a unified cache", tc->head, cls);
  tc->head = NULL;
  tc->room = (int32_t)tc->limit;
  return hk_unified_cache_refill(cls); /* a block from the slabs instead (NULL with ENOMEM) */
}

void hk_corrupt_list(const char *where, const void *b, unsigned cls) {
#if HK_CHECKS
  char line[256];
  snprintf(line, sizeof line,
           "hakmem: malloc(): corrupted free list of class %u (%zu B) in %s: %p is not a free block (a freed "
           "block was written after free)\n",
           cls, (size_t)hk_class_size[cls], where, b);
  act(line);
#else
  (void)where;
  (void)b;
  (void)cls;
#endif
}
