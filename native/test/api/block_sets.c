/*
 * block_sets - the first bytes of a slab's blocks spread over the CPU caches' sets (issue 10:
 * larson at 8 to 64 threads).
 *
 * For each size whose class is a multiple of 256 B (256, 512, 768 and 1,024 B), a new thread
 * allocates `count` blocks and counts the distinct L1 sets (address bits 6-11: 64 sets of a
 * 32 KiB, 8-way L1 with 64-byte lines) that the blocks' first bytes fall in. Laid at the bare
 * class size, 1,024 B blocks start in 4 of the 64 sets and 512 B blocks in 8, so a program
 * that reads its blocks' first bytes evicts its own lines although the cache has room; glibc,
 * whose chunks carry a 16-byte header, spreads them over all 64.
 *
 * Then, for the same sizes, posix_memalign at alignments 64 to 4,096 B must still return
 * aligned, usable, distinct blocks: an aligned request picks a class whose blocks lie on a
 * multiple of the alignment.
 *
 * Prints one line per size, `block_sets: size=<b> sets=<distinct>/64`, then the summary.
 * Arguments (key=value): count=<blocks per size, default 256>, min_sets=<least number of
 * distinct sets per size, default 0: check nothing, only print>.
 */
#include <malloc.h>
#include <pthread.h>

#include "check.h"

static unsigned long long count = 256, min_sets = 0;

static void *one_size(void *arg)
{
    size_t size = (size_t)(uintptr_t)arg;
    char **v = marked_alloc(count, size);
    unsigned char seen[64] = { 0 };
    unsigned sets = 0;
    for (unsigned long long i = 0; i < count; i++) {
        unsigned s = (unsigned)(((uintptr_t)v[i] >> 6) & 63);
        if (!seen[s]) seen[s] = 1, sets++;
    }
    printf("block_sets: size=%zu sets=%u/64\n", size, sets);
    if (min_sets)
        CHECK(sets >= min_sets, "size %zu: the first bytes of %llu blocks fall in %u of the L1's 64 sets, below %llu",
              size, count, sets, min_sets);
    marked_check_free(v, count, size);
    return NULL;
}

/* posix_memalign at each alignment: aligned, writable over its size, distinct from the others. */
static void aligned_sizes(size_t size)
{
    enum { N = 64 };
    for (size_t align = 64; align <= 4096; align *= 2) {
        void *v[N];
        for (int i = 0; i < N; i++) {
            int rc = posix_memalign(&v[i], align, size);
            CHECK(rc == 0 && v[i] != NULL, "posix_memalign(%zu, %zu) failed: %d", align, size, rc);
            if (rc != 0) return;
            CHECK((uintptr_t)v[i] % align == 0, "posix_memalign(%zu, %zu) returned %p, not aligned", align, size, v[i]);
            CHECK(malloc_usable_size(v[i]) >= size, "posix_memalign(%zu, %zu): usable size %zu", align, size,
                  malloc_usable_size(v[i]));
            memset(v[i], i, size);
        }
        for (int i = 0; i < N; i++) {
            CHECK(((unsigned char *)v[i])[0] == (unsigned char)i &&
                      ((unsigned char *)v[i])[size - 1] == (unsigned char)i,
                  "posix_memalign(%zu, %zu): block %d overwritten (blocks overlap)", align, size, i);
            free(v[i]);
        }
    }
}

int main(int argc, char **argv)
{
    check_name = "block_sets";
    CHECK_ARGS(argc, argv, { "count", &count }, { "min_sets", &min_sets });
    if (count < 1 || min_sets > 64) check_fatal("need count >= 1 and min_sets <= 64");
    static const size_t sizes[] = { 256, 512, 768, 1024 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        pthread_t t; /* a new thread: a new heap, fresh slabs */
        if (pthread_create(&t, NULL, one_size, (void *)(uintptr_t)sizes[k]) != 0) check_fatal("pthread_create failed");
        pthread_join(t, NULL);
        aligned_sizes(sizes[k]);
    }
    return check_finish();
}
