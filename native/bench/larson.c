/*
 * larson - server simulation after Larson & Krishnan, as the published benchmark runs it
 * (mimalloc-bench `larson 5 8 1000 5000 100 4141 2`; docs/workloads.md).
 *
 * `threads` lanes of `chunks` blocks of random size in [min,max]; a lane's thread performs
 * rounds x chunks replacements (500,000 by default), THEN hands its lane to a new thread,
 * which keeps going: cross-thread frees, remote queue, abandonment and adoption at a
 * realistic rate, with threads that live for hundreds of thousands of operations.
 * Defaults: min 8; max 1000; chunks 5000; rounds 100; threads 2; seconds 5; seed 4141.
 * ops = replacements; the result line adds threads_created=<n>.
 *
 * The loop, the self-checks (tags) and soak mode are in handover.h (shared with
 * thread_churn, which hands over after `rounds` replacements instead).
 */
#include "handover.h"

int main(int argc, char **argv)
{
    return hk_handover_main(argc, argv, "larson",
                            "lanes of `chunks` blocks; each thread does rounds x chunks replacements, then hands its "
                            "lane to a new thread; ops = replacements",
                            1);
}
