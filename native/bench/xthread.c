/*
 * xthread - the remote free queue alone (docs/workloads.md).
 *
 * threads/2 producers malloc blocks of 16..1024 bytes (splitmix64 seeded with
 * seed + producer index) and pass them through bounded single-producer/single-consumer
 * rings (producer i -> ring i -> consumer i) to threads/2 consumers that free them.
 * `iters` = blocks in total, split evenly across producers; ops = blocks passed (each one
 * malloc in a producer + one free in a consumer).
 *
 * Self-check: each block carries (sequence, size) in its first 16 bytes and a tag byte at
 * its end, verified by the consumer before the free; producers and consumers also sum the
 * sizes they handled and the sums must agree (exit 1 otherwise).
 *
 * Soak mode (seconds=<total> epoch=<s>): producers run until the time is up; iters is ignored.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "common.h"

static const char NAME[] = "xthread";
static const char WHAT[] = "threads/2 producers malloc, threads/2 consumers free, through bounded rings; iters = "
                           "blocks in total; ops = blocks";

#define RING_SIZE 1024 /* entries, power of two */
#define MAGIC 0x6b61686d656d5854ULL

typedef struct ring {
    _Alignas(64) _Atomic uint64_t tail; /* written by the producer */
    _Alignas(64) _Atomic uint64_t head; /* written by the consumer */
    _Alignas(64) _Atomic int producer_done;
    _Alignas(64) void *slot[RING_SIZE];
    /* producer side */
    _Alignas(64) uint64_t p_index, p_quota, p_sum, p_count;
    int p_oom;
    /* consumer side */
    _Alignas(64) _Atomic uint64_t c_count;
    uint64_t c_sum;
    unsigned c_bad;
} ring_t;

static uint64_t g_seed, g_min, g_max;
static int g_soak;
static atomic_int g_stop;
static pthread_barrier_t g_start;

static inline void backoff(unsigned *spins)
{
    if (++*spins < 2048) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ volatile("yield" ::: "memory");
#endif
    } else
        sched_yield();
}

static void *producer(void *arg)
{
    ring_t *q = arg;
    uint64_t rng = g_seed + q->p_index;
    const uint64_t span = g_max - g_min + 1;
    uint64_t tail = 0, head_cache = 0, sum = 0, seq = 0;
    pthread_barrier_wait(&g_start);
    for (;;) {
        if (g_soak) {
            if ((seq & 1023) == 0 && atomic_load_explicit(&g_stop, memory_order_relaxed))
                break;
        } else if (seq == q->p_quota) {
            break;
        }
        uint64_t size = g_min + (hk_splitmix64(&rng) >> 32) % span;
        unsigned char *p = malloc(size);
        if (HK_UNLIKELY(!p)) {
            q->p_oom = 1;
            break;
        }
        uint64_t h0 = seq ^ MAGIC, h1 = size;
        memcpy(p, &h0, 8);
        memcpy(p + 8, &h1, 8);
        if (size > 16)
            p[size - 1] = (unsigned char)(seq ^ 0x3c);
        sum += size;
        seq++;
        if (tail - head_cache == RING_SIZE) {
            unsigned spins = 0;
            while (tail - (head_cache = atomic_load_explicit(&q->head, memory_order_acquire)) == RING_SIZE)
                backoff(&spins);
        }
        q->slot[tail & (RING_SIZE - 1)] = p;
        atomic_store_explicit(&q->tail, ++tail, memory_order_release);
    }
    q->p_sum = sum;
    q->p_count = seq;
    atomic_store_explicit(&q->producer_done, 1, memory_order_release);
    return NULL;
}

static void *consumer(void *arg)
{
    ring_t *q = arg;
    uint64_t head = 0, tail_cache = 0, sum = 0, seq = 0;
    unsigned bad = 0;
    pthread_barrier_wait(&g_start);
    for (;;) {
        if (head == tail_cache) {
            unsigned spins = 0;
            for (;;) {
                tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
                if (tail_cache != head)
                    break;
                if (atomic_load_explicit(&q->producer_done, memory_order_acquire)) {
                    tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
                    if (tail_cache == head)
                        goto out;
                    break;
                }
                backoff(&spins);
            }
        }
        unsigned char *p = q->slot[head & (RING_SIZE - 1)];
        atomic_store_explicit(&q->head, ++head, memory_order_release);
        uint64_t h0, size;
        memcpy(&h0, p, 8);
        memcpy(&size, p + 8, 8);
        if (HK_UNLIKELY(h0 != (seq ^ MAGIC) || size < g_min || size > g_max)) {
            bad = 1; /* header destroyed: do not trust size, do not free */
        } else {
            if (size > 16)
                bad |= p[size - 1] != (unsigned char)(seq ^ 0x3c);
            sum += size;
            free(p);
        }
        seq++;
        if ((seq & 1023) == 0)
            atomic_store_explicit(&q->c_count, seq, memory_order_relaxed);
    }
out:
    atomic_store_explicit(&q->c_count, seq, memory_order_relaxed);
    q->c_sum = sum;
    q->c_bad = bad;
    return NULL;
}

typedef struct {
    ring_t *q;
    uint64_t n;
} sample_ctx_t;

static uint64_t sample_ops(void *ctx)
{
    sample_ctx_t *c = ctx;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < c->n; i++)
        sum += atomic_load_explicit(&c->q[i].c_count, memory_order_relaxed);
    return sum;
}

int main(int argc, char **argv)
{
    uint64_t threads = 2, iters = 10000000, seed = 1, min = 16, max = 1024;
    double seconds = 0, epoch = 0;
    hk_arg_t args[] = {
        {"threads", HK_ARG_U64, &threads, "producers + consumers (even, >= 2)"},
        {"iters", HK_ARG_U64, &iters, "blocks in total (ignored in soak mode)"},
        {"seed", HK_ARG_U64, &seed, "splitmix64 seed (producer i uses seed + i)"},
        {"min", HK_ARG_U64, &min, "smallest block, bytes (>= 16)"},
        {"max", HK_ARG_U64, &max, "largest block, bytes"},
        {"seconds", HK_ARG_F64, &seconds, "soak mode: run this long (0 = run iters)"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (threads < 2 || threads % 2 || threads > 1024 || min < 16 || min > max || max > ((uint64_t)1 << 40))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args), "need an even 2 <= threads <= 1024 and 16 <= min <= max");
    g_seed = seed;
    g_min = min;
    g_max = max;
    g_soak = seconds > 0;

    uint64_t pairs = threads / 2;
    ring_t *q = aligned_alloc(64, pairs * sizeof(ring_t));
    pthread_t *tid = calloc(threads, sizeof(pthread_t));
    if (!q || !tid)
        hk_die(NAME, "allocation of the rings failed");
    memset(q, 0, pairs * sizeof(ring_t));
    pthread_barrier_init(&g_start, NULL, (unsigned)threads + 1);
    for (uint64_t i = 0; i < pairs; i++) {
        q[i].p_index = i;
        q[i].p_quota = iters / pairs + (i < iters % pairs);
        if (pthread_create(&tid[2 * i], NULL, producer, &q[i]) ||
            pthread_create(&tid[2 * i + 1], NULL, consumer, &q[i]))
            hk_die(NAME, "pthread_create failed");
    }
    pthread_barrier_wait(&g_start);
    double t0 = hk_now();
    if (g_soak) {
        hk_soak_t soak;
        sample_ctx_t ctx = {q, pairs};
        hk_soak_start(&soak, seconds, epoch);
        t0 = soak.t0;
        hk_soak_monitor(&soak, sample_ops, &ctx);
        atomic_store(&g_stop, 1);
    }
    for (uint64_t i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double elapsed = hk_now() - t0;

    uint64_t ops = 0;
    for (uint64_t i = 0; i < pairs; i++) {
        if (q[i].p_oom)
            hk_die(NAME, "malloc returned NULL in producer %llu", (unsigned long long)i);
        if (q[i].c_bad)
            hk_die(NAME, "consumer %llu saw a block whose contents changed (memory corruption)", (unsigned long long)i);
        uint64_t c = atomic_load(&q[i].c_count);
        if (c != q[i].p_count || q[i].c_sum != q[i].p_sum)
            hk_die(NAME, "pair %llu: produced %llu blocks / %llu bytes, consumed %llu / %llu", (unsigned long long)i,
                   (unsigned long long)q[i].p_count, (unsigned long long)q[i].p_sum, (unsigned long long)c,
                   (unsigned long long)q[i].c_sum);
        ops += c;
    }
    free(tid);
    free(q);
    hk_print_result(NAME, ops, elapsed);
    return 0;
}
