/*
 * slab_valid - the debug build's validators catch a broken slab (native/test/validators/validators.test.ts).
 *
 * Linked with the debug build's static library (-DHK_DEBUG=1) and compiled with its internal
 * headers, it allocates two blocks of one class, breaks one invariant of types.h's SLAB
 * accounting by hand (argv[1]: "used" counts 1,000 blocks more out than the slab ever carved;
 * "carved" says it carved more blocks than it holds; "none" breaks nothing), then frees the
 * blocks and trims, which gives them back to their slab: hk_slab_valid must abort there, naming
 * the broken condition; with "none" the program exits 0.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "none";
    char *p = malloc(64), *q = malloc(64);
    if (p == NULL || q == NULL) return 2;
    hk_slab_t *s = hk_slab_of((uintptr_t)p);
    if (strcmp(what, "used") == 0) s->used += 1000;
    else if (strcmp(what, "carved") == 0) s->carved = s->capacity + 1;
    else if (strcmp(what, "none") != 0) return 2;
    free(p);
    free(q);
    malloc_trim(0);
    printf("slab_valid: %s: nothing caught\n", what);
    return 0;
}
