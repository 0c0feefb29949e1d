/*
 * trim - memory comes back: allocate ~100 MiB of small blocks and 24 large ones, touch
 * them, free everything, call malloc_trim(0), and check the resident set fell back near
 * where it started. Prints the RSS at each step (KiB, from /proc/self/statm).
 */
#include <malloc.h>

#include "check.h"

#define SMALL 100000
#define LARGE 24

int main(int argc, char **argv)
{
    check_name = "trim";
    long bound_kb = argc > 1 ? atol(argv[1]) : 16384;
    static char *small[SMALL], *large[LARGE];
    long start = hk_rss_kb();
    for (int i = 0; i < SMALL; i++) {
        size_t n = 64 + (size_t)(i % 16) * 120; /* 64 .. 1864 B, tiny and mid classes */
        small[i] = malloc(n);
        CHECK(small[i] != NULL, "malloc(%zu)", n);
        if (small[i]) memset(small[i], i & 0xff, n);
    }
    for (int i = 0; i < LARGE; i++) {
        large[i] = malloc((size_t)1 << 20);
        CHECK(large[i] != NULL, "malloc(1 MiB)");
        if (large[i]) memset(large[i], 1, (size_t)1 << 20);
    }
    long peak = hk_rss_kb();
    for (int i = 0; i < SMALL; i++) free(small[i]);
    for (int i = 0; i < LARGE; i++) free(large[i]);
    long freed = hk_rss_kb();
    malloc_trim(0);
    long trimmed = hk_rss_kb();
    printf("trim: rss_kb start=%ld peak=%ld freed=%ld trimmed=%ld bound=%ld\n", start, peak, freed, trimmed, bound_kb);
    CHECK(peak - start > 100000, "the test did not grow the heap (peak %ld, start %ld)", peak, start);
    CHECK(trimmed - start <= bound_kb, "after malloc_trim %ld KiB above the start (bound %ld)", trimmed - start,
          bound_kb);
    return check_finish();
}
