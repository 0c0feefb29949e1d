/*
 * thread_churn - as larson, but each thread performs only `rounds` replacements (100 by
 * default) before handing its lane to a new thread: a new thread every hundred operations
 * (docs/workloads.md). Stresses thread creation and exit, heap adoption.
 * Defaults as larson: min 8; max 1000; chunks 5000; rounds 100; threads 2; seconds 5;
 * seed 4141. ops = replacements; the result line adds threads_created=<n>.
 *
 * (This is what `larson` measured before it followed the published benchmark. Not to be
 * confused with the C test native/test/threads/thread_churn.c, an RSS-bound check.)
 * The loop, the self-checks (tags) and soak mode are in handover.h.
 */
#include "handover.h"

int main(int argc, char **argv)
{
    return hk_handover_main(argc, argv, "thread_churn",
                            "lanes of `chunks` blocks; each thread replaces `rounds` blocks, then hands its lane to a "
                            "new thread; ops = replacements",
                            0);
}
