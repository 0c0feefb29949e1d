/*
 * carve_order - a fresh slab hands its blocks out in ascending addresses (issue 10: batch).
 *
 * For each of batch's sizes (16, 48, 256, 1024, 4096 B) a new thread allocates `count`
 * blocks and counts the neighbour pairs whose second block lies just above the first
 * (0 < next - prev <= 2 x the usable size). A program that writes its blocks in the order
 * it got them then streams forward through memory, which the hardware prefetchers follow;
 * every peer carves fresh memory that way. Slab and refill boundaries break a few pairs.
 *
 * Prints one line per size, `carve_order: size=<b> ascending=<pairs>/<pairs>`, then the summary.
 * Arguments (key=value): count=<blocks per size, default 400>, min_pct=<least share of
 * ascending pairs, in percent; 0 (default) checks nothing and only prints>.
 */
#include <malloc.h>
#include <pthread.h>

#include "check.h"

static unsigned long long count = 400, min_pct = 0;

static void *one_size(void *arg)
{
    size_t size = (size_t)(uintptr_t)arg;
    char **v = marked_alloc(count, size);
    unsigned long long up = 0;
    for (unsigned long long i = 0; i + 1 < count; i++) {
        uintptr_t a = (uintptr_t)v[i], b = (uintptr_t)v[i + 1];
        if (b > a && b - a <= 2 * malloc_usable_size(v[i])) up++;
    }
    printf("carve_order: size=%zu ascending=%llu/%llu\n", size, up, count - 1);
    if (min_pct)
        CHECK(up * 100 >= min_pct * (count - 1),
              "size %zu: %llu of %llu neighbour pairs ascend, below %llu %% (blocks handed out downwards?)", size, up,
              count - 1, min_pct);
    marked_check_free(v, count, size);
    return NULL;
}

int main(int argc, char **argv)
{
    check_name = "carve_order";
    CHECK_ARGS(argc, argv, { "count", &count }, { "min_pct", &min_pct });
    if (count < 2 || min_pct > 100) check_fatal("need count >= 2 and min_pct <= 100");
    static const size_t sizes[] = { 16, 48, 256, 1024, 4096 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        pthread_t t; /* a new thread: a new heap, fresh slabs */
        if (pthread_create(&t, NULL, one_size, (void *)(uintptr_t)sizes[k]) != 0) check_fatal("pthread_create failed");
        pthread_join(t, NULL);
    }
    return check_finish();
}
