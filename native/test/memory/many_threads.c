/*
 * many_threads - what many live threads cost, and what stays after they exit (issue 9, item 4).
 *
 * `threads` threads each malloc `blocks` blocks of sizes min..max bytes (a fixed pseudo-random
 * sequence per thread), write them, and wait at a barrier, so that all of them are alive and
 * holding their blocks at once. The main thread reads the resident set there (alive), then
 * lets them go: each frees its blocks (free=1, the default) or leaves them to main (free=0,
 * main frees them after the join, from another thread) and exits. The resident set is read
 * after the join (exited), and again after pause_ms and a few allocator calls (after: what an
 * age-based purge gives back; the pause is skipped with pause_ms=0).
 *
 * Arguments (key=value): threads=<n> blocks=<n> min=<bytes> max=<bytes> free=0|1
 * stack_kb=<n> (0: the default stack) pause_ms=<n> alive_mb=<bound> after_mb=<bound> (0: no check).
 * Prints: many_threads: threads=.. blocks=.. rss_kb start=.. alive=.. hwm=.. exited=.. after=..
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "check.h"

static unsigned long long g_threads = 200, g_blocks = 20, g_min = 16, g_max = 256, g_free = 1;
static pthread_barrier_t g_hold, g_go;
static char ***g_ptr;
static unsigned long g_null;

/* VmHWM (peak resident set) from /proc/self/status, KiB */
static long hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &v) == 1) break;
    fclose(f);
    return v;
}

static void *thread_main(void *arg)
{
    size_t id = (size_t)arg;
    uint64_t seed = 0x1234 + id;
    char **mine = g_ptr[id];
    for (size_t i = 0; i < g_blocks; i++) {
        size_t size = g_min + hk_splitmix64(&seed) % (g_max - g_min + 1);
        char *p = malloc(size);
        mine[i] = p;
        if (p == NULL) {
            __atomic_fetch_add(&g_null, 1, __ATOMIC_RELAXED);
            continue;
        }
        memset(p, (int)(id + i), size);
    }
    pthread_barrier_wait(&g_hold); /* everyone holds its blocks: main measures */
    pthread_barrier_wait(&g_go);
    if (g_free) {
        for (size_t i = 0; i < g_blocks; i++) {
            if (mine[i] && mine[i][0] != (char)(id + i)) check_fatal("thread %zu: block %zu changed", id, i);
            free(mine[i]);
            mine[i] = NULL;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    check_name = "many_threads";
    check_watchdog(120);
    unsigned long long stack_kb = 0, pause_ms = 0, alive_mb = 0, after_mb = 0;
    CHECK_ARGS(argc, argv, { "threads", &g_threads }, { "blocks", &g_blocks }, { "min", &g_min }, { "max", &g_max },
               { "free", &g_free }, { "stack_kb", &stack_kb }, { "pause_ms", &pause_ms }, { "alive_mb", &alive_mb },
               { "after_mb", &after_mb });
    if (g_threads == 0 || g_min == 0 || g_max < g_min) check_fatal("need threads >= 1 and 1 <= min <= max");
    free(malloc(64)); /* the main thread has a heap of its own, as any real program's has */
    g_ptr = calloc(g_threads, sizeof *g_ptr);
    pthread_t *th = calloc(g_threads, sizeof *th);
    if (g_ptr == NULL || th == NULL) check_fatal("calloc of the thread arrays failed");
    for (size_t i = 0; i < g_threads; i++)
        if ((g_ptr[i] = calloc(g_blocks ? g_blocks : 1, sizeof **g_ptr)) == NULL) check_fatal("calloc failed");
    pthread_barrier_init(&g_hold, NULL, (unsigned)g_threads + 1);
    pthread_barrier_init(&g_go, NULL, (unsigned)g_threads + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_kb) pthread_attr_setstacksize(&attr, (size_t)stack_kb << 10);
    long start = hk_rss_kb();
    for (size_t i = 0; i < g_threads; i++)
        if (pthread_create(&th[i], &attr, thread_main, (void *)i) != 0) check_fatal("pthread_create %zu failed", i);
    pthread_barrier_wait(&g_hold);
    long alive = hk_rss_kb(), hwm = hwm_kb();
    pthread_barrier_wait(&g_go);
    for (size_t i = 0; i < g_threads; i++) pthread_join(th[i], NULL);
    if (!g_free) /* the blocks of exited threads, freed by main */
        for (size_t i = 0; i < g_threads; i++)
            for (size_t j = 0; j < g_blocks; j++) {
                char *p = g_ptr[i][j];
                if (p && p[0] != (char)(i + j)) check_fatal("thread %zu: block %zu changed", i, j);
                free(p);
            }
    long exited = hk_rss_kb(), after = exited;
    if (pause_ms) {
        usleep((useconds_t)pause_ms * 1000);
        for (int i = 0; i < 64; i++) { /* slow paths: the allocator may look at the clock here */
            void *p = malloc((size_t)1 << 20);
            escape(p);
            free(p);
        }
        after = hk_rss_kb();
    }
    for (size_t i = 0; i < g_threads; i++) free(g_ptr[i]);
    free(g_ptr);
    free(th);
    printf("many_threads: threads=%llu blocks=%llu size=%llu..%llu free=%llu rss_kb start=%ld alive=%ld hwm=%ld "
           "exited=%ld after=%ld pause_ms=%llu\n",
           g_threads, g_blocks, g_min, g_max, g_free, start, alive, hwm, exited, after, pause_ms);
    CHECK(g_null == 0, "%lu mallocs returned NULL", g_null);
    if (alive_mb) CHECK(alive <= (long)(alive_mb * 1024), "RSS %ld KiB while alive (bound %llu MiB)", alive, alive_mb);
    if (after_mb)
        CHECK(after <= (long)(after_mb * 1024), "RSS %ld KiB after the threads exited (bound %llu MiB)", after,
              after_mb);
    return check_finish();
}
