/*
 * handover.h - the lane/hand-over loop shared by larson and thread_churn
 * (docs/workloads.md; after Larson & Krishnan's server simulation as
 * mimalloc-bench runs it: `larson 5 8 1000 5000 100 4141 2`).
 *
 * `threads` lanes. Each lane owns an array of `chunks` blocks of random size in [min,max].
 * Before the clock starts the main thread fills every lane and then warms it up with
 * 4 x chunks random replacements (as the published program's warm-up does over all its
 * blocks), so the first workers free blocks another thread allocated.
 *
 * A lane's thread performs `per_thread` replacements (free a random slot's block, malloc
 * a new one of random size; splitmix64 seeded with seed + lane index), then hands the lane
 * to a NEW thread, which keeps going; so blocks are freed by threads that did not allocate
 * them. The two programs differ only in per_thread:
 *   larson        per_thread = rounds x chunks (500,000 by default): a thread lives for
 *                 hundreds of thousands of operations, as in the published benchmark
 *                 (its exercise_heap() runs NumBlocks = rounds x chunks-per-thread
 *                 replacements before starting its successor);
 *   thread_churn  per_thread = rounds (100): a new thread every hundred operations,
 *                 which measures thread creation/exit and heap adoption.
 * The successor joins its predecessor, so no thread is left behind. Runs for `seconds`;
 * ops = replacements (published to the main thread every few thousand). After the stop the
 * main thread frees every block still held. The result line adds threads_created=<n>, the
 * number of threads that worked on a lane (the `threads` first ones included), so for
 * larson (threads_created - threads) x rounds x chunks <= ops <= threads_created x rounds x chunks.
 *
 * Self-check: every block carries an 8-byte tag derived from (lane, slot, size) at its
 * start and a tag byte at its end; both are verified when the block is freed (exit 1 on
 * a mismatch).
 *
 * Soak mode: `seconds` is already the duration; `epoch=<s>` adds one epoch line every <s>.
 */
#ifndef HAKMEM_BENCH_HANDOVER_H
#define HAKMEM_BENCH_HANDOVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

/* replacements between two updates of a lane's published op count */
#define HK_HANDOVER_PUBLISH 4096

typedef struct hk_lane {
    uint64_t index;
    unsigned char **blk;
    uint32_t *size;
    uint64_t rng;
    pthread_t prev; /* the thread the next one must join */
    int has_prev;
    pthread_t last; /* the final thread of this lane (valid once done) */
    _Atomic int done;
    _Atomic uint64_t ops;
    uint64_t generations; /* threads that worked on this lane */
    uint64_t create_failures;
    unsigned bad;
    int oom;
    char pad[64];
} hk_lane_t;

static uint64_t g_min, g_max, g_chunks, g_per_thread;
static atomic_int g_stop;

static inline uint64_t hk_tag_of(uint64_t lane, uint64_t slot, uint64_t size)
{
    uint64_t t = (size << 40) ^ (slot * 0x9e3779b97f4a7c15ULL) ^ (lane << 20) ^ 0x5bd1e995ULL;
    return t;
}

static inline void hk_tag_write(unsigned char *p, uint64_t size, uint64_t tag)
{
    memcpy(p, &tag, size < 8 ? size : 8);
    if (size > 8)
        p[size - 1] = (unsigned char)(tag >> 56) ^ 0xa5;
}

static inline unsigned hk_tag_check(const unsigned char *p, uint64_t size, uint64_t tag)
{
    uint64_t got = 0, want = tag;
    size_t n = size < 8 ? size : 8;
    memcpy(&got, p, n);
    if (n < 8)
        want &= (((uint64_t)1 << (8 * n)) - 1);
    unsigned bad = got != want;
    if (size > 8)
        bad |= p[size - 1] != ((unsigned char)(tag >> 56) ^ 0xa5);
    return bad;
}

static int hk_fill_slot(hk_lane_t *l, uint64_t slot, uint64_t r)
{
    uint64_t size = g_min + (r >> 32) % (g_max - g_min + 1);
    unsigned char *p = malloc(size);
    if (!p)
        return -1;
    hk_tag_write(p, size, hk_tag_of(l->index, slot, size));
    l->blk[slot] = p;
    l->size[slot] = (uint32_t)size;
    return 0;
}

/* One replacement: check and free a random slot's block, malloc a new one. -1 = NULL from malloc. */
static inline int hk_replace_one(hk_lane_t *l)
{
    uint64_t r = hk_splitmix64(&l->rng);
    uint64_t victim = r % g_chunks;
    unsigned char *p = l->blk[victim];
    l->bad |= hk_tag_check(p, l->size[victim], hk_tag_of(l->index, victim, l->size[victim]));
    free(p);
    if (HK_UNLIKELY(hk_fill_slot(l, victim, r))) {
        l->blk[victim] = NULL;
        l->oom = 1;
        return -1;
    }
    return 0;
}

static void *hk_lane_thread(void *arg)
{
    hk_lane_t *l = arg;
    if (l->has_prev)
        pthread_join(l->prev, NULL);
    l->generations++;
    for (;;) {
        /* this thread's share: per_thread replacements, published every HK_HANDOVER_PUBLISH */
        uint64_t done = 0;
        while (done < g_per_thread && !atomic_load_explicit(&g_stop, memory_order_relaxed)) {
            uint64_t step = g_per_thread - done;
            if (step > HK_HANDOVER_PUBLISH)
                step = HK_HANDOVER_PUBLISH;
            uint64_t n = 0;
            while (n < step && !atomic_load_explicit(&g_stop, memory_order_relaxed)) {
                if (HK_UNLIKELY(hk_replace_one(l))) {
                    atomic_store(&g_stop, 1);
                    break;
                }
                n++;
            }
            atomic_store_explicit(&l->ops, atomic_load_explicit(&l->ops, memory_order_relaxed) + n,
                                  memory_order_relaxed);
            done += n;
        }
        if (atomic_load_explicit(&g_stop, memory_order_relaxed))
            break;
        pthread_t next;
        l->prev = pthread_self();
        l->has_prev = 1;
        if (pthread_create(&next, NULL, hk_lane_thread, l) == 0)
            return NULL; /* the successor joins us */
        l->has_prev = 0;
        l->create_failures++; /* could not hand over: keep going in this thread */
    }
    l->last = pthread_self();
    atomic_store_explicit(&l->done, 1, memory_order_release);
    return NULL;
}

typedef struct {
    hk_lane_t *l;
    uint64_t n;
} hk_lane_sample_t;

static uint64_t hk_lane_sample_ops(void *ctx)
{
    hk_lane_sample_t *c = ctx;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < c->n; i++)
        sum += atomic_load_explicit(&c->l[i].ops, memory_order_relaxed);
    return sum;
}

/* whole_array: 1 = a thread does rounds x chunks replacements (larson), 0 = rounds (thread_churn). */
static int hk_handover_main(int argc, char **argv, const char *name, const char *what, int whole_array)
{
    uint64_t min = 8, max = 1000, chunks = 5000, rounds = 100, threads = 2, seed = 4141;
    double seconds = 5, epoch = 0;
    hk_arg_t args[] = {
        {"min", HK_ARG_U64, &min, "smallest block, bytes (>= 1)"},
        {"max", HK_ARG_U64, &max, "largest block, bytes (<= 2^31)"},
        {"chunks", HK_ARG_U64, &chunks, "blocks per lane"},
        {"rounds", HK_ARG_U64, &rounds,
         whole_array ? "a thread does rounds x chunks replacements before the hand-over"
                     : "replacements per thread before the hand-over"},
        {"threads", HK_ARG_U64, &threads, "lanes (concurrent threads)"},
        {"seconds", HK_ARG_F64, &seconds, "duration"},
        {"seed", HK_ARG_U64, &seed, "splitmix64 seed (lane i uses seed + i)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, name, what, args, HK_NARGS(args));
    if (min == 0 || min > max || max > ((uint64_t)1 << 31) || chunks == 0 || chunks > ((uint64_t)1 << 32) ||
        rounds == 0 || rounds > ((uint64_t)1 << 31) || threads == 0 || threads > 1024 || !(seconds > 0))
        hk_usage_error(name, what, args, HK_NARGS(args),
                       "need 1 <= min <= max <= 2^31, 1 <= chunks <= 2^32, 1 <= rounds <= 2^31, 1 <= threads <= 1024, "
                       "seconds > 0");
    g_min = min;
    g_max = max;
    g_chunks = chunks;
    g_per_thread = whole_array ? rounds * chunks : rounds;

    hk_lane_t *lanes = calloc(threads, sizeof(hk_lane_t));
    if (!lanes)
        hk_die(name, "calloc of the lane table failed");
    for (uint64_t i = 0; i < threads; i++) {
        hk_lane_t *l = &lanes[i];
        l->index = i;
        l->rng = seed + i;
        l->blk = calloc(chunks, sizeof(*l->blk));
        l->size = calloc(chunks, sizeof(*l->size));
        if (!l->blk || !l->size)
            hk_die(name, "calloc of lane %llu's arrays failed", (unsigned long long)i);
        for (uint64_t s = 0; s < chunks; s++)
            if (hk_fill_slot(l, s, hk_splitmix64(&l->rng)))
                hk_die(name, "malloc returned NULL while filling lane %llu", (unsigned long long)i);
        /* warm-up (not timed, not counted) */
        for (uint64_t k = 0; k < 4 * chunks; k++)
            if (hk_replace_one(l))
                hk_die(name, "malloc returned NULL while warming up lane %llu", (unsigned long long)i);
    }

    hk_soak_t soak;
    hk_soak_start(&soak, seconds, epoch);
    double t0 = soak.t0;
    for (uint64_t i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, hk_lane_thread, &lanes[i]))
            hk_die(name, "pthread_create failed");
    }
    hk_lane_sample_t ctx = {lanes, threads};
    hk_soak_monitor(&soak, hk_lane_sample_ops, &ctx);
    atomic_store(&g_stop, 1);
    for (uint64_t i = 0; i < threads; i++) {
        while (!atomic_load_explicit(&lanes[i].done, memory_order_acquire)) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        pthread_join(lanes[i].last, NULL);
    }
    double elapsed = hk_now() - t0;

    uint64_t ops = 0, generations = 0;
    unsigned bad = 0;
    int oom = 0;
    for (uint64_t i = 0; i < threads; i++) {
        hk_lane_t *l = &lanes[i];
        for (uint64_t s = 0; s < chunks; s++) {
            if (l->blk[s]) {
                bad |= hk_tag_check(l->blk[s], l->size[s], hk_tag_of(i, s, l->size[s]));
                free(l->blk[s]);
            }
        }
        free(l->blk);
        free(l->size);
        ops += atomic_load(&l->ops);
        generations += l->generations;
        bad |= l->bad;
        oom |= l->oom;
    }
    free(lanes);
    if (oom)
        hk_die(name, "malloc returned NULL");
    if (bad)
        hk_die(name, "a block's tag changed between malloc and free (memory corruption)");
    double mops = elapsed > 0 ? (double)ops / elapsed / 1e6 : 0.0;
    printf("%s ops=%llu seconds=%.4f mops=%.*f threads_created=%llu\n", name, (unsigned long long)ops, elapsed,
           hk_mops_decimals(mops), mops, (unsigned long long)generations);
    return 0;
}

#endif /* HAKMEM_BENCH_HANDOVER_H */
