/* misuse.c: the front gate's description of a bad pointer. Standard and OBSERVE find a double
 * free, a free or realloc of a pointer hakmem did not hand out and an interior or misaligned
 * free where the call is made (internal.h: HK_CHECKS, the free key, hk_block_start); this file
 * says what the pointer is, in one line, from the segment map, the unit map and a large
 * block's header (never reading memory that may be unmapped), and hands the line to
 * hk_report (env/report.c), which acts as env.onInvalid asks. FAST returns without a word. */
#include <stdio.h>
#include <string.h>

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
      uintptr_t base = hk_unit_base(u, a);
      if (u->base != 0 && a >= base && (a - base) % hk_block_stride(u->cls) == 0 &&
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
    uintptr_t base = hk_unit_base(u, a);
    if (a >= base && a - base < hk_unit_span(u)) {
      uintptr_t start = base + (a - base) / size * size;
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

#endif

void hk_invalid(const char *call, const void *p) {
  HK_FRONT_COUNT(foreign_frees, 1);
#if HK_CHECKS
  char why[200], line[256];
  describe(call, p, why, sizeof why);
  snprintf(line, sizeof line, "hakmem: %s(): %s\n", call, why);
  hk_report(line);
#else
  (void)call;
  (void)p;
#endif
}
