/*
 * large_fit - a large block takes the smallest cached mapping that holds it.
 *
 * 40 blocks of 300 KiB + k x 64 KiB (k = 0..39: mappings of 76 + 16k pages) are allocated,
 * touched and freed in a shuffled order, so the large cache holds 40 mappings of different
 * lengths. Then:
 *   1. for each k (shuffled), a block 1,000 bytes smaller than block k needs 75 + 16k pages:
 *      the smallest mapping that holds it is k's own (k - 1's has 60 + 16k); the block must
 *      start where block k started;
 *   2. all freed again; for k = 0..38 in order, a block 8 KiB larger than block k needs
 *      78 + 16k pages: k's own mapping, the nearest in length, is too small; the smallest that
 *      holds it is k + 1's; the block must start where block k + 1 started.
 * A phase slower than half of env.purgeDelayMs (1 s by default) may have had cached
 * mappings unmapped by age, and its address checks are skipped (said so on stdout).
 * Prints: large_fit: ok (N checks)
 */
#include "check.h"

#define N 40
#define KIB ((size_t)1024)

static size_t size_of(int k) { return 300 * KIB + (size_t)k * 64 * KIB; }

static void shuffle(int *a, int n, uint64_t *seed)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(hk_splitmix64(seed) % (uint64_t)(i + 1)), t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static char *alloc_touch(size_t size)
{
    char *p = malloc(size);
    if (p == NULL) check_fatal("malloc(%zu) failed", size);
    p[0] = 1;
    p[size - 1] = 1;
    return p;
}

int main(void)
{
    check_name = "large_fit";
    check_watchdog(60);
    static char *at[N], *got[N];
    int order[N];
    uint64_t seed = 12345;
    for (int k = 0; k < N; k++) order[k] = k;
    for (int k = 0; k < N; k++) at[k] = alloc_touch(size_of(k));
    shuffle(order, N, &seed);
    for (int i = 0; i < N; i++) free(at[order[i]]);

    double t0 = hk_now();
    shuffle(order, N, &seed);
    for (int i = 0; i < N; i++) got[order[i]] = alloc_touch(size_of(order[i]) - 1000);
    double t1 = hk_now();
    if (t1 - t0 > 0.5) printf("large_fit: phase 1 took %.0f ms, address checks skipped\n", (t1 - t0) * 1e3);
    else
        for (int k = 0; k < N; k++)
            CHECK(got[k] == at[k], "a block of %zu B took %p, not the smallest mapping that holds it (%p)",
                  size_of(k) - 1000, (void *)got[k], (void *)at[k]);
    shuffle(order, N, &seed);
    for (int i = 0; i < N; i++) free(got[order[i]]);

    t0 = hk_now();
    for (int k = 0; k < N - 1; k++) got[k] = alloc_touch(size_of(k) + 8 * KIB);
    t1 = hk_now();
    if (t1 - t0 > 0.5) printf("large_fit: phase 2 took %.0f ms, address checks skipped\n", (t1 - t0) * 1e3);
    else
        for (int k = 0; k < N - 1; k++)
            CHECK(got[k] == at[k + 1], "a block of %zu B took %p, not the smallest mapping that holds it (%p)",
                  size_of(k) + 8 * KIB, (void *)got[k], (void *)at[k + 1]);
    for (int k = 0; k < N - 1; k++) free(got[k]);
    return check_finish();
}
