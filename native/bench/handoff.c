/*
 * handoff - the published producer/consumer test of Lever and Boreham ("malloc() Performance in
 * a Multithreaded Linux Environment", USENIX 2000), as allocator projects run it (mimalloc-bench's
 * xmalloc-test, `-w 2 -t 5 -s 64`; docs/workloads.md).
 *
 * `workers` producer threads and `workers` consumer threads share one stack of batches, guarded
 * by a mutex and two condition variables and bounded at `depth` batches: a producer waits while
 * it is full, a consumer while it is empty. A producer mallocs a batch record (a next pointer and
 * `batch` block pointers: about 32 KiB), fills it with `batch` blocks of `size` bytes (malloc,
 * then write the first min(size, 128) bytes with the block's index, as the published memset does)
 * and pushes it; a consumer pops the newest batch, frees every block, then the record. So nearly
 * every free is another thread's block, up to depth x batch blocks are in flight (25 MiB by
 * default), and producers allocate while the memory of long-gone batches comes back.
 * Runs for `seconds`; ops = blocks freed by the consumers. Defaults: workers 2, batch 4096,
 * depth 100, size 64, seconds 5.
 *
 * Self-check: before freeing a block the consumer checks its first byte (the index the producer
 * wrote; the published program reads nothing back) and at the end the blocks produced equal the
 * blocks freed by consumers plus those left on the stack (exit 1 otherwise).
 * Soak mode: `seconds` is the duration; `epoch=<s>` adds an epoch line every <s> seconds.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

static const char NAME[] = "handoff";
static const char WHAT[] = "workers producers malloc batches of blocks onto a bounded stack, workers consumers "
                           "free them (Lever & Boreham); ops = blocks freed";

typedef struct batch {
    struct batch *next;
    unsigned char *block[]; /* g_batch of them */
} batch_t;

/* One per thread, on its own lines. */
typedef struct worker {
    _Alignas(64) _Atomic uint64_t freed; /* consumer: blocks freed, published every batch */
    uint64_t produced;                   /* producer: blocks in pushed batches */
    unsigned bad;
    int oom;
    char pad[64];
} worker_t;

static uint64_t g_batch, g_depth, g_size;
static atomic_int g_stop;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER;
static batch_t *g_stack;     /* newest first */
static uint64_t g_stack_len; /* batches on the stack */

static int stopped(void)
{
    return atomic_load_explicit(&g_stop, memory_order_relaxed);
}

/* Push b, waiting while the stack is full; returns 0 if the run stopped first (b not pushed). */
static int push_batch(batch_t *b)
{
    pthread_mutex_lock(&g_lock);
    while (g_stack_len >= g_depth && !stopped())
        pthread_cond_wait(&g_not_full, &g_lock);
    int ok = !stopped();
    if (ok) {
        b->next = g_stack;
        g_stack = b;
        g_stack_len++;
        pthread_cond_signal(&g_not_empty);
    }
    pthread_mutex_unlock(&g_lock);
    return ok;
}

/* The newest batch, waiting while the stack is empty; NULL once the run stopped. */
static batch_t *pop_batch(void)
{
    pthread_mutex_lock(&g_lock);
    while (g_stack == NULL && !stopped())
        pthread_cond_wait(&g_not_empty, &g_lock);
    batch_t *b = stopped() ? NULL : g_stack;
    if (b) {
        g_stack = b->next;
        g_stack_len--;
        pthread_cond_signal(&g_not_full);
    }
    pthread_mutex_unlock(&g_lock);
    return b;
}

static size_t fill_len(void)
{
    return g_size < 128 ? (size_t)g_size : 128;
}

/* Frees a batch's blocks and the record; returns 1 if a block's first byte is not what its producer wrote. */
static unsigned free_batch(batch_t *b)
{
    unsigned bad = 0;
    for (uint64_t i = 0; i < g_batch; i++) {
        unsigned char *p = b->block[i];
        bad |= p[0] != (unsigned char)i;
        free(p);
    }
    free(b);
    return bad;
}

static void *producer(void *arg)
{
    worker_t *w = arg;
    size_t n = fill_len();
    while (!stopped()) {
        batch_t *b = malloc(sizeof(batch_t) + g_batch * sizeof(unsigned char *));
        if (HK_UNLIKELY(!b)) {
            w->oom = 1;
            break;
        }
        uint64_t i = 0;
        for (; i < g_batch; i++) {
            unsigned char *p = malloc(g_size);
            if (HK_UNLIKELY(!p))
                break;
            memset(p, (int)(i & 255), n);
            b->block[i] = p;
        }
        if (HK_UNLIKELY(i < g_batch)) {
            w->oom = 1;
            while (i-- > 0)
                free(b->block[i]);
            free(b);
            break;
        }
        if (!push_batch(b)) { /* stopped while waiting: this batch was never handed off */
            w->bad |= free_batch(b);
            break;
        }
        w->produced += g_batch;
    }
    atomic_store(&g_stop, 1); /* an out-of-memory producer stops the run */
    return NULL;
}

static void *consumer(void *arg)
{
    worker_t *w = arg;
    batch_t *b;
    while ((b = pop_batch()) != NULL) {
        w->bad |= free_batch(b);
        atomic_store_explicit(&w->freed, atomic_load_explicit(&w->freed, memory_order_relaxed) + g_batch,
                              memory_order_relaxed);
    }
    return NULL;
}

typedef struct {
    worker_t *consumers;
    uint64_t n;
} sample_ctx_t;

static uint64_t sample_freed(void *ctx)
{
    sample_ctx_t *c = ctx;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < c->n; i++)
        sum += atomic_load_explicit(&c->consumers[i].freed, memory_order_relaxed);
    return sum;
}

int main(int argc, char **argv)
{
    uint64_t workers = 2, batch = 4096, depth = 100, size = 64;
    double seconds = 5, epoch = 0;
    hk_arg_t args[] = {
        {"workers", HK_ARG_U64, &workers, "producer threads, and as many consumer threads"},
        {"batch", HK_ARG_U64, &batch, "blocks per batch"},
        {"depth", HK_ARG_U64, &depth, "most batches on the stack (producers wait beyond)"},
        {"size", HK_ARG_U64, &size, "block size, bytes"},
        {"seconds", HK_ARG_F64, &seconds, "duration"},
        {"epoch", HK_ARG_F64, &epoch, "soak mode: print an epoch line this often (0 = none)"},
    };
    hk_parse_args(argc, argv, NAME, WHAT, args, HK_NARGS(args));
    if (workers < 1 || workers > 512 || batch < 1 || batch > ((uint64_t)1 << 24) || depth < 1 ||
        depth > ((uint64_t)1 << 20) || size < 1 || size > ((uint64_t)1 << 30) || !(seconds > 0))
        hk_usage_error(NAME, WHAT, args, HK_NARGS(args),
                       "need 1 <= workers <= 512, 1 <= batch <= 2^24, 1 <= depth <= 2^20, 1 <= size <= 2^30, "
                       "seconds > 0");
    g_batch = batch;
    g_depth = depth;
    g_size = size;

    worker_t *prod = aligned_alloc(64, workers * sizeof(worker_t));
    worker_t *cons = aligned_alloc(64, workers * sizeof(worker_t));
    pthread_t *tid = calloc(2 * workers, sizeof(pthread_t));
    if (!prod || !cons || !tid)
        hk_die(NAME, "allocation of the thread table failed");
    memset(prod, 0, workers * sizeof(worker_t));
    memset(cons, 0, workers * sizeof(worker_t));

    hk_soak_t soak;
    hk_soak_start(&soak, seconds, epoch);
    for (uint64_t i = 0; i < workers; i++)
        if (pthread_create(&tid[2 * i], NULL, consumer, &cons[i]) ||
            pthread_create(&tid[2 * i + 1], NULL, producer, &prod[i]))
            hk_die(NAME, "pthread_create failed");
    sample_ctx_t ctx = {cons, workers};
    hk_soak_monitor(&soak, sample_freed, &ctx);
    pthread_mutex_lock(&g_lock);
    atomic_store(&g_stop, 1);
    pthread_cond_broadcast(&g_not_full);
    pthread_cond_broadcast(&g_not_empty);
    pthread_mutex_unlock(&g_lock);
    for (uint64_t i = 0; i < 2 * workers; i++)
        pthread_join(tid[i], NULL);
    double elapsed = hk_now() - soak.t0;

    uint64_t produced = 0, freed = 0, left = 0;
    unsigned bad = 0;
    int oom = 0;
    for (uint64_t i = 0; i < workers; i++) {
        produced += prod[i].produced;
        freed += atomic_load(&cons[i].freed);
        bad |= prod[i].bad | cons[i].bad;
        oom |= prod[i].oom;
    }
    while (g_stack) { /* what the consumers did not reach: freed here, not counted */
        batch_t *b = g_stack;
        g_stack = b->next;
        bad |= free_batch(b);
        left += batch;
    }
    free(tid);
    free(prod);
    free(cons);
    if (oom)
        hk_die(NAME, "malloc returned NULL");
    if (bad)
        hk_die(NAME, "a block's first byte changed between its producer and its consumer (memory corruption)");
    if (produced != freed + left)
        hk_die(NAME, "producers handed off %llu blocks, consumers freed %llu and %llu were left",
               (unsigned long long)produced, (unsigned long long)freed, (unsigned long long)left);
    hk_print_result(NAME, freed, elapsed);
    return 0;
}
