/*
 * realloc_limit - a large block's moving realloc under an address-space limit, and errno
 * after successful calls (issue 29, defects 1 and 3).
 *
 * 1. errno: a successful call never changes errno. A large block with a page mapped right
 *    after it cannot grow where it lies, so realloc must move it (hakmem: mremap in place
 *    fails with ENOMEM first); errno is set to a sentinel before and checked after, for
 *    realloc, calloc, malloc, aligned_alloc, posix_memalign and memalign of every kind of size.
 * 2. Under RLIMIT_AS = (address space in use) + limit_mb MiB (default 400): malloc(200 MiB)
 *    works; then realloc(120 MiB -> 250 MiB) of a block that cannot grow in place either works
 *    (grow=1: glibc and mimalloc do, with mremap(MREMAP_MAYMOVE), which needs room for the new
 *    block only) or returns NULL with ENOMEM and the block intact; after everything is freed
 *    and malloc_trim(0), malloc(200 MiB) must work again and the address space must be back
 *    within slack_mb MiB (default 64) of where it was. Before the fix the failed move left its
 *    250 MiB reservation mapped for good.
 *
 * Prints `realloc_limit: grown=0|1 vm_kb start=.. end=..` and the check summary.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "check.h"

#define MIB ((size_t)1 << 20)

static long vm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

/* Map a page right after p's block (its usable end rounded up to a page) so that it cannot grow
 * where it lies; returns the page (to unmap later) or NULL when something is there already. */
static void *block_after(void *p)
{
    uintptr_t end = ((uintptr_t)p + malloc_usable_size(p) + 4095) & ~(uintptr_t)4095;
    void *g = mmap((void *)end, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    return g == MAP_FAILED ? NULL : g;
}

#define SENTINEL EDOM

#define EXPECT_KEEPS_ERRNO(expr, what)                                                     \
    do {                                                                                   \
        errno = SENTINEL;                                                                  \
        void *r_ = (expr);                                                                 \
        int e_ = errno;                                                                    \
        CHECK(r_ != NULL, "%s failed (errno %d)", what, e_);                               \
        CHECK(r_ == NULL || e_ == SENTINEL, "%s succeeded but set errno to %d", what, e_); \
        free(r_);                                                                          \
    } while (0)

static void test_errno(void)
{
    /* moving reallocs of large blocks, small to large growth */
    for (size_t mb = 1; mb <= 16; mb *= 4) {
        size_t n = mb * MIB;
        char *p = malloc(n);
        if (!p) check_fatal("malloc(%zu MiB) failed", mb);
        pattern_fill(p, n, (unsigned)mb);
        void *guard = block_after(p);
        errno = SENTINEL;
        char *q = realloc(p, 3 * n);
        int e = errno;
        CHECK(q != NULL, "realloc(%zu MiB -> %zu MiB) failed (errno %d)", mb, 3 * mb, e);
        if (q == NULL) q = launder(p);
        CHECK(e == SENTINEL, "realloc(%zu MiB -> %zu MiB) succeeded but set errno to %d (was %d)", mb, 3 * mb, e,
              SENTINEL);
        CHECK(pattern_find_bad(q, n, (unsigned)mb) == (size_t)-1, "realloc(%zu MiB) lost the block's contents", mb);
        free(q);
        if (guard) munmap(guard, 4096);
    }
    static const size_t sizes[] = { 0, 16, 1000, 40000, 300000, 5 * MIB };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t s = sizes[i];
        char what[64];
        snprintf(what, sizeof what, "malloc(%zu)", s);
        EXPECT_KEEPS_ERRNO(malloc(s), what);
        snprintf(what, sizeof what, "calloc(1, %zu)", s);
        EXPECT_KEEPS_ERRNO(calloc(1, s), what);
        snprintf(what, sizeof what, "aligned_alloc(4096, %zu)", s);
        EXPECT_KEEPS_ERRNO(aligned_alloc(4096, s), what);
        snprintf(what, sizeof what, "memalign(4 MiB, %zu)", s);
        EXPECT_KEEPS_ERRNO(memalign(4 * MIB, s), what);
        void *p = NULL;
        errno = SENTINEL;
        int rc = posix_memalign(&p, 65536, s);
        CHECK(rc == 0 && errno == SENTINEL, "posix_memalign(65536, %zu) = %d, errno %d", s, rc, errno);
        free(p);
        p = malloc(s ? s : 1);
        if (!p) check_fatal("malloc(%zu) failed", s);
        errno = SENTINEL;
        void *q = realloc(p, 2 * s + 64);
        CHECK(q != NULL && errno == SENTINEL, "realloc(%zu -> %zu): %p, errno %d", s, 2 * s + 64, q, errno);
        free(q ? q : launder(p));
    }
}

int main(int argc, char **argv)
{
    unsigned long long limit_mb = 400, grow = 0, slack_mb = 64;
    check_name = "realloc_limit";
    CHECK_ARGS(argc, argv, { "limit_mb", &limit_mb }, { "grow", &grow }, { "slack_mb", &slack_mb });
    check_watchdog(60);
    test_errno();

    malloc_trim(0);
    long start = vm_kb();
    struct rlimit rl = { (rlim_t)start * 1024 + limit_mb * MIB, RLIM_INFINITY };
    if (setrlimit(RLIMIT_AS, &rl) != 0) check_fatal("setrlimit(RLIMIT_AS) failed: %s", strerror(errno));

    void *big = malloc(200 * MIB);
    CHECK(big != NULL, "malloc(200 MiB) failed at the start (errno %d)", errno);
    free(big);
    malloc_trim(0);

    size_t n = 120 * MIB;
    char *p = malloc(n);
    if (!p) check_fatal("malloc(120 MiB) failed");
    pattern_fill(p, n, 29);
    void *guard = block_after(p);
    errno = SENTINEL;
    char *q = realloc(p, 250 * MIB);
    int e = errno;
    int grown = q != NULL;
    if (q) {
        CHECK(e == SENTINEL, "realloc(120 MiB -> 250 MiB) succeeded but set errno to %d", e);
        CHECK(pattern_find_bad(q, n, 29) == (size_t)-1, "realloc(120 MiB -> 250 MiB) lost the block's contents");
        memset(q + n, 1, 250 * MIB - n);
        escape(q);
    } else {
        CHECK(e == ENOMEM, "realloc(120 MiB -> 250 MiB) = NULL with errno %d, want ENOMEM", e);
        q = launder(p);
        CHECK(pattern_find_bad(q, n, 29) == (size_t)-1, "a failed realloc changed the block");
    }
    CHECK(!grow || grown, "realloc(120 MiB -> 250 MiB) failed where the new block alone fits");
    free(q);
    if (guard) munmap(guard, 4096);
    malloc_trim(0);

    big = malloc(200 * MIB);
    CHECK(big != NULL,
          "malloc(200 MiB) failed after everything was freed and trimmed (errno %d): it worked at the start", errno);
    free(big);
    malloc_trim(0);
    long end = vm_kb();
    printf("realloc_limit: grown=%d vm_kb start=%ld end=%ld\n", grown, start, end);
    CHECK(end <= start + (long)slack_mb * 1024, "address space %ld kB after freeing everything, %ld kB at the start",
          end, start);
    return check_finish();
}
