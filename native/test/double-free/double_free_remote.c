/*
 * double_free_remote - a double free must stay the bug of the thread that made it.
 *
 * A thread allocates a block and exits; main frees that block twice (a program bug; glibc
 * aborts with "free(): double free detected" for some of these, which is why this test is
 * run only under hakmem). Then unrelated threads start, allocate, free and exit: they
 * adopt the exited thread's heap and take over whatever came back to it. Under hakmem the
 * second free must be contained: no later thread may crash or hang, and no block may be
 * handed out twice while live (each thread checks that its blocks keep their contents).
 *
 * Scenarios (argv[1], default all): the block size (20 KB as in the report, 20000 B, a
 * tiny and a large size) times four ways of freeing it twice (see scenario()).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>

#include "check.h"

static void *volatile shared;
static size_t shared_size;

static void *alloc_thread(void *arg)
{
    (void)arg;
    shared = malloc(shared_size);
    if (shared) memset(shared, 0x11, shared_size);
    return NULL;
}

/* A later, unrelated thread: allocates a mix, checks contents, frees, exits. */
static void *later_thread(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    enum { N = 256 };
    static const size_t sizes[] = { 16, 48, 100, 1000, 4000, 20000, 20480, 30000, 100000 };
    void *p[N];
    size_t n[N];
    uint64_t rng = id * 7919 + 1;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            /* half of them of the double-freed block's size (its class is where the damage is) */
            n[i] = (i & 1) && shared_size <= 100000 ? shared_size
                                                    : sizes[hk_splitmix64(&rng) % (sizeof sizes / sizeof sizes[0])];
            p[i] = malloc(n[i]);
            if (!p[i]) check_fatal("thread %u: malloc(%zu) failed", id, n[i]);
            pattern_fill(p[i], n[i], id * 1000 + (unsigned)i);
        }
        for (int i = 0; i < N; i++) {
            size_t bad = pattern_find_bad(p[i], n[i], id * 1000 + (unsigned)i);
            CHECK(bad == (size_t)-1, "thread %u: block %d (%zu B) byte %zu changed: handed out twice?", id, i, n[i],
                  bad);
        }
        for (int i = 0; i < N; i++) free(p[i]);
    }
    return NULL;
}

static void run_threads(pthread_t *t, unsigned count, unsigned base)
{
    for (unsigned i = 0; i < count; i++)
        if (pthread_create(&t[i], NULL, later_thread, (void *)(uintptr_t)(base + i)) != 0)
            check_fatal("pthread_create failed");
}

static void join_threads(pthread_t *t, unsigned count)
{
    for (unsigned i = 0; i < count; i++) pthread_join(t[i], NULL);
}

static void *reuse_thread(void *arg)
{
    (void)arg;
    void *p = malloc(shared_size); /* often the block itself, drained from the queue */
    if (p) {
        memset(p, 0x22, shared_size);
        free(p);
    }
    return NULL;
}

/* mode 0: free, free. mode 1: free, other frees, free. mode 2: free, a thread adopts the
 * heap (takes the block back) and churns, free again. mode 3: free, a thread adopts the
 * heap, allocates one block of the size (the freed one, usually), writes and frees it and
 * exits (the block is parked or back in its slab), free again. */
static void scenario(size_t size, int mode)
{
    pthread_t t[4];
    shared_size = size;
    pthread_create(&t[0], NULL, alloc_thread, NULL);
    pthread_join(t[0], NULL);
    void *b = shared;
    if (!b) check_fatal("malloc(%zu) in a thread failed", size);
    free(b);
    if (mode == 1) {
        void *x[8];
        for (int i = 0; i < 8; i++) x[i] = malloc(size);
        pthread_create(&t[0], NULL, alloc_thread, NULL); /* another block of the same heap */
        pthread_join(t[0], NULL);
        free(shared);
        for (int i = 0; i < 8; i++) free(x[i]);
    }
    if (mode == 2) { /* a thread adopts the exited thread's heap and runs; then the second free */
        run_threads(t, 1, 100);
        join_threads(t, 1);
    }
    if (mode == 3) {
        pthread_create(&t[0], NULL, reuse_thread, NULL);
        pthread_join(t[0], NULL);
    }
    free(launder(b)); /* the bug */
    run_threads(t, 4, (unsigned)(size + (size_t)mode));
    join_threads(t, 4);
    run_threads(t, 4, (unsigned)(size + (size_t)mode) + 10);
    join_threads(t, 4);
    CHECK(1, "scenario %zu/%d survived", size, mode);
}

int main(int argc, char **argv)
{
    check_name = "double_free_remote";
    check_watchdog(60);
    static const size_t sizes[] = { 20 * 1024, 20000, 64, 3 << 20 };
    int only = argc > 1 ? atoi(argv[1]) : -1;
    int k = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int mode = 0; mode < 4; mode++, k++)
            if (only < 0 || only == k) {
                printf("double_free_remote: scenario %d: %zu B, mode %d\n", k, sizes[s], mode);
                fflush(stdout);
                scenario(sizes[s], mode);
            }
    return check_finish();
}
