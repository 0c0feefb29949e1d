/*
 * common.h - helpers shared by the workload programs in native/bench/.
 *
 * Every workload calls plain malloc/free/realloc only (never hak_*), so one binary
 * measures every allocator: the allocator under test is swapped in with LD_PRELOAD.
 * The workloads themselves are specified in docs/workloads.md.
 *
 * What lives here:
 *   - key=value argument parsing (usage on stderr + exit 2 on an unknown key or a bad value)
 *   - from native/common/hk_program.h, shared with the tests: splitmix64, the one random
 *     generator of every workload (hk_splitmix64), the monotonic clock (hk_now), the current
 *     RSS (hk_rss_kb)
 *   - the result line  "<name> ops=<n> seconds=<s> mops=<m>"  and the soak-mode epoch line
 *     "epoch=<i> ops=<n> seconds=<s> mops=<m> rss_kb=<k>"
 *   - hk_die(): message on stderr, exit 1 (used for NULL from malloc and failed self-checks)
 *
 * Header-only (static functions), so each workload is one translation unit.
 */
#ifndef HAKMEM_BENCH_COMMON_H
#define HAKMEM_BENCH_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hk_program.h"

#define HK_UNUSED __attribute__((unused))
#define HK_NOINLINE __attribute__((noinline))
#define HK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HK_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---------------------------------------------------------------- errors */

static HK_UNUSED __attribute__((noreturn, format(printf, 2, 3))) void hk_die(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: FAIL: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stdout);
    exit(1);
}

/* ---------------------------------------------------------------- arguments */

typedef enum { HK_ARG_U64, HK_ARG_F64 } hk_arg_kind_t;

typedef struct hk_arg {
    const char *key;
    hk_arg_kind_t kind;
    void *value; /* uint64_t * or double *; holds the default on entry */
    const char *help;
} hk_arg_t;

static HK_UNUSED void hk_usage(FILE *out, const char *name, const char *what, const hk_arg_t *args, size_t n)
{
    fprintf(out, "usage: %s [key=value ...]\n%s\n\nkeys (default):\n", name, what);
    for (size_t i = 0; i < n; i++) {
        if (args[i].kind == HK_ARG_U64)
            fprintf(out, "  %-9s %-12llu %s\n", args[i].key, (unsigned long long)*(uint64_t *)args[i].value,
                    args[i].help);
        else
            fprintf(out, "  %-9s %-12g %s\n", args[i].key, *(double *)args[i].value, args[i].help);
    }
    fprintf(out,
            "\nprints one line: %s ops=<n> seconds=<s> mops=<m>; exit 0 (1 = self-check failed, 2 = bad arguments)\n",
            name);
}

static HK_UNUSED __attribute__((noreturn, format(printf, 5, 6))) void
hk_usage_error(const char *name, const char *what, const hk_arg_t *args, size_t n, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    hk_usage(stderr, name, what, args, n);
    exit(2);
}

static int hk_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1; /* no sign, no blanks, no empty */
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int hk_parse_f64(const char *s, double *out)
{
    char *end;
    if ((*s < '0' || *s > '9') && *s != '.')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end != '\0' || !(v >= 0.0) || v > 1e9)
        return -1;
    *out = v;
    return 0;
}

/* Parses argv as key=value pairs into the table. "help", "-h", "--help": usage on stdout, exit 0. */
static HK_UNUSED void hk_parse_args(int argc, char **argv, const char *name, const char *what, hk_arg_t *args, size_t n)
{
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "help") || !strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            hk_usage(stdout, name, what, args, n);
            exit(0);
        }
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg)
            hk_usage_error(name, what, args, n, "argument '%s' is not key=value", arg);
        size_t klen = (size_t)(eq - arg);
        size_t i;
        for (i = 0; i < n; i++)
            if (strlen(args[i].key) == klen && !strncmp(args[i].key, arg, klen))
                break;
        if (i == n)
            hk_usage_error(name, what, args, n, "unknown key '%.*s'", (int)klen, arg);
        int bad = args[i].kind == HK_ARG_U64 ? hk_parse_u64(eq + 1, (uint64_t *)args[i].value)
                                             : hk_parse_f64(eq + 1, (double *)args[i].value);
        if (bad)
            hk_usage_error(name, what, args, n, "bad value '%s' for %s (want a %s)", eq + 1, args[i].key,
                           args[i].kind == HK_ARG_U64 ? "non-negative integer" : "non-negative number");
    }
}

#define HK_NARGS(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- output */

/* Decimals for mops: at least four significant digits, so that workloads of a few large
 * operations per second (large_mixed: ~0.0004 M ops/s) do not print 0.00. */
static inline int hk_mops_decimals(double mops)
{
    int d = 2;
    for (double m = mops; m > 0 && m < 10 && d < 8; m *= 10)
        d++;
    return d;
}

static HK_UNUSED void hk_print_result(const char *name, uint64_t ops, double seconds)
{
    double mops = seconds > 0 ? (double)ops / seconds / 1e6 : 0.0;
    printf("%s ops=%llu seconds=%.4f mops=%.*f\n", name, (unsigned long long)ops, seconds, hk_mops_decimals(mops),
           mops);
    fflush(stdout);
}

static HK_UNUSED void hk_print_epoch(unsigned idx, uint64_t ops, double seconds)
{
    double mops = seconds > 0 ? (double)ops / seconds / 1e6 : 0.0;
    printf("epoch=%u ops=%llu seconds=%.4f mops=%.*f rss_kb=%ld\n", idx, (unsigned long long)ops, seconds,
           hk_mops_decimals(mops), mops, hk_rss_kb());
    fflush(stdout);
}

/* ---------------------------------------------------------------- soak mode
 *
 * Soak mode = "seconds=<total> epoch=<s>": run the main body in one process until
 * <total> seconds have passed, printing one epoch line every <s> seconds (none when
 * epoch=0), then the result line over the whole run.
 *
 * Single-threaded loops call hk_soak_tick(&soak, ops_so_far) every few thousand
 * operations; it returns 0 once time is up. Multi-threaded programs call
 * hk_soak_monitor() from the main thread, which samples a caller-supplied total.
 */
typedef struct hk_soak {
    double total, epoch; /* seconds */
    double t0, next_epoch, epoch_start;
    uint64_t epoch_ops0;
    unsigned epoch_idx;
} hk_soak_t;

static HK_UNUSED void hk_soak_start(hk_soak_t *s, double total, double epoch)
{
    s->total = total;
    s->epoch = epoch;
    s->t0 = s->epoch_start = hk_now();
    s->next_epoch = epoch > 0 ? s->t0 + epoch : 1e300;
    s->epoch_ops0 = 0;
    s->epoch_idx = 0;
}

/* Returns 1 to keep going, 0 when the total time is up (the last, possibly short, epoch is printed). */
static HK_UNUSED int hk_soak_tick(hk_soak_t *s, uint64_t ops)
{
    double now = hk_now();
    int done = now - s->t0 >= s->total;
    if (now >= s->next_epoch || (done && s->epoch > 0 && ops > s->epoch_ops0)) {
        hk_print_epoch(++s->epoch_idx, ops - s->epoch_ops0, now - s->epoch_start);
        s->epoch_start = now;
        s->epoch_ops0 = ops;
        while (s->next_epoch <= now)
            s->next_epoch += s->epoch;
    }
    return !done;
}

/* Main-thread loop for multi-threaded soaks: sleeps in small steps, prints epochs from
 * sample(ctx) (a running total of operations), returns when the total time is up. */
static HK_UNUSED void hk_soak_monitor(hk_soak_t *s, uint64_t (*sample)(void *), void *ctx)
{
    for (;;) {
        double now = hk_now();
        double until = s->t0 + s->total;
        if (s->next_epoch < until)
            until = s->next_epoch;
        double wait = until - now;
        if (wait > 0.05)
            wait = 0.05;
        if (wait > 0) {
            struct timespec ts = {0, (long)(wait * 1e9)};
            nanosleep(&ts, NULL);
        }
        if (!hk_soak_tick(s, sample(ctx)))
            return;
    }
}

#endif /* HAKMEM_BENCH_COMMON_H */
