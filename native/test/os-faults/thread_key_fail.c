/*
 * thread_key_fail - threads whose registration for the exit hook fails (issue 29, defect 2).
 *
 * hakmem gives each thread's heap back at thread exit through a pthread key of index 32 or
 * more, whose per-thread block glibc allocates (calloc, 512 B) at the thread's first
 * pthread_setspecific; when that allocation fails, pthread_setspecific returns ENOMEM. Run
 * under faultinj.so with FAULTINJ=setspecific:every=1 (every such call fails), the threads
 * here must still give their heaps back when they exit: `threads` threads (default 50), one
 * at a time, each allocates `per_thread_kb` KiB (default 4096) in 1 KiB blocks, frees them
 * and exits. Then main frees nothing more, calls malloc_trim(0) and prints its RSS:
 *
 *     thread_key_fail: threads=50 rss_kb=...
 *
 * The spec compares that with a run without failures (every exited heap ABANDONED: its slabs
 * back in the pool, returned by malloc_trim) and reads heaps_abandoned in OBSERVE's report.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>

#include "check.h"

static unsigned long long per_thread_kb = 4096;

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    size_t n = (size_t)per_thread_kb;
    char **v = malloc(n * sizeof *v);
    if (v == NULL) return (void *)1;
    for (size_t i = 0; i < n; i++) {
        v[i] = malloc(1024);
        if (v[i] == NULL) return (void *)1;
        memset(v[i], (int)((i + seed) & 0x7f), 1024);
    }
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i][0] != (char)((i + seed) & 0x7f) || v[i][1023] != (char)((i + seed) & 0x7f)) bad = 1;
        free(v[i]);
    }
    free(v);
    return bad ? (void *)2 : NULL;
}

int main(int argc, char **argv)
{
    unsigned long long threads = 50;
    check_name = "thread_key_fail";
    CHECK_ARGS(argc, argv, { "threads", &threads }, { "per_thread_kb", &per_thread_kb });
    check_watchdog(60);
    for (unsigned long long i = 0; i < threads; i++) {
        pthread_t t;
        int rc = pthread_create(&t, NULL, worker, (void *)(uintptr_t)i);
        if (rc != 0) check_fatal("pthread_create: %s", strerror(rc));
        void *ret;
        pthread_join(t, &ret);
        CHECK(ret != (void *)1, "thread %llu: malloc failed", i);
        CHECK(ret != (void *)2, "thread %llu: a block lost its contents", i);
    }
    malloc_trim(0);
    printf("thread_key_fail: threads=%llu rss_kb=%ld\n", threads, hk_rss_kb());
    return check_finish();
}
