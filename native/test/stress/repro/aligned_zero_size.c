/* aligned_zero_size (fixed in 7a5ce7f; a regression test now, run by native/test/stress/stress.test.ts
 * under every library): aligned_alloc(2 MiB, 0) returned a pointer one past the end of its own
 * mapping, i.e. the first byte of the next SuperSlab-aligned range, which is typically a SuperSlab
 * SuperSlab's header. free() of it then pushed the SuperSlab header onto a unified cache, and the
 * next malloc of that class handed the header out: the unit map was overwritten.
 * Found by native/test/stress/stress.c (seed=4 threads=1 off=95, op 29 -> op 261).
 * Cause: front.c large_alloc(): len = (off + size + SS - 1) & ~(SS - 1) with off = align
 * = SS and size = 0 gave len = off, so user = base + off = base + len.
 * Build: make -C native check-stress (-> dist/native/check/bin/repro/aligned_zero_size)
 * Run:   LD_PRELOAD=dist/native/lib/libhakmem.so dist/native/check/bin/repro/aligned_zero_size
 *        (exit 1 = bug, 0 = fixed) */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    void *mid = malloc(200000); /* a SuperSlab gets mapped */
    void *p = aligned_alloc((size_t)2 << 20, 0);
    size_t u = malloc_usable_size(p);
    printf("aligned_alloc(2 MiB, 0) = %p, usable %zu, mid block %p\n", p, u, mid);
    /* a zero-size block owns no byte, but it must be a block of its own: its usable size comes
   * from its own mapping (so >= 0 and its header valid), not from the SuperSlab behind it */
    int bad = 0;
    if (u > 0 && ((uintptr_t)p & (((size_t)2 << 20) - 1)) == 0) {
        /* free it and ask for its class: we get the SuperSlab header back */
        free(p);
        void *q = malloc(u);
        printf("free(p); malloc(%zu) = %p%s\n", u, q, q == p ? "  <- the SuperSlab header" : "");
        bad = q == p;
    }
    void *r = aligned_alloc((size_t)4 << 20, 0);
    printf("aligned_alloc(4 MiB, 0) = %p, usable %zu\n", r, malloc_usable_size(r));
    puts(bad ? "aligned_zero_size: BUG" : "aligned_zero_size: ok");
    return bad;
}
