/*
 * exchange - every thread frees every other thread's blocks (docs/workloads.md).
 *
 * `threads` threads share an array of `slots` atomic pointers, all empty. Each thread repeatedly
 * draws a size (splitmix64 seeded with seed + thread index: 88 % uniform in 16-1,023 B, 11 % in
 * 1-65 KiB, 1 % in 256 KiB-1 MiB), mallocs it, writes a tag at its start and in its last byte,
 * swaps it into a random slot with an atomic exchange, checks the tags of the block it took out
 * and frees it. So nearly every free is of a block another thread allocated, the live set stays
 * at about `slots` blocks (75 MiB by default), and the memory an allocator holds beyond that is
 * what it keeps per thread and in transit.
 * Runs for `seconds`; ops = blocks allocated. RSS is sampled every 250 ms by the main thread; the
 * result line adds peak_rss_kb (the highest sample) and end_rss_kb (when the threads have
 * stopped, before the slots are freed). Defaults: threads 2, slots 8192, seconds 5, seed 1.
 *
 * Self-check: a block's first word holds its size XOR a constant and its last byte a function of
 * the size; the thread that takes it out checks both before the free (exit 1 on a mismatch).
 * Soak mode: `seconds` is the duration; `epoch=<s>` adds an epoch line every <s> seconds (each
 * with the RSS then), which shows whether memory keeps growing over a long run.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

static const char NAME[] = "exchange";
static const char WHAT[] = "threads swap new blocks of mixed sizes into random shared slots and free what they take "
                           "out; ops = blocks allocated";

#define TAG 0x6b65786368616e67ULL /* "kexchang" */
#define RSS_EVERY 0.25            /* seconds between RSS samples */

typedef struct worker {
    _Alignas(64) _Atomic uint64_t ops;
    uint64_t index;
    unsigned bad;
    int oom;
    char pad[64];
} worker_t;

static _Atomic(unsigned char *) *g_slot;
static uint64_t g_slots, g_seed;
static atomic_int g_stop;

/* 88 % 16..1023 B, 11 % 1..65 KiB, 1 % 256 KiB..1 MiB, from one random word. */
static inline uint64_t draw_size(uint64_t r)
{
    uint64_t pick = (r & 0xffff) % 100, v = r >> 16;
    if (pick < 88)
        return 16 + v % (1024 - 16);
    if (pick < 99)
        return 1024 + v % (65 * 1024 - 1024 + 1);
    return 256 * 1024 + v % (1024 * 1024 - 256 * 1024 + 1);
}

static inline unsigned char last_tag(uint64_t size)
{
    return (unsigned char)((size * 0x9e3779b97f4a7c15ULL) >> 56);
}

static inline void tag_block(unsigned char *p, uint64_t size)
{
    uint64_t t = size ^ TAG;
    memcpy(p, &t, 8);
    p[size - 1] = last_tag(size);
}

/* 1 if p's tags are not what tag_block wrote (its size is read from its first word). */
static inline unsigned check_block(const unsigned char *p)
{
    uint64_t t;
    memcpy(&t, p, 8);
    uint64_t size = t ^ TAG;
    if (size < 16 || size > 1024 * 1024)
        return 1;
    return p[size - 1] != last_tag(size);
}

static void *worker(void *arg)
{
    worker_t *w = arg;
    uint64_t rng = g_seed + w->index, n = 0;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        for (unsigned k = 0; k < 256; k++) {
            uint64_t r = hk_splitmix64(&rng);
            uint64_t size = draw_size(r);
            unsigned char *p = malloc(size);
            if (HK_UNLIKELY(!p)) {
                w->oom = 1;
                atomic_store(&g_stop, 1);
                break;
            }
            tag_block(p, size);
            uint64_t slot = hk_splitmix64(&rng) % g_slots;
            unsigned char *old = atomic_exchange_explicit(&g_slot[slot], p, memory_order_acq_rel);
            if (old) {
                w->bad |= check_block(old);
                free(old);
            }
            n++;
        }
        atomic_store_explicit(&w->ops, n, memory_order_relaxed);
    }
    atomic_store_explicit(&w->ops, n, memory_order_relaxed);
    return NULL;
}

typedef struct {
    worker_t *w;
    uint64_t n;
    double next_rss;
    long peak_rss_kb;
} sample_ctx_t;

/* hk_soak_monitor's sampler (called every 50 ms at most): the ops so far, and an RSS sample every RSS_EVERY. */
static uint64_t sample(void *arg)
{
    sample_ctx_t *c = arg;
    double now = hk_now();
    if (now >= c->next_rss) {
        long rss = hk_rss_kb();
        if (rss > c->peak_rss_kb)
            c->peak_rss_kb = rss;
        c->next_rss = now + RSS_EVERY;
    }
    uint64_t sum = 0;
    for (uint64_t i = 0; i < c->n; i++)
        sum += atomic_load_explicit(&c->w[i].ops, memory_order_relaxed);
    return sum;
}

int main(int argc, char **argv)
{
    uint64_t threads = 2, slots = 8192, seed = 1;
    double seconds = 5, epoch = 0;
    hk_arg_t args[] = {
        {"threads", HK_ARG_U64, &threads, "threads"},
        {"slots", HK_ARG_U64, &slots, "shared slots (the live set: about slots blocks)"},
        {"seconds", HK_ARG_F64, &seconds, "duration"},
        {"seed", HK_ARG_U64, &seed, "splitmix64 seed (thread i uses seed + i)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (threads < 1 || threads > 1024 || slots < 1 || slots > ((uint64_t)1 << 24) || !(seconds > 0))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args), "need 1 <= threads <= 1024, 1 <= slots <= 2^24, seconds > 0");
    g_slots = slots;
    g_seed = seed;
    g_slot = calloc(slots, sizeof(*g_slot));
    worker_t *w = aligned_alloc(64, threads * sizeof(worker_t));
    pthread_t *tid = calloc(threads, sizeof(pthread_t));
    if (!g_slot || !w || !tid)
        hk_die(NAME, "allocation of the slot and thread tables failed");
    memset(w, 0, threads * sizeof(worker_t));

    hk_soak_t soak;
    hk_soak_start(&soak, seconds, epoch);
    sample_ctx_t ctx = {w, threads, soak.t0, 0};
    for (uint64_t i = 0; i < threads; i++) {
        w[i].index = i;
        if (pthread_create(&tid[i], NULL, worker, &w[i]))
            hk_die(NAME, "pthread_create failed");
    }
    hk_soak_monitor(&soak, sample, &ctx);
    atomic_store(&g_stop, 1);
    for (uint64_t i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double elapsed = hk_now() - soak.t0;
    long end_rss_kb = hk_rss_kb();
    if (end_rss_kb > ctx.peak_rss_kb)
        ctx.peak_rss_kb = end_rss_kb;

    uint64_t ops = 0;
    unsigned bad = 0;
    int oom = 0;
    for (uint64_t i = 0; i < threads; i++) {
        ops += atomic_load(&w[i].ops);
        bad |= w[i].bad;
        oom |= w[i].oom;
    }
    for (uint64_t s = 0; s < slots; s++) {
        unsigned char *p = atomic_load_explicit(&g_slot[s], memory_order_relaxed);
        if (p) {
            bad |= check_block(p);
            free(p);
        }
    }
    free(tid);
    free(w);
    free(g_slot);
    if (oom)
        hk_die(NAME, "malloc returned NULL");
    if (bad)
        hk_die(NAME, "a block's tags changed between its malloc and its free (memory corruption)");
    double mops = elapsed > 0 ? (double)ops / elapsed / 1e6 : 0.0;
    printf("%s ops=%llu seconds=%.4f mops=%.*f peak_rss_kb=%ld end_rss_kb=%ld\n", NAME, (unsigned long long)ops,
           elapsed, hk_mops_decimals(mops), mops, ctx.peak_rss_kb, end_rss_kb);
    return 0;
}
