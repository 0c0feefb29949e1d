/*
 * heap_tags - Standard's free tests "a starts a block of this slab, and the slab is my heap's"
 * with one product (HEAP TAGS in types.h); this checks it against the two tests it replaces
 * (native/test/validators/heap_tags.test.ts).
 *
 * Linked with Standard's static library and compiled with its internal headers. One block of
 * every class from the main thread and one from a second thread (two heaps); for each block's
 * unit, every byte address of its SuperSlab, and thread tags that are the owner's, the other
 * heap's, none (0), and the extremes the tags can take (1 and hk_heap_tag_max + 1 steps):
 *   (a - kbase) * magic - tag < limit  <=>  tag == the owner's tag && hk_block_start(u, a).
 * Prints the count of addresses checked and exits 0, or names the first disagreement, exit 1.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static void *blocks[2][HK_CLASS_COUNT];

static void *alloc_all(void *arg)
{
    void **out = arg;
    for (unsigned c = 0; c < HK_CLASS_COUNT; c++) out[c] = malloc(hk_class_size[c]);
    return NULL;
}

int main(void)
{
    alloc_all(blocks[0]);
    pthread_t th;
    if (pthread_create(&th, NULL, alloc_all, blocks[1]) != 0 || pthread_join(th, NULL) != 0) return 2;
    if (hk_tls.heap == NULL || hk_tls.tag != hk_tls.heap->tag) {
        printf("heap_tags: the thread's tag is not its heap's\n");
        return 1;
    }
    long checked = 0;
    for (int w = 0; w < 2; w++)
        for (unsigned c = 0; c < HK_CLASS_COUNT; c++) {
            uintptr_t p = (uintptr_t)blocks[w][c];
            if (p == 0 || hk_seg_kind(p) != HK_SEG_SUPERSLAB) return 2;
            const hk_unit_t *u = hk_unit_of(p);
            uint64_t own = u->owner->tag;
            uint64_t other = hk_unit_of((uintptr_t)blocks[!w][c])->owner->tag;
            uint64_t tags[] = {own, other, 0, HK_TAG_STEP, (hk_heap_tag_max + 1) * HK_TAG_STEP};
            uintptr_t ss = p & ~(uintptr_t)(HK_SUPERSLAB_SIZE - 1);
            for (unsigned t = 0; t < sizeof tags / sizeof tags[0]; t++)
                for (uintptr_t a = ss; a < ss + HK_SUPERSLAB_SIZE; a++, checked++) {
                    bool one = (a - u->kbase) * u->magic - tags[t] < u->limit;
                    bool two = tags[t] == own && hk_block_start(u, a);
                    if (one != two) {
                        printf("heap_tags: class %u, %s thread's block %#lx, tag %u (%#lx, owner's %#lx), address "
                               "%#lx: one test says %d, the two say %d\n",
                               c, w ? "second" : "main", (unsigned long)p, t, (unsigned long)tags[t],
                               (unsigned long)own, (unsigned long)a, one, two);
                        return 1;
                    }
                }
        }
    printf("heap_tags: %ld addresses agree\n", checked);
    return 0;
}
