/*
 * init_paths - the allocator's first calls come from awkward places, and pointers it did
 * not hand out reach it: run with ctor_lib.so preloaded (before or after libhakmem), with
 * or without hakmem.
 *   - ctor_lib.so's constructor and atexit handler allocate (see ctor_lib.c);
 *   - this program's own constructor allocates and calls dlsym(RTLD_NEXT);
 *   - main dlopens a library, uses a thread, and hands hakmem foreign pointers (blocks from
 *     glibc's own __libc_malloc, a stack address, an interior pointer): hakmem must leave
 *     them alone. realloc of a glibc block keeps its contents under glibc and hakmem FAST
 *     (which copies what it can read); hakmem Standard and OBSERVE refuse it as a pointer
 *     they did not hand out (run with HAKMEM_ON_INVALID=warn: reported, NULL, EINVAL, the
 *     block untouched).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>

#include "check.h"

extern void *__libc_malloc(size_t);

static int own_ctor_ok;

__attribute__((constructor)) static void own_ctor(void)
{
    void *p = malloc(40);
    void (*real_free)(void *) = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    char *s = strdup("constructor");
    own_ctor_ok = p && real_free && s && strcmp(s, "constructor") == 0;
    free(s);
    free(p);
}

static void *thread_body(void *arg)
{
    (void)arg;
    void *h = dlopen("libm.so.6", RTLD_NOW);
    void *sym = h ? dlsym(h, "cos") : NULL;
    char *p = malloc(1000);
    if (p) memset(p, 7, 1000);
    free(p);
    if (h) dlclose(h);
    return sym;
}

int main(void)
{
    check_name = "init_paths";
    int *ctor_lib_ok = dlsym(RTLD_DEFAULT, "ctor_lib_ok");
    CHECK(ctor_lib_ok && *ctor_lib_ok, "ctor_lib.so's constructor did not complete (preload it)");
    CHECK(own_ctor_ok, "this program's constructor could not allocate / dlsym");

    pthread_t t;
    void *sym = NULL;
    CHECK(pthread_create(&t, NULL, thread_body, NULL) == 0, "pthread_create");
    pthread_join(t, &sym);
    CHECK(sym != NULL, "dlopen/dlsym from a thread failed: %s", dlerror());

    /* A block from glibc's own allocator, which hakmem never handed out. */
    const int hakmem = dlsym(RTLD_DEFAULT, "hak_malloc") != NULL;
    const char *const *(*build_info)(void) = (const char *const *(*)(void))dlsym(RTLD_DEFAULT, "hak_build_info");
    const int checking = build_info && strcmp(build_info()[0], "fast") != 0; /* the first field is the mode */
    unsigned char *g = __libc_malloc(100);
    CHECK(g != NULL, "__libc_malloc");
    for (int i = 0; i < 100; i++) g[i] = (unsigned char)(i * 7 + 1);
    size_t usable = malloc_usable_size(g);
    CHECK(usable == 0 || usable >= 100, "malloc_usable_size(foreign) = %zu", usable);
    errno = 0;
    unsigned char *r = realloc(g, 4000); /* glibc: moves and frees g; FAST: copies, leaves g */
    if (checking) {
        CHECK(r == NULL && errno == EINVAL, "realloc(foreign) under Standard: %p, errno %d", (void *)r, errno);
        r = g; /* refused: g is untouched */
    }
    CHECK(r != NULL, "realloc(foreign)");
    for (int i = 0; r && i < 100; i++) CHECK(r[i] == (unsigned char)(i * 7 + 1), "realloc(foreign) lost byte %d", i);
    free(r); /* Standard: g, not ours: reported and left alone */

    if (hakmem) { /* under glibc these would abort, as they should: only hakmem tolerates them */
        int local = 5;
        unsigned char *g2 = __libc_malloc(64);
        free(g2);              /* not ours: ignored */
        free(launder(&local)); /* a stack address: ignored, never dereferenced blindly */
        char *big = malloc(1 << 20);
        free(launder(big + 4096)); /* an interior pointer of a large block: ignored */
        free(big);
        char *again = malloc(1 << 20); /* the allocator still works */
        CHECK(again != NULL, "malloc after bogus frees");
        memset(again, 1, 1 << 20);
        free(again);
        CHECK(local == 5, "stack variable changed");
    }
    return check_finish();
}
