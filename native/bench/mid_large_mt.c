/*
 * mid_large_mt - the mid path and per-thread scaling (docs/workloads.md).
 *
 * `threads` threads, each with its own `ws` slots, random replace exactly as in
 * random_mixed (splitmix64 seeded with seed + thread index; free if the slot is full,
 * otherwise malloc(min + (r >> 32) % (max - min + 1)) and write one byte) with sizes
 * 8 KiB..32 KiB. `iters` is per thread; ops = iterations of all threads.
 * seconds = from the moment all threads are released until the last one finishes.
 *
 * Self-check: the byte written is (uint8_t)idx, compared when the block is freed.
 * Soak mode (seconds=<total> epoch=<s>): the threads loop until the time is up.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

static const char NAME[] = "mid_large_mt";
static const char WHAT[] =
    "per-thread random replace over ws slots, sizes [min,max] (8..32 KiB); iters per thread; ops = all iterations";

#define CHECK_EVERY 1024

typedef struct worker {
    pthread_t tid;
    uint64_t index;
    _Atomic uint64_t ops; /* published every CHECK_EVERY iterations */
    unsigned bad;
    int oom;
    char pad[64];
} worker_t;

static uint64_t g_iters, g_ws, g_seed, g_min, g_max;
static int g_soak;
static atomic_int g_stop;
static pthread_barrier_t g_start;

static void *work(void *arg)
{
    worker_t *w = arg;
    pthread_barrier_wait(&g_start);
    void **slot = calloc(g_ws, sizeof(void *));
    if (!slot) {
        w->oom = 1;
        return NULL;
    }
    const uint64_t span = g_max - g_min + 1;
    uint64_t rng = g_seed + w->index;
    unsigned bad = 0;
    uint64_t done = 0;
    for (;;) {
        uint64_t n = CHECK_EVERY;
        if (!g_soak) {
            if (done >= g_iters)
                break;
            if (g_iters - done < n)
                n = g_iters - done;
        } else if (atomic_load_explicit(&g_stop, memory_order_relaxed)) {
            break;
        }
        for (uint64_t k = 0; k < n; k++) {
            uint64_t r = hk_splitmix64(&rng);
            uint64_t idx = r % g_ws;
            unsigned char *p = slot[idx];
            if (p) {
                bad |= p[0] ^ (unsigned char)idx;
                free(p);
                slot[idx] = NULL;
            } else {
                p = malloc(g_min + (r >> 32) % span);
                if (HK_UNLIKELY(!p)) {
                    w->oom = 1;
                    goto out;
                }
                p[0] = (unsigned char)idx;
                slot[idx] = p;
            }
        }
        done += n;
        atomic_store_explicit(&w->ops, done, memory_order_relaxed);
    }
out:
    for (uint64_t i = 0; i < g_ws; i++) {
        unsigned char *p = slot[i];
        if (p) {
            bad |= p[0] ^ (unsigned char)i;
            free(p);
        }
    }
    free(slot);
    w->bad = bad;
    return NULL;
}

typedef struct {
    worker_t *w;
    uint64_t n;
} sample_ctx_t;

static uint64_t sample_ops(void *ctx)
{
    sample_ctx_t *c = ctx;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < c->n; i++)
        sum += atomic_load_explicit(&c->w[i].ops, memory_order_relaxed);
    return sum;
}

int main(int argc, char **argv)
{
    uint64_t threads = 2, iters = 2000000, ws = 256, seed = 1, min = 8192, max = 32768;
    double seconds = 0, epoch = 0;
    hk_arg_t args[] = {
        {"threads", HK_ARG_U64, &threads, "worker threads"},
        {"iters", HK_ARG_U64, &iters, "iterations per thread (ignored in soak mode)"},
        {"ws", HK_ARG_U64, &ws, "working-set slots per thread"},
        {"seed", HK_ARG_U64, &seed, "splitmix64 seed (thread i uses seed + i)"},
        {"min", HK_ARG_U64, &min, "smallest request, bytes (>= 1)"},
        {"max", HK_ARG_U64, &max, "largest request, bytes"},
        {"seconds", HK_ARG_F64, &seconds, "soak mode: run this long (0 = run iters)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (threads == 0 || threads > 1024 || ws == 0 || min == 0 || min > max || max > ((uint64_t)1 << 40))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args), "need 1 <= threads <= 1024, ws >= 1 and 1 <= min <= max");
    g_iters = iters;
    g_ws = ws;
    g_seed = seed;
    g_min = min;
    g_max = max;
    g_soak = seconds > 0;

    worker_t *w = calloc(threads, sizeof(worker_t));
    if (!w)
        hk_die(NAME, "calloc of the worker table failed");
    pthread_barrier_init(&g_start, NULL, (unsigned)threads + 1);
    for (uint64_t i = 0; i < threads; i++) {
        w[i].index = i;
        if (pthread_create(&w[i].tid, NULL, work, &w[i]))
            hk_die(NAME, "pthread_create failed");
    }
    pthread_barrier_wait(&g_start);
    double t0 = hk_now();
    if (g_soak) {
        hk_soak_t soak;
        sample_ctx_t ctx = {w, threads};
        hk_soak_start(&soak, seconds, epoch);
        t0 = soak.t0;
        hk_soak_monitor(&soak, sample_ops, &ctx);
        atomic_store(&g_stop, 1);
    }
    for (uint64_t i = 0; i < threads; i++)
        pthread_join(w[i].tid, NULL);
    double elapsed = hk_now() - t0;
    uint64_t ops = 0;
    for (uint64_t i = 0; i < threads; i++) {
        if (w[i].oom)
            hk_die(NAME, "malloc returned NULL in thread %llu", (unsigned long long)i);
        if (w[i].bad)
            hk_die(NAME, "thread %llu: a block's first byte changed between malloc and free (memory corruption)",
                   (unsigned long long)i);
        ops += atomic_load(&w[i].ops);
    }
    free(w);
    hk_print_result(NAME, ops, elapsed);
    return 0;
}
