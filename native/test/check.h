/*
 * check.h - tiny helpers shared by the C test programs of native/test (each in its topic folder).
 *
 * CHECK(cond, fmt, ...) records a failure (printed at once with file:line, the first
 * CHECK_MAX_PRINT of them) and keeps going; check_finish() prints the summary and returns
 * the exit status (0 = all passed, 1 = something failed). A test that cannot go on calls
 * check_fatal().
 *
 * escape(p) hides a pointer (and all memory) from the optimiser, so that malloc/free
 * pairs, stores before free, and reads of calloc'd memory are really executed.
 */
#ifndef HAKMEM_TESTS_CHECK_H
#define HAKMEM_TESTS_CHECK_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hk_program.h" /* hk_splitmix64, hk_now, hk_rss_kb: shared with the workloads */

#define CHECK_MAX_PRINT 40

static const char *check_name = "test";
static unsigned long check_count, check_failures;

static inline void escape(const void *p) { __asm__ volatile("" : : "g"(p) : "memory"); }

/* Returns p, hidden from the optimiser's pointer tracking (for using a block after a
 * realloc that failed, which -Wuse-after-free cannot know is fine). */
static inline void *launder(void *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

static __attribute__((format(printf, 3, 4), unused)) void check_fail_at(const char *file, int line, const char *fmt,
                                                                        ...)
{
    check_failures++;
    if (check_failures > CHECK_MAX_PRINT) {
        if (check_failures == CHECK_MAX_PRINT + 1) fprintf(stderr, "%s: (further failures not printed)\n", check_name);
        return;
    }
    va_list ap;
    fprintf(stderr, "%s: FAIL %s:%d: ", check_name, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

#define CHECK(cond, ...)                                             \
    do {                                                             \
        check_count++;                                               \
        if (!(cond)) check_fail_at(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

static __attribute__((noreturn, format(printf, 1, 2), unused)) void check_fatal(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: FATAL: ", check_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* key=value arguments whose values are unsigned numbers: each entry of the table names the
 * variable a key sets; the table ends with {NULL, NULL}. An argument that is not key=<number>,
 * or a key not in the table, is fatal, and the message lists the keys allowed. */
typedef struct {
    const char *key;
    unsigned long long *val;
} check_arg_t;

#define CHECK_ARGS(argc, argv, ...) check_args((argc), (argv), (const check_arg_t[]){ __VA_ARGS__, { NULL, NULL } })

static __attribute__((unused)) void check_args(int argc, char **argv, const check_arg_t *args)
{
    char allowed[256] = "";
    for (const check_arg_t *a = args; a->key; a++)
        snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", a == args ? "" : ", ", a->key);
    for (int i = 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        const check_arg_t *a = args;
        for (; eq && a->key; a++)
            if (strlen(a->key) == (size_t)(eq - argv[i]) && !strncmp(a->key, argv[i], (size_t)(eq - argv[i]))) break;
        if (eq == NULL || a->key == NULL) check_fatal("unknown argument '%s' (allowed: %s)", argv[i], allowed);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(eq + 1, &end, 10);
        if (eq[1] < '0' || eq[1] > '9' || *end != '\0' || errno == ERANGE)
            check_fatal("bad argument '%s': the value must be an unsigned number", argv[i]);
        *a->val = v;
    }
}

static __attribute__((unused)) int check_finish(void)
{
    if (check_failures) {
        fprintf(stderr, "%s: %lu of %lu checks FAILED\n", check_name, check_failures, check_count);
        printf("%s: FAIL (%lu of %lu checks failed)\n", check_name, check_failures, check_count);
        return 1;
    }
    printf("%s: ok (%lu checks)\n", check_name, check_count);
    return 0;
}

/* Deterministic byte pattern: byte i of a block filled with `seed`. */
static inline unsigned char pattern_byte(size_t i, unsigned seed)
{
    return (unsigned char)((i * 131u + seed * 7u + (i >> 8)) ^ (seed >> 3));
}

static __attribute__((unused)) void pattern_fill(void *p, size_t n, unsigned seed)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++) b[i] = pattern_byte(i, seed);
    escape(p);
}

/* Returns the index of the first byte that differs, or (size_t)-1 if all match. */
static __attribute__((unused)) size_t pattern_find_bad(const void *p, size_t n, unsigned seed)
{
    const unsigned char *b = p;
    escape(p);
    for (size_t i = 0; i < n; i++)
        if (b[i] != pattern_byte(i, seed)) return i;
    return (size_t)-1;
}

/* count blocks of size bytes from malloc, block i filled with the byte i & 0x7f (fatal when
 * malloc fails); marked_check_free() checks that each still holds its byte at both ends and
 * frees them and the array. */
static __attribute__((unused)) char **marked_alloc(unsigned long long count, size_t size)
{
    char **v = malloc(count * sizeof *v);
    if (v == NULL) check_fatal("malloc(%llu pointers) failed", count);
    for (unsigned long long i = 0; i < count; i++) {
        v[i] = malloc(size);
        if (v[i] == NULL) check_fatal("malloc(%zu) failed at block %llu", size, i);
        memset(v[i], (int)(i & 0x7f), size);
    }
    return v;
}

static __attribute__((unused)) void marked_check_free(char **v, unsigned long long count, size_t size)
{
    for (unsigned long long i = 0; i < count; i++) {
        CHECK(v[i][0] == (char)(i & 0x7f) && v[i][size - 1] == (char)(i & 0x7f),
              "block %llu of %zu B lost its contents", i, size);
        free(v[i]);
    }
    free(v);
}

/* A watchdog: if the test is still running after `seconds`, say so and die (a deadlock
 * must fail, not hang). Uses alarm() + SIGALRM with the default action replaced. */
static void check_watchdog_fire(int sig)
{
    (void)sig;
    static const char msg[] = ": FAIL: watchdog expired (deadlock or far too slow)\n";
    hk_write_err(check_name, strlen(check_name));
    hk_write_err(msg, sizeof(msg) - 1);
    _exit(3);
}

static __attribute__((unused)) void check_watchdog(unsigned seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = check_watchdog_fire;
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
}

#endif /* HAKMEM_TESTS_CHECK_H */
