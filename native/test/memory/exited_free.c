/*
 * exited_free - memory freed after its thread exited goes back to the OS, without
 * malloc_trim (issue 9, item 3).
 *
 * A thread allocates total_mb MiB in blocks of `size` bytes, touches every page, and
 * exits; the main thread then frees every block. The allocating thread's heap is
 * abandoned by then, so these frees reach a heap nobody runs: the allocator must still
 * take the blocks back to their slabs and give the emptied SuperSlabs to the OS under its
 * usual hysteresis. The test polls the resident set for up to wait_ms after the last
 * free and fails if it is still above rss_mb (glibc ends near 10 MiB at once).
 *
 * Arguments (key=value): size=<bytes> total_mb=<n> wait_ms=<n> rss_mb=<bound>.
 * Prints: exited_free: size=.. blocks=.. rss_kb start=.. peak=.. freed=.. final=.. ms=..
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "check.h"

static size_t g_size = 1024, g_blocks;
static char **g_ptr;
static unsigned long g_null;

static void *thread_main(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < g_blocks; i++) {
        char *p = malloc(g_size);
        g_ptr[i] = p;
        if (p == NULL) {
            g_null++;
            continue;
        }
        for (size_t o = 0; o < g_size; o += 4096) p[o] = (char)i; /* every page resident */
        p[g_size - 1] = (char)i;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    check_name = "exited_free";
    check_watchdog(120);
    unsigned long long total_mb = 1024, wait_ms = 2000, rss_mb = 64;
    unsigned long long size = g_size;
    CHECK_ARGS(argc, argv, { "size", &size }, { "total_mb", &total_mb }, { "wait_ms", &wait_ms },
               { "rss_mb", &rss_mb });
    if (size > (1ull << 30)) check_fatal("size must be at most 1 GiB");
    g_size = (size_t)size;
    if (g_size < 16) check_fatal("size must be at least 16");
    g_blocks = (size_t)(total_mb << 20) / g_size;
    /* the pointer array comes from mmap: it is not the allocator's memory */
    g_ptr = mmap(NULL, g_blocks * sizeof *g_ptr, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g_ptr == MAP_FAILED) check_fatal("mmap of the pointer array failed");
    free(malloc(64)); /* the main thread has a heap of its own, as any real program's has */
    long start = hk_rss_kb();
    pthread_t th;
    if (pthread_create(&th, NULL, thread_main, NULL) != 0) check_fatal("pthread_create failed");
    pthread_join(th, NULL);
    CHECK(g_null == 0, "%lu mallocs of %zu bytes returned NULL", g_null, g_size);
    long peak = hk_rss_kb();
    for (size_t i = 0; i < g_blocks; i++) {
        char *p = g_ptr[i];
        if (p == NULL) continue;
        CHECK(p[0] == (char)i && p[g_size - 1] == (char)i, "block %zu changed while allocated", i);
        free(p);
    }
    double t0 = hk_now();
    long freed = hk_rss_kb(), final = freed;
    while (final > (long)(rss_mb * 1024) && (hk_now() - t0) * 1000 < (double)wait_ms) {
        usleep(20000);
        final = hk_rss_kb();
    }
    double ms = (hk_now() - t0) * 1000;
    munmap(g_ptr, g_blocks * sizeof *g_ptr);
    printf("exited_free: size=%zu blocks=%zu rss_kb start=%ld peak=%ld freed=%ld final=%ld ms=%.0f bound_kb=%llu\n",
           g_size, g_blocks, start, peak, freed, final, ms, rss_mb * 1024);
    CHECK(peak - start > (long)(total_mb * 1024) * 9 / 10, "the test did not grow the heap (peak %ld, start %ld KiB)",
          peak, start);
    CHECK(final <= (long)(rss_mb * 1024), "RSS %ld KiB %.0f ms after the last free (bound %llu KiB)", final, ms,
          rss_mb * 1024);
    return check_finish();
}
