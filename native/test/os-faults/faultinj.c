/*
 * faultinj.so - makes the memory system calls of an allocator fail on a schedule, as SQLite's
 * out-of-memory tests make its Nth allocation fail. LD_PRELOAD it before the allocator:
 *
 *     FAULTINJ=mmap:nth=7 LD_PRELOAD="dist/native/tests/faultinj.so dist/native/lib/libhakmem.so" prog
 *
 * It interposes mmap, mremap, munmap, madvise (the calls an allocator makes through the C
 * library's PLT; glibc's own internal calls, e.g. for thread stacks, are not seen) and
 * pthread_setspecific. A call it fails returns MAP_FAILED or -1 with errno ENOMEM without
 * reaching the kernel; every other call goes to the kernel directly (syscall(2): nothing is
 * resolved with dlsym, which may allocate, except pthread_setspecific's real address).
 *
 * pthread_setspecific: glibc allocates (calloc, 512 bytes) the second-level block of keys 32
 * and up the first time a thread sets one of them; when that allocation fails it returns
 * ENOMEM and sets nothing. The site `setspecific` does exactly that for keys >= 32 (it returns
 * ENOMEM without calling the real function), so the thread-registration failure hakmem must
 * survive can be made on purpose.
 *
 * FAULTINJ is a comma list of rules SITE:MODE[:seed=S]; SITE is mmap, mremap, munmap, madvise,
 * setspecific, or mem (the four memory calls counted together); MODE is one of
 *     nth=N       the Nth call of the site only (1-based)
 *     every=N     every Nth call (N, 2N, ...)
 *     after=K     every call after the first K
 *     prob=P      each call with probability P (0..1), from the seed (default 1): replayable
 * FAULTINJ_LOG=FILE appends one line at exit: `faultinj calls mmap=.. mremap=.. munmap=..
 * madvise=.. setspecific=.. failed mmap=.. ...` (the runner counts calls with it). A bad
 * FAULTINJ prints what is wrong and what is allowed, and exits 2.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hk_program.h"

enum { S_MMAP, S_MREMAP, S_MUNMAP, S_MADVISE, S_SETSPECIFIC, S_MEM, S_COUNT };
static const char *const site_names[S_COUNT] = { "mmap", "mremap", "munmap", "madvise", "setspecific", "mem" };

enum { M_NONE, M_NTH, M_EVERY, M_AFTER, M_PROB };
typedef struct {
    int mode;
    unsigned long long n;
    double p;
    uint64_t seed;
} rule_t;

static rule_t rules[S_COUNT];
static unsigned long long calls[S_COUNT], failed[S_COUNT];
static int configured; /* 0: not yet, 1: done */

static void die(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) hk_write_err(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    _exit(2);
}

#define ALLOWED                                                                                     \
    "allowed: SITE:MODE[:seed=S], SITE = mmap|mremap|munmap|madvise|setspecific|mem, MODE = nth=N " \
    "| every=N | after=K | prob=P (0..1)"

static unsigned long long parse_count(const char *rule, const char *v, const char *end, int zero_ok)
{
    char *e;
    errno = 0;
    unsigned long long n = strtoull(v, &e, 10);
    if (e != end || v == end || *v == '-' || errno || (!zero_ok && n == 0))
        die("faultinj: FAULTINJ rule '%s': '%.*s' is not a %s number\n" ALLOWED "\n", rule, (int)(end - v), v,
            zero_ok ? "non-negative" : "positive");
    return n;
}

/* One rule: SITE:MODE[:seed=S]; rule points into a copy of the variable, ended by its own NUL. */
static void parse_rule(char *rule)
{
    char *colon = strchr(rule, ':');
    if (colon == NULL) die("faultinj: FAULTINJ rule '%s' has no mode\n" ALLOWED "\n", rule);
    int site = -1;
    for (int i = 0; i < S_COUNT; i++)
        if ((size_t)(colon - rule) == strlen(site_names[i]) && !strncmp(rule, site_names[i], (size_t)(colon - rule)))
            site = i;
    if (site < 0)
        die("faultinj: FAULTINJ rule '%s': unknown site '%.*s'\n" ALLOWED "\n", rule, (int)(colon - rule), rule);
    rule_t r = { M_NONE, 0, 0, 1 };
    for (char *part = colon + 1; part && *part;) {
        char *next = strchr(part, ':');
        char *end = next ? next : part + strlen(part);
        char *eq = memchr(part, '=', (size_t)(end - part));
        if (eq == NULL)
            die("faultinj: FAULTINJ rule '%s': '%.*s' is not key=value\n" ALLOWED "\n", rule, (int)(end - part), part);
        size_t klen = (size_t)(eq - part);
        if (klen == 3 && !strncmp(part, "nth", 3)) r.mode = M_NTH, r.n = parse_count(rule, eq + 1, end, 0);
        else if (klen == 5 && !strncmp(part, "every", 5)) r.mode = M_EVERY, r.n = parse_count(rule, eq + 1, end, 0);
        else if (klen == 5 && !strncmp(part, "after", 5)) r.mode = M_AFTER, r.n = parse_count(rule, eq + 1, end, 1);
        else if (klen == 4 && !strncmp(part, "seed", 4)) r.seed = parse_count(rule, eq + 1, end, 1);
        else if (klen == 4 && !strncmp(part, "prob", 4)) {
            char *e;
            r.mode = M_PROB;
            r.p = strtod(eq + 1, &e);
            if (e != end || eq + 1 == end || !(r.p >= 0 && r.p <= 1))
                die("faultinj: FAULTINJ rule '%s': prob must be a number from 0 to 1\n" ALLOWED "\n", rule);
        } else {
            die("faultinj: FAULTINJ rule '%s': unknown key '%.*s'\n" ALLOWED "\n", rule, (int)klen, part);
        }
        part = next ? next + 1 : NULL;
    }
    if (r.mode == M_NONE) die("faultinj: FAULTINJ rule '%s' has no mode\n" ALLOWED "\n", rule);
    rules[site] = r;
}

/* Read FAULTINJ once, at the first intercepted call (which may come before any constructor). */
static void configure(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    if (__atomic_load_n(&configured, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&lock);
    if (!configured) {
        const char *v = getenv("FAULTINJ");
        if (v && *v) {
            char copy[1024];
            if (strlen(v) >= sizeof copy) die("faultinj: FAULTINJ is longer than %zu characters\n", sizeof copy - 1);
            strcpy(copy, v);
            for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                parse_rule(tok);
        }
        __atomic_store_n(&configured, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lock);
}

static int rule_fires(const rule_t *r, unsigned long long i /* 1-based call number */)
{
    switch (r->mode) {
    case M_NTH: return i == r->n;
    case M_EVERY: return i % r->n == 0;
    case M_AFTER: return i > r->n;
    case M_PROB: return (double)(hk_splitmix64_of(r->seed * 0x100000001b3ULL + i) >> 11) * 0x1.0p-53 < r->p;
    default: return 0;
    }
}

/* Count the call at site (and at `mem` for the four memory calls); 1 if it must fail. */
static int should_fail(int site)
{
    configure();
    unsigned long long i = __atomic_add_fetch(&calls[site], 1, __ATOMIC_RELAXED);
    int fail = rule_fires(&rules[site], i);
    if (site != S_SETSPECIFIC) {
        unsigned long long m = __atomic_add_fetch(&calls[S_MEM], 1, __ATOMIC_RELAXED);
        if (rule_fires(&rules[S_MEM], m)) fail = 1;
    }
    if (fail) {
        __atomic_add_fetch(&failed[site], 1, __ATOMIC_RELAXED);
        errno = ENOMEM;
    }
    return fail;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (should_fail(S_MMAP)) return MAP_FAILED;
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) __attribute__((alias("mmap")));

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *dst = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        dst = va_arg(ap, void *);
        va_end(ap);
    }
    if (should_fail(S_MREMAP)) return MAP_FAILED;
    return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, dst);
}

int munmap(void *addr, size_t len)
{
    if (should_fail(S_MUNMAP)) return -1;
    return (int)syscall(SYS_munmap, addr, len);
}

int madvise(void *addr, size_t len, int advice)
{
    if (should_fail(S_MADVISE)) return -1;
    return (int)syscall(SYS_madvise, addr, len, advice);
}

int pthread_setspecific(pthread_key_t key, const void *value)
{
    static int (*real)(pthread_key_t, const void *);
    if (key >= 32 && should_fail(S_SETSPECIFIC)) return ENOMEM; /* glibc's calloc of the key block failed */
    if (real == NULL) real = (int (*)(pthread_key_t, const void *))dlsym(RTLD_NEXT, "pthread_setspecific");
    if (real == NULL) die("faultinj: pthread_setspecific not found\n");
    return real(key, value);
}

/* A bad FAULTINJ is refused at start, even in a program that never maps memory. */
__attribute__((constructor)) static void faultinj_init(void) { configure(); }

__attribute__((destructor)) static void faultinj_report(void)
{
    const char *path = getenv("FAULTINJ_LOG");
    if (path == NULL || *path == '\0') return;
    char line[512];
    int n = snprintf(line, sizeof line, "faultinj calls");
    for (int i = 0; i < S_MEM; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu", site_names[i], calls[i]);
    n += snprintf(line + n, sizeof line - (size_t)n, " failed");
    for (int i = 0; i < S_MEM; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu", site_names[i], failed[i]);
    n += snprintf(line + n, sizeof line - (size_t)n, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}
