/*
 * realloc_growth - one buffer grown by realloc in small steps must cost about what the
 * final size costs, not the square of it, and keep its contents.
 *
 *   grow     a block grown from 16 B to 256 MiB (or argv[1] MiB) in 4 KiB steps, writing
 *            each new step: must take under 20 s (glibc: well under 1 s; copying the
 *            block at every 2 MiB took 20+ s), with a peak RSS under 1.5x the final size
 *            (a copy holds old and new at once), and every byte must survive every move
 *   shrink   the same block shrunk in steps down to a mid and a tiny size: contents kept
 *   aligned  a 4 MiB-aligned block (posix_memalign) grown to 64 MiB: contents kept
 *   threads  4 threads each growing their own buffer while allocating and freeing large and
 *            small blocks, some freed by another thread: every block keeps its contents
 *            (a block that moves must not disturb anyone else's entry in the segment map)
 *
 * Prints "realloc_growth: grow <MiB> MiB in <s> s, <moves> moves, peak RSS <MiB> MiB" and
 * then the usual "realloc_growth: ok (<n> checks)". A watchdog fails it after 120 s.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>

#include "check.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/* the word at index i of a buffer tagged seed */
static inline uint64_t word_at(size_t i, uint64_t seed) { return (i * 0x9e3779b97f4a7c15ull) ^ seed; }

static void fill_words(uint64_t *w, size_t from, size_t to, uint64_t seed)
{
    for (size_t i = from; i < to; i++) w[i] = word_at(i, seed);
    escape(w);
}

/* index of the first wrong word in [0, n), or (size_t)-1 */
static size_t bad_word(const uint64_t *w, size_t n, uint64_t seed)
{
    escape(w);
    for (size_t i = 0; i < n; i++)
        if (w[i] != word_at(i, seed)) return i;
    return (size_t)-1;
}

static long peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* Grow p (n bytes, words written) to `to` bytes by `step`, writing each new step and
 * checking everything written whenever the block moves. Returns the block; *moves counts. */
static uint64_t *grow_by(uint64_t *p, size_t *n, size_t to, size_t step, uint64_t seed, size_t *moves, const char *what)
{
    while (*n < to) {
        size_t m = *n + step < to ? *n + step : to;
        uint64_t *q = realloc(launder(p), m);
        if (q == NULL) check_fatal("%s: realloc(%zu) failed", what, m);
        if (q != p) {
            (*moves)++;
            size_t bad = bad_word(q, *n / 8, seed);
            CHECK(bad == (size_t)-1, "%s: after a move to %zu B, word %zu of %zu is wrong", what, m, bad, *n / 8);
        }
        CHECK(malloc_usable_size(q) >= m, "%s: usable %zu < %zu", what, malloc_usable_size(q), m);
        fill_words(q, *n / 8, m / 8, seed);
        p = q;
        *n = m;
    }
    return p;
}

static void test_grow_shrink(size_t max_mib)
{
    const uint64_t seed = 0x5eed0001;
    size_t n = 16, moves = 0, max = max_mib * MIB;
    uint64_t *p = malloc(n);
    if (!p) check_fatal("malloc(16) failed");
    fill_words(p, 0, n / 8, seed);
    long rss0 = hk_rss_kb() / 1024;
    double t0 = hk_now();
    p = grow_by(p, &n, 4 * KIB, 4 * KIB - 16, seed, &moves, "grow");
    p = grow_by(p, &n, max, 4 * KIB, seed, &moves, "grow");
    double secs = hk_now() - t0;
    long peak = peak_rss_mib();
    printf("realloc_growth: grow %zu MiB in %.3f s, %zu moves, peak RSS %ld MiB\n", max_mib, secs, moves, peak);
    CHECK(secs < 20.0, "growing to %zu MiB by 4 KiB took %.1f s (want < 20 s: a copy per growth?)", max_mib, secs);
    CHECK(peak - rss0 < (long)(max_mib + max_mib / 2 + 32),
          "peak RSS %ld MiB (from %ld) for a %zu MiB block: want < 1.5x (old and new copies at once?)", peak, rss0,
          max_mib);
    size_t bad = bad_word(p, n / 8, seed);
    CHECK(bad == (size_t)-1, "grow: word %zu of %zu wrong at the end", bad, n / 8);

    /* shrink in steps, through the large, mid and tiny sizes; then grow again */
    static const size_t shrink_to[] = { 200 * MIB, 100 * MIB, 99 * MIB, 3 * MIB, 2 * MIB + 8, 300 * KIB,
                                        256 * KIB, 200 * KIB, 5000,     1000,    96 };
    for (size_t i = 0; i < sizeof shrink_to / sizeof shrink_to[0]; i++) {
        size_t m = shrink_to[i];
        if (m >= n) continue;
        uint64_t *q = realloc(launder(p), m);
        if (q == NULL) check_fatal("shrink: realloc(%zu) failed", m);
        n = m;
        bad = bad_word(q, n / 8, seed);
        CHECK(bad == (size_t)-1, "shrink to %zu B: word %zu wrong", m, bad);
        CHECK(malloc_usable_size(q) >= m, "shrink to %zu B: usable %zu", m, malloc_usable_size(q));
        p = q;
    }
    p = grow_by(p, &n, 40 * MIB, 1 * MIB + 8, seed, &moves, "regrow");
    bad = bad_word(p, n / 8, seed);
    CHECK(bad == (size_t)-1, "regrow: word %zu of %zu wrong", bad, n / 8);
    free(p);
}

static void test_aligned(void)
{
    const uint64_t seed = 0xa11e;
    void *v = NULL;
    int rc = posix_memalign(&v, 4 * MIB, 3 * MIB);
    if (rc != 0) check_fatal("posix_memalign(4 MiB, 3 MiB) = %d", rc);
    uint64_t *p = v;
    size_t n = 3 * MIB, moves = 0;
    fill_words(p, 0, n / 8, seed);
    p = grow_by(p, &n, 64 * MIB, 1 * MIB, seed, &moves, "aligned");
    size_t bad = bad_word(p, n / 8, seed);
    CHECK(bad == (size_t)-1, "aligned: word %zu of %zu wrong", bad, n / 8);
    free(p);
}

/* ---- threads ---------------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 3
#define SIDE 8

static void *handoff[THREADS][SIDE]; /* large blocks each thread leaves for the next to free */
static pthread_barrier_t barrier;

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = id + 1;
    for (unsigned round = 0; round < ROUNDS; round++) {
        const uint64_t seed = ((uint64_t)id << 32) | round;
        size_t n = 64, moves = 0;
        uint64_t *p = malloc(n);
        if (!p) check_fatal("thread %u: malloc failed", id);
        fill_words(p, 0, n / 8, seed);
        void *side[SIDE] = { 0 };
        size_t side_len[SIDE] = { 0 };
        for (unsigned step = 0; step < 64; step++) {
            p = grow_by(p, &n, n + 512 * KIB, 64 * KIB, seed, &moves, "threads");
            unsigned k = (unsigned)(hk_splitmix64(&rng) % SIDE);
            if (side[k]) {
                size_t bad = pattern_find_bad(side[k], side_len[k], id * 100 + k);
                CHECK(bad == (size_t)-1, "thread %u: side block %u byte %zu wrong", id, k, bad);
                free(side[k]);
            }
            side_len[k] = (hk_splitmix64(&rng) & 1) ? 2 * MIB + (hk_splitmix64(&rng) % (3 * MIB))
                                                    : 16 + hk_splitmix64(&rng) % 4000;
            side[k] = malloc(side_len[k]);
            if (!side[k]) check_fatal("thread %u: malloc(%zu) failed", id, side_len[k]);
            pattern_fill(side[k], side_len[k], id * 100 + k);
        }
        size_t bad = bad_word(p, n / 8, seed);
        CHECK(bad == (size_t)-1, "thread %u round %u: word %zu of %zu wrong", id, round, bad, n / 8);
        free(p);
        /* hand the side blocks to the next thread, which checks and frees them */
        for (unsigned k = 0; k < SIDE; k++) {
            handoff[id][k] = side[k];
            side[k] = NULL;
        }
        pthread_barrier_wait(&barrier);
        unsigned from = (id + 1) % THREADS;
        for (unsigned k = 0; k < SIDE; k++) {
            void *b = handoff[from][k];
            if (!b) continue;
            /* lengths are not handed over: the first 16 bytes always exist */
            size_t bad2 = pattern_find_bad(b, 16, from * 100 + k);
            CHECK(bad2 == (size_t)-1, "thread %u: block from thread %u byte %zu wrong", id, from, bad2);
            free(b);
            handoff[from][k] = NULL;
        }
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[THREADS];
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (unsigned i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) != 0) check_fatal("pthread_create failed");
    for (unsigned i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
}

int main(int argc, char **argv)
{
    check_name = "realloc_growth";
    check_watchdog(120);
    size_t max_mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 256;
    if (max_mib < 4) max_mib = 4;
    test_grow_shrink(max_mib);
    test_aligned();
    test_threads();
    return check_finish();
}
