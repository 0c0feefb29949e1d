/* segment_map.c: the segment map (SuperSlab box). hk_segmap[address >> SUPERSLAB_SHIFT] names, for
 * every SuperSlab-sized piece of the address space, what hakmem keeps there: nothing
 * (0), a SuperSlab (HK_SEG_SUPERSLAB) or a large mapping (HK_SEG_LARGE). Readers are inline
 * in internal.h (free reads it with one load); writers mark a range when they have mapped
 * it and clear it before they unmap it. See types.h, ADDRESS SPACE. */
#include "internal.h"

uint8_t hk_segmap[HK_SEGMAP_LEN];

void hk_segmap_mark(void *base, size_t len, uint8_t kind) {
  for (uintptr_t a = (uintptr_t)base; a < (uintptr_t)base + len; a += HK_SUPERSLAB_SIZE)
    atomic_store_explicit((_Atomic(uint8_t) *)&hk_segmap[a >> HK_SUPERSLAB_SHIFT], kind, memory_order_release);
}
