/*
 * vm_mixed - the large path: mmap reuse, page-fault and syscall cost
 * (docs/workloads.md): as random_mixed with sizes 512 KiB - 2 MiB.
 * Defaults: iters 200,000; ws 64; seed 1; min 524288; max 2097152.
 * The loop is in replace.h (shared with random_mixed).
 */
#include "replace.h"

int main(int argc, char **argv)
{
    return hk_replace_main(
        argc, argv, "vm_mixed",
        "random replace over ws slots, sizes [min,max] (512 KiB..2 MiB by default); ops = iterations", 200000, 64,
        524288, 2097152, 256);
}
