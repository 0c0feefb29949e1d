/*
 * xthread_plateau - with frees across threads and a bounded live set, the resident set must
 * level off, and come back once everything is freed (issue 9, item 4).
 *
 * `threads` threads share a table of `slots` pointers. Each, over and over, mallocs a block
 * of min..max bytes (a pseudo-random size), writes it, swaps it into a random slot and frees
 * what the slot held: a block most likely allocated by another thread. So the live set is at
 * most `slots` blocks, and almost every free is a remote one. After `seconds` the threads
 * stop and exit; main frees what the table still holds (from a thread that allocated none of
 * it), then, with pause_ms, waits and makes a few allocator calls (an age-based purge).
 * The resident set is printed every `every` seconds, and:
 *   grow_pct: growth from the sample at a third of the run to the last one, in percent
 *   final: after everything was freed (and the pause)
 *
 * Arguments (key=value): threads=<n> slots=<n> seconds=<n> every=<s> min=<bytes> max=<bytes>
 * pause_ms=<n> grow_max=<percent> final_mb=<bound> (0: no check).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

static unsigned long long g_threads = 8, g_slots = 32768, g_min = 16, g_max = 1024;
static char *_Atomic *g_slot;
static _Atomic int g_stop;
static _Atomic unsigned long long g_ops, g_null;

static void *thread_main(void *arg)
{
    size_t id = (size_t)arg;
    uint64_t seed = 0x9876 + id * 7919;
    unsigned long long ops = 0;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        for (int k = 0; k < 256; k++) {
            uint64_t r = hk_splitmix64(&seed);
            size_t size = g_min + (r >> 32) % (g_max - g_min + 1);
            char *p = malloc(size);
            if (p == NULL) {
                g_null++;
                continue;
            }
            p[0] = (char)size;
            p[size - 1] = (char)(size >> 8);
            char *old = atomic_exchange_explicit(&g_slot[r % g_slots], p, memory_order_acq_rel);
            free(old);
            ops++;
        }
    }
    g_ops += ops;
    return NULL;
}

int main(int argc, char **argv)
{
    check_name = "xthread_plateau";
    unsigned long long seconds = 6, every = 1, pause_ms = 0, grow_max = 0, final_mb = 0;
    CHECK_ARGS(argc, argv, { "threads", &g_threads }, { "slots", &g_slots }, { "seconds", &seconds },
               { "every", &every }, { "min", &g_min }, { "max", &g_max }, { "pause_ms", &pause_ms },
               { "grow_max", &grow_max }, { "final_mb", &final_mb });
    if (g_threads == 0 || g_slots == 0 || g_min == 0 || g_max < g_min || every == 0 || seconds == 0)
        check_fatal("need threads, slots, seconds, every >= 1 and 1 <= min <= max");
    check_watchdog((unsigned)(seconds + 60));
    free(malloc(64)); /* the main thread has a heap of its own */
    g_slot = calloc(g_slots, sizeof *g_slot);
    pthread_t *th = calloc(g_threads, sizeof *th);
    if (g_slot == NULL || th == NULL) check_fatal("calloc of the tables failed");
    long start = hk_rss_kb();
    for (size_t i = 0; i < g_threads; i++)
        if (pthread_create(&th[i], NULL, thread_main, (void *)i) != 0) check_fatal("pthread_create %zu failed", i);
    double t0 = hk_now();
    long third = -1, last = -1, peak = 0;
    printf("xthread_plateau: threads=%llu slots=%llu size=%llu..%llu seconds=%llu rss_kb start=%ld\n", g_threads,
           g_slots, g_min, g_max, seconds, start);
    for (unsigned long long s = every; s <= seconds; s += every) {
        double wake = t0 + (double)s;
        for (double n = hk_now(); n < wake; n = hk_now()) usleep((useconds_t)((wake - n) * 1e6) + 1);
        last = hk_rss_kb();
        if (last > peak) peak = last;
        if (third < 0 && s * 3 >= seconds) third = last;
        printf("  t=%llus rss_kb=%ld\n", s, last);
        fflush(stdout);
    }
    g_stop = 1;
    for (size_t i = 0; i < g_threads; i++) pthread_join(th[i], NULL);
    long joined = hk_rss_kb();
    size_t live = 0, bytes = 0;
    for (size_t i = 0; i < g_slots; i++) {
        char *p = g_slot[i];
        if (p == NULL) continue;
        live++;
        bytes += malloc_usable_size(p);
        free(p);
        g_slot[i] = NULL;
    }
    long freed = hk_rss_kb(), final = freed;
    if (pause_ms) {
        usleep((useconds_t)pause_ms * 1000);
        for (int i = 0; i < 64; i++) { /* slow paths: the allocator may look at the clock here */
            void *p = malloc((size_t)1 << 20);
            escape(p);
            free(p);
        }
        final = hk_rss_kb();
    }
    double grow = third > 0 ? 100.0 * (double)(last - third) / (double)third : 0;
    printf("xthread_plateau: ops=%llu live=%zu live_kb=%zu rss_kb third=%ld last=%ld peak=%ld joined=%ld freed=%ld "
           "final=%ld grow_pct=%.1f\n",
           (unsigned long long)g_ops, live, bytes >> 10, third, last, peak, joined, freed, final, grow);
    free(g_slot);
    free(th);
    CHECK(g_null == 0, "%llu mallocs returned NULL", (unsigned long long)g_null);
    if (grow_max) CHECK(grow <= (double)grow_max, "RSS grew %.1f%% from a third of the run to the end", grow);
    if (final_mb)
        CHECK(final <= (long)(final_mb * 1024), "RSS %ld KiB after everything was freed (bound %llu MiB)", final,
              final_mb);
    return check_finish();
}
