/*
 * large_mixed - large blocks that do not fit a small cache: mapping reuse, page faults,
 * zeroing, memory returned (docs/workloads.md).
 *
 * As random_mixed (replace.h) with sizes 4 MiB - 32 MiB, ws 20, and every block written in
 * full when allocated (as std::make_unique<char[]> zeroes it): a table of `ws` slots, all
 * empty; each iteration draws one 64-bit random number r (splitmix64 from `seed`);
 * idx = r % ws; if the slot holds a block it is freed, otherwise
 * malloc(min + (r >> 32) % (max - min + 1)) and memset of the whole block, stored.
 * ops = iterations. At the end what is left is freed (not timed).
 * Defaults: iters 2,000; ws 20; seed 1; min 4 MiB; max 32 MiB.
 *
 * The loop is its own (not replace.h's) so that random_mixed's hot loop stays exactly
 * as it is; it needs each block's size for the checks and the full write.
 *
 * Self-check: a block in slot idx is filled with the byte 0x5a ^ idx (never the constant
 * 0, so the compiler cannot turn malloc + memset into calloc); its first and last bytes
 * are compared when it is freed; a mismatch exits 1.
 *
 * Soak mode (seconds=<total> epoch=<s>): the same loop runs until the time is up
 * (the clock is read every 4 iterations); iters is ignored.
 */
#include "common.h"

static const char NAME[] = "large_mixed";
static const char WHAT[] = "random replace over ws slots, sizes [min,max] (4..32 MiB by default), each block written "
                           "in full; ops = iterations";

#define CHECK_EVERY 4

typedef struct {
    unsigned char **blk;
    uint64_t *size;
    uint64_t ws, min, span, rng;
    unsigned bad;
} state_t;

static inline unsigned char pattern(uint64_t idx)
{
    return (unsigned char)(0x5a ^ idx);
}

static inline unsigned check(const unsigned char *p, uint64_t size, uint64_t idx)
{
    unsigned char c = pattern(idx);
    return (unsigned)(p[0] ^ c) | (unsigned)(p[size - 1] ^ c);
}

static inline void step(state_t *s, uint64_t op)
{
    uint64_t r = hk_splitmix64(&s->rng);
    uint64_t idx = r % s->ws;
    unsigned char *p = s->blk[idx];
    if (p) {
        s->bad |= check(p, s->size[idx], idx);
        free(p);
        s->blk[idx] = NULL;
    } else {
        uint64_t size = s->min + (r >> 32) % s->span;
        p = malloc(size);
        if (HK_UNLIKELY(!p))
            hk_die(NAME, "malloc(%llu) returned NULL at op %llu", (unsigned long long)size, (unsigned long long)op);
        memset(p, pattern(idx), size);
        s->blk[idx] = p;
        s->size[idx] = size;
    }
}

int main(int argc, char **argv)
{
    uint64_t iters = 2000, ws = 20, seed = 1, min = (uint64_t)4 << 20, max = (uint64_t)32 << 20;
    double seconds = 0, epoch = 0;
    hk_arg_t args[] = {
        {"iters", HK_ARG_U64, &iters, "iterations (ignored in soak mode)"},
        {"ws", HK_ARG_U64, &ws, "working-set slots"},
        {"seed", HK_ARG_U64, &seed, "splitmix64 seed"},
        {"min", HK_ARG_U64, &min, "smallest request, bytes (>= 1)"},
        {"max", HK_ARG_U64, &max, "largest request, bytes (<= 2^40)"},
        {"seconds", HK_ARG_F64, &seconds, "soak mode: run this long (0 = run iters)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (ws == 0 || ws > ((uint64_t)1 << 28) || min == 0 || min > max || max > ((uint64_t)1 << 40))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args), "need 1 <= ws <= 2^28 and 1 <= min <= max <= 2^40");

    state_t s = {.ws = ws, .min = min, .span = max - min + 1, .rng = seed};
    s.blk = calloc(ws, sizeof(*s.blk));
    s.size = calloc(ws, sizeof(*s.size));
    if (!s.blk || !s.size)
        hk_die(NAME, "calloc of the slot table (%llu slots) failed", (unsigned long long)ws);
    uint64_t ops = 0;
    double t0 = hk_now();
    if (seconds > 0) {
        hk_soak_t soak;
        hk_soak_start(&soak, seconds, epoch);
        t0 = soak.t0;
        do {
            for (int k = 0; k < CHECK_EVERY; k++)
                step(&s, ops + (uint64_t)k);
            ops += CHECK_EVERY;
        } while (hk_soak_tick(&soak, ops));
    } else {
        for (uint64_t i = 0; i < iters; i++)
            step(&s, i);
        ops = iters;
    }
    double elapsed = hk_now() - t0;

    for (uint64_t i = 0; i < ws; i++) {
        if (s.blk[i]) {
            s.bad |= check(s.blk[i], s.size[i], i);
            free(s.blk[i]);
        }
    }
    free(s.blk);
    free(s.size);
    if (s.bad)
        hk_die(NAME, "a block's first or last byte changed between malloc and free (memory corruption)");
    hk_print_result(NAME, ops, elapsed);
    return 0;
}
