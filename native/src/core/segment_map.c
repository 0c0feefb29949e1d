/* segment_map.c: the segment map (SuperSlab box). hk_segmap[address >> SUPERSLAB_SHIFT] names, for
 * every SuperSlab-sized piece of the address space, what hakmem keeps there: nothing
 * (0), a SuperSlab (HK_SEG_SUPERSLAB) or a large mapping (HK_SEG_LARGE). Readers are inline
 * in internal.h (free reads it with one load); writers mark a range when they have mapped
 * it and clear it before they unmap it. See types.h, ADDRESS SPACE. */
#include "internal.h"

uint8_t hk_segmap[HK_SEGMAP_LEN];

/* Every SuperSlab-sized piece that [base, base + len) touches, the partly covered last one
 * included (large mappings are page-granular). */
void hk_segmap_mark(void *base, size_t len, uint8_t kind) {
  if (len == 0) return;
  uintptr_t first = (uintptr_t)base >> HK_SUPERSLAB_SHIFT, last = ((uintptr_t)base + len - 1) >> HK_SUPERSLAB_SHIFT;
  for (uintptr_t i = first; i <= last; i++)
    atomic_store_explicit((_Atomic(uint8_t) *)&hk_segmap[i], kind, memory_order_release);
}
