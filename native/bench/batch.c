/*
 * batch - a thread holding far more blocks than its cache: refill and flush, slab free
 * lists (docs/workloads.md).
 *
 * One thread. For each of the 25 (n, size) pairs, n in 25, 100, 400, 1600, 6400 (outer)
 * and size in 16, 48, 256, 1024, 4096 B (inner), over and over: malloc n blocks of `size`,
 * write every byte (memset), then free the first half in allocation order and the second
 * half in reverse; until `iters` blocks have been allocated for that pair (rounded up to
 * whole batches: ceil(iters / n) batches). ops = mallocs + frees, so the default run
 * (iters 2,000,000 per pair) is 2 x 5 x (4 x 2,000,000 + 2,003,200) = 100,032,000 ops.
 * No random numbers: the run is the same every time.
 *
 * Self-check: block j of a batch is filled with the byte pattern (j * 151 + n + size) & 0xff;
 * its first and last bytes are compared before it is freed; a mismatch exits 1.
 *
 * Soak mode (seconds=<total> epoch=<s>): the pairs are visited in the same order, over
 * and over, each visit allocating about 16,384 blocks (whole batches), until the time is
 * up; iters is ignored.
 */
#include "common.h"

static const char NAME[] = "batch";
static const char WHAT[] =
    "for each (n, size) in {25,100,400,1600,6400} x {16,48,256,1024,4096}: malloc n blocks, memset, free the first "
    "half in order, the second in reverse; iters = blocks per pair; ops = mallocs + frees";

static const uint64_t NS[] = {25, 100, 400, 1600, 6400};
static const uint64_t SIZES[] = {16, 48, 256, 1024, 4096};
#define NPAIRS (HK_NARGS(NS) * HK_NARGS(SIZES))
#define MAX_N 6400
#define SOAK_BLOCKS 16384

static inline unsigned char pattern(uint64_t j, uint64_t n, uint64_t size)
{
    return (unsigned char)(j * 151 + n + size);
}

/* One batch: n mallocs of size (each filled), n frees. Returns non-zero on a failed check. */
static unsigned run_batch(unsigned char **blk, uint64_t n, uint64_t size)
{
    unsigned bad = 0;
    for (uint64_t j = 0; j < n; j++) {
        unsigned char *p = malloc(size);
        if (HK_UNLIKELY(!p))
            hk_die(NAME, "malloc(%llu) returned NULL", (unsigned long long)size);
        memset(p, pattern(j, n, size), size);
        blk[j] = p;
    }
    uint64_t half = n / 2;
    for (uint64_t j = 0; j < half; j++) {
        unsigned char *p = blk[j], c = pattern(j, n, size);
        bad |= (p[0] ^ c) | (p[size - 1] ^ c);
        free(p);
    }
    for (uint64_t j = n; j-- > half;) {
        unsigned char *p = blk[j], c = pattern(j, n, size);
        bad |= (p[0] ^ c) | (p[size - 1] ^ c);
        free(p);
    }
    return bad;
}

int main(int argc, char **argv)
{
    uint64_t iters = 2000000;
    double seconds = 0, epoch = 0;
    hk_arg_t args[] = {
        {"iters", HK_ARG_U64, &iters, "mallocs per (n, size) pair, rounded up to whole batches (ignored in soak mode)"},
        {"seconds", HK_ARG_F64, &seconds, "soak mode: run this long (0 = run iters)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (iters > ((uint64_t)1 << 40))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args), "need iters <= 2^40");

    unsigned char **blk = calloc(MAX_N, sizeof(*blk));
    if (!blk)
        hk_die(NAME, "calloc of the batch table failed");
    unsigned bad = 0;
    uint64_t ops = 0;
    double t0 = hk_now();
    if (seconds > 0) {
        hk_soak_t soak;
        hk_soak_start(&soak, seconds, epoch);
        t0 = soak.t0;
        uint64_t pair = 0;
        do {
            uint64_t n = NS[pair / HK_NARGS(SIZES)], size = SIZES[pair % HK_NARGS(SIZES)];
            uint64_t batches = (SOAK_BLOCKS + n - 1) / n;
            for (uint64_t b = 0; b < batches; b++)
                bad |= run_batch(blk, n, size);
            ops += 2 * n * batches;
            pair = (pair + 1) % NPAIRS;
        } while (hk_soak_tick(&soak, ops));
    } else {
        for (uint64_t pair = 0; pair < NPAIRS; pair++) {
            uint64_t n = NS[pair / HK_NARGS(SIZES)], size = SIZES[pair % HK_NARGS(SIZES)];
            uint64_t batches = (iters + n - 1) / n;
            for (uint64_t b = 0; b < batches; b++)
                bad |= run_batch(blk, n, size);
            ops += 2 * n * batches;
        }
    }
    double elapsed = hk_now() - t0;
    free(blk);
    if (bad)
        hk_die(NAME, "a block's first or last byte changed between malloc and free (memory corruption)");
    hk_print_result(NAME, ops, elapsed);
    return 0;
}
