/*
 * large_addr - large blocks cost the address space they use (issue 9, item 2).
 *
 * Under an address-space limit (RLIMIT_AS, as `ulimit -v` sets it), blocks of `size` bytes
 * (260 KiB by default: above the largest size class, so each is a large block) are allocated
 * until `count` are held, or until malloc returns NULL (count=0); each is written at both
 * ends. Then all are freed, and as many are allocated again: what was freed must serve again
 * (nothing leaked, nothing held that the next request cannot use); with count=0, once more
 * with blocks four times as large until NULL: at least 90 % as many MiB (what the allocator
 * caches for reuse must not starve requests it does not fit). A large block used to
 * take 2 MiB of address space whatever its size: under `ulimit -v 4 GiB` hakmem gave out
 * 2,014 of 4,000 such blocks, under 1 GiB 474 MiB (glibc about 1,000).
 *
 * Arguments (key=value): size=<bytes> count=<n, 0 = until NULL> limit_mb=<RLIMIT_AS>.
 * Prints: large_addr: size=.. limit_mb=.. got=<blocks> mib=<MiB in blocks> again=<blocks> other_mib=<MiB>
 * and fails when count > 0 and fewer were given, or when fewer were given the second time.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/resource.h>

#include "check.h"

int main(int argc, char **argv)
{
    check_name = "large_addr";
    check_watchdog(120);
    unsigned long long size = 260 << 10, count = 0, limit_mb = 1024;
    CHECK_ARGS(argc, argv, { "size", &size }, { "count", &count }, { "limit_mb", &limit_mb });
    if (size < 2 || limit_mb == 0) check_fatal("size must be at least 2 and limit_mb at least 1");
    size_t max = count ? count : (size_t)(limit_mb << 20) / size + 1;
    /* the pointer array comes from mmap before the limit: it is not the allocator's */
    char **ptr = mmap(NULL, max * sizeof *ptr, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ptr == MAP_FAILED) check_fatal("mmap of the pointer array failed");
    free(malloc(64)); /* the allocator is set up before the limit */
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0) check_fatal("getrlimit: %s", strerror(errno));
    rl.rlim_cur = (rlim_t)limit_mb << 20;
    if (setrlimit(RLIMIT_AS, &rl) != 0) check_fatal("setrlimit(RLIMIT_AS, %llu MiB): %s", limit_mb, strerror(errno));

    size_t got = 0;
    for (; got < max; got++) {
        char *p = malloc(size);
        if (p == NULL) break;
        p[0] = (char)got;
        p[size - 1] = (char)~got;
        ptr[got] = p;
    }
    unsigned bad = 0;
    for (size_t i = 0; i < got; i++) {
        bad += ptr[i][0] != (char)i || ptr[i][size - 1] != (char)~i;
        free(ptr[i]);
    }
    CHECK(bad == 0, "%u blocks lost their contents", bad);
    size_t again = 0;
    for (; again < got; again++) {
        char *p = malloc(size);
        if (p == NULL) break;
        p[0] = p[size - 1] = 1;
        ptr[again] = p;
    }
    for (size_t i = 0; i < again; i++) free(ptr[i]);
    /* until NULL: blocks of another size, which what was freed (and may be cached) must make room for */
    size_t other = 0, other_size = 4 * size + 4096;
    if (count == 0)
        for (; other < max; other++) {
            char *p = malloc(other_size);
            if (p == NULL) break;
            p[0] = p[other_size - 1] = 1;
            ptr[other] = p;
        }
    for (size_t i = 0; i < other; i++) free(ptr[i]);
    size_t mib = (size_t)(got * size >> 20), other_mib = (size_t)(other * other_size >> 20);
    printf("large_addr: size=%llu limit_mb=%llu got=%zu mib=%zu again=%zu other_mib=%zu\n", size, limit_mb, got, mib,
           again, other_mib);
    if (count)
        CHECK(got == count, "only %zu of %llu blocks of %llu B under a %llu MiB limit", got, count, size, limit_mb);
    CHECK(again == got, "after freeing %zu blocks only %zu could be allocated again", got, again);
    if (count == 0)
        CHECK(other_mib * 10 >= mib * 9, "after freeing %zu MiB of blocks, only %zu MiB of %zu B blocks", mib,
              other_mib, other_size);
    return check_finish();
}
