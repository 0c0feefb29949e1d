/*
 * thread_churn - many short-lived threads: per-thread state must be reclaimed.
 *
 * Creates `threads` (default 10,000) short threads, `concurrency` (default 4) at a time,
 * joining each group before the next. Each thread allocates a mix of sizes (mostly tiny,
 * some mid, an occasional large block) and
 *   - frees about a third of its blocks at once (local frees while it runs),
 *   - hands about a third to the main thread, which checks and frees them later (every
 *     64 threads): frees of blocks whose allocating thread has exited,
 *   - frees the rest itself just before it exits.
 * Every block is filled with a pattern that is checked before it is freed.
 * At the end it prints the final RSS (from /proc/self/statm) and fails if it exceeds the bound.
 *
 * Arguments (key=value): threads=<n> concurrency=<n> rss_mb=<bound>.
 *
 * Why 64 MiB: at any moment the live data is tiny (the handed-over blocks of at most 64
 * threads, < 2 MiB, plus a few running threads' blocks), and glibc ends this test at
 * roughly 5-10 MiB. An allocator that does not give back (or reuse) the caches, slabs or
 * heaps of exited threads keeps at least one slab-sized chunk per thread: with 10,000
 * threads even 8 KiB leaked per thread is 80 MiB, so the bound catches every such leak
 * while leaving generous room for a legitimate pool of empty SuperSlabs and large-block cache.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/resource.h>

#include "check.h"

#define PER_THREAD 48
#define HANDOFF_EVERY 64 /* the main thread frees handed-over blocks every this many threads */
#define MAX_HANDOFF (HANDOFF_EVERY * PER_THREAD + 64 * PER_THREAD)

typedef struct handoff {
    void *p;
    size_t size;
    unsigned seed;
} handoff_t;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static handoff_t g_handoff[MAX_HANDOFF];
static size_t g_nhandoff;
static unsigned long g_thread_failures;

static size_t pick_size(uint64_t r)
{
    unsigned sel = (unsigned)(r >> 56);
    if (sel == 0) return 200000 + (size_t)(r % 400000); /* large, 1 in 256 */
    if (sel < 24) return 1025 + (size_t)(r % 40000);    /* mid, ~9 % */
    return 1 + (size_t)(r % 1024);                      /* tiny */
}

static void *thread_main(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 17;
    void *mine[PER_THREAD];
    size_t size[PER_THREAD];
    unsigned seed[PER_THREAD];
    unsigned long failures = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        uint64_t r = hk_splitmix64(&rng);
        size[i] = pick_size(r);
        seed[i] = (unsigned)(r >> 20);
        mine[i] = malloc(size[i]);
        if (!mine[i]) {
            failures++;
            continue;
        }
        pattern_fill(mine[i], size[i], seed[i]);
        if (i % 3 == 0) { /* free at once */
            failures += pattern_find_bad(mine[i], size[i], seed[i]) != (size_t)-1;
            free(mine[i]);
            mine[i] = NULL;
        }
    }
    pthread_mutex_lock(&g_lock);
    for (int i = 1; i < PER_THREAD; i += 3) {
        if (mine[i] && g_nhandoff < MAX_HANDOFF) {
            g_handoff[g_nhandoff++] = (handoff_t){ mine[i], size[i], seed[i] };
            mine[i] = NULL;
        }
    }
    pthread_mutex_unlock(&g_lock);
    for (int i = 0; i < PER_THREAD; i++) {
        if (!mine[i]) continue;
        failures += pattern_find_bad(mine[i], size[i], seed[i]) != (size_t)-1;
        free(mine[i]);
    }
    if (failures) {
        pthread_mutex_lock(&g_lock);
        g_thread_failures += failures;
        pthread_mutex_unlock(&g_lock);
    }
    return NULL;
}

static void free_handoffs(void)
{
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_nhandoff; i++) {
        handoff_t *h = &g_handoff[i];
        size_t bad = pattern_find_bad(h->p, h->size, h->seed);
        CHECK(bad == (size_t)-1, "block %p of %zu bytes from an exited thread: byte %zu changed", h->p, h->size, bad);
        free(h->p);
    }
    g_nhandoff = 0;
    pthread_mutex_unlock(&g_lock);
}

int main(int argc, char **argv)
{
    check_name = "thread_churn";
    unsigned long long threads = 10000, concurrency = 4, rss_mb = 64;
    CHECK_ARGS(argc, argv, { "threads", &threads }, { "concurrency", &concurrency }, { "rss_mb", &rss_mb });
    if (concurrency < 1 || concurrency > 64 || rss_mb < 1) {
        fprintf(stderr, "thread_churn: need 1 <= concurrency <= 64 and rss_mb >= 1\n");
        return 2;
    }
    check_watchdog(180);
    double t0 = hk_now();
    long rss_start = hk_rss_kb();
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    unsigned long long made = 0, since_handoff = 0;
    long rss_mid = 0;
    while (made < threads) {
        pthread_t tid[64];
        unsigned n = 0;
        for (; n < concurrency && made < threads; n++, made++) {
            int rc = pthread_create(&tid[n], &attr, thread_main, (void *)(uintptr_t)(made + 1));
            if (rc) check_fatal("pthread_create failed (%s) after %llu threads", strerror(rc), made);
        }
        for (unsigned i = 0; i < n; i++) pthread_join(tid[i], NULL);
        since_handoff += n;
        if (since_handoff >= HANDOFF_EVERY) {
            free_handoffs();
            since_handoff = 0;
        }
        if (made == threads / 2) rss_mid = hk_rss_kb();
    }
    free_handoffs();
    pthread_attr_destroy(&attr);
    long rss_end = hk_rss_kb();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    CHECK(g_thread_failures == 0, "%lu blocks were damaged or not allocated inside the threads", g_thread_failures);
    CHECK(rss_end >= 0, "cannot read /proc/self/statm");
    CHECK(rss_end <= (long)(rss_mb * 1024), "final RSS %ld KiB exceeds the bound of %llu MiB (%llu KiB)", rss_end,
          rss_mb, rss_mb * 1024);
    printf("thread_churn: threads=%llu concurrency=%llu rss_start_kb=%ld rss_mid_kb=%ld rss_kb=%ld "
           "bound_kb=%llu maxrss_kb=%ld seconds=%.2f\n",
           threads, concurrency, rss_start, rss_mid, rss_end, rss_mb * 1024, ru.ru_maxrss, hk_now() - t0);
    return check_finish();
}
