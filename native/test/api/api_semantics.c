/*
 * api_semantics - the plain malloc API, as programs see it. Run it with no preload (glibc,
 * the control) and under LD_PRELOAD of each hakmem library; it must pass everywhere.
 *
 * Covers: 16-byte alignment (every size 0..4096 and a sweep up to 8 MiB, blocks kept alive
 * together and filled, so overlapping blocks are caught); malloc(0); free(NULL); calloc
 * zeroing (fresh and reused dirty memory, small to multi-MiB) and overflow; malloc of
 * impossible sizes; realloc growth and shrink across every class boundary with content
 * checks; realloc(NULL, n) and realloc(p, 0); reallocarray overflow; posix_memalign for every
 * power-of-two alignment 8 B..4 MiB and its EINVAL cases; aligned_alloc, memalign, valloc,
 * pvalloc; malloc_usable_size >= request, and writing all of it corrupts no neighbour.
 *
 * Prints every failed check (file:line and values) and exits 1 if any failed.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>

#include "check.h"

#define MiB ((size_t)1 << 20)
#define KiB ((size_t)1 << 10)

/* Sizes passed through a volatile so the compiler neither warns about nor folds them. */
static volatile size_t v_size_max = SIZE_MAX;
static volatile size_t v_ptrdiff_max_plus_1 = (size_t)PTRDIFF_MAX + 1;
static volatile size_t v_half = SIZE_MAX / 2;

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ alignment */

static void test_alignment_small(void)
{
    enum { N = 4097 };
    static void *blk[N];
    for (size_t n = 0; n < N; n++) {
        blk[n] = malloc(n);
        CHECK(blk[n] != NULL, "malloc(%zu) returned NULL", n);
        if (!blk[n]) continue;
        CHECK(aligned(blk[n], 16), "malloc(%zu) = %p is not 16-byte aligned", n, blk[n]);
        pattern_fill(blk[n], n, (unsigned)n);
    }
    /* all alive at once: a block overlapping another shows up as a changed pattern */
    for (size_t n = 0; n < N; n++) {
        if (!blk[n]) continue;
        size_t bad = pattern_find_bad(blk[n], n, (unsigned)n);
        CHECK(bad == (size_t)-1, "malloc(%zu) block %p: byte %zu changed while other blocks were live", n, blk[n], bad);
    }
    /* the same, in the other order of frees, to exercise reuse */
    for (size_t n = 0; n < N; n += 2) free(blk[n]);
    for (size_t n = 0; n < N; n += 2) {
        blk[n] = malloc(n);
        CHECK(blk[n] && aligned(blk[n], 16), "re-malloc(%zu) = %p not 16-byte aligned", n, blk[n]);
        if (blk[n]) pattern_fill(blk[n], n, (unsigned)n + 1);
    }
    for (size_t n = 0; n < N; n++) {
        if (!blk[n]) continue;
        size_t bad = pattern_find_bad(blk[n], n, (unsigned)n + (n % 2 == 0));
        CHECK(bad == (size_t)-1, "after reuse: malloc(%zu) block %p byte %zu changed", n, blk[n], bad);
    }
    for (size_t n = N; n-- > 0;) free(blk[n]);
}

static void test_alignment_large(void)
{
    enum { MAXB = 128 };
    void *blk[MAXB];
    size_t sz[MAXB];
    int k = 0;
    for (size_t s = 4 * KiB; s <= 8 * MiB && k + 4 <= MAXB; s *= 2) {
        size_t cand[4] = { s - 1, s + 1, s + s / 4, s + s / 2 + 16 };
        for (int c = 0; c < 4; c++) {
            if (cand[c] > 8 * MiB) continue;
            sz[k] = cand[c];
            blk[k] = malloc(sz[k]);
            CHECK(blk[k] != NULL, "malloc(%zu) returned NULL", sz[k]);
            if (!blk[k]) continue;
            CHECK(aligned(blk[k], 16), "malloc(%zu) = %p is not 16-byte aligned", sz[k], blk[k]);
            /* touch first, last and every 4 KiB; full pattern on the smaller ones */
            unsigned char *b = blk[k];
            if (sz[k] <= 256 * KiB) {
                pattern_fill(b, sz[k], (unsigned)k);
            } else {
                for (size_t i = 0; i < sz[k] - 1; i += 4096) b[i] = (unsigned char)(k + i / 4096);
                b[sz[k] - 1] = (unsigned char)~k;
            }
            k++;
        }
    }
    for (int i = 0; i < k; i++) {
        unsigned char *b = blk[i];
        if (!b) continue;
        if (sz[i] <= 256 * KiB) {
            size_t bad = pattern_find_bad(b, sz[i], (unsigned)i);
            CHECK(bad == (size_t)-1, "malloc(%zu) block: byte %zu changed while others were live", sz[i], bad);
        } else {
            int ok = b[sz[i] - 1] == (unsigned char)~i;
            for (size_t j = 0; j < sz[i] - 1; j += 4096) ok &= b[j] == (unsigned char)(i + j / 4096);
            CHECK(ok, "malloc(%zu) block %p: sampled bytes changed while others were live", sz[i], (void *)b);
        }
        free(b);
    }
}

/* ------------------------------------------------------------------ malloc(0), free(NULL), huge */

static void test_zero_and_null(void)
{
    enum { N = 256 };
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = malloc(0);
        escape(p[i]);
        CHECK(p[i] != NULL, "malloc(0) returned NULL (call %d)", i);
        CHECK(!p[i] || aligned(p[i], 16), "malloc(0) = %p not 16-byte aligned", p[i]);
    }
    void *s[N];
    memcpy(s, p, sizeof(s));
    qsort(s, N, sizeof(void *), cmp_ptr);
    for (int i = 1; i < N; i++)
        CHECK(!s[i] || s[i] != s[i - 1], "malloc(0) returned %p twice while both were live", s[i]);
    for (int i = 0; i < N; i++) free(p[i]);
    free(NULL);
    free(NULL);
    CHECK(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) = %zu, want 0", malloc_usable_size(NULL));
}

static void test_huge(void)
{
    errno = 0;
    void *p = malloc(v_size_max);
    CHECK(p == NULL, "malloc(SIZE_MAX) = %p, want NULL", p);
    CHECK(errno == ENOMEM, "malloc(SIZE_MAX): errno %d, want ENOMEM", errno);
    free(p);
    errno = 0;
    p = malloc(v_ptrdiff_max_plus_1);
    CHECK(p == NULL, "malloc(PTRDIFF_MAX+1) = %p, want NULL", p);
    CHECK(errno == ENOMEM, "malloc(PTRDIFF_MAX+1): errno %d, want ENOMEM", errno);
    free(p);
    errno = 0;
    p = malloc(v_size_max - 4096);
    CHECK(p == NULL && errno == ENOMEM, "malloc(SIZE_MAX-4096) = %p errno %d, want NULL/ENOMEM", p, errno);
    free(p);

    errno = 0;
    p = calloc(v_half, 4);
    CHECK(p == NULL, "calloc(SIZE_MAX/2, 4) = %p, want NULL (overflow)", p);
    CHECK(errno == ENOMEM, "calloc(SIZE_MAX/2, 4): errno %d, want ENOMEM", errno);
    free(p);
    errno = 0;
    p = calloc(v_size_max, v_size_max);
    CHECK(p == NULL && errno == ENOMEM, "calloc(SIZE_MAX, SIZE_MAX) = %p errno %d", p, errno);
    free(p);
    errno = 0;
    p = calloc(v_half >> 30, (size_t)1 << 31 | (v_half & 1)); /* 2^33 * (2^31 + 1): wraps */
    CHECK(p == NULL && errno == ENOMEM, "calloc(2^33, 2^31+1) = %p errno %d, want NULL/ENOMEM", p, errno);
    free(p);

    void *q = malloc(64);
    CHECK(q != NULL, "malloc(64) NULL");
    errno = 0;
    p = realloc(launder(q), v_size_max);
    CHECK(p == NULL && errno == ENOMEM, "realloc(p, SIZE_MAX) = %p errno %d, want NULL/ENOMEM", p, errno);
    /* q is still valid */
    if (q) {
        memset(q, 1, 64);
        escape(q);
        free(q);
    }

    q = malloc(32);
    CHECK(q != NULL, "malloc(32) NULL");
    if (q) pattern_fill(q, 32, 77);
    errno = 0;
    p = reallocarray(launder(q), v_half, 4);
    CHECK(p == NULL, "reallocarray(p, SIZE_MAX/2, 4) = %p, want NULL", p);
    CHECK(errno == ENOMEM, "reallocarray overflow: errno %d, want ENOMEM", errno);
    if (q) {
        CHECK(pattern_find_bad(q, 32, 77) == (size_t)-1, "reallocarray failure changed the old block");
        free(q);
    }
    p = reallocarray(NULL, 10, 100);
    CHECK(p != NULL, "reallocarray(NULL, 10, 100) returned NULL");
    if (p) {
        pattern_fill(p, 1000, 5);
        void *r = reallocarray(p, 20, 100);
        CHECK(r != NULL, "reallocarray grow returned NULL");
        if (r) {
            CHECK(pattern_find_bad(r, 1000, 5) == (size_t)-1, "reallocarray lost contents");
            p = r;
        }
        free(p);
    }
}

/* ------------------------------------------------------------------ calloc */

static void test_calloc(void)
{
    static const size_t sizes[] = { 1,      8,      15,     16,      17,          24,      100,    128,    255,
                                    512,    1000,   1024,   1025,    1500,        2048,    3000,   4096,   5000,
                                    8192,   12345,  16384,  32768,   65536,       100000,  131072, 200000, 262144,
                                    262145, 300000, 524288, 1048576, 2 * MiB + 3, 4 * MiB, 8 * MiB };
    const size_t ns = sizeof(sizes) / sizeof(sizes[0]);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < ns; i++) {
            size_t n = sizes[i];
            /* dirty a block of this size and free it, so calloc is likely to get it back */
            for (int k = 0; k < 3; k++) {
                unsigned char *d = malloc(n);
                CHECK(d != NULL, "malloc(%zu) NULL", n);
                if (!d) continue;
                memset(d, 0xA5, malloc_usable_size(d) >= n ? malloc_usable_size(d) : n);
                escape(d);
                free(d);
            }
            /* nmemb * size split in different ways */
            size_t nmemb = (round == 0) ? 1 : (round == 1 ? n : (n % 3 == 0 ? 3 : 1));
            size_t each = n / nmemb;
            unsigned char *p = calloc(nmemb, each);
            size_t total = nmemb * each;
            CHECK(p != NULL, "calloc(%zu, %zu) returned NULL", nmemb, each);
            if (!p) continue;
            escape(p);
            CHECK(aligned(p, 16), "calloc(%zu, %zu) = %p not 16-byte aligned", nmemb, each, (void *)p);
            size_t first_bad = (size_t)-1;
            for (size_t j = 0; j < total; j++)
                if (p[j]) {
                    first_bad = j;
                    break;
                }
            CHECK(first_bad == (size_t)-1, "calloc(%zu, %zu) (round %d, after dirty free): byte %zu = 0x%02x, want 0",
                  nmemb, each, round, first_bad, first_bad == (size_t)-1 ? 0 : p[first_bad]);
            memset(p, 0x5A, total);
            escape(p);
            free(p);
        }
    }
    void *z = calloc(0, 16);
    escape(z);
    free(z);
    z = calloc(16, 0);
    escape(z);
    free(z);
}

/* ------------------------------------------------------------------ realloc */

static size_t realloc_sizes(size_t *out, size_t max)
{
    size_t n = 0;
    for (size_t s = 16; s <= 1024; s += 16) {
        out[n++] = s - 1;
        out[n++] = s;
    }
    out[n++] = 1025;
    /* mid classes: 1 KiB * 2^d * (4 + j) / 4, j = 1..4, up to 256 KiB, then 512 KiB */
    for (size_t base = 1024; base < 512 * KiB; base *= 2)
        for (size_t j = 1; j <= 4; j++) {
            size_t s = base * (4 + j) / 4;
            out[n++] = s - 1;
            out[n++] = s;
            out[n++] = s + 1;
        }
    size_t big[] = { MiB - 1, MiB, MiB + 1, 2 * MiB, 3 * MiB + 5, 4 * MiB, 6 * MiB + 100, 8 * MiB };
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) out[n++] = big[i];
    if (n > max) check_fatal("realloc size table overflow");
    return n;
}

static void test_realloc(void)
{
    static size_t sz[1024];
    size_t n = realloc_sizes(sz, 1024);

    /* 1) grow step by step through every size, then shrink back */
    unsigned char *p = realloc(NULL, sz[0]);
    CHECK(p != NULL, "realloc(NULL, %zu) returned NULL", sz[0]);
    if (!p) return;
    pattern_fill(p, sz[0], 1);
    size_t cur = sz[0];
    unsigned seed = 1;
    for (int dir = 0; dir < 2; dir++) {
        for (size_t k = 1; k < n; k++) {
            size_t i = dir == 0 ? k : n - 1 - k;
            size_t want = sz[i];
            unsigned char *q = realloc(p, want);
            CHECK(q != NULL, "realloc(%p, %zu) (from %zu) returned NULL", (void *)p, want, cur);
            if (!q) {
                free(p);
                return;
            }
            CHECK(aligned(q, 16), "realloc(.., %zu) = %p not 16-byte aligned", want, (void *)q);
            size_t keep = cur < want ? cur : want;
            size_t bad = pattern_find_bad(q, keep, seed);
            CHECK(bad == (size_t)-1, "realloc %zu -> %zu: byte %zu of the kept %zu not preserved", cur, want, bad,
                  keep);
            CHECK(malloc_usable_size(q) >= want, "realloc(.., %zu): usable size %zu", want, malloc_usable_size(q));
            seed++;
            pattern_fill(q, want, seed);
            p = q;
            cur = want;
        }
    }
    free(p);

    /* 2) jumps: each size to each "far" size and back, with other blocks in between */
    static const size_t far[] = { 16, 200, 1024, 1025, 4000, 70000, 262144, 262145, 600000, 3 * MiB };
    const size_t nf = sizeof(far) / sizeof(far[0]);
    for (size_t a = 0; a < nf; a++)
        for (size_t b = 0; b < nf; b++) {
            unsigned char *x = malloc(far[a]);
            void *fence = malloc(far[a]);
            CHECK(x && fence, "malloc(%zu) NULL", far[a]);
            if (!x || !fence) {
                free(x);
                free(fence);
                continue;
            }
            pattern_fill(x, far[a], (unsigned)(a * 16 + b));
            pattern_fill(fence, far[a], 999);
            unsigned char *y = realloc(x, far[b]);
            CHECK(y != NULL, "realloc %zu -> %zu NULL", far[a], far[b]);
            if (y) {
                size_t keep = far[a] < far[b] ? far[a] : far[b];
                size_t bad = pattern_find_bad(y, keep, (unsigned)(a * 16 + b));
                CHECK(bad == (size_t)-1, "realloc %zu -> %zu: byte %zu not preserved", far[a], far[b], bad);
                memset(y, 0xEE, far[b]);
                escape(y);
                free(y);
            } else {
                free(x);
            }
            CHECK(pattern_find_bad(fence, far[a], 999) == (size_t)-1,
                  "realloc %zu -> %zu corrupted a neighbouring block of %zu", far[a], far[b], far[a]);
            free(fence);
        }

    /* 3) realloc(p, 0): glibc frees and returns NULL; a unique freeable pointer is also fine */
    for (size_t s = 1; s <= 4 * MiB; s *= 4) {
        void *x = malloc(s);
        escape(x);
        void *y = realloc(x, 0);
        escape(y);
        free(y); /* NULL or a live block: either way this must be fine */
    }

    /* 4) realloc(NULL, n) == malloc(n) */
    for (size_t s = 0; s <= 8 * MiB; s = s ? s * 8 : 1) {
        unsigned char *x = realloc(NULL, s);
        CHECK(x != NULL, "realloc(NULL, %zu) returned NULL", s);
        if (x) {
            CHECK(aligned(x, 16), "realloc(NULL, %zu) not aligned", s);
            memset(x, 3, s);
            escape(x);
        }
        free(x);
    }
}

/* ------------------------------------------------------------------ aligned allocation */

static void test_posix_memalign(void)
{
    for (size_t a = 8; a <= 4 * MiB; a *= 2) {
        size_t sizes[] = { 1, 8, 24, 100, a - 1 ? a - 1 : 1, a, a + 1, 3 * a, 5000 };
        void *keep[9];
        for (int i = 0; i < 9; i++) {
            void *p = (void *)0x1;
            size_t s = sizes[i];
            if (s > 16 * MiB) s = 16 * MiB;
            int rc = posix_memalign(&p, a, s);
            keep[i] = NULL;
            CHECK(rc == 0, "posix_memalign(align %zu, size %zu) = %d, want 0", a, s, rc);
            if (rc) continue;
            CHECK(p != NULL, "posix_memalign(%zu, %zu) gave NULL", a, s);
            CHECK(aligned(p, a), "posix_memalign(align %zu, size %zu) = %p not aligned", a, s, p);
            CHECK(malloc_usable_size(p) >= s, "posix_memalign(%zu, %zu): usable %zu < size", a, s,
                  malloc_usable_size(p));
            pattern_fill(p, s, (unsigned)(a + (size_t)i));
            keep[i] = p;
            sizes[i] = s;
        }
        for (int i = 0; i < 9; i++) {
            if (!keep[i]) continue;
            size_t bad = pattern_find_bad(keep[i], sizes[i], (unsigned)(a + (size_t)i));
            CHECK(bad == (size_t)-1, "posix_memalign(%zu, %zu) block: byte %zu changed", a, sizes[i], bad);
            if (i == 3) { /* realloc of an aligned block keeps its contents */
                void *r = realloc(keep[i], sizes[i] * 3);
                CHECK(r != NULL, "realloc of a posix_memalign block returned NULL");
                if (r) {
                    CHECK(pattern_find_bad(r, sizes[i], (unsigned)(a + (size_t)i)) == (size_t)-1,
                          "realloc of a %zu-aligned block lost its contents", a);
                    keep[i] = r;
                }
            }
            free(keep[i]);
        }
    }
    static const size_t bad_align[] = { 0, 1, 2, 3, 4, 12, 24, 40, 48, 4095, 4097, 3 * 4096 };
    for (size_t i = 0; i < sizeof(bad_align) / sizeof(bad_align[0]); i++) {
        void *p = NULL;
        int rc = posix_memalign(&p, bad_align[i], 64);
        CHECK(rc == EINVAL, "posix_memalign(align %zu) = %d, want EINVAL (%d)", bad_align[i], rc, EINVAL);
        if (rc == 0) free(p);
    }
    /* posix_memalign with an impossible size: ENOMEM, not a crash */
    void *p = NULL;
    int rc = posix_memalign(&p, 64, v_size_max - 32);
    CHECK(rc == ENOMEM, "posix_memalign(64, SIZE_MAX-32) = %d, want ENOMEM", rc);
}

static void test_other_aligned(void)
{
    long page = sysconf(_SC_PAGESIZE);
    for (size_t a = 1; a <= 4 * MiB; a *= 2) {
        size_t sizes[] = { a, 2 * a, 16 * a < 8 * MiB ? 16 * a : a };
        for (int i = 0; i < 3; i++) {
            void *p = aligned_alloc(a, sizes[i]);
            CHECK(p != NULL, "aligned_alloc(%zu, %zu) returned NULL", a, sizes[i]);
            if (p) {
                CHECK(aligned(p, a), "aligned_alloc(%zu, %zu) = %p not aligned", a, sizes[i], p);
                memset(p, 0x11, sizes[i]);
                escape(p);
                free(p);
            }
            p = memalign(a, sizes[i] + 7);
            CHECK(p != NULL, "memalign(%zu, %zu) returned NULL", a, sizes[i] + 7);
            if (p) {
                CHECK(aligned(p, a), "memalign(%zu, %zu) = %p not aligned", a, sizes[i] + 7, p);
                CHECK(malloc_usable_size(p) >= sizes[i] + 7, "memalign usable size too small");
                memset(p, 0x22, sizes[i] + 7);
                escape(p);
                free(p);
            }
        }
    }
    size_t vs[] = { 1, 100, 4096, 4097, 65536, 300000, 3 * MiB };
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
        void *p = valloc(vs[i]);
        CHECK(p != NULL && aligned(p, (size_t)page), "valloc(%zu) = %p not page aligned", vs[i], p);
        if (p) {
            memset(p, 0x33, vs[i]);
            escape(p);
            free(p);
        }
        p = pvalloc(vs[i]);
        size_t rounded = (vs[i] + (size_t)page - 1) & ~((size_t)page - 1);
        CHECK(p != NULL && aligned(p, (size_t)page), "pvalloc(%zu) = %p not page aligned", vs[i], p);
        if (p) {
            CHECK(malloc_usable_size(p) >= rounded, "pvalloc(%zu): usable %zu < %zu (rounded to a page)", vs[i],
                  malloc_usable_size(p), rounded);
            memset(p, 0x44, rounded);
            escape(p);
            free(p);
        }
    }
}

/* ------------------------------------------------------------------ malloc_usable_size */

static void test_usable_size(void)
{
    enum { N = 2000 };
    static unsigned char *blk[N];
    static size_t usable[N];
    uint64_t rng = 12345;
    for (int i = 0; i < N; i++) {
        size_t req;
        uint64_t r = hk_splitmix64(&rng);
        switch (i % 4) {
        case 0: req = r % 1025; break;                                            /* tiny */
        case 1: req = 1025 + r % (64 * KiB); break;                               /* mid */
        case 2: req = (size_t)(r % 300) * 16; break;                              /* exact class sizes */
        default: req = i % 40 == 3 ? 256 * KiB + r % (3 * MiB) : r % 4096; break; /* some large */
        }
        blk[i] = malloc(req);
        CHECK(blk[i] != NULL, "malloc(%zu) NULL", req);
        if (!blk[i]) {
            usable[i] = 0;
            continue;
        }
        usable[i] = malloc_usable_size(blk[i]);
        CHECK(usable[i] >= req, "malloc_usable_size(malloc(%zu)) = %zu < request", req, usable[i]);
        pattern_fill(blk[i], usable[i], (unsigned)i * 3u);
    }
    for (int i = 0; i < N; i++) {
        if (!blk[i]) continue;
        size_t bad = pattern_find_bad(blk[i], usable[i], (unsigned)i * 3u);
        CHECK(bad == (size_t)-1,
              "block %d (%p, usable %zu): byte %zu changed after every block was filled to its usable size", i,
              (void *)blk[i], usable[i], bad);
        CHECK(malloc_usable_size(blk[i]) == usable[i], "malloc_usable_size changed for block %d", i);
    }
    for (int i = 0; i < N; i += 2) free(blk[i]);
    for (int i = 1; i < N; i += 2) {
        if (!blk[i]) continue;
        size_t bad = pattern_find_bad(blk[i], usable[i], (unsigned)i * 3u);
        CHECK(bad == (size_t)-1, "block %d: byte %zu changed after its neighbours were freed", i, bad);
        free(blk[i]);
    }
}

int main(void)
{
    check_name = "api_semantics";
    check_watchdog(120);
    test_alignment_small();
    test_alignment_large();
    test_zero_and_null();
    test_huge();
    test_calloc();
    test_realloc();
    test_posix_memalign();
    test_other_aligned();
    test_usable_size();
    return check_finish();
}
