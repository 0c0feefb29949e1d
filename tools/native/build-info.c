/* build-info: print the build info a hakmem library reports about itself.
 *
 *   build-info LIBRARY.so
 *
 * dlopen()s the library (RTLD_NOW | RTLD_LOCAL, so it does not replace this probe's own
 * malloc), calls its hak_build_info() (native/include/hakmem.h) and prints one key=value
 * line per field:
 *
 *   mode=fast
 *   profile=balanced
 *   config_hash=a24576dd43572ac9
 *   box_front=0.1.0
 *   box_superslab=0.1.0
 *   box_remote=0.1.0
 *   box_env=0.1.0
 *
 * Exit 0 on success; 1 with a message on stderr when the library cannot be loaded or does
 * not export hak_build_info (not a hakmem library); 2 on a usage error. The library is the
 * one measured, so these are the figures' provenance, not the source tree's headers.
 * Compiled on demand by @hakmem/tools into dist/tools/build-info; not part of libhakmem.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "hakmem.h"

typedef const hak_build_info_t *(*build_info_fn)(void);

static const char *or_empty(const char *s) { return s ? s : ""; }

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: build-info LIBRARY.so\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "build-info: cannot load %s: %s\n", argv[1], dlerror());
        return 1;
    }
    build_info_fn fn;
    /* POSIX's way to turn the object pointer dlsym returns into a function pointer. */
    *(void **)&fn = dlsym(lib, "hak_build_info");
    if (!fn) {
        fprintf(stderr, "build-info: %s does not export hak_build_info (not a hakmem library)\n", argv[1]);
        return 1;
    }
    const hak_build_info_t *b = fn();
    if (!b) {
        fprintf(stderr, "build-info: hak_build_info() in %s returned NULL\n", argv[1]);
        return 1;
    }
    printf("mode=%s\nprofile=%s\nconfig_hash=%s\nbox_front=%s\nbox_superslab=%s\nbox_remote=%s\nbox_env=%s\n",
           or_empty(b->mode), or_empty(b->profile), or_empty(b->config_hash), or_empty(b->box_front),
           or_empty(b->box_superslab), or_empty(b->box_remote), or_empty(b->box_env));
    return fflush(stdout) == 0 ? 0 : 1;
}
