/*
 * alloc_limits - sizes and alignments at the edge of size_t. Every entry point that adds
 * a header, rounds a size up (to 16 B, a page, the SuperSlab size), multiplies n * size or
 * rounds an alignment up to a power of two must fail cleanly here, with the errno glibc
 * sets: never wrap around into a small allocation, never loop forever (a watchdog fails
 * the test after 10 s), never crash. Also checks that a failed realloc leaves the old
 * block intact, and that the legitimate neighbours of these cases still work.
 *
 * The expectations are glibc's (2.36): memalign with an alignment above 2^63 fails with
 * EINVAL (no power of two holds it), a non-power-of-two alignment below is rounded up;
 * an alignment of 2^62 or more cannot be mapped (ENOMEM); posix_memalign returns
 * EINVAL (leaving errno alone) or ENOMEM; every impossible size is ENOMEM.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>

#include "check.h"

/* volatile: the compiler must not reason about these (it warns about huge constant sizes) */
static volatile size_t v_max = SIZE_MAX;
static volatile size_t v_one = 1;

#define MIB ((size_t)1 << 20)

static size_t huge_sizes[16];
static size_t n_huge;

static void init_sizes(void)
{
    size_t m = v_max;
    size_t list[] = {
        m,
        m - 1,
        m - 15,
        m - 16,
        m - 63,
        m - 64,
        m - 4095,
        m - 4096,
        m - 2 * MIB,
        m - 2 * MIB - 64,
        m - 4 * MIB + 1,
        m / 2 + 1,
        m / 2,
        m / 2 - 4095,
        m / 2 - 2 * MIB - 64,
    };
    n_huge = sizeof list / sizeof list[0];
    memcpy(huge_sizes, list, sizeof list);
}

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

#define EXPECT_FAIL(call, want_errno, fmt, ...)                                                            \
    do {                                                                                                   \
        errno = 0;                                                                                         \
        void *r_ = (call);                                                                                 \
        int e_ = errno;                                                                                    \
        CHECK(r_ == NULL, fmt " = %p, want NULL", __VA_ARGS__, r_);                                        \
        CHECK(r_ != NULL || e_ == (want_errno), fmt ": errno %d, want %d", __VA_ARGS__, e_, (want_errno)); \
        if (r_) free(r_);                                                                                  \
    } while (0)

static void test_sizes(void)
{
    for (size_t i = 0; i < n_huge; i++) {
        size_t s = huge_sizes[i];
        EXPECT_FAIL(malloc(s), ENOMEM, "malloc(%#zx)", s);
        EXPECT_FAIL(calloc(v_one, s), ENOMEM, "calloc(1, %#zx)", s);
        EXPECT_FAIL(calloc(s, v_one), ENOMEM, "calloc(%#zx, 1)", s);
        EXPECT_FAIL(valloc(s), ENOMEM, "valloc(%#zx)", s);
        EXPECT_FAIL(pvalloc(s), ENOMEM, "pvalloc(%#zx)", s);
        EXPECT_FAIL(aligned_alloc(64, s), ENOMEM, "aligned_alloc(64, %#zx)", s);
        EXPECT_FAIL(aligned_alloc(4096, s), ENOMEM, "aligned_alloc(4096, %#zx)", s);
        EXPECT_FAIL(aligned_alloc(4 * MIB, s), ENOMEM, "aligned_alloc(4 MiB, %#zx)", s);
        EXPECT_FAIL(memalign(48, s), ENOMEM, "memalign(48, %#zx)", s);
        EXPECT_FAIL(memalign(2 * MIB, s), ENOMEM, "memalign(2 MiB, %#zx)", s);
        void *p = (void *)1; /* errno after ENOMEM is unspecified (glibc sets it, hakmem keeps it) */
        int rc = posix_memalign(&p, 4096, s);
        CHECK(rc == ENOMEM, "posix_memalign(4096, %#zx) = %d, want ENOMEM", s, rc);
        CHECK(p == (void *)1, "posix_memalign(4096, %#zx) wrote *out on failure", s);
    }
    /* n * size overflows */
    size_t m = v_max;
    EXPECT_FAIL(calloc(m, m), ENOMEM, "calloc(%#zx, %#zx)", m, m);
    EXPECT_FAIL(calloc(2, m / 2 + 1), ENOMEM, "calloc(2, %#zx)", m / 2 + 1);
    size_t g4 = v_one << 32;
    EXPECT_FAIL(calloc(g4, g4), ENOMEM, "calloc(%#zx, %#zx)", g4, g4);
    EXPECT_FAIL(calloc(m / 4096 + 1, 4096), ENOMEM, "calloc(%#zx, 4096)", m / 4096 + 1);
}

/* a block of each kind (tiny, mid, large) must survive a failed realloc untouched */
static void test_realloc(void)
{
    static const size_t starts[] = { 24, 3000, 200000, 3 * MIB };
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        size_t n = starts[k];
        void *p = malloc(n);
        if (!p) check_fatal("malloc(%zu) failed", n);
        pattern_fill(p, n, (unsigned)k + 11);
        for (size_t i = 0; i < n_huge; i++) {
            size_t s = huge_sizes[i];
            errno = 0;
            void *q = realloc(launder(p), s);
            int e = errno;
            CHECK(q == NULL, "realloc(%zu B block, %#zx) = %p, want NULL", n, s, q);
            if (q) {
                p = q; /* should not happen; keep going with the new block */
                continue;
            }
            CHECK(e == ENOMEM, "realloc(%zu B block, %#zx): errno %d, want ENOMEM", n, s, e);
            q = reallocarray(launder(p), s, 2);
            CHECK(q == NULL, "reallocarray(%zu B block, %#zx, 2) = %p, want NULL", n, s, q);
            if (q) {
                p = q;
                continue;
            }
            errno = 0;
            q = reallocarray(launder(p), 1, s);
            e = errno;
            CHECK(q == NULL && e == ENOMEM, "reallocarray(%zu B block, 1, %#zx) = %p errno %d", n, s, q, e);
            if (q) {
                p = q;
                continue;
            }
        }
        size_t bad = pattern_find_bad(p, n, (unsigned)k + 11);
        CHECK(bad == (size_t)-1, "a failed realloc changed byte %zu of a %zu B block", bad, n);
        free(p);
    }
}

static void test_alignments(void)
{
    size_t m = v_max;
    /* above 2^63: no power of two is that large; rounding up must not wrap (or loop) */
    const size_t too_big[] = { m,
                               m - 1,
                               m - 4095,
                               m - 4096,
                               ((size_t)1 << 63) + 1,
                               ((size_t)1 << 63) + 4096,
                               ((size_t)1 << 63) + ((size_t)1 << 62) };
    const size_t sizes[] = { 0, 1, 64, 4096, 3 * MIB, m, m - 4095 };
    for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
        size_t a = too_big[i];
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            size_t s = sizes[j];
            EXPECT_FAIL(memalign(a, s), EINVAL, "memalign(%#zx, %#zx)", a, s);
            EXPECT_FAIL(aligned_alloc(a, s), EINVAL, "aligned_alloc(%#zx, %#zx)", a, s);
            void *p = (void *)1;
            int saved = errno = 4321;
            int rc = posix_memalign(&p, a, s);
            CHECK(rc == EINVAL, "posix_memalign(%#zx, %#zx) = %d, want EINVAL", a, s, rc);
            CHECK(errno == saved && p == (void *)1, "posix_memalign(%#zx, %#zx) changed errno or *out", a, s);
        }
    }
    /* powers of two (or memalign's rounding up to one) of 2^62 and more: valid, but no
     * mapping can be that aligned, so ENOMEM */
    const size_t unmappable[] = { (size_t)1 << 63, (size_t)1 << 62 };
    for (size_t i = 0; i < sizeof unmappable / sizeof unmappable[0]; i++) {
        size_t a = unmappable[i];
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            size_t s = sizes[j];
            EXPECT_FAIL(memalign(a, s), ENOMEM, "memalign(%#zx, %#zx)", a, s);
            EXPECT_FAIL(memalign(a - (a >> 1) + 1, s), ENOMEM, "memalign(%#zx, %#zx)", a - (a >> 1) + 1, s);
            EXPECT_FAIL(aligned_alloc(a, s), ENOMEM, "aligned_alloc(%#zx, %#zx)", a, s);
            void *p = (void *)1;
            int rc = posix_memalign(&p, a, s);
            CHECK(rc == ENOMEM, "posix_memalign(%#zx, %#zx) = %d, want ENOMEM", a, s, rc);
            CHECK(p == (void *)1, "posix_memalign(%#zx, %#zx) wrote *out on failure", a, s);
        }
    }
    /* the neighbours that must still work: memalign rounds a non-power of two up */
    const size_t odd[] = { 3, 24, 48, 100, 4097, 2 * MIB + 1 };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        size_t want = 1;
        while (want < odd[i]) want <<= 1;
        void *p = memalign(odd[i], 100);
        CHECK(p != NULL && aligned(p, want), "memalign(%zu, 100) = %p, want a %zu-aligned block", odd[i], p, want);
        if (p) {
            memset(p, 0x5a, 100);
            escape(p);
        }
        free(p);
    }
    void *p = memalign(0, 100);
    CHECK(p != NULL, "memalign(0, 100) = NULL");
    free(p);
}

/* A zero-size block aligned beyond a slab unit gets its own mapping; it must lie inside it (with
 * align = the SuperSlab size the block once sat one past its mapping, on the next SuperSlab's header) and be
 * a block of its own: never handed out again while live, freeable. */
static void test_zero_size_aligned(void)
{
    void *mid = malloc(200000); /* a SuperSlab mapped nearby */
    static const size_t aligns[] = { 2 * MIB, 4 * MIB, 8192, 65536,
                                     1 * MIB }; /* 2 MiB first: just below the SuperSlab */
    void *z[sizeof aligns / sizeof aligns[0]][2];
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        size_t a = aligns[i];
        z[i][0] = aligned_alloc(a, 0);
        void *q = NULL;
        int rc = posix_memalign(&q, a, 0);
        z[i][1] = rc == 0 ? q : NULL;
        for (int k = 0; k < 2; k++)
            CHECK(z[i][k] == NULL || aligned(z[i][k], a), "zero-size block aligned to %zu is at %p", a, z[i][k]);
    }
    /* allocations of every kind now must not return any of them */
    static const size_t sizes[] = { 16, 64, 1000, 4096, 20000, 100000, 200000, 262144, 3 * MIB };
    void *held[64];
    size_t nheld = 0;
    for (int r = 0; r < 6; r++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0] && nheld < 64; j++) {
            void *p = malloc(sizes[j]);
            for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++)
                for (int k = 0; k < 2; k++)
                    CHECK(p == NULL || p != z[i][k], "malloc(%zu) returned the live zero-size block %p (align %zu)",
                          sizes[j], p, aligns[i]);
            if (p) memset(p, 0x77, sizes[j] < 64 ? sizes[j] : 64);
            held[nheld++] = p;
        }
    /* Under hakmem a block aligned beyond a slab unit (64 KiB) has its own mapping at base +
     * align, and no malloc returns that address after it is freed; the buggy block's usable
     * size was that of the SuperSlab behind it, and malloc of that size gave the SuperSlab
     * header back. Up to a unit it is an ordinary block of a size class, which malloc may
     * return again. (Not asked of glibc, which may well reuse the address.) */
    int hakmem = dlsym(RTLD_DEFAULT, "hak_build_info") != NULL;
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++)
        for (int k = 0; k < 2; k++) {
            size_t u = malloc_usable_size(z[i][k]);
            free(z[i][k]);
            if (!hakmem || z[i][k] == NULL) continue;
            void *q = malloc(u ? u : 1);
            if (aligns[i] > 65536) /* its own mapping */
                CHECK(q != z[i][k], "free(zero-size block %p aligned to %zu); malloc(%zu) gave it back", z[i][k],
                      aligns[i], u);
            else /* up to a slab unit: a block of the first class that is a multiple of the alignment */
                CHECK(u != 0 && u % aligns[i] == 0, "zero-size block %p aligned to %zu: usable size %zu", z[i][k],
                      aligns[i], u);
            free(q);
        }
    /* freed, a zero-size block must not bring anything else back (a SuperSlab header once) */
    for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
        void *p = malloc(sizes[j]);
        if (p) {
            memset(p, 0x33, sizes[j]);
            escape(p);
        }
        free(p);
    }
    for (size_t i = 0; i < nheld; i++) free(held[i]);
    free(mid);
}

int main(void)
{
    check_name = "alloc_limits";
    check_watchdog(10);
    init_sizes();
    test_zero_size_aligned(); /* first: the layout it needs (a SuperSlab just above) is the fresh one */
    test_sizes();
    test_realloc();
    test_alignments();
    return check_finish();
}
