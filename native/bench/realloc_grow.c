/*
 * realloc_grow - in-place growth, mremap, copy cost: a quadratic path shows at once
 * (docs/workloads.md).
 *
 * `count` buffers, grown in turn (interleaved): in round k every buffer, 0 first, is
 * realloc'ed to the round's size s_k, so each growth of buffer b finds buffer b+1's last
 * block right after it when the allocator placed them next to each other (the buffers
 * are not grown one after the other, which would let each grow into free space).
 * Two phases, each starting from count NULL pointers (realloc(NULL, step) allocates)
 * and ending with a free of every buffer:
 *   1. linear:   s_1 = step, s_k+1 = min(s_k + step, max)  until max  (ceil(max/step) rounds)
 *   2. doubling: s_1 = step, s_k+1 = min(2 x s_k, max)     until max  (1 + ceil(log2(max/step)))
 * ops = realloc calls; the default run (step 4 KiB, max 256 MiB, count 4) makes
 * 4 x (65,536 + 17) = 262,212 of them and holds 1 GiB at its peak.
 * An allocator that copies on every growth does Theta(max^2 / step) bytes of copying in the
 * linear phase (about 9 TB per buffer at the defaults): such a run does not finish; use a
 * small max to look at it.
 *
 * Self-check: at creation a buffer's first byte gets a per-buffer mark; after every growth
 * its new last byte gets a per-(buffer, round) mark. Each realloc then checks that the
 * first byte and the byte at the previous last position survived the move; the last byte
 * is checked again before the free. A mismatch (or NULL from realloc) exits 1.
 *
 * Soak mode (seconds=<total> epoch=<s>): the two phases repeat, over and over, until the
 * time is up (the clock is read every 16 reallocs; a phase cut short frees its buffers).
 */
#include "common.h"

static const char NAME[] = "realloc_grow";
static const char WHAT[] = "grow `count` buffers in turn with realloc by `step` up to `max`, then by doubling from "
                           "`step` to `max`; ops = realloc calls";

#define TICK_EVERY 16

static inline unsigned char head_mark(uint64_t b)
{
    return (unsigned char)(0xc3 ^ (b * 7));
}

static inline unsigned char last_mark(uint64_t b, uint64_t round)
{
    return (unsigned char)(b * 37 + round * 11 + 1);
}

/* One phase. Returns 0 when soak mode's time ran out in it (the buffers are freed anyway). */
static int run_phase(unsigned char **buf, uint64_t count, uint64_t step, uint64_t max, int doubling, hk_soak_t *soak,
                     uint64_t *ops, unsigned *bad)
{
    int more = 1;
    uint64_t old = 0, round = 0;
    while (old < max && more) {
        uint64_t size = old == 0 ? step : doubling ? 2 * old : old + step;
        if (size > max)
            size = max;
        round++;
        for (uint64_t b = 0; b < count; b++) {
            unsigned char *p = realloc(buf[b], size);
            if (HK_UNLIKELY(!p))
                hk_die(NAME, "realloc to %llu bytes returned NULL (buffer %llu)", (unsigned long long)size,
                       (unsigned long long)b);
            if (old == 0)
                p[0] = head_mark(b);
            else
                *bad |= (unsigned)(p[0] ^ head_mark(b)) | (unsigned)(p[old - 1] ^ last_mark(b, round - 1));
            p[size - 1] = last_mark(b, round);
            buf[b] = p;
            /* time up: finish the round (so every buffer has the same size), no more ticks */
            if (soak && ++*ops % TICK_EVERY == 0 && more && !hk_soak_tick(soak, *ops))
                more = 0;
        }
        if (!soak)
            *ops += count;
        old = size;
    }
    for (uint64_t b = 0; b < count; b++) {
        *bad |= (unsigned)(buf[b][0] ^ head_mark(b)) | (unsigned)(buf[b][old - 1] ^ last_mark(b, round));
        free(buf[b]);
        buf[b] = NULL;
    }
    return more;
}

int main(int argc, char **argv)
{
    uint64_t step = 4096, max = (uint64_t)256 << 20, count = 4;
    double seconds = 0, epoch = 0;
    hk_arg_t args[] = {
        {"step", HK_ARG_U64, &step, "linear growth step and first size, bytes (>= 2)"},
        {"max", HK_ARG_U64, &max, "final size of each buffer, bytes (>= step, <= 2^40)"},
        {"count", HK_ARG_U64, &count, "buffers grown in turn"},
        {"seconds", HK_ARG_F64, &seconds, "soak mode: repeat both phases this long (0 = once)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (step < 2 || max < step || max > ((uint64_t)1 << 40) || count == 0 || count > ((uint64_t)1 << 20))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args), "need 2 <= step <= max <= 2^40 and 1 <= count <= 2^20");

    unsigned char **buf = calloc(count, sizeof(*buf));
    if (!buf)
        hk_die(NAME, "calloc of the buffer table failed");
    unsigned bad = 0;
    uint64_t ops = 0;
    double t0 = hk_now();
    if (seconds > 0) {
        hk_soak_t soak;
        hk_soak_start(&soak, seconds, epoch);
        t0 = soak.t0;
        while (run_phase(buf, count, step, max, 0, &soak, &ops, &bad) &&
               run_phase(buf, count, step, max, 1, &soak, &ops, &bad))
            ;
    } else {
        run_phase(buf, count, step, max, 0, NULL, &ops, &bad);
        run_phase(buf, count, step, max, 1, NULL, &ops, &bad);
    }
    double elapsed = hk_now() - t0;
    free(buf);
    if (bad)
        hk_die(NAME, "a buffer's content did not survive realloc (memory corruption)");
    hk_print_result(NAME, ops, elapsed);
    return 0;
}
