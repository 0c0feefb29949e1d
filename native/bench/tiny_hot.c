/*
 * tiny_hot - the best case of the unified cache (docs/workloads.md).
 *
 * Repeatedly malloc a batch of `batch` blocks of `size` bytes, then free them in reverse
 * order. ops = mallocs + frees.
 *
 * `iters` counts mallocs (so the default run is 10,000,000 mallocs + 10,000,000 frees =
 * 20,000,000 ops in 100,000 batches of 100); it is rounded up to a whole number of batches.
 *
 * Self-check: each block gets one byte (its index in the batch) written after malloc,
 * compared before free; a mismatch exits 1.
 *
 * Soak mode (seconds=<total> epoch=<s>): batches run until the time is up; iters is ignored.
 */
#include "common.h"

static const char NAME[] = "tiny_hot";
static const char WHAT[] =
    "malloc `batch` blocks of `size` bytes, free them in reverse; iters = mallocs; ops = mallocs + frees";

static unsigned run_batch(void **blk, uint64_t batch, uint64_t size)
{
    unsigned bad = 0;
    for (uint64_t j = 0; j < batch; j++) {
        unsigned char *p = malloc(size);
        if (HK_UNLIKELY(!p))
            hk_die(NAME, "malloc(%llu) returned NULL", (unsigned long long)size);
        p[0] = (unsigned char)j;
        blk[j] = p;
    }
    for (uint64_t j = batch; j-- > 0;) {
        unsigned char *p = blk[j];
        bad |= p[0] ^ (unsigned char)j;
        free(p);
    }
    return bad;
}

int main(int argc, char **argv)
{
    uint64_t size = 64, batch = 100, iters = 10000000;
    double seconds = 0, epoch = 0;
    hk_arg_t args[] = {
        {"size", HK_ARG_U64, &size, "block size, bytes (>= 1)"},
        {"batch", HK_ARG_U64, &batch, "blocks per batch"},
        {"iters", HK_ARG_U64, &iters, "total mallocs, rounded up to whole batches (ignored in soak mode)"},
        {"seconds", HK_ARG_F64, &seconds, "soak mode: run this long (0 = run iters)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (size == 0 || batch == 0 || batch > ((uint64_t)1 << 28))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args), "need size >= 1 and 1 <= batch <= 2^28");

    void **blk = calloc(batch, sizeof(void *));
    if (!blk)
        hk_die(NAME, "calloc of the batch table failed");
    unsigned bad = 0;
    uint64_t ops = 0;
    double t0 = hk_now();
    if (seconds > 0) {
        hk_soak_t soak;
        hk_soak_start(&soak, seconds, epoch);
        t0 = soak.t0;
        /* read the clock about every 8192 mallocs */
        uint64_t per_tick = batch >= 8192 ? 1 : 8192 / batch;
        do {
            for (uint64_t k = 0; k < per_tick; k++)
                bad |= run_batch(blk, batch, size);
            ops += 2 * batch * per_tick;
        } while (hk_soak_tick(&soak, ops));
    } else {
        uint64_t rounds = (iters + batch - 1) / batch;
        for (uint64_t i = 0; i < rounds; i++)
            bad |= run_batch(blk, batch, size);
        ops = 2 * batch * rounds;
    }
    double elapsed = hk_now() - t0;
    free(blk);
    if (bad)
        hk_die(NAME, "a block's first byte changed between malloc and free (memory corruption)");
    hk_print_result(NAME, ops, elapsed);
    return 0;
}
