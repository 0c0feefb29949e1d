/* hakmem.h: the public, prefixed API of libhakmem.
 *
 * Link with -lhakmem (Standard), -lhakmem-fast (FAST) or LD_PRELOAD one of the shared
 * libraries. The libraries also provide malloc, free, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc and malloc_usable_size, so
 * linking or preloading one replaces the C allocator of the whole process; the hak_*
 * names below are the same functions under names that never collide.
 */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define HAK_API __attribute__((visibility("default")))
#else
#define HAK_API
#endif

HAK_API void *hak_malloc(size_t size);
HAK_API void hak_free(void *ptr);
HAK_API void *hak_calloc(size_t count, size_t size);
HAK_API void *hak_realloc(void *ptr, size_t size);
/* Any power-of-two alignment; NULL with errno EINVAL for a bad one, ENOMEM when out of memory. */
HAK_API void *hak_aligned_alloc(size_t alignment, size_t size);
/* The number of bytes usable at ptr (>= the size asked for); 0 for NULL or a foreign pointer. */
HAK_API size_t hak_usable_size(const void *ptr);
/* Writes the counters to stderr (OBSERVE build; other builds print that they keep none). */
HAK_API void hak_stats_print(void);

typedef struct hak_build_info {
  const char *mode;        /* "fast", "standard" or "observe" */
  const char *profile;     /* the profile in force: the build's, or HAKMEM_PROFILE's */
  const char *config_hash; /* hash of the box configuration in force: the build's, with HAKMEM_* overrides applied */
  const char *box_front;   /* versions of the box packages the headers were generated from */
  const char *box_superslab;
  const char *box_remote;
  const char *box_env;
  /* Appended when the unified cache and the large blocks became boxes of their own (fields are only
   * ever appended, so a program built against the older header reads the same offsets). */
  const char *box_unified_cache;
  const char *box_large;
  const char *box_versions; /* every box as "box-front@x.y.z box-unified-cache@x.y.z ...", in header order */
} hak_build_info_t;

HAK_API const hak_build_info_t *hak_build_info(void);

#ifdef __cplusplus
}
#endif

#endif /* HAKMEM_H */
