/* report.c: misuse and corruption reports (env box: env.onInvalid). Standard and OBSERVE find
 * a misuse where it happens (the front gate describes a bad pointer, front/misuse.c; a list of
 * free blocks a use after free has written is found where it is followed) and say what was
 * wrong in one line; then this file does what env.onInvalid (HAKMEM_ON_INVALID) asks: abort
 * (the default), warn and skip the call, or skip it silently. The caller has changed nothing
 * yet, so skipping leaves every structure of the allocator intact. FAST reports nothing
 * (docs/reliability.md lists what it refuses and what it does not see). Nothing here
 * allocates. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* One report line (with its newline), then what env.onInvalid asks. */
void hk_report(const char *line) {
#if HK_CHECKS

  hk_env_on_invalid_t mode = hk_env_on_invalid();
  if (mode == HK_ENV_ON_INVALID_IGNORE) return;
  hk_os_write_err("%s", line);
  if (mode == HK_ENV_ON_INVALID_ABORT) {
    hk_os_write_err("hakmem: aborting (HAKMEM_ON_INVALID=warn reports and skips the call instead)\n");
    abort();
  }
#else
  (void)line;
#endif
}

void hk_corrupt_list(const char *where, const void *b, unsigned cls) {
#if HK_CHECKS
  char line[256];
  snprintf(line, sizeof line,
           "hakmem: malloc(): corrupted free list of class %u (%zu B) in %s: %p is not a free block (a freed "
           "block was written after free)\n",
           cls, (size_t)hk_class_size[cls], where, b);
  hk_report(line);
#else
  (void)where;
  (void)b;
  (void)cls;
#endif
}
