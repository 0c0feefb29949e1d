/*
 * dtor_alloc - threads that allocate in the last round of pthread key destructors must not
 * leak a heap each (issue 9, item 5).
 *
 * Each thread allocates and frees a few blocks (so the allocator's own exit hook runs in
 * the first destructor round), then sets a key whose destructor re-arms itself until round
 * `round` (default 4, PTHREAD_DESTRUCTOR_ITERATIONS on glibc) and there allocates, uses and
 * frees tiny and mid blocks (and keeps one tiny block until the next thread's round, freed
 * by a thread that is not its allocator). glibc runs no round after the 4th, so an
 * allocator that gives such a thread a heap of its own, to be abandoned by a destructor,
 * leaks it. `threads` threads run `concurrency` at a time; the test prints the RSS after the
 * first 10 % of threads and at the end and fails if the end exceeds rss_mb.
 *
 * Arguments (key=value): threads=<n> concurrency=<n> round=<1..4> prior=<0|1> rss_mb=<bound>.
 * prior=0: the thread never allocates before the destructors run.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>

#include "check.h"

static pthread_key_t g_key;
static unsigned g_round = 4, g_prior = 1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static void *g_kept; /* one block of the last thread, freed by the next one */
static unsigned long g_bad, g_allocs;

static void dtor(void *v)
{
    unsigned r = (unsigned)(uintptr_t)v;
    if (r < g_round) {
        pthread_setspecific(g_key, (void *)(uintptr_t)(r + 1));
        return;
    }
    static const size_t sizes[] = { 24, 100, 512, 1024, 3000, 40000 };
    void *p[6];
    for (int i = 0; i < 6; i++) {
        p[i] = malloc(sizes[i]);
        if (p[i] == NULL) {
            __atomic_add_fetch(&g_bad, 1, __ATOMIC_RELAXED);
            continue;
        }
        memset(p[i], i + 1, sizes[i]);
    }
    for (int i = 0; i < 6; i++) {
        if (p[i] && ((unsigned char *)p[i])[sizes[i] - 1] != i + 1) __atomic_add_fetch(&g_bad, 1, __ATOMIC_RELAXED);
        if (i != 1) free(p[i]);
    }
    pthread_mutex_lock(&g_lock);
    void *old = g_kept;
    g_kept = p[1];
    g_allocs++;
    pthread_mutex_unlock(&g_lock);
    free(old);
}

static void *thread_main(void *arg)
{
    (void)arg;
    if (g_prior) {
        void *a = malloc(64), *b = malloc(2000);
        memset(a, 1, 64);
        memset(b, 2, 2000);
        escape(a);
        escape(b);
        free(a);
        free(b);
    }
    pthread_setspecific(g_key, (void *)1);
    return NULL;
}

int main(int argc, char **argv)
{
    check_name = "dtor_alloc";
    check_watchdog(240);
    unsigned long long threads = 20000, concurrency = 4, rss_mb = 64;
    unsigned long long round = g_round, prior = g_prior;
    CHECK_ARGS(argc, argv, { "threads", &threads }, { "concurrency", &concurrency }, { "round", &round },
               { "prior", &prior }, { "rss_mb", &rss_mb });
    if (round < 1 || round > PTHREAD_DESTRUCTOR_ITERATIONS)
        check_fatal("round must be in [1, %d]", PTHREAD_DESTRUCTOR_ITERATIONS);
    if (prior > 1) check_fatal("prior must be 0 or 1");
    g_round = (unsigned)round;
    g_prior = (unsigned)prior;
    if (concurrency < 1 || concurrency > 64) check_fatal("concurrency must be in [1, 64]");
    free(malloc(16)); /* the allocator is initialised (its key is created) before ours */
    if (pthread_key_create(&g_key, dtor) != 0) check_fatal("pthread_key_create failed");
    long early = 0;
    pthread_t th[64];
    for (unsigned long long done = 0; done < threads;) {
        unsigned n = 0;
        for (; n < concurrency && done + n < threads; n++)
            if (pthread_create(&th[n], NULL, thread_main, NULL) != 0) check_fatal("pthread_create failed");
        for (unsigned k = 0; k < n; k++) pthread_join(th[k], NULL);
        done += n;
        if (early == 0 && done >= threads / 10) early = hk_rss_kb();
    }
    long final = hk_rss_kb();
    free(g_kept);
    printf("dtor_alloc: threads=%llu round=%u prior=%u allocs=%lu rss_kb early=%ld final=%ld bound_kb=%llu\n", threads,
           g_round, g_prior, g_allocs, early, final, rss_mb * 1024);
    CHECK(g_bad == 0, "%lu blocks allocated in the destructors were NULL or changed", g_bad);
    CHECK(g_allocs == threads, "the destructor allocated in %lu threads of %llu (round %u not reached?)", g_allocs,
          threads, g_round);
    CHECK(final <= (long)(rss_mb * 1024), "RSS %ld KiB after %llu threads (bound %llu KiB)", final, threads,
          rss_mb * 1024);
    return check_finish();
}
