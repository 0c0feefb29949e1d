/*
 * fork_stress - fork() while other threads are inside the allocator.
 *
 * `workers` threads (default 2) malloc/realloc/free a mix of sizes in a loop while the
 * main thread forks `forks` times (default 200). Each child:
 *   - checks and frees some blocks the parent's main thread allocated before the fork,
 *   - mallocs/callocs/reallocs/frees a varied mix (tiny, mid, large) and checks contents,
 *   - starts a new thread that does the same and also frees blocks the child's main
 *     thread allocated (a cross-thread free inside the child), joins it,
 *   - _exit(0), or _exit(1) after printing what was wrong.
 * The parent waits for every child with a timeout (`child_timeout` seconds, default 20):
 * a child that deadlocked (e.g. on an allocator lock held by a worker at fork time) is
 * killed and reported; a child that crashed or exited non-zero is reported.
 * A whole-test watchdog (alarm) turns a deadlock of the parent into a failure too.
 *
 * Arguments (key=value): forks=<n> workers=<n> child_timeout=<s>.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "check.h"

#define PARENT_BLOCKS 64
#define WORKER_SLOTS 128

static atomic_int g_stop;
static _Atomic unsigned long g_worker_errors;

static size_t pick_size(uint64_t r)
{
    unsigned sel = (unsigned)(r >> 56);
    if (sel < 3) return 256 * 1024 + (size_t)(r % (1024 * 1024)); /* large */
    if (sel < 40) return 1025 + (size_t)(r % 100000);             /* mid */
    return 1 + (size_t)(r % 1024);                                /* tiny */
}

/* ------------------------------------------------------------- parent's worker threads */

static void *worker(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg * 7919 + 1;
    void *slot[WORKER_SLOTS] = { 0 };
    size_t size[WORKER_SLOTS] = { 0 };
    unsigned seed[WORKER_SLOTS] = { 0 };
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        for (int k = 0; k < 256; k++) {
            uint64_t r = hk_splitmix64(&rng);
            unsigned i = (unsigned)(r % WORKER_SLOTS);
            if (slot[i]) {
                if (pattern_find_bad(slot[i], size[i] < 256 ? size[i] : 256, seed[i]) != (size_t)-1)
                    atomic_fetch_add(&g_worker_errors, 1);
                if (r & 0x100) {
                    free(slot[i]);
                    slot[i] = NULL;
                } else { /* realloc keeps the first min(old,new) bytes */
                    size_t ns = pick_size(hk_splitmix64(&rng));
                    void *q = realloc(slot[i], ns);
                    if (!q) {
                        atomic_fetch_add(&g_worker_errors, 1);
                        continue;
                    }
                    slot[i] = q;
                    size[i] = size[i] < ns ? size[i] : ns;
                }
            } else {
                size[i] = pick_size(r);
                seed[i] = (unsigned)(r >> 24);
                slot[i] = malloc(size[i]);
                if (!slot[i]) {
                    atomic_fetch_add(&g_worker_errors, 1);
                    continue;
                }
                pattern_fill(slot[i], size[i] < 256 ? size[i] : 256, seed[i]);
            }
        }
        /* a short pause per burst, so that on a small machine the children get CPU too */
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < WORKER_SLOTS; i++) free(slot[i]);
    return NULL;
}

/* ------------------------------------------------------------- the child */

typedef struct blk {
    unsigned char *p;
    size_t size;
    unsigned seed;
} blk_t;

static blk_t g_parent[PARENT_BLOCKS]; /* allocated by the parent's main thread */

static int child_errors;

static void child_fail(const char *what, size_t a, size_t b)
{
    child_errors++;
    if (child_errors <= 5) hk_write_errf("fork_stress: child %d: %s (%zu, %zu)\n", (int)getpid(), what, a, b);
}

typedef struct churn_arg {
    uint64_t seed;
    blk_t *handed; /* blocks from the child's main thread to free here */
    int nhanded;
    int errors;
} churn_arg_t;

static int churn(uint64_t seed, int rounds)
{
    enum { S = 64 };
    blk_t b[S];
    int errors = 0;
    memset(b, 0, sizeof(b));
    uint64_t rng = seed;
    for (int k = 0; k < rounds; k++) {
        uint64_t r = hk_splitmix64(&rng);
        int i = (int)(r % S);
        if (b[i].p) {
            if (pattern_find_bad(b[i].p, b[i].size, b[i].seed) != (size_t)-1) errors++;
            if (r & 0x200) {
                free(b[i].p);
                b[i].p = NULL;
                continue;
            }
            size_t ns = pick_size(hk_splitmix64(&rng)) / 4 + 1;
            unsigned char *q = realloc(b[i].p, ns);
            if (!q) {
                errors++;
                continue;
            }
            if (pattern_find_bad(q, b[i].size < ns ? b[i].size : ns, b[i].seed) != (size_t)-1) errors++;
            b[i].p = q;
            b[i].size = ns;
            pattern_fill(q, ns, b[i].seed);
        } else {
            b[i].size = pick_size(r) / 4 + 1;
            b[i].seed = (unsigned)(r >> 30);
            if (r & 0x400) {
                b[i].p = calloc(1, b[i].size);
                if (b[i].p)
                    for (size_t j = 0; j < b[i].size; j++)
                        if (b[i].p[j]) {
                            errors++;
                            break;
                        }
            } else {
                b[i].p = malloc(b[i].size);
            }
            if (!b[i].p) {
                errors++;
                continue;
            }
            pattern_fill(b[i].p, b[i].size, b[i].seed);
        }
    }
    for (int i = 0; i < S; i++) {
        if (b[i].p && pattern_find_bad(b[i].p, b[i].size, b[i].seed) != (size_t)-1) errors++;
        free(b[i].p);
    }
    return errors;
}

static void *child_thread(void *arg)
{
    churn_arg_t *a = arg;
    a->errors = churn(a->seed, 800);
    for (int i = 0; i < a->nhanded; i++) {
        if (pattern_find_bad(a->handed[i].p, a->handed[i].size, a->handed[i].seed) != (size_t)-1) a->errors++;
        free(a->handed[i].p);
    }
    return NULL;
}

static void child(unsigned index)
{
    /* the parent's main-thread blocks are intact in the child; free every other one */
    for (int i = (int)(index & 1); i < PARENT_BLOCKS; i += 2) {
        blk_t *b = &g_parent[i];
        if (pattern_find_bad(b->p, b->size, b->seed) != (size_t)-1)
            child_fail("a block allocated by the parent before fork is damaged", (size_t)i, b->size);
        free(b->p);
    }
    if (churn(index * 31 + 5, 800)) child_fail("churn in the child's main thread found damaged blocks", index, 0);

    enum { H = 32 };
    blk_t handed[H];
    for (int i = 0; i < H; i++) {
        handed[i].size = 16 + (size_t)i * 97;
        handed[i].seed = index + (unsigned)i;
        handed[i].p = malloc(handed[i].size);
        if (!handed[i].p) {
            child_fail("malloc returned NULL", handed[i].size, 0);
            _exit(1);
        }
        pattern_fill(handed[i].p, handed[i].size, handed[i].seed);
    }
    churn_arg_t a = { index * 17 + 3, handed, H, 0 };
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, &a)) {
        child_fail("pthread_create failed in the child", 0, 0);
        _exit(1);
    }
    pthread_join(t, NULL);
    if (a.errors) child_fail("the child's new thread found damaged blocks", (size_t)a.errors, 0);
    _exit(child_errors ? 1 : 0);
}

/* ------------------------------------------------------------- parent */

/* Waits for pid; 0 = it exited (status set), 1 = timeout, -1 = error. SIGCHLD is blocked
 * in every thread (set in main before any thread starts), so sigtimedwait wakes us the
 * moment the child exits instead of polling. */
static int wait_child(pid_t pid, double timeout, int *status)
{
    double deadline = hk_now() + timeout;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) return -1;
        double left = deadline - hk_now();
        if (left <= 0) return 1;
        if (left > 0.1) left = 0.1; /* re-check waitpid now and then in any case */
        struct timespec ts = { 0, (long)(left * 1e9) };
        sigtimedwait(&set, NULL, &ts);
    }
}

int main(int argc, char **argv)
{
    check_name = "fork_stress";
    unsigned long long forks = 200, workers = 2, child_timeout = 20;
    CHECK_ARGS(argc, argv, { "forks", &forks }, { "workers", &workers }, { "child_timeout", &child_timeout });
    if (workers > 16 || child_timeout < 1) {
        fprintf(stderr, "fork_stress: need workers <= 16 and child_timeout >= 1\n");
        return 2;
    }
    check_watchdog((unsigned)(60 + forks / 2 + child_timeout * 2));
    double t0 = hk_now();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, NULL); /* inherited by the workers; see wait_child */
    pthread_t tid[16];
    for (unsigned i = 0; i < workers; i++)
        if (pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)i)) check_fatal("pthread_create failed");

    uint64_t rng = 99;
    unsigned long ok = 0, hung = 0, crashed = 0, failed = 0;
    for (unsigned long long f = 0; f < forks; f++) {
        for (int i = 0; i < PARENT_BLOCKS; i++) {
            uint64_t r = hk_splitmix64(&rng);
            g_parent[i].size = pick_size(r) / 8 + 1;
            g_parent[i].seed = (unsigned)(r >> 32);
            g_parent[i].p = malloc(g_parent[i].size);
            if (!g_parent[i].p) check_fatal("malloc(%zu) returned NULL in the parent", g_parent[i].size);
            pattern_fill(g_parent[i].p, g_parent[i].size, g_parent[i].seed);
        }
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) check_fatal("fork failed: %s", strerror(errno));
        if (pid == 0) child((unsigned)f);
        int status = 0;
        int w = wait_child(pid, (double)child_timeout, &status);
        if (w == 1) {
            hung++;
            CHECK(0, "child %llu (pid %d) did not finish within %llu s (deadlock after fork?); killed", f, (int)pid,
                  child_timeout);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        } else if (w < 0) {
            CHECK(0, "waitpid for child %llu failed: %s", f, strerror(errno));
        } else if (WIFSIGNALED(status)) {
            crashed++;
            CHECK(0, "child %llu (pid %d) was killed by signal %d (%s)", f, (int)pid, WTERMSIG(status),
                  strsignal(WTERMSIG(status)));
        } else if (WEXITSTATUS(status) != 0) {
            failed++;
            CHECK(0, "child %llu (pid %d) exited %d", f, (int)pid, WEXITSTATUS(status));
        } else {
            ok++;
            CHECK(1, "ok");
        }
        for (int i = 0; i < PARENT_BLOCKS; i++) {
            CHECK(pattern_find_bad(g_parent[i].p, g_parent[i].size, g_parent[i].seed) == (size_t)-1,
                  "parent block %d damaged after fork %llu", i, f);
            free(g_parent[i].p);
        }
    }
    atomic_store(&g_stop, 1);
    for (unsigned i = 0; i < workers; i++) pthread_join(tid[i], NULL);
    CHECK(atomic_load(&g_worker_errors) == 0, "the parent's worker threads saw %lu errors (damaged blocks or NULL)",
          atomic_load(&g_worker_errors));
    printf("fork_stress: forks=%llu workers=%llu ok=%lu hung=%lu crashed=%lu failed=%lu seconds=%.2f\n", forks, workers,
           ok, hung, crashed, failed, hk_now() - t0);
    return check_finish();
}
