/*
 * stress - a seeded, randomised stress test of an allocator against a model.
 *
 * Every thread owns `slots` slots; each slot holds a live block (or nothing) with the size
 * asked for, the alignment asked for and a pattern key derived from (seed, slot, generation).
 * The generator picks operations: malloc, calloc, realloc, aligned_alloc, posix_memalign,
 * free, malloc_usable_size, a hand-over through a shared exchange (so that blocks are freed
 * and reallocated by threads that did not allocate them), free(NULL) and realloc(NULL, n).
 * Sizes cover every size class (0 B .. 256 KiB, class boundaries included), the mid path and
 * large blocks up to 4 MiB. Checked on every operation:
 *   - the block's pattern is intact before it is freed, resized or handed over;
 *   - realloc keeps the first min(old, new) bytes;
 *   - usable size >= the size asked for (and the slack it promises is written to); the
 *     alignment asked for (and 16 by default);
 *   - calloc memory reads as zero;
 *   - no NULL for a satisfiable request.
 * Threads live for `life` operations each, then exit with their live blocks handed to the
 * next thread of the same index (heap abandonment, adoption of the heap by a new thread,
 * frees of blocks from an exited thread's heap).
 *
 * Arguments (key=value): seed=<u64> ops=<total ops> threads=<n> seconds=<s, 0 = ops-bound>
 *   slots=<per thread> life=<ops per thread lifetime, 0 = one life> maxlarge=<bytes>
 *   off=<mask of operations turned off: 1 realloc, 2 realloc(p, 0), 4 usable size, 8 hand-over,
 *        16 calloc, 32 aligned (both), 64 large sizes>
 *   trace=1 (every allocation, resize and free to stderr)
 *   known=1 (also the inputs of known, reported allocator bugs: see g_known)
 * On a failure prints `stress: FAIL seed=S thread=T life=L op=I: what` and exits 1; a
 * SIGSEGV/SIGBUS/SIGABRT prints the same position. threads=1 is fully deterministic: the
 * same seed replays the same operations.
 *
 * Build: plain (calls malloc & co.: run it under LD_PRELOAD, or without for glibc) or with
 * -DSTRESS_HAK (calls hak_* from hakmem.h: linked with the allocator objects, for the
 * sanitizer builds in native/test/check/check.mk).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hk_program.h"

#ifdef STRESS_HAK
#include "hakmem.h"
#define A_MALLOC hak_malloc
#define A_CALLOC hak_calloc
#define A_REALLOC hak_realloc
#define A_FREE hak_free
#define A_ALIGNED hak_aligned_alloc
#define A_USABLE hak_usable_size
#define A_NAME "hak_*"
static int a_posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
    void *p = hak_aligned_alloc(align, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}
#else
#define A_MALLOC malloc
#define A_CALLOC calloc
#define A_REALLOC realloc
#define A_FREE free
#define A_ALIGNED aligned_alloc
#define A_USABLE malloc_usable_size
#define A_NAME "malloc"
#define a_posix_memalign posix_memalign
#endif

/* ---- parameters ------------------------------------------------------------------- */
static uint64_t g_seed = 1;
static uint64_t g_ops = 200000;
static unsigned g_threads = 1;
static double g_seconds = 0;
static unsigned g_slots = 256;
static uint64_t g_life = 0;
static size_t g_maxlarge = (size_t)4 << 20;
static size_t g_budget; /* live bytes per thread */
/* known=1: also the inputs of allocator bugs found and reported but not fixed yet (they fail
 * the run); by default they are avoided, so a run looks for new ones. None at the moment:
 * aligned_alloc(align > 4 KiB, 0), which returned the next SuperSlab's header, was fixed in
 * 7a5ce7f (native/test/stress/repro/aligned_zero_size.c stays as its regression test). Add an
 * entry as `if (!g_known && <the input>) <something else>;` where the input is generated. */
static int g_known __attribute__((unused));
static int g_trace;    /* trace=1: every allocation and free to stderr (threads=1 replays) */
static unsigned g_off; /* operations turned off (off=<mask>, for narrowing a failure down) */
enum {
    OFF_REALLOC = 1,
    OFF_REALLOC0 = 2,
    OFF_USABLE = 4,
    OFF_EXCHANGE = 8,
    OFF_CALLOC = 16,
    OFF_ALIGNED = 32,
    OFF_LARGE = 64
};

/* ---- random numbers (splitmix64 / xorshift) --------------------------------------- */
/* Seeds and keys are mixed with hk_splitmix64_of (hk_program.h); each thread's operations
 * come from its own xorshift64 stream. */
typedef struct {
    uint64_t s;
} rng_t;
static inline uint64_t rnd(rng_t *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}
static inline uint64_t below(rng_t *r, uint64_t n) { return n ? rnd(r) % n : 0; }

/* ---- failure reporting (no stdio on the failure path: the heap may be broken) ----- */
typedef struct pos {
    unsigned thread;
    uint64_t life, op;
} pos_t;
static __thread pos_t t_pos;

static void put(char **w, const char *s)
{
    while (*s) *(*w)++ = *s++;
}
static void put_u(char **w, uint64_t v)
{
    char b[24];
    int n = 0;
    do b[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n) *(*w)++ = b[--n];
}
static void report(const char *what, const char *detail)
{
    char buf[512], *w = buf;
    put(&w, "stress: FAIL seed=");
    put_u(&w, g_seed);
    put(&w, " thread=");
    put_u(&w, t_pos.thread);
    put(&w, " life=");
    put_u(&w, t_pos.life);
    put(&w, " op=");
    put_u(&w, t_pos.op);
    put(&w, ": ");
    put(&w, what);
    if (detail) {
        put(&w, " ");
        size_t n = strlen(detail);
        if (n > 200) n = 200;
        memcpy(w, detail, n);
        w += n;
    }
    put(&w, "\n");
    hk_write_err(buf, (size_t)(w - buf));
}
static __attribute__((noreturn)) void fail(const char *what, size_t a, size_t b)
{
    char d[96];
    snprintf(d, sizeof d, "(%zu, %zu)", a, b); /* our own buffer: no allocation */
    report(what, d);
    _exit(1);
}
static void on_signal(int sig)
{
    report(sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGABRT ? "SIGABRT" : "signal", NULL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ---- patterns ---------------------------------------------------------------------- *
 * Byte i of a block with key k is byte (i & 7) of word(k, i >> 3). Blocks up to FULL
 * bytes are patterned completely; larger ones in their first and last 4 KiB and the first
 * 64 bytes of every 4 KiB page (so a 4 MiB block costs 80 KiB, not 4 MiB, per check). */
#define FULL ((size_t)64 << 10)
static inline uint64_t word(uint64_t k, size_t j) { return (k ^ (j * 0x9e3779b97f4a7c15ull)) * 0xd6e8feb86659fd93ull; }

static void fill_range(unsigned char *p, size_t lo, size_t hi, uint64_t k)
{
    size_t i = lo;
    while (i < hi && (i & 7)) {
        p[i] = (unsigned char)(word(k, i >> 3) >> ((i & 7) * 8));
        i++;
    }
    for (; i + 8 <= hi; i += 8) {
        uint64_t w = word(k, i >> 3);
        memcpy(p + i, &w, 8);
    }
    for (; i < hi; i++) p[i] = (unsigned char)(word(k, i >> 3) >> ((i & 7) * 8));
}
static size_t check_range(const unsigned char *p, size_t lo, size_t hi, uint64_t k)
{
    size_t i = lo;
    for (; i < hi && (i & 7); i++)
        if (p[i] != (unsigned char)(word(k, i >> 3) >> ((i & 7) * 8))) return i;
    for (; i + 8 <= hi; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != word(k, i >> 3)) {
            for (size_t b = 0; b < 8; b++)
                if (p[i + b] != (unsigned char)(word(k, i >> 3) >> (b * 8))) return i + b;
        }
    }
    for (; i < hi; i++)
        if (p[i] != (unsigned char)(word(k, i >> 3) >> ((i & 7) * 8))) return i;
    return SIZE_MAX;
}
static size_t zero_range(const unsigned char *p, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++)
        if (p[i]) return i;
    return SIZE_MAX;
}

/* the ranges of a block of `size` bytes that carry the pattern, clipped to `limit` */
typedef size_t (*range_fn)(unsigned char *p, size_t lo, size_t hi, uint64_t k);
static size_t rf_fill(unsigned char *p, size_t lo, size_t hi, uint64_t k)
{
    fill_range(p, lo, hi, k);
    return SIZE_MAX;
}
static size_t rf_check(unsigned char *p, size_t lo, size_t hi, uint64_t k) { return check_range(p, lo, hi, k); }
static size_t rf_zero(unsigned char *p, size_t lo, size_t hi, uint64_t k)
{
    (void)k;
    return zero_range(p, lo, hi);
}

static size_t each_range(unsigned char *p, size_t size, size_t limit, uint64_t k, range_fn f)
{
    if (limit > size) limit = size;
    if (size <= FULL) return f(p, 0, limit, k);
    size_t r;
    if ((r = f(p, 0, limit < 4096 ? limit : 4096, k)) != SIZE_MAX) return r;
    for (size_t pg = 4096; pg + 64 <= size - 4096 && pg < limit; pg += 4096) {
        size_t hi = pg + 64 < limit ? pg + 64 : limit;
        if ((r = f(p, pg, hi, k)) != SIZE_MAX) return r;
    }
    if (size - 4096 < limit && (r = f(p, size - 4096, limit, k)) != SIZE_MAX) return r;
    return SIZE_MAX;
}

/* ---- the model ----------------------------------------------------------------------- */
typedef struct slot {
    unsigned char *p;
    size_t size;  /* bytes asked for */
    size_t align; /* alignment asked for (16 for the plain calls) */
    uint64_t key; /* pattern */
} slot_t;

typedef struct thread_state {
    unsigned index;
    slot_t *slots;
    uint64_t gen;
    size_t live;
    uint64_t checks;
} tstate_t;

#define EXCHANGE 64
static slot_t g_exchange[EXCHANGE];
static pthread_mutex_t g_exchange_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t g_ops_done;
static _Atomic int g_stop;
static double g_t0; /* hk_now() at the start */

static double elapsed(void) { return hk_now() - g_t0; }

static uint64_t new_key(tstate_t *ts, unsigned slot)
{
    return hk_splitmix64_of(
        g_seed ^ hk_splitmix64_of(((uint64_t)ts->index << 40) ^ ((uint64_t)slot << 20) ^ hk_splitmix64_of(++ts->gen)));
}

static void verify(tstate_t *ts, const slot_t *s, const char *when)
{
    if (s->p == NULL) return;
    size_t bad = each_range(s->p, s->size, SIZE_MAX, s->key, rf_check);
    ts->checks++;
    if (bad != SIZE_MAX) fail(when, bad, s->size);
}

static void accept_block(tstate_t *ts, slot_t *s, unsigned idx, void *p, size_t size, size_t align, int zeroed,
                         const char *what)
{
    if (p == NULL) fail(what, size, align); /* "malloc" etc.: returned NULL */
    if (((uintptr_t)p & (align - 1)) != 0) fail("misaligned block", (size_t)(uintptr_t)p, align);
    size_t u = A_USABLE(p);
    if (g_trace)
        fprintf(stderr, "op %" PRIu64 " slot %u: %s size=%zu align=%zu -> %p usable=%zu\n", t_pos.op, idx, what, size,
                align, p, u);
    if (u < size) fail("usable size below the size asked for", u, size);
    /* the usable slack is the program's too (malloc_usable_size): written at both ends */
    memset((unsigned char *)p + size, 0xa5, u - size < 64 ? u - size : 64);
    if (u > size) ((unsigned char *)p)[u - 1] = 0xa5;
    if (zeroed) {
        size_t bad = each_range(p, size, SIZE_MAX, 0, rf_zero);
        if (bad != SIZE_MAX) fail("calloc memory not zero", bad, size);
    }
    ts->checks += 3;
    s->p = p;
    s->size = size;
    s->align = align;
    s->key = new_key(ts, idx);
    each_range(p, size, SIZE_MAX, s->key, rf_fill);
    ts->live += size;
}

static void release(tstate_t *ts, slot_t *s)
{
    verify(ts, s, "pattern damaged before free");
    if (g_trace) fprintf(stderr, "op %" PRIu64 " free %p size=%zu\n", t_pos.op, (void *)s->p, s->size);
    A_FREE(s->p);
    ts->live -= s->size;
    s->p = NULL;
    s->size = 0;
}

/* ---- sizes --------------------------------------------------------------------------- */
static size_t pick_size(rng_t *r)
{
    uint64_t c = below(r, 1000);
    if (c < 8) return 0;
    if (c < 40) {                                   /* a class boundary: 2^k, 2^k +- 1, multiples of 16 near it */
        size_t b = (size_t)1 << (4 + below(r, 15)); /* 16 .. 256 KiB */
        b += (b >> 2) * below(r, 4);                /* the quarter steps of the mid classes */
        if (b > ((size_t)256 << 10)) b = (size_t)256 << 10;
        return b - 1 + below(r, 3);
    }
    if (c < 600) return 1 + below(r, 1024);      /* tiny */
    if (c < 970) {                               /* every class up to 256 KiB, log-uniform */
        unsigned e = 10 + (unsigned)below(r, 9); /* 1 KiB .. 256 KiB */
        size_t lo = (size_t)1 << (e - 1);
        return lo + 1 + below(r, lo);
    }
    if (g_maxlarge <= ((size_t)256 << 10) || (g_off & OFF_LARGE)) return 1 + below(r, (size_t)256 << 10);
    return ((size_t)256 << 10) + 1 + below(r, g_maxlarge - ((size_t)256 << 10)); /* large */
}
static size_t pick_align(rng_t *r)
{
    uint64_t c = below(r, 100);
    if (c < 85) return (size_t)1 << (3 + below(r, 10)); /* 8 .. 4096 */
    if (c < 98) return (size_t)1 << (13 + below(r, 4)); /* 8 KiB .. 64 KiB */
    return (size_t)2 << 20;                             /* 2 MiB */
}

/* ---- one operation ---------------------------------------------------------------- */
static void one_op(tstate_t *ts, rng_t *r)
{
    unsigned idx = (unsigned)below(r, g_slots);
    slot_t *s = &ts->slots[idx];
    uint64_t c = below(r, 100);
    int over = ts->live > g_budget;
    if (s->p != NULL && (over || c < 30)) { /* free */
        release(ts, s);
        return;
    }
    if (c < 38 && s->p != NULL && !(g_off & OFF_REALLOC)) { /* realloc */
        size_t n = pick_size(r);
        if (n == 0) n = 1 + below(r, 64); /* realloc(p, 0) frees: done below on its own */
        verify(ts, s, "pattern damaged before realloc");
        size_t old = s->size;
        void *q = A_REALLOC(s->p, n);
        if (g_trace)
            fprintf(stderr, "op %" PRIu64 " slot %u: realloc %p size=%zu -> %zu: %p\n", t_pos.op, idx, (void *)s->p,
                    old, n, q);
        if (q == NULL) fail("realloc returned NULL", old, n);
        ts->live -= old;
        s->p = q;
        s->size = n;
        size_t keep = old < n ? old : n;
        size_t bad = each_range(q, old, keep, s->key, rf_check);
        if (bad != SIZE_MAX) fail("realloc lost the prefix", bad, keep);
        if (((uintptr_t)q & 15) != 0) fail("realloc: misaligned block", (size_t)(uintptr_t)q, 16);
        size_t u = A_USABLE(q);
        if (u < n) fail("realloc: usable size below the size asked for", u, n);
        ts->live += n;
        s->key = new_key(ts, idx);
        each_range(q, n, SIZE_MAX, s->key, rf_fill);
        ts->checks += 3;
        return;
    }
    if (c < 40 && s->p != NULL && !(g_off & OFF_REALLOC0)) { /* realloc(p, 0): freed, NULL (or a minimal block) */
        verify(ts, s, "pattern damaged before realloc(p, 0)");
        void *q = A_REALLOC(s->p, 0);
        ts->live -= s->size;
        s->p = NULL;
        s->size = 0;
        if (q != NULL) A_FREE(q);
        return;
    }
    if (c < 50 && s->p != NULL && !(g_off & OFF_USABLE)) { /* malloc_usable_size, and a look at the pattern */
        size_t u = A_USABLE(s->p);
        if (u < s->size) fail("usable size below the size asked for", u, s->size);
        verify(ts, s, "pattern damaged (usable-size op)");
        return;
    }
    if (c < 60 && g_threads > 1 &&
        !(g_off & OFF_EXCHANGE)) { /* hand over through the exchange: swap with a random entry */
        unsigned e = (unsigned)below(r, EXCHANGE);
        verify(ts, s, "pattern damaged before hand-over");
        pthread_mutex_lock(&g_exchange_lock);
        slot_t in = g_exchange[e];
        g_exchange[e] = *s;
        pthread_mutex_unlock(&g_exchange_lock);
        if (s->p) ts->live -= s->size;
        *s = in;
        if (s->p) {
            ts->live += s->size;
            verify(ts, s, "pattern damaged after hand-over");
            if (below(r, 2)) release(ts, s); /* a cross-thread free, at once */
        }
        return;
    }
    if (c == 60) { /* free(NULL), realloc(NULL, n) */
        A_FREE(NULL);
        if (s->p == NULL) {
            size_t n = pick_size(r);
            accept_block(ts, s, idx, A_REALLOC(NULL, n), n, 16, 0, "realloc(NULL)");
        }
        return;
    }
    if (s->p != NULL) release(ts, s);
    if (over) return;
    size_t n = pick_size(r);
    if (c < 75 || (c < 85 && (g_off & OFF_CALLOC)) || (c >= 85 && (g_off & OFF_ALIGNED))) {
        accept_block(ts, s, idx, A_MALLOC(n), n, 16, 0, "malloc");
    } else if (c < 85) {
        size_t m = 1 + below(r, 16), each = n / m;
        accept_block(ts, s, idx, A_CALLOC(m, each), m * each, 16, 1, "calloc");
    } else if (c < 93) {
        size_t a = pick_align(r);
        if (a < 16) a = 16;
        accept_block(ts, s, idx, A_ALIGNED(a, n), n, a, 0, "aligned_alloc");
    } else {
        size_t a = pick_align(r);
        void *p = NULL;
        int rc = a_posix_memalign(&p, a, n);
        if (rc != 0) fail("posix_memalign failed", (size_t)rc, n);
        accept_block(ts, s, idx, p, n, a, 0, "posix_memalign");
    }
}

/* ---- threads --------------------------------------------------------------------- */
typedef struct worker {
    pthread_t tid;
    tstate_t ts;
    uint64_t ops; /* this life */
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    tstate_t *ts = &w->ts;
    t_pos.thread = ts->index;
    t_pos.life = ts->gen >> 40;
    rng_t r = { hk_splitmix64_of(g_seed * 0x100000001b3ull + ts->index * 7919u + (t_pos.life << 32)) | 1 };
    for (uint64_t i = 0; i < w->ops; i++) {
        t_pos.op = i;
        if ((i & 255) == 0 && (atomic_load_explicit(&g_stop, memory_order_relaxed) ||
                               (g_seconds > 0 && ts->index == 0 && elapsed() >= g_seconds))) {
            atomic_store(&g_stop, 1);
            break;
        }
        one_op(ts, &r);
    }
    atomic_fetch_add(&g_ops_done, t_pos.op + 1);
    return NULL;
}

static uint64_t arg_u(const char *a, const char *key)
{
    size_t n = strlen(key);
    return strncmp(a, key, n) == 0 && a[n] == '=' ? strtoull(a + n + 1, NULL, 0) : UINT64_MAX;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        uint64_t v;
        if ((v = arg_u(argv[i], "seed")) != UINT64_MAX) g_seed = v;
        else if ((v = arg_u(argv[i], "ops")) != UINT64_MAX) g_ops = v;
        else if ((v = arg_u(argv[i], "threads")) != UINT64_MAX) g_threads = v ? (unsigned)v : 1;
        else if ((v = arg_u(argv[i], "slots")) != UINT64_MAX) g_slots = v ? (unsigned)v : 1;
        else if ((v = arg_u(argv[i], "life")) != UINT64_MAX) g_life = v;
        else if ((v = arg_u(argv[i], "maxlarge")) != UINT64_MAX) g_maxlarge = v;
        else if ((v = arg_u(argv[i], "off")) != UINT64_MAX) g_off = (unsigned)v;
        else if ((v = arg_u(argv[i], "trace")) != UINT64_MAX) g_trace = (int)v;
        else if ((v = arg_u(argv[i], "known")) != UINT64_MAX) g_known = (int)v;
        else if (strncmp(argv[i], "seconds=", 8) == 0) g_seconds = strtod(argv[i] + 8, NULL);
        else {
            fprintf(stderr, "usage: stress [seed=S] [ops=N] [threads=T] [seconds=X] [slots=K] [life=L] [maxlarge=B] "
                            "[off=MASK] [trace=1] [known=1]\n");
            return 2;
        }
    }
    if (g_maxlarge < 1) g_maxlarge = 1;
    g_budget = ((size_t)256 << 20) / g_threads;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    printf("stress: api=%s seed=%" PRIu64 " ops=%" PRIu64 " threads=%u seconds=%g slots=%u life=%" PRIu64 "\n", A_NAME,
           g_seed, g_ops, g_threads, g_seconds, g_slots, g_life);
    fflush(stdout);
    g_t0 = hk_now();

    worker_t *w =
        calloc(g_threads, sizeof *w); /* the harness's own memory (plain build: the allocator under test too) */
    for (unsigned t = 0; t < g_threads; t++) {
        w[t].ts.index = t;
        w[t].ts.slots = calloc(g_slots, sizeof(slot_t));
        if (!w[t].ts.slots) return 2;
    }
    uint64_t per_thread = g_seconds > 0 ? UINT64_MAX / 2 : g_ops / g_threads;
    uint64_t life = g_life ? g_life : per_thread;
    uint64_t done_per_thread = 0;
    unsigned lives = 0;
    while (done_per_thread < per_thread && !atomic_load(&g_stop)) {
        uint64_t n = per_thread - done_per_thread < life ? per_thread - done_per_thread : life;
        for (unsigned t = 0; t < g_threads; t++) {
            w[t].ops = n;
            w[t].ts.gen = (w[t].ts.gen & ((1ull << 40) - 1)) | ((uint64_t)lives << 40);
            if (g_threads == 1 && g_life == 0) {
                worker_main(&w[t]); /* one thread, one life: on the main thread (fully deterministic) */
            } else if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]) != 0) {
                fprintf(stderr, "stress: pthread_create failed\n");
                return 2;
            }
        }
        if (!(g_threads == 1 && g_life == 0))
            for (unsigned t = 0; t < g_threads; t++) pthread_join(w[t].tid, NULL);
        done_per_thread += n;
        lives++;
    }
    /* everything left: verified and freed by the main thread (frees into exited heaps) */
    t_pos.thread = g_threads;
    t_pos.op = 0;
    uint64_t checks = 0;
    for (unsigned t = 0; t < g_threads; t++) {
        for (unsigned i = 0; i < g_slots; i++)
            if (w[t].ts.slots[i].p) release(&w[t].ts, &w[t].ts.slots[i]);
        checks += w[t].ts.checks;
        free(w[t].ts.slots);
    }
    tstate_t main_ts = { .index = g_threads };
    for (unsigned e = 0; e < EXCHANGE; e++)
        if (g_exchange[e].p) {
            main_ts.live += g_exchange[e].size;
            release(&main_ts, &g_exchange[e]);
        }
    checks += main_ts.checks;
    free(w);
    printf("stress: ok seed=%" PRIu64 " ops=%" PRIu64 " threads=%u lives=%u checks=%" PRIu64 " seconds=%.2f\n", g_seed,
           atomic_load(&g_ops_done), g_threads, lives, checks, elapsed());
    return 0;
}
