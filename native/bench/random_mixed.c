/*
 * random_mixed - the tiny front path; the predecessor's single source of truth
 * (docs/workloads.md). Defaults: iters 20,000,000; ws 400; seed 1; min 16; max 1024.
 * The loop is in replace.h (shared with vm_mixed).
 */
#include "replace.h"

int main(int argc, char **argv)
{
    return hk_replace_main(argc, argv, "random_mixed",
                           "random replace over ws slots, sizes [min,max] (16..1024 B by default); ops = iterations",
                           20000000, 400, 16, 1024, 4096);
}
