/*
 * large_reuse - a cached large mapping reused for a much smaller block keeps only what the
 * block needs resident (issue 9).
 *
 * 32 blocks of 2 MiB are written in full and freed (their mappings wait in the large cache,
 * resident); then 32 blocks of 300 KiB are allocated and written. Each takes a cached 2 MiB
 * mapping; once live blocks keep 8 MiB (largeCacheBytes / 16) of pages touched beyond twice
 * their need, the rest go back to the OS, so the resident set ends near 32 x 300 KiB + 8 MiB,
 * not 64 MiB. Prints: large_reuse: rss_kb start=.. freed=.. after=..
 *
 * Arguments (key=value): bound_mb=<bound on the resident set after, above the start>.
 */
#include "check.h"

#define N 32

int main(int argc, char **argv)
{
    check_name = "large_reuse";
    check_watchdog(60);
    unsigned long long bound_mb = 24;
    CHECK_ARGS(argc, argv, { "bound_mb", &bound_mb });
    static char *big[N], *small[N];
    free(malloc(64));
    long start = hk_rss_kb();
    for (int i = 0; i < N; i++) {
        big[i] = malloc((size_t)2 << 20);
        if (big[i] == NULL) check_fatal("malloc(2 MiB) failed");
        memset(big[i], 1, (size_t)2 << 20);
    }
    for (int i = 0; i < N; i++) free(big[i]);
    long freed = hk_rss_kb();
    for (int i = 0; i < N; i++) {
        small[i] = malloc(300 << 10);
        if (small[i] == NULL) check_fatal("malloc(300 KiB) failed");
        memset(small[i], 2, 300 << 10);
    }
    long after = hk_rss_kb();
    for (int i = 0; i < N; i++) {
        CHECK(small[i][0] == 2 && small[i][(300 << 10) - 1] == 2, "block %d lost its contents", i);
        free(small[i]);
    }
    printf("large_reuse: rss_kb start=%ld freed=%ld after=%ld\n", start, freed, after);
    CHECK(after - start <= (long)bound_mb * 1024,
          "%ld KiB resident above the start after 32 x 300 KiB (bound %llu MiB)", after - start, bound_mb);
    return check_finish();
}
