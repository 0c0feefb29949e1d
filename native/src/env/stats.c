/* stats.c: the OBSERVE statistics. Every box with counters keeps them per thread (the
 * generated HK_<BOX>_COUNT macros add to a __thread struct); a thread's counters are added
 * to the process totals when it exits, and the report at exit (HAKMEM_STATS) or from
 * hak_stats_print() shows the totals plus the calling thread's own. Standard and FAST keep
 * no counters: there the functions below do nothing, or say so.
 *
 * The report has two forms with the same content (HAKMEM_STATS=1 or table, HAKMEM_STATS=json):
 *   - per size class in use, one row (table) or one object in "classes" (json) with every
 *     counter a box declares per class (length HK_CLASS_COUNT) and, when the counters
 *     `hits` and `misses` exist, the hit rate; then a total row ("totals" in json);
 *   - per box, its other counters on one line (an object in "boxes" in json).
 * Nothing here names a counter except `hits` and `misses`: a counter a box declares shows up
 * in the report without a change to this file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#if HAKMEM_OBSERVE

/* The boxes with counters, from the generated header: X(prefix, "box-name"); each box's
 * header names its counters HK_<prefix>_FIELDS(X), X(name, length, doc). */
#define HK_OBSERVED_BOXES HK_ENV_COUNTER_BOXES

#define DEFINE_COUNTERS(p, name)                                   \
  __thread hk_##p##_counters_t hk_##p##_tls_counters HK_TLS_MODEL; \
  static hk_##p##_counters_t p##_total;
HK_OBSERVED_BOXES(DEFINE_COUNTERS)

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

/* fork(): stats_lock is a leaf lock (nothing else is taken while it is held), taken around
 * fork so that a child never inherits it held by a thread that was folding its counters. */
static void stats_fork_prepare(void) { pthread_mutex_lock(&stats_lock); }
static void stats_fork_parent(void) { pthread_mutex_unlock(&stats_lock); }
static void stats_fork_child(void) { pthread_mutex_init(&stats_lock, NULL); }

/* Programs may close stderr before the library's destructor runs (coreutils do), so the
 * report writes to a duplicate taken at start when HAKMEM_STATS asks for a report.
 * Called once, from the library constructor. */
static int report_fd = 2;
void hk_stats_prepare(void) {
  pthread_atfork(stats_fork_prepare, stats_fork_parent, stats_fork_child);
  if (hk_env_stats() != HK_ENV_STATS_OFF) {
    int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (fd >= 0) report_fd = fd;
  }
}

#define ADD_FIELD(name, len, doc) \
  for (size_t i = 0; i < (size_t)(len); i++) ((uint64_t *)&dst->name)[i] += ((const uint64_t *)&src->name)[i];
#define DEFINE_ADD(p, name) \
  static void p##_add(hk_##p##_counters_t *dst, const hk_##p##_counters_t *src) { HK_##p##_FIELDS(ADD_FIELD) }

HK_OBSERVED_BOXES(DEFINE_ADD)

void hk_stats_thread_exit(void) {
  pthread_mutex_lock(&stats_lock);
#define FOLD(p, name)                          \
  p##_add(&p##_total, &hk_##p##_tls_counters); \
  memset(&hk_##p##_tls_counters, 0, sizeof hk_##p##_tls_counters);
  HK_OBSERVED_BOXES(FOLD)
#undef FOLD
  pthread_mutex_unlock(&stats_lock);
}

/* ---- output: a buffer written with hk_os_write_all, no stdio, no allocation ---------- */

static char out_buf[4096];
static size_t out_len;

static void out_flush(void) {
  hk_os_write_all(report_fd, out_buf, out_len);
  out_len = 0;
}

__attribute__((format(printf, 1, 2))) static void out(const char *fmt, ...) {
  for (int attempt = 0; attempt < 2; attempt++) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out_buf + out_len, sizeof out_buf - out_len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof out_buf - out_len) {
      out_len += (size_t)n;
      return;
    }
    if (attempt == 0) out_flush();     /* did not fit: flush and try once more */
    else out_len = sizeof out_buf - 1; /* longer than the buffer: keep what fitted */
  }
}

/* ---- the report -------------------------------------------------------------------- */

/* The totals plus the calling thread's counters, taken under stats_lock. */
#define DEFINE_SNAPSHOT(p, name) static hk_##p##_counters_t p##_snap;
HK_OBSERVED_BOXES(DEFINE_SNAPSHOT)

/* A per-class counter: one column of the table. */
typedef struct {
  const char *name;
  const uint64_t *v; /* HK_CLASS_COUNT values */
  uint64_t total;
  int width;
} column_t;

#define MAX_COLUMNS 16
static column_t cols[MAX_COLUMNS];
static int ncols;

#define COLUMN_FIELD(fname, len, doc)                         \
  if ((size_t)(len) == HK_CLASS_COUNT && ncols < MAX_COLUMNS) \
    cols[ncols++] = (column_t){#fname, (const uint64_t *)&snap->fname, 0, 0};
#define COLUMN_BOX(p, name)                      \
  {                                              \
    const hk_##p##_counters_t *snap = &p##_snap; \
    HK_##p##_FIELDS(COLUMN_FIELD)                \
  }

static int digits(uint64_t v) {
  int n = 1;
  while (v >= 10) v /= 10, n++;
  return n;
}

static bool class_in_use(size_t c) {
  for (int k = 0; k < ncols; k++)
    if (cols[k].v[c]) return true;
  return false;
}

static int column_named(const char *name) {
  for (int k = 0; k < ncols; k++)
    if (strcmp(cols[k].name, name) == 0) return k;
  return -1;
}

/* One box's counters that are not per class. */
static bool box_first;
static void scalar(bool json, const char *name, const uint64_t *v, size_t len) {
  if (len == 1) {
    if (json) out("%s\"%s\":%" PRIu64, box_first ? "" : ",", name, v[0]);
    else out("  %s %" PRIu64, name, v[0]);
    box_first = false;
    return;
  }
  for (size_t i = 0; i < len; i++) { /* another length: one entry per element */
    if (json) out("%s\"%s[%zu]\":%" PRIu64, box_first ? "" : ",", name, i, v[i]);
    else out("  %s[%zu] %" PRIu64, name, i, v[i]);
    box_first = false;
  }
}

#define LINE_FIELD(fname, len, doc) \
  if ((size_t)(len) != HK_CLASS_COUNT) scalar(json, #fname, (const uint64_t *)&snap->fname, (size_t)(len));
/* clang-format cannot see that HK_##p##_FIELDS(...) is a statement: it would join the lines. */
// clang-format off
#define LINE_BOX(p, name)                                                    \
  {                                                                          \
    const hk_##p##_counters_t *snap = &p##_snap;                             \
    box_first = true;                                                        \
    if (json) out("%s\"%s\":{", box_count++ ? "," : "", name);                \
    else out("%-*s", box_width, name);                                       \
    HK_##p##_FIELDS(LINE_FIELD)                                              \
    if (json) out("}");                                                      \
    else if (box_first) out("  -\n"); /* every counter is per class */      \
    else out("\n");                                                          \
  }
// clang-format on

static void rate(bool json, uint64_t hits, uint64_t misses) {
  uint64_t all = hits + misses;
  if (json) {
    if (all) out(",\"hit_rate\":%.4f", (double)hits / (double)all);
    else out(",\"hit_rate\":null");
  } else {
    if (all) out("  %7.1f%%", (double)(hits * 1000 / all) / 10.0); /* rounded down: 100.0% only when every one hit */
    else out("  %8s", "-");
  }
}

static void print_report(bool json) {
  pthread_mutex_lock(&stats_lock);
#define SNAPSHOT(p, name)                         \
  memcpy(&p##_snap, &p##_total, sizeof p##_snap); \
  p##_add(&p##_snap, &hk_##p##_tls_counters);
  HK_OBSERVED_BOXES(SNAPSHOT)
#undef SNAPSHOT
  ncols = 0;
  HK_OBSERVED_BOXES(COLUMN_BOX)
  const int hits = column_named("hits"), misses = column_named("misses");
  const bool with_rate = hits >= 0 && misses >= 0;
  for (int k = 0; k < ncols; k++) {
    column_t *c = &cols[k];
    c->total = 0;
    for (size_t i = 0; i < HK_CLASS_COUNT; i++) c->total += c->v[i];
    c->width = digits(c->total); /* the total is the largest value of the column */
    if (c->width < (int)strlen(c->name)) c->width = (int)strlen(c->name);
  }

  if (json) {
    out("{\"hakmem_stats\":1,\"mode\":\"%s\",\"profile\":\"%s\",\"config\":\"%s\",\"threads\":\"exited plus "
        "calling\",\"classes\":[",
        HAKMEM_MODE_NAME, hk_env_profile_name(), hk_env_config_hash());
    bool first = true;
    for (size_t i = 0; i < HK_CLASS_COUNT; i++) {
      if (!class_in_use(i)) continue;
      out("%s{\"class\":%zu,\"size\":%u", first ? "" : ",", i, (unsigned)hk_class_size[i]);
      for (int k = 0; k < ncols; k++) out(",\"%s\":%" PRIu64, cols[k].name, cols[k].v[i]);
      if (with_rate) rate(true, cols[hits].v[i], cols[misses].v[i]);
      out("}");
      first = false;
    }
    out("],\"totals\":{");
    for (int k = 0; k < ncols; k++) out("%s\"%s\":%" PRIu64, k ? "," : "", cols[k].name, cols[k].total);
    if (with_rate) rate(true, cols[hits].total, cols[misses].total);
    out("},\"boxes\":{");
    int box_count = 0, box_width = 0;
    (void)box_width;
    HK_OBSERVED_BOXES(LINE_BOX)
    out("}}\n");
  } else {
    out("hakmem stats (observe) profile=%s config=%s: threads that exited plus the calling thread\n",
        hk_env_profile_name(), hk_env_config_hash());
    out("%5s %7s", "class", "size B");
    for (int k = 0; k < ncols; k++) out("  %*s", cols[k].width, cols[k].name);
    if (with_rate) out("  %8s", "hit rate");
    out("\n");
    for (size_t i = 0; i < HK_CLASS_COUNT; i++) {
      if (!class_in_use(i)) continue;
      out("%5zu %7u", i, (unsigned)hk_class_size[i]);
      for (int k = 0; k < ncols; k++) out("  %*" PRIu64, cols[k].width, cols[k].v[i]);
      if (with_rate) rate(false, cols[hits].v[i], cols[misses].v[i]);
      out("\n");
    }
    out("%-13s", "total");
    for (int k = 0; k < ncols; k++) out("  %*" PRIu64, cols[k].width, cols[k].total);
    if (with_rate) rate(false, cols[hits].total, cols[misses].total);
    out("\n");
    int box_count = 0, box_width = 0;
    (void)box_count;
#define NAME_WIDTH(p, name) \
  if ((int)strlen(name) > box_width) box_width = (int)strlen(name);
    HK_OBSERVED_BOXES(NAME_WIDTH)
#undef NAME_WIDTH
    HK_OBSERVED_BOXES(LINE_BOX)
  }
  out_flush();
  pthread_mutex_unlock(&stats_lock);
}

void hk_stats_report(void) {
  static bool done;
  if (hk_env_stats() == HK_ENV_STATS_OFF || done) return;
  done = true;
  print_report(hk_env_stats() == HK_ENV_STATS_JSON);
}

void hk_stats_print_now(void) { print_report(hk_env_stats() == HK_ENV_STATS_JSON); }

#else

void hk_stats_thread_exit(void) {}
void hk_stats_prepare(void) {}
void hk_stats_report(void) {}
void hk_stats_print_now(void) {
  hk_os_write_err("hakmem stats: the %s build keeps no counters; preload libhakmem-observe.so to see them\n",
                  HAKMEM_MODE_NAME);
}

#endif
