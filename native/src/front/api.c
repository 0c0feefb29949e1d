/* api.c: the rest of the allocation API (front gate box): aligned allocation's entry points,
 * malloc_usable_size, malloc_trim, and hakmem.h's extras. Each is a few lines over
 * front.c (malloc, free, calloc, realloc and the routing behind them) and large.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "hakmem.h"
#include "internal.h"

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
  info.box_unified_cache = HAKMEM_BOX_UNIFIED_CACHE_VERSION;
  info.box_large = HAKMEM_BOX_LARGE_VERSION;
  info.box_versions = HAKMEM_BOX_VERSIONS;
  return &info;
}

HK_EXPORT void hak_stats_print(void) { hk_stats_print_now(); }

HK_EXPORT size_t malloc_usable_size(void *p) { return hak_usable_size(p); }

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
 * slabs, abandoned heaps are collected, then every empty SuperSlab and every cached large
 * mapping goes to the OS. 1 if anything was released, as glibc. */
HK_EXPORT int malloc_trim(size_t pad) {
  (void)pad;
  hk_tls_t *t = &hk_tls;
  if (t->heap != NULL) {
    hk_heap_t *h = t->heap;
    hk_unified_cache_flush_all(t, h);
    hk_unified_cache_set_limits(t);
    hk_remote_flush();
    hk_remote_drain(h, UINT64_MAX);
    hk_slab_release_empty(h);
  }
  hk_heap_collect_abandoned();
  size_t released = hk_superslab_trim();
  released += hk_large_trim();
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
