/*
 * faults - the scenarios of the failure-injection sweep (issue 29; tools/src/commands/faults.ts,
 * `npm run faults`). Each run is one scenario, under faultinj.so (which fails the allocator's
 * mmap, mremap, munmap, madvise or thread-key registration on a schedule) or without it, the
 * baseline. Whatever fails, every call must keep the allocator's contract:
 *
 *   - a NULL comes with errno ENOMEM, and a success leaves errno as it was;
 *   - every live block keeps its pattern (checked before it is freed or resized), a calloc'd
 *     block reads as zero, an aligned block is aligned;
 *   - a failed realloc leaves the old block as it was;
 *   - at the end, with every block freed and malloc_trim(0) run, the program prints its address
 *     space and resident set, which the runner holds against the baseline run's.
 *
 * scenario=threads  4 threads allocate 16 B - 64 KiB, free half of each other's blocks, exit
 * scenario=large    300 KiB - 8 MiB blocks and callocs, allocated and freed in turns
 * scenario=aligned  aligned_alloc, posix_memalign and memalign, 32 B - 4 MiB alignments
 * scenario=realloc  a block grown from 16 B to 64 MiB by half each step, then shrunk, twice
 * scenario=exit     threads exit holding blocks that main frees later; new threads adopt
 * scenario=purge    blocks freed and left to age (HAKMEM_PURGE_DELAY_MS, set by the
 *                   runner), then slow-path calls that release them
 *
 * Prints `faults: scenario=S nulls=N vm_kb=V rss_kb=R` and the check summary (exit 1 on a
 * broken contract; a crash or a hang is the runner's to see).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>

#include "check.h"

#define SENTINEL EDOM
#define MIB ((size_t)1 << 20)

static unsigned long long nulls;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t klen = strlen(key);
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* The pattern at both ends and every 4 KiB: a lost or misplaced page shows, and megabyte blocks
 * stay cheap. */
static unsigned char mark(size_t i, unsigned seed) { return (unsigned char)(pattern_byte(i, seed) | 1); }
static void fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n && i < 64; i++) p[i] = (char)mark(i, seed);
    for (size_t i = 4096; i < n; i += 4096) p[i] = (char)mark(i, seed);
    for (size_t i = n > 64 ? n - 64 : 0; i < n; i++) p[i] = (char)mark(i, seed);
    escape(p);
}
/* n: the bytes to check; full: the block's length when it was filled (its last 64 are marked). */
static int intact(const char *p, size_t n, size_t full, unsigned seed)
{
    escape(p);
    for (size_t i = 0; i < n && i < 64; i++)
        if ((unsigned char)p[i] != mark(i, seed)) return 0;
    for (size_t i = 4096; i < n; i += 4096)
        if ((unsigned char)p[i] != mark(i, seed)) return 0;
    for (size_t i = full > 64 ? full - 64 : 0; i < n; i++)
        if ((unsigned char)p[i] != mark(i, seed)) return 0;
    return 1;
}

/* One call's outcome: NULL with ENOMEM, or success with errno untouched. Thread-safe counts. */
static void outcome(const char *what, size_t n, void *p, int e)
{
    pthread_mutex_lock(&lock);
    if (p == NULL) {
        nulls++;
        CHECK(e == ENOMEM, "%s(%zu) = NULL with errno %d, want ENOMEM", what, n, e);
    } else {
        CHECK(e == SENTINEL, "%s(%zu) succeeded but changed errno to %d", what, n, e);
    }
    pthread_mutex_unlock(&lock);
}

static void fail(const char *fmt, size_t a, size_t b)
{
    pthread_mutex_lock(&lock);
    CHECK(0, fmt, a, b);
    pthread_mutex_unlock(&lock);
}

static char *alloc(size_t n, unsigned seed)
{
    errno = SENTINEL;
    char *p = malloc(n);
    outcome("malloc", n, p, errno);
    if (p) fill(p, n, seed);
    return p;
}

typedef struct {
    char *p;
    size_t n;
    unsigned seed;
} blk_t;

static void release(blk_t *b)
{
    if (b->p == NULL) return;
    if (!intact(b->p, b->n, b->n, b->seed)) fail("a block of %zu B (seed %zu) lost its contents", b->n, b->seed);
    free(b->p);
    b->p = NULL;
}

/* ---- scenarios --------------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 400
static blk_t shared_blocks[THREADS][PER_THREAD];
static pthread_barrier_t barrier;

static void *threads_worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = id + 1;
    for (unsigned i = 0; i < PER_THREAD; i++) {
        size_t n = 16 + (size_t)(hk_splitmix64(&rng) % (i % 8 == 7 ? 65536 : 1024));
        blk_t *b = &shared_blocks[id][i];
        b->n = n, b->seed = id * PER_THREAD + i;
        b->p = alloc(n, b->seed);
    }
    pthread_barrier_wait(&barrier);
    /* free the odd blocks of the next thread (remote frees), then this thread's even ones */
    unsigned other = (id + 1) % THREADS;
    for (unsigned i = 1; i < PER_THREAD; i += 2) release(&shared_blocks[other][i]);
    pthread_barrier_wait(&barrier);
    for (unsigned i = 0; i < PER_THREAD; i += 2) release(&shared_blocks[id][i]);
    return NULL;
}

static void run_threads(unsigned rounds)
{
    for (unsigned r = 0; r < rounds; r++) {
        pthread_t t[THREADS];
        pthread_barrier_init(&barrier, NULL, THREADS);
        unsigned started = 0;
        for (unsigned i = 0; i < THREADS; i++) {
            if (pthread_create(&t[i], NULL, threads_worker, (void *)(uintptr_t)i) != 0) break;
            started++;
        }
        if (started < THREADS) { /* the barrier would never open: a thread could not be made */
            for (unsigned i = 0; i < started; i++) pthread_cancel(t[i]);
            for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
            pthread_barrier_destroy(&barrier);
            return;
        }
        for (unsigned i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
        pthread_barrier_destroy(&barrier);
    }
}

static void run_large(void)
{
    blk_t b[12] = { { 0 } };
    uint64_t rng = 7;
    for (unsigned i = 0; i < 60; i++) {
        blk_t *s = &b[hk_splitmix64(&rng) % 12];
        release(s);
        size_t n = 300 * 1024 + (size_t)(hk_splitmix64(&rng) % (8 * MIB - 300 * 1024));
        s->n = n, s->seed = i;
        if (i % 3 == 0) {
            errno = SENTINEL;
            char *p = calloc(1, n);
            outcome("calloc", n, p, errno);
            if (p) {
                for (size_t k = 0; k < n; k += 4096)
                    if (p[k] != 0 || p[n - 1] != 0) {
                        fail("calloc(%zu) returned memory that is not zero at byte %zu", n, k);
                        break;
                    }
                fill(p, n, s->seed);
            }
            s->p = p;
        } else {
            s->p = alloc(n, s->seed);
        }
    }
    for (unsigned i = 0; i < 12; i++) release(&b[i]);
}

static void run_aligned(void)
{
    static const size_t aligns[] = { 32, 256, 4096, 65536, 2 * MIB, 4 * MIB };
    static const size_t sizes[] = { 24, 1000, 70000, 3 * MIB };
    blk_t b[3 * 6 * 4] = { { 0 } };
    unsigned k = 0;
    for (unsigned a = 0; a < 6; a++)
        for (unsigned s = 0; s < 4; s++)
            for (unsigned how = 0; how < 3; how++, k++) {
                size_t al = aligns[a], n = sizes[s];
                void *p = NULL;
                errno = SENTINEL;
                if (how == 0) {
                    p = aligned_alloc(al, n);
                    outcome("aligned_alloc", n, p, errno);
                } else if (how == 1) {
                    int rc = posix_memalign(&p, al, n);
                    int e = errno;
                    pthread_mutex_lock(&lock);
                    CHECK(rc == 0 || rc == ENOMEM, "posix_memalign(%zu, %zu) = %d", al, n, rc);
                    CHECK(rc != 0 || p != NULL, "posix_memalign(%zu, %zu) = 0 with no block", al, n);
                    CHECK(rc != 0 || e == SENTINEL, "posix_memalign(%zu, %zu) succeeded but changed errno to %d", al, n,
                          e);
                    if (rc) nulls++, p = NULL;
                    pthread_mutex_unlock(&lock);
                } else {
                    p = memalign(al, n);
                    outcome("memalign", n, p, errno);
                }
                if (p && ((uintptr_t)p & (al - 1)) != 0) fail("an aligned block of %zu B is not %zu-aligned", n, al);
                b[k].p = p, b[k].n = n, b[k].seed = k;
                if (p) fill(p, n, k);
            }
    for (unsigned i = 0; i < k; i++) release(&b[i]);
}

static void run_realloc(void)
{
    for (unsigned round = 0; round < 2; round++) {
        blk_t b = { alloc(16, round), 16, round };
        if (b.p == NULL) continue;
        size_t target = 64 * MIB;
        while (b.n < target) {
            size_t m = b.n + b.n / 2 + 16;
            errno = SENTINEL;
            char *q = realloc(b.p, m);
            outcome("realloc", m, q, errno);
            if (q == NULL) { /* the old block must be as it was */
                if (!intact(launder(b.p), b.n, b.n, b.seed))
                    fail("a failed realloc(%zu -> %zu) changed the block", b.n, m);
                break;
            }
            if (!intact(q, b.n - (b.n > 64 ? 64 : 0), b.n, b.seed) || !intact(q, 64 < b.n ? 64 : b.n, b.n, b.seed))
                fail("realloc(%zu -> %zu) lost the block's contents", b.n, m);
            b.p = q, b.n = m, b.seed += 17;
            fill(q, m, b.seed);
        }
        while (b.n > 64) { /* and down again */
            size_t m = b.n / 3;
            errno = SENTINEL;
            char *q = realloc(b.p, m);
            outcome("realloc", m, q, errno);
            if (q == NULL) {
                if (!intact(launder(b.p), b.n, b.n, b.seed))
                    fail("a failed realloc(%zu -> %zu) changed the block", b.n, m);
                break;
            }
            b.p = q, b.n = m, b.seed += 17;
            fill(q, m, b.seed);
        }
        release(&b);
    }
}

#define EXIT_THREADS 6
#define EXIT_BLOCKS 200
static blk_t exit_blocks[EXIT_THREADS][EXIT_BLOCKS];

static void *exit_worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = 100 + id;
    for (unsigned i = 0; i < EXIT_BLOCKS; i++) {
        blk_t *b = &exit_blocks[id][i];
        b->n = 16 + (size_t)(hk_splitmix64(&rng) % 2048);
        b->seed = 1000 * id + i;
        b->p = alloc(b->n, b->seed);
        if (i % 4 == 3) release(&exit_blocks[id][i - 1]); /* some freed locally, most left for main */
    }
    return NULL;
}

static void run_exit(void)
{
    for (unsigned i = 0; i < EXIT_THREADS; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, exit_worker, (void *)(uintptr_t)i) != 0) continue;
        pthread_join(t, NULL);
        if (i % 2 == 1) /* main frees an exited thread's blocks while others come and go */
            for (unsigned k = 0; k < EXIT_BLOCKS; k++) release(&exit_blocks[i - 1][k]);
    }
    for (unsigned i = 0; i < EXIT_THREADS; i++)
        for (unsigned k = 0; k < EXIT_BLOCKS; k++) release(&exit_blocks[i][k]);
}

static void run_purge(void)
{
    for (unsigned round = 0; round < 3; round++) {
        blk_t small[512] = { { 0 } }, large[4] = { { 0 } };
        for (unsigned i = 0; i < 512; i++) small[i] = (blk_t){ alloc(4096, i), 4096, i };
        for (unsigned i = 0; i < 4; i++) large[i] = (blk_t){ alloc(MIB + i * 4096, i), MIB + i * 4096, i };
        for (unsigned i = 0; i < 512; i++) release(&small[i]);
        for (unsigned i = 0; i < 4; i++) release(&large[i]);
        usleep(30 * 1000);                  /* past the purge delay the runner sets */
        for (unsigned i = 0; i < 40; i++) { /* slow paths: large allocations, refills */
            blk_t b = { alloc(300 * 1024, i), 300 * 1024, i };
            release(&b);
        }
    }
}

int main(int argc, char **argv)
{
    check_name = "faults";
    const char *scenario = argc > 1 && !strncmp(argv[1], "scenario=", 9) ? argv[1] + 9 : NULL;
    static const char *const names[] = { "threads", "large", "aligned", "realloc", "exit", "purge" };
    int which = -1;
    for (int i = 0; scenario && i < 6; i++)
        if (!strcmp(scenario, names[i])) which = i;
    if (argc != 2 || which < 0)
        check_fatal("usage: faults scenario=NAME (threads, large, aligned, realloc, exit or purge), got '%s'",
                    argc > 1 ? argv[1] : "");
    check_watchdog(60);
    /* The allocator's own start-up happens here, unchecked: mimalloc 2.0.9's first allocation
     * sets errno to ENOENT (reading its options), which would fail every one of its runs. The
     * sweep is about failures; errno at start-up is realloc_limit's to check. */
    free(malloc(1));
    switch (which) {
    case 0: run_threads(2); break;
    case 1: run_large(); break;
    case 2: run_aligned(); break;
    case 3: run_realloc(); break;
    case 4: run_exit(); break;
    default: run_purge(); break;
    }
    malloc_trim(0);
    printf("faults: scenario=%s nulls=%llu vm_kb=%ld rss_kb=%ld\n", scenario, nulls, status_kb("VmSize"),
           status_kb("VmRSS"));
    return check_finish();
}
