/*
 * api_hak - the prefixed API of hakmem.h, linked against libhakmem.so (Standard).
 *
 * hak_malloc / hak_free / hak_calloc / hak_realloc / hak_aligned_alloc / hak_usable_size /
 * hak_stats_print / hak_build_info. Also checks that the hak_* functions and the plain
 * names are one allocator (a block from hak_malloc can be freed with free and vice versa,
 * as hakmem.h promises), and prints the build info:
 *   api_hak: mode=<m> profile=<p> config=<hash> box-front@<v> box-superslab@<v> box-remote@<v> box-env@<v>
 * Exits 1 with the failed checks listed if anything is wrong.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <malloc.h>

#include "check.h"
#include "hakmem.h"

static volatile size_t v_huge = SIZE_MAX / 2;

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static int nonempty(const char *s) { return s && *s; }

static int is_hex16(const char *s)
{
    if (!s || strlen(s) != 16) return 0;
    for (int i = 0; i < 16; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return 1;
}

static int is_version(const char *s) /* digits.digits.digits[anything] */
{
    int dots = 0;
    if (!s || !isdigit((unsigned char)*s)) return 0;
    for (; *s && (isdigit((unsigned char)*s) || *s == '.'); s++) dots += *s == '.';
    return dots >= 2;
}

static void test_build_info(void)
{
    const hak_build_info_t *bi = hak_build_info();
    CHECK(bi != NULL, "hak_build_info() returned NULL");
    if (!bi) return;
    CHECK(nonempty(bi->mode), "build info: empty mode");
    CHECK(nonempty(bi->profile), "build info: empty profile");
    CHECK(nonempty(bi->config_hash), "build info: empty config_hash");
    CHECK(nonempty(bi->box_front) && nonempty(bi->box_unified_cache) && nonempty(bi->box_large) &&
              nonempty(bi->box_superslab) && nonempty(bi->box_remote) && nonempty(bi->box_env) &&
              nonempty(bi->box_versions),
          "build info: an empty box version");
    if (!nonempty(bi->mode) || !nonempty(bi->profile) || !nonempty(bi->config_hash)) return;
    CHECK(!strcmp(bi->mode, "standard"), "build info: mode '%s', want 'standard' (the test links libhakmem.so)",
          bi->mode);
    CHECK(!strcmp(bi->profile, "speed") || !strcmp(bi->profile, "balanced") || !strcmp(bi->profile, "lean"),
          "build info: profile '%s' is not speed|balanced|lean", bi->profile);
    CHECK(is_hex16(bi->config_hash), "build info: config_hash '%s' is not 16 hex digits", bi->config_hash);
    const char *const versions[] = { bi->box_front,     bi->box_unified_cache, bi->box_large,
                                     bi->box_superslab, bi->box_remote,        bi->box_env };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        CHECK(is_version(versions[i]), "build info: box version %zu '%s' is not x.y.z", i,
              versions[i] ? versions[i] : "(null)");
    char joined[512];
    snprintf(joined, sizeof joined,
             "box-front@%s box-unified-cache@%s box-large@%s box-superslab@%s box-remote@%s box-env@%s", bi->box_front,
             bi->box_unified_cache, bi->box_large, bi->box_superslab, bi->box_remote, bi->box_env);
    CHECK(bi->box_versions && !strcmp(bi->box_versions, joined), "build info: box_versions '%s', want '%s'",
          bi->box_versions ? bi->box_versions : "(null)", joined);
    CHECK(hak_build_info() == bi, "hak_build_info() returned a different pointer the second time");
    printf("api_hak: mode=%s profile=%s config=%s %s\n", bi->mode, bi->profile, bi->config_hash,
           bi->box_versions ? bi->box_versions : "?");
}

static void test_basic(void)
{
    static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1024, 1025, 4096, 70000, 262144, 262145, 1 << 20, 5 << 20 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        unsigned char *p = hak_malloc(n);
        CHECK(p != NULL, "hak_malloc(%zu) returned NULL", n);
        if (!p) continue;
        CHECK(aligned(p, 16), "hak_malloc(%zu) = %p not 16-byte aligned", n, (void *)p);
        size_t us = hak_usable_size(p);
        CHECK(us >= n, "hak_usable_size(hak_malloc(%zu)) = %zu", n, us);
        CHECK(malloc_usable_size(p) == us, "malloc_usable_size %zu != hak_usable_size %zu", malloc_usable_size(p), us);
        pattern_fill(p, us, (unsigned)i);
        CHECK(pattern_find_bad(p, us, (unsigned)i) == (size_t)-1, "hak_malloc(%zu) block does not hold data", n);
        /* hak_realloc grows and keeps the contents */
        unsigned char *q = hak_realloc(p, n * 2 + 100);
        CHECK(q != NULL, "hak_realloc(%zu -> %zu) NULL", n, n * 2 + 100);
        if (!q) {
            hak_free(p);
            continue;
        }
        CHECK(pattern_find_bad(q, us < n * 2 + 100 ? us : n * 2 + 100, (unsigned)i) == (size_t)-1,
              "hak_realloc(%zu -> %zu) lost contents", n, n * 2 + 100);
        /* hak_* and the plain names are one allocator */
        if (i % 2) free(q);
        else hak_free(q);

        unsigned char *c = hak_calloc(1, n + 1);
        CHECK(c != NULL, "hak_calloc(1, %zu) NULL", n + 1);
        if (c) {
            escape(c);
            for (size_t j = 0; j <= n; j++)
                if (c[j]) {
                    CHECK(0, "hak_calloc(1, %zu): byte %zu not zero", n + 1, j);
                    break;
                }
            hak_free(c);
        }
        void *m = malloc(n + 3);
        CHECK(m != NULL && hak_usable_size(m) >= n + 3, "hak_usable_size(malloc(%zu)) too small", n + 3);
        hak_free(m);
    }
    hak_free(NULL);
    CHECK(hak_usable_size(NULL) == 0, "hak_usable_size(NULL) = %zu, want 0", hak_usable_size(NULL));
    errno = 0;
    void *p = hak_calloc(v_huge, 4);
    CHECK(p == NULL && errno == ENOMEM, "hak_calloc(SIZE_MAX/2, 4) = %p errno %d, want NULL/ENOMEM", p, errno);
    errno = 0;
    p = hak_malloc(v_huge * 2 + 1);
    CHECK(p == NULL && errno == ENOMEM, "hak_malloc(SIZE_MAX) = %p errno %d, want NULL/ENOMEM", p, errno);
    p = hak_realloc(NULL, 40);
    CHECK(p != NULL, "hak_realloc(NULL, 40) returned NULL");
    hak_free(p);
}

static void test_aligned(void)
{
    for (size_t a = 1; a <= ((size_t)4 << 20); a *= 2) {
        size_t sizes[] = { 1, a, 3 * a + 1 };
        for (int i = 0; i < 3; i++) {
            void *p = hak_aligned_alloc(a, sizes[i]);
            CHECK(p != NULL, "hak_aligned_alloc(%zu, %zu) returned NULL", a, sizes[i]);
            if (!p) continue;
            CHECK(aligned(p, a), "hak_aligned_alloc(%zu, %zu) = %p not aligned", a, sizes[i], p);
            CHECK(hak_usable_size(p) >= sizes[i], "hak_usable_size of an aligned block too small");
            memset(p, 0x3d, sizes[i]);
            escape(p);
            hak_free(p);
        }
    }
    static const size_t bad[] = { 0, 3, 24, 48, 4095 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        void *p = hak_aligned_alloc(bad[i], 64);
        CHECK(p == NULL && errno == EINVAL, "hak_aligned_alloc(%zu, 64) = %p errno %d, want NULL/EINVAL", bad[i], p,
              errno);
        hak_free(p);
    }
}

int main(void)
{
    check_name = "api_hak";
    check_watchdog(60);
    test_build_info();
    test_basic();
    test_aligned();
    fflush(stdout);
    hak_stats_print(); /* must not crash in any build */
    return check_finish();
}
