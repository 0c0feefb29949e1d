/*
 * cache_budget - a thread's unified caches hold at most unifiedCache.maxBytesPerThread
 * (issue 10: caches that grow to hold a batch, within a budget).
 *
 * One thread allocates `mib` MiB of 1 KiB blocks, writes and frees them all; then the same
 * with 4 KiB blocks. What the caches keep stays allocated in its slabs; everything else
 * empties its slabs, which the pool releases at once under HAKMEM_PURGE_DELAY_MS=0.
 * So the resident set after the frees, above the start, is about what the caches hold. The
 * 4 KiB class grows after the 1 KiB class filled the budget: it takes the room from it, and
 * the 1 KiB blocks beyond its new limit go back to their slabs then.
 *
 * Prints: cache_budget: rss_kb start=.. peak=.. after=.. held_kb=..
 * Arguments (key=value): mib=<MiB per phase, default 48>, bound_mb=<bound on held_kb / 1024;
 * 0 (default) checks nothing and only prints>.
 *
 * Threads mode (threads=<n>): n threads each allocate `mib` MiB of 1 KiB blocks, write and free
 * them, and wait while main reads the resident set; so what all the threads' caches keep
 * together is measured (unifiedCache.maxBytesTotal bounds it: each thread gets its share).
 * Prints the same line; bound_mb bounds held_kb as above.
 *
 * Reuse mode (reuse=<n>, with size=<bytes, default 4096> and rounds=<r, default 50>): instead,
 * r rounds of n mallocs of `size` (each written) and n frees, as `batch` does with one of its
 * (n, size) pairs. A cache whose budget has room for n blocks takes them all from the slabs
 * in the first round and none after: run it under OBSERVE with HAKMEM_STATS=json and read
 * the class's misses and the flushes (native/test/memory/memory.test.ts).
 */
#include <pthread.h>

#include "check.h"

static void phase(size_t size, size_t mib, long *peak)
{
    size_t n = (mib << 20) / size;
    char **v = malloc(n * sizeof *v);
    if (v == NULL) check_fatal("malloc(%zu pointers) failed", n);
    for (size_t i = 0; i < n; i++) {
        v[i] = malloc(size);
        if (v[i] == NULL) check_fatal("malloc(%zu) failed at block %zu", size, i);
        memset(v[i], (int)(i & 0x7f), size);
    }
    long r = hk_rss_kb();
    if (r > *peak) *peak = r;
    for (size_t i = 0; i < n; i++) {
        CHECK(v[i][0] == (char)(i & 0x7f) && v[i][size - 1] == (char)(i & 0x7f), "block %zu of %zu B lost its contents",
              i, size);
        free(v[i]);
    }
    free(v);
}

/* r rounds: n blocks of `size` allocated and written, checked and freed. */
static void reuse(size_t n, size_t size, size_t r)
{
    char **v = malloc(n * sizeof *v);
    if (v == NULL) check_fatal("malloc(%zu pointers) failed", n);
    for (size_t k = 0; k < r; k++) {
        for (size_t i = 0; i < n; i++) {
            v[i] = malloc(size);
            if (v[i] == NULL) check_fatal("malloc(%zu) failed at block %zu", size, i);
            memset(v[i], (int)((i + k) & 0x7f), size);
        }
        for (size_t i = 0; i < n; i++) {
            CHECK(v[i][0] == (char)((i + k) & 0x7f) && v[i][size - 1] == (char)((i + k) & 0x7f),
                  "block %zu of %zu B lost its contents in round %zu", i, size, k);
            free(v[i]);
        }
    }
    free(v);
    printf("cache_budget: reused %zu blocks of %zu B %zu times\n", n, size, r);
}

static pthread_barrier_t freed, measured;
static size_t thread_mib;

static void *holder(void *arg)
{
    long peak = 0;
    (void)arg;
    phase(1024, thread_mib, &peak);
    pthread_barrier_wait(&freed); /* main reads the RSS now, while every cache still holds its blocks */
    pthread_barrier_wait(&measured);
    return NULL;
}

static void threads_mode(unsigned n, size_t mib, unsigned long long bound_mb)
{
    pthread_t *t = calloc(n, sizeof *t);
    if (t == NULL) check_fatal("calloc of %u threads failed", n);
    thread_mib = mib;
    pthread_barrier_init(&freed, NULL, n + 1);
    pthread_barrier_init(&measured, NULL, n + 1);
    free(malloc(64));
    long start = hk_rss_kb();
    for (unsigned i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, holder, NULL) != 0) check_fatal("pthread_create failed");
    pthread_barrier_wait(&freed);
    long after = hk_rss_kb();
    pthread_barrier_wait(&measured);
    for (unsigned i = 0; i < n; i++) pthread_join(t[i], NULL);
    free(t);
    printf("cache_budget: threads=%u rss_kb start=%ld after=%ld held_kb=%ld\n", n, start, after, after - start);
    if (bound_mb)
        CHECK(after - start <= (long)bound_mb * 1024,
              "%ld KiB resident while %u threads held their caches (bound %llu MiB)", after - start, n, bound_mb);
}

int main(int argc, char **argv)
{
    check_name = "cache_budget";
    check_watchdog(60);
    unsigned long long mib = 48, bound_mb = 0, n_reuse = 0, size = 4096, rounds = 50;
    unsigned long long threads = 0;
    CHECK_ARGS(argc, argv, { "mib", &mib }, { "bound_mb", &bound_mb }, { "reuse", &n_reuse }, { "size", &size },
               { "rounds", &rounds }, { "threads", &threads });
    if (threads) {
        if (threads > 1024) check_fatal("threads=%llu: need 1 to 1024", threads);
        threads_mode((unsigned)threads, mib, bound_mb);
        return check_finish();
    }
    if (n_reuse) {
        if (size == 0 || size > (1u << 20)) check_fatal("size=%llu: need 1 to 1048576", size);
        reuse(n_reuse, size, rounds);
        return check_finish();
    }
    free(malloc(64));
    long start = hk_rss_kb(), peak = start;
    phase(1024, mib, &peak);
    phase(4096, mib, &peak);
    long after = hk_rss_kb();
    printf("cache_budget: rss_kb start=%ld peak=%ld after=%ld held_kb=%ld\n", start, peak, after, after - start);
    CHECK(peak - start >= (long)mib * 1024 / 2, "the phases never held %llu MiB (peak %ld KiB above the start)", mib,
          peak - start);
    if (bound_mb)
        CHECK(after - start <= (long)bound_mb * 1024, "%ld KiB still resident after the frees (bound %llu MiB)",
              after - start, bound_mb);
    return check_finish();
}
