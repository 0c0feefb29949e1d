/*
 * purge_delay - memory left unused for env.purgeDelayMs goes back to the OS without
 * malloc_trim and without a background thread (issue 9, item 6).
 *
 * Allocates `large` blocks of 1 MiB (each in its own mapping, which free puts in the large
 * cache) and small_mb MiB of 512-byte blocks (slabs in SuperSlabs, which free empties into the
 * pool), touches them all and frees them all. Then it sleeps wait_ms and makes a few calls
 * that reach the allocator's slow paths (a 1 MiB malloc and free, 32 times), which is when
 * the allocator looks at the clock. It prints the resident set at each step:
 *   start, peak, freed (right after the frees), after (after the sleep and the calls)
 * and checks, per expect=:
 *   purge      after - start <= bound_mb   (what waited longer than the delay was released)
 *   immediate  freed - start <= bound_mb   (purgeDelayMs=0: nothing waits)
 *   keep       after - start >= keep_mb    (purgeDelayMs=-1: the cache and the pool keep it)
 *
 * Arguments (key=value): expect=purge|immediate|keep large=<n> small_mb=<n> wait_ms=<n>
 * bound_mb=<n> keep_mb=<n>.
 */
#define _GNU_SOURCE
#include "check.h"

#define SMALL_SIZE 512

int main(int argc, char **argv)
{
    check_name = "purge_delay";
    check_watchdog(60);
    char expect[16] = "purge";
    unsigned long long large = 48, small_mb = 64, wait_ms = 1500, bound_mb = 16, keep_mb = 40;
    for (int i = 1; i < argc; i++) {
        char key[32], val[32];
        if (sscanf(argv[i], "%31[a-z_]=%31s", key, val) != 2) check_fatal("bad argument '%s'", argv[i]);
        unsigned long long v = strtoull(val, NULL, 10);
        if (!strcmp(key, "expect")) snprintf(expect, sizeof expect, "%s", val);
        else if (!strcmp(key, "large")) large = v;
        else if (!strcmp(key, "small_mb")) small_mb = v;
        else if (!strcmp(key, "wait_ms")) wait_ms = v;
        else if (!strcmp(key, "bound_mb")) bound_mb = v;
        else if (!strcmp(key, "keep_mb")) keep_mb = v;
        else check_fatal("unknown argument '%s'", key);
    }
    if (strcmp(expect, "purge") && strcmp(expect, "immediate") && strcmp(expect, "keep"))
        check_fatal("expect must be purge, immediate or keep");
    size_t nsmall = (size_t)(small_mb << 20) / SMALL_SIZE;
    char **small = calloc(nsmall ? nsmall : 1, sizeof *small);
    char **big = calloc(large ? large : 1, sizeof *big);
    if (small == NULL || big == NULL) check_fatal("calloc of the pointer arrays failed");
    long start = hk_rss_kb();
    for (size_t i = 0; i < large; i++) {
        big[i] = malloc((size_t)1 << 20);
        CHECK(big[i] != NULL, "malloc(1 MiB)");
        if (big[i]) memset(big[i], (int)i, (size_t)1 << 20);
    }
    for (size_t i = 0; i < nsmall; i++) {
        small[i] = malloc(SMALL_SIZE);
        CHECK(small[i] != NULL, "malloc(%d)", SMALL_SIZE);
        if (small[i]) memset(small[i], (int)i, SMALL_SIZE);
    }
    long peak = hk_rss_kb();
    for (size_t i = 0; i < nsmall; i++) free(small[i]);
    for (size_t i = 0; i < large; i++) free(big[i]);
    long freed = hk_rss_kb();
    usleep((useconds_t)wait_ms * 1000);
    for (int i = 0; i < 32; i++) { /* slow paths: the allocator may look at the clock here */
        void *p = malloc((size_t)1 << 20);
        escape(p);
        free(p);
    }
    long after = hk_rss_kb();
    free(small);
    free(big);
    printf(
        "purge_delay: expect=%s large=%llu small_mb=%llu wait_ms=%llu rss_kb start=%ld peak=%ld freed=%ld after=%ld\n",
        expect, large, small_mb, wait_ms, start, peak, freed, after);
    CHECK(peak - start >= (long)(large + small_mb) * 1024 * 8 / 10,
          "the test did not grow the heap (peak %ld, start %ld KiB)", peak, start);
    if (!strcmp(expect, "purge"))
        CHECK(after - start <= (long)bound_mb * 1024, "%ld KiB still resident %llu ms after the frees (bound %llu MiB)",
              after - start, wait_ms, bound_mb);
    else if (!strcmp(expect, "immediate"))
        CHECK(freed - start <= (long)bound_mb * 1024, "%ld KiB resident right after the frees (bound %llu MiB)",
              freed - start, bound_mb);
    else
        CHECK(after - start >= (long)keep_mb * 1024, "only %ld KiB kept with purging off (expected >= %llu MiB)",
              after - start, keep_mb);
    return check_finish();
}
