/*
 * larson - server simulation: cross-thread frees, thread churn, remote queue, abandonment
 * (../shared/spec/workloads.md; after Larson & Krishnan's benchmark).
 *
 * `threads` lanes. Each lane owns an array of `chunks` blocks of random size in [min,max]
 * (filled by the main thread before the clock starts). A lane's thread replaces `rounds`
 * random blocks (free + malloc, splitmix64 seeded with seed + lane index), then hands the
 * lane to a NEW thread, which keeps going, so blocks are freed by threads that did not
 * allocate them. The successor joins its predecessor, so no thread is left behind.
 * Runs for `seconds`; ops = replacements. After the stop the main thread frees every
 * block still held.
 *
 * Self-check: every block carries an 8-byte tag derived from (lane, slot, size) at its
 * start and a tag byte at its end; both are verified when the block is freed (exit 1 on
 * a mismatch).
 *
 * Soak mode: `seconds` is already the duration; `epoch=<s>` adds one epoch line every <s>.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

static const char NAME[] = "larson";
static const char WHAT[] =
    "lanes of `chunks` blocks; each thread replaces `rounds` blocks, then hands its lane to a new thread; ops = replacements";

typedef struct lane {
    uint64_t index;
    unsigned char **blk;
    uint32_t *size;
    uint64_t rng;
    pthread_t prev;      /* the thread the next one must join */
    int has_prev;
    pthread_t last;      /* the final thread of this lane (valid once done) */
    _Atomic int done;
    _Atomic uint64_t ops;
    uint64_t generations; /* threads that worked on this lane */
    uint64_t create_failures;
    unsigned bad;
    int oom;
    char pad[64];
} lane_t;

static uint64_t g_min, g_max, g_chunks, g_rounds;
static atomic_int g_stop;

static inline uint64_t tag_of(uint64_t lane, uint64_t slot, uint64_t size)
{
    uint64_t t = (size << 40) ^ (slot * 0x9e3779b97f4a7c15ULL) ^ (lane << 20) ^ 0x5bd1e995ULL;
    return t;
}

static inline void tag_write(unsigned char *p, uint64_t size, uint64_t tag)
{
    memcpy(p, &tag, size < 8 ? size : 8);
    if (size > 8)
        p[size - 1] = (unsigned char)(tag >> 56) ^ 0xa5;
}

static inline unsigned tag_check(const unsigned char *p, uint64_t size, uint64_t tag)
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

static int fill_slot(lane_t *l, uint64_t slot, uint64_t r)
{
    uint64_t size = g_min + (r >> 32) % (g_max - g_min + 1);
    unsigned char *p = malloc(size);
    if (!p)
        return -1;
    tag_write(p, size, tag_of(l->index, slot, size));
    l->blk[slot] = p;
    l->size[slot] = (uint32_t)size;
    return 0;
}

static void *lane_thread(void *arg)
{
    lane_t *l = arg;
    if (l->has_prev)
        pthread_join(l->prev, NULL);
    l->generations++;
    for (;;) {
        uint64_t n = 0;
        while (n < g_rounds && !atomic_load_explicit(&g_stop, memory_order_relaxed)) {
            uint64_t r = hk_splitmix64(&l->rng);
            uint64_t victim = r % g_chunks;
            unsigned char *p = l->blk[victim];
            l->bad |= tag_check(p, l->size[victim], tag_of(l->index, victim, l->size[victim]));
            free(p);
            if (HK_UNLIKELY(fill_slot(l, victim, r))) {
                l->blk[victim] = NULL;
                l->oom = 1;
                atomic_store(&g_stop, 1);
                break;
            }
            n++;
        }
        atomic_store_explicit(&l->ops, atomic_load_explicit(&l->ops, memory_order_relaxed) + n,
                              memory_order_relaxed);
        if (atomic_load_explicit(&g_stop, memory_order_relaxed))
            break;
        pthread_t next;
        l->prev = pthread_self();
        l->has_prev = 1;
        if (pthread_create(&next, NULL, lane_thread, l) == 0)
            return NULL; /* the successor joins us */
        l->has_prev = 0;
        l->create_failures++; /* could not hand over: keep going in this thread */
    }
    l->last = pthread_self();
    atomic_store_explicit(&l->done, 1, memory_order_release);
    return NULL;
}

typedef struct { lane_t *l; uint64_t n; } sample_ctx_t;

static uint64_t sample_ops(void *ctx)
{
    sample_ctx_t *c = ctx;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < c->n; i++)
        sum += atomic_load_explicit(&c->l[i].ops, memory_order_relaxed);
    return sum;
}

int main(int argc, char **argv)
{
    uint64_t min = 8, max = 1000, chunks = 5000, rounds = 100, threads = 2, seed = 4141;
    double seconds = 5, epoch = 0;
    hk_arg_t args[] = {
        { "min", HK_ARG_U64, &min, "smallest block, bytes (>= 1)" },
        { "max", HK_ARG_U64, &max, "largest block, bytes (<= 2^31)" },
        { "chunks", HK_ARG_U64, &chunks, "blocks per lane" },
        { "rounds", HK_ARG_U64, &rounds, "replacements per thread before the hand-over" },
        { "threads", HK_ARG_U64, &threads, "lanes (concurrent threads)" },
        { "seconds", HK_ARG_F64, &seconds, "duration" },
        { "seed", HK_ARG_U64, &seed, "splitmix64 seed (lane i uses seed + i)" },
        { "epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)" },
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (min == 0 || min > max || max > ((uint64_t)1 << 31) || chunks == 0 || rounds == 0 ||
        threads == 0 || threads > 1024 || !(seconds > 0))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args),
                       "need 1 <= min <= max <= 2^31, chunks, rounds >= 1, 1 <= threads <= 1024, seconds > 0");
    g_min = min;
    g_max = max;
    g_chunks = chunks;
    g_rounds = rounds;

    lane_t *lanes = calloc(threads, sizeof(lane_t));
    if (!lanes)
        hk_die(NAME, "calloc of the lane table failed");
    for (uint64_t i = 0; i < threads; i++) {
        lane_t *l = &lanes[i];
        l->index = i;
        l->rng = seed + i;
        l->blk = calloc(chunks, sizeof(*l->blk));
        l->size = calloc(chunks, sizeof(*l->size));
        if (!l->blk || !l->size)
            hk_die(NAME, "calloc of lane %llu's arrays failed", (unsigned long long)i);
        for (uint64_t s = 0; s < chunks; s++)
            if (fill_slot(l, s, hk_splitmix64(&l->rng)))
                hk_die(NAME, "malloc returned NULL while filling lane %llu", (unsigned long long)i);
    }

    hk_soak_t soak;
    hk_soak_start(&soak, seconds, epoch);
    double t0 = soak.t0;
    for (uint64_t i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, lane_thread, &lanes[i]))
            hk_die(NAME, "pthread_create failed");
    }
    sample_ctx_t ctx = { lanes, threads };
    hk_soak_monitor(&soak, sample_ops, &ctx);
    atomic_store(&g_stop, 1);
    for (uint64_t i = 0; i < threads; i++) {
        while (!atomic_load_explicit(&lanes[i].done, memory_order_acquire)) {
            struct timespec ts = { 0, 1000000 };
            nanosleep(&ts, NULL);
        }
        pthread_join(lanes[i].last, NULL);
    }
    double elapsed = hk_now() - t0;

    uint64_t ops = 0, generations = 0;
    unsigned bad = 0;
    int oom = 0;
    for (uint64_t i = 0; i < threads; i++) {
        lane_t *l = &lanes[i];
        for (uint64_t s = 0; s < chunks; s++) {
            if (l->blk[s]) {
                bad |= tag_check(l->blk[s], l->size[s], tag_of(i, s, l->size[s]));
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
        hk_die(NAME, "malloc returned NULL");
    if (bad)
        hk_die(NAME, "a block's tag changed between malloc and free (memory corruption)");
    double mops = elapsed > 0 ? (double)ops / elapsed / 1e6 : 0.0;
    printf("%s ops=%llu seconds=%.4f mops=%.2f threads_created=%llu\n", NAME,
           (unsigned long long)ops, elapsed, mops, (unsigned long long)generations);
    return 0;
}
