/*
 * replace.h - the single-threaded random-replace loop shared by random_mixed and vm_mixed
 * (docs/workloads.md; vm_mixed is "as random_mixed with sizes 512 KiB - 2 MiB").
 *
 * A table of `ws` slots, all empty. Each iteration draws one 64-bit random number r
 * (splitmix64 from `seed`); idx = r % ws; if the slot holds a block it is freed,
 * otherwise malloc(min + (r >> 32) % (max - min + 1)), one byte is written into it and
 * it is stored. ops = iterations. At the end what is left is freed (not timed).
 *
 * Self-check (cheap, branch-free in the loop): the byte written is (uint8_t)idx; when the
 * block is freed the byte is compared and any difference is accumulated; a non-zero
 * total at the end is reported and the program exits 1.
 *
 * Soak mode (seconds=<total> epoch=<s>): the same loop runs until the time is up
 * (the clock is read every check_every iterations); iters is ignored.
 */
#ifndef HAKMEM_BENCH_REPLACE_H
#define HAKMEM_BENCH_REPLACE_H

#include "common.h"

static int hk_replace_main(int argc, char **argv, const char *name, const char *what, uint64_t iters, uint64_t ws,
                           uint64_t min, uint64_t max, const int check_every)
{
    uint64_t seed = 1;
    double seconds = 0, epoch = 0;
    hk_arg_t args[] = {
        {"iters", HK_ARG_U64, &iters, "iterations (ignored in soak mode)"},
        {"ws", HK_ARG_U64, &ws, "working-set slots"},
        {"seed", HK_ARG_U64, &seed, "splitmix64 seed"},
        {"min", HK_ARG_U64, &min, "smallest request, bytes (>= 1)"},
        {"max", HK_ARG_U64, &max, "largest request, bytes"},
        {"seconds", HK_ARG_F64, &seconds, "soak mode: run this long (0 = run iters)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, name, what, args, HK_NARGS(args));
    if (ws == 0 || min == 0 || min > max || max > ((uint64_t)1 << 40))
        hk_usage_error(name, what, args, HK_NARGS(args), "need ws >= 1 and 1 <= min <= max");

    void **slot = calloc(ws, sizeof(void *));
    if (!slot)
        hk_die(name, "calloc of the slot table (%llu slots) failed", (unsigned long long)ws);
    const uint64_t span = max - min + 1;
    uint64_t rng = seed;
    unsigned bad = 0;
    uint64_t ops = 0;
    double t0 = hk_now();

    if (seconds > 0) {
        hk_soak_t soak;
        hk_soak_start(&soak, seconds, epoch);
        t0 = soak.t0;
        do {
            for (int k = 0; k < check_every; k++) {
                uint64_t r = hk_splitmix64(&rng);
                uint64_t idx = r % ws;
                unsigned char *p = slot[idx];
                if (p) {
                    bad |= p[0] ^ (unsigned char)idx;
                    free(p);
                    slot[idx] = NULL;
                } else {
                    p = malloc(min + (r >> 32) % span);
                    if (HK_UNLIKELY(!p))
                        hk_die(name, "malloc returned NULL at op %llu", (unsigned long long)(ops + k));
                    p[0] = (unsigned char)idx;
                    slot[idx] = p;
                }
            }
            ops += check_every;
        } while (hk_soak_tick(&soak, ops));
    } else {
        for (uint64_t i = 0; i < iters; i++) {
            uint64_t r = hk_splitmix64(&rng);
            uint64_t idx = r % ws;
            unsigned char *p = slot[idx];
            if (p) {
                bad |= p[0] ^ (unsigned char)idx;
                free(p);
                slot[idx] = NULL;
            } else {
                p = malloc(min + (r >> 32) % span);
                if (HK_UNLIKELY(!p))
                    hk_die(name, "malloc returned NULL at iteration %llu", (unsigned long long)i);
                p[0] = (unsigned char)idx;
                slot[idx] = p;
            }
        }
        ops = iters;
    }
    double elapsed = hk_now() - t0;

    for (uint64_t i = 0; i < ws; i++) {
        unsigned char *p = slot[i];
        if (p) {
            bad |= p[0] ^ (unsigned char)i;
            free(p);
        }
    }
    free(slot);
    if (bad)
        hk_die(name, "a block's first byte changed between malloc and free (memory corruption)");
    hk_print_result(name, ops, elapsed);
    return 0;
}

#endif /* HAKMEM_BENCH_REPLACE_H */
