/* stats.c: the OBSERVE statistics. Every box with counters keeps them per thread (the
 * generated HK_<BOX>_COUNT macros add to a __thread struct); a thread's counters are added
 * to the process totals when it exits, and the report at exit (HAKMEM_STATS) or from
 * hak_stats_print() shows the totals plus the calling thread's own. Standard and FAST keep
 * no counters: there the functions below do nothing, or say so. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "internal.h"

#if HAKMEM_OBSERVE

/* The boxes with counters, from the generated header: X(prefix, "box-name"). */
#define HK_OBSERVED_BOXES HK_ENV_COUNTER_BOXES

#define DEFINE_COUNTERS(p, name) __thread hk_##p##_counters_t hk_##p##_tls_counters HK_TLS_MODEL; static hk_##p##_counters_t p##_total;
HK_OBSERVED_BOXES(DEFINE_COUNTERS)

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

/* Programs may close stderr before the library's destructor runs (coreutils do), so the
 * report writes to a duplicate taken at start when HAKMEM_STATS=1. */
static int report_fd = 2;
void hk_stats_prepare(void) {
  if (hk_env_stats()) {
    int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (fd >= 0) report_fd = fd;
  }
}

#define ADD_FIELD(name, len, doc)                                                   \
  for (size_t i = 0; i < (size_t)(len); i++) ((uint64_t *)&dst->name)[i] += ((const uint64_t *)&src->name)[i];
#define DEFINE_ADD(p, name)                                                                      \
  static void p##_add(hk_##p##_counters_t *dst, const hk_##p##_counters_t *src) { HK_##p##_FIELDS(ADD_FIELD) }

#define HK_front_FIELDS HK_FRONT_COUNTERS
#define HK_uc_FIELDS HK_UC_COUNTERS
#define HK_ss_FIELDS HK_SS_COUNTERS
#define HK_remote_FIELDS HK_REMOTE_COUNTERS
HK_OBSERVED_BOXES(DEFINE_ADD)

void hk_stats_thread_exit(void) {
  pthread_mutex_lock(&stats_lock);
#define FOLD(p, name)                                 \
  p##_add(&p##_total, &hk_##p##_tls_counters);    \
  memset(&hk_##p##_tls_counters, 0, sizeof hk_##p##_tls_counters);
  HK_OBSERVED_BOXES(FOLD)
#undef FOLD
  pthread_mutex_unlock(&stats_lock);
}

#define PRINT_FIELD(name, len, doc)                                                                            \
  for (size_t i = 0; i < (size_t)(len); i++) {                                                                 \
    uint64_t v = ((const uint64_t *)&sum.name)[i];                                                             \
    if (v == 0) continue;                                                                                      \
    if ((len) == 1) hk_os_write_fd(report_fd, "  %s.%s %" PRIu64 "\n", label, #name, v);                                 \
    else hk_os_write_fd(report_fd, "  %s.%s[%zu] %" PRIu64 " (%u B)\n", label, #name, i, v, (unsigned)hk_class_size[i]); \
  }
#define PRINT_BOX(p, name)                                       \
  {                                                          \
    hk_##p##_counters_t sum;                                 \
    memcpy(&sum, &p##_total, sizeof sum);                    \
    p##_add(&sum, &hk_##p##_tls_counters);                   \
    const char *label = name;                                \
    HK_##p##_FIELDS(PRINT_FIELD)                             \
  }

static void print_report(void) {
  pthread_mutex_lock(&stats_lock);
  hk_os_write_fd(report_fd, "hakmem stats (observe) profile=%s config=%s: threads that exited plus the calling thread\n",
                  hk_env_profile_name(), HAKMEM_CONFIG_HASH);
  HK_OBSERVED_BOXES(PRINT_BOX)
  pthread_mutex_unlock(&stats_lock);
}

void hk_stats_report(void) {
  static bool done;
  if (!hk_env_stats() || done) return;
  done = true;
  print_report();
}

void hk_stats_print_now(void) { print_report(); }

#else

void hk_stats_thread_exit(void) {}
void hk_stats_prepare(void) {}
void hk_stats_report(void) {}
void hk_stats_print_now(void) {
  hk_os_write_err("hakmem stats: the %s build keeps no counters; preload libhakmem-observe.so to see them\n",
                  HAKMEM_MODE_NAME);
}

#endif
