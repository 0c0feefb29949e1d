/* hak_shim.h - force-included (-include) into the plain-API tests of native/test/ for the
 * TSan builds of native/test/check/check.mk: their malloc & co. become the hak_* API of the
 * allocator objects linked in (whose own malloc symbols are localized), so the sanitizer
 * runtime keeps its interceptors and the test still exercises hakmem. The C library's
 * headers come first, so that the macros below rename calls, not declarations. */
#ifndef HAKMEM_CHECK_HAK_SHIM_H
#define HAKMEM_CHECK_HAK_SHIM_H
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

static inline __attribute__((unused)) int hak_shim_posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
    void *p = hak_aligned_alloc(align, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

#define malloc hak_malloc
#define free hak_free
#define calloc hak_calloc
#define realloc hak_realloc
#define aligned_alloc hak_aligned_alloc
#define posix_memalign hak_shim_posix_memalign
#define malloc_usable_size hak_usable_size
#endif
