/*
 * mt_cross_free - cross-thread frees under contention, with every block's contents checked.
 *
 * `threads` threads (default 8) each allocate `ops / threads` blocks (default ops = 3,000,000
 * in total), fill each with a pattern derived from a per-block seed, store in its header
 * the seed, the size and an FNV-1a checksum of the payload, and
 *   - 7 of 8 blocks: push it onto the lock-free inbox of another, random thread, which
 *     verifies header and checksum and frees it (the cross-thread free),
 *   - 1 of 8 blocks: verify and free it itself (a local free, interleaved with remote ones).
 * Sizes: mostly 48..1024 B, 1 in 32 mid (1 KiB..64 KiB), 1 in 2048 large (256 KiB..1 MiB).
 * Back-pressure keeps at most ~64k blocks in flight; every thread keeps draining its inbox
 * until all blocks of all threads have been freed.
 *
 * Arguments (key=value): ops=<total blocks> threads=<n> seed=<s>.
 * Prints what failed and exits 1 on a checksum / header mismatch or a NULL from malloc;
 * a watchdog fails the test after 120 s (deadlock).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "check.h"

#define MAGIC 0x7a3c5e1f00c0ffeeULL
#define MAX_IN_FLIGHT 65536

typedef struct block {
    struct block *next; /* inbox link, written by the pusher (not checksummed) */
    uint64_t magic;
    uint64_t seed;
    uint32_t size; /* whole block, header included */
    uint32_t owner;
    uint64_t sum; /* FNV-1a of the payload */
} block_t;

typedef struct worker {
    _Alignas(64) _Atomic(block_t *) inbox;
    _Alignas(64) pthread_t tid;
    unsigned index;
    uint64_t quota;
    uint64_t freed_remote, freed_local;
    uint64_t bad, oom;
} worker_t;

static worker_t *g_w;
static unsigned g_threads;
static uint64_t g_total, g_seed;
static _Atomic uint64_t g_freed;
static _Atomic int64_t g_in_flight;
static atomic_int g_abort; /* a malloc failed: the block count can no longer be reached */

/* FNV-1a over 64-bit words (the tail byte by byte): cheap enough to cover every byte. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static void fill(block_t *b, uint64_t seed, uint32_t size, unsigned owner)
{
    unsigned char *payload = (unsigned char *)(b + 1);
    size_t n = size - sizeof(block_t);
    uint64_t x = seed;
    for (size_t i = 0; i < n; i += 8) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL; /* LCG: cheap, seed-determined */
        uint64_t r = x ^ (x >> 29);
        memcpy(payload + i, &r, n - i < 8 ? n - i : 8);
    }
    b->magic = MAGIC;
    b->seed = seed;
    b->size = size;
    b->owner = owner;
    b->sum = fnv1a(payload, n);
}

/* Verifies a block and frees it; returns 1 if it was damaged. */
static int check_and_free(worker_t *me, block_t *b, int remote)
{
    if (b->magic != MAGIC || b->size < sizeof(block_t) || b->size > (2u << 20) || b->owner >= g_threads) {
        fprintf(stderr, "mt_cross_free: thread %u: block %p has a destroyed header (magic %llx size %u owner %u)\n",
                me->index, (void *)b, (unsigned long long)b->magic, b->size, b->owner);
        atomic_fetch_add_explicit(&g_freed, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&g_in_flight, 1, memory_order_relaxed);
        return 1; /* do not free: we cannot trust it */
    }
    uint64_t sum = fnv1a((unsigned char *)(b + 1), b->size - sizeof(block_t));
    int bad = sum != b->sum;
    if (bad)
        fprintf(stderr,
                "mt_cross_free: thread %u: block %p (size %u, from thread %u, %s free) checksum %llx, want %llx\n",
                me->index, (void *)b, b->size, b->owner, remote ? "remote" : "local", (unsigned long long)sum,
                (unsigned long long)b->sum);
    memset(b, 0xDD, sizeof(block_t)); /* a double free would now be caught by the magic */
    escape(b);
    free(b);
    atomic_fetch_add_explicit(&g_freed, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&g_in_flight, 1, memory_order_relaxed);
    return bad;
}

static void drain(worker_t *me)
{
    block_t *b = atomic_exchange_explicit(&me->inbox, NULL, memory_order_acquire);
    while (b) {
        block_t *next = b->next;
        me->bad += check_and_free(me, b, 1);
        me->freed_remote++;
        b = next;
    }
}

static void push(worker_t *to, block_t *b)
{
    block_t *head = atomic_load_explicit(&to->inbox, memory_order_relaxed);
    do {
        b->next = head;
    } while (!atomic_compare_exchange_weak_explicit(&to->inbox, &head, b, memory_order_release, memory_order_relaxed));
}

_Static_assert(sizeof(block_t) <= 48, "block header must fit the smallest block");

static uint32_t pick_size(uint64_t r)
{
    uint32_t sel = (uint32_t)(r >> 53); /* 0..2047 */
    uint32_t v = (uint32_t)(r >> 8);
    if (sel == 0) return 256u * 1024 + v % (768u * 1024);
    if (sel % 32 == 1) return 1024 + v % (63u * 1024);
    return 48 + v % (1024 - 48 + 1); /* >= sizeof(block_t) */
}

static void *work(void *arg)
{
    worker_t *me = arg;
    uint64_t rng = g_seed * 1000003u + me->index;
    for (uint64_t made = 0; made < me->quota; made++) {
        while (atomic_load_explicit(&g_in_flight, memory_order_relaxed) > MAX_IN_FLIGHT &&
               !atomic_load_explicit(&g_abort, memory_order_relaxed)) {
            drain(me);
            sched_yield();
        }
        uint64_t r = hk_splitmix64(&rng);
        uint32_t size = pick_size(r);
        block_t *b = malloc(size);
        if (!b) {
            me->oom++;
            atomic_store(&g_abort, 1);
            fprintf(stderr, "mt_cross_free: thread %u: malloc(%u) returned NULL\n", me->index, size);
            break;
        }
        atomic_fetch_add_explicit(&g_in_flight, 1, memory_order_relaxed);
        fill(b, r, size, me->index);
        if ((r & 7) == 0) {
            me->bad += check_and_free(me, b, 0);
            me->freed_local++;
        } else {
            unsigned to = (me->index + 1 + (unsigned)((r >> 3) % (g_threads - 1))) % g_threads;
            push(&g_w[to], b);
        }
        if ((made & 31) == 0) drain(me);
    }
    /* keep freeing what others send until every block of every thread is gone */
    while (atomic_load_explicit(&g_freed, memory_order_relaxed) < g_total &&
           !atomic_load_explicit(&g_abort, memory_order_relaxed)) {
        drain(me);
        sched_yield();
    }
    drain(me);
    return NULL;
}

int main(int argc, char **argv)
{
    check_name = "mt_cross_free";
    unsigned long long ops = 3000000, threads = 8, seed = 1;
    CHECK_ARGS(argc, argv, { "ops", &ops }, { "threads", &threads }, { "seed", &seed });
    if (threads < 2 || threads > 256 || ops < threads) {
        fprintf(stderr, "mt_cross_free: need 2 <= threads <= 256 and ops >= threads\n");
        return 2;
    }
    check_watchdog(120);
    g_threads = (unsigned)threads;
    g_total = ops;
    g_seed = seed;
    g_w = aligned_alloc(64, sizeof(worker_t) * threads);
    if (!g_w) check_fatal("cannot allocate the worker table");
    memset(g_w, 0, sizeof(worker_t) * threads);
    double t0 = hk_now();
    for (unsigned i = 0; i < g_threads; i++) {
        g_w[i].index = i;
        g_w[i].quota = ops / threads + (i < ops % threads);
        if (pthread_create(&g_w[i].tid, NULL, work, &g_w[i])) check_fatal("pthread_create failed");
    }
    uint64_t remote = 0, local = 0, bad = 0, oom = 0;
    for (unsigned i = 0; i < g_threads; i++) pthread_join(g_w[i].tid, NULL);
    for (unsigned i = 0; i < g_threads; i++) {
        remote += g_w[i].freed_remote;
        local += g_w[i].freed_local;
        bad += g_w[i].bad;
        oom += g_w[i].oom;
    }
    double secs = hk_now() - t0;
    CHECK(oom == 0, "malloc returned NULL %llu times", (unsigned long long)oom);
    CHECK(bad == 0, "%llu blocks were damaged between malloc and free", (unsigned long long)bad);
    CHECK(oom || remote + local == ops, "freed %llu blocks (%llu remote, %llu local), want %llu",
          (unsigned long long)(remote + local), (unsigned long long)remote, (unsigned long long)local,
          (unsigned long long)ops);
    CHECK(oom || atomic_load(&g_freed) == ops, "freed counter %llu, want %llu",
          (unsigned long long)atomic_load(&g_freed), (unsigned long long)ops);
    printf("mt_cross_free: threads=%u blocks=%llu remote_frees=%llu local_frees=%llu seconds=%.3f\n", g_threads,
           (unsigned long long)ops, (unsigned long long)remote, (unsigned long long)local, secs);
    free(g_w);
    return check_finish();
}
