/* env_gate.c: the ENV gate box. In Standard and OBSERVE builds the HAKMEM_* variables
 * are read once, at initialisation, into the snapshot structs the generated headers
 * declare; nothing reads the environment afterwards. FAST builds contain no environment
 * reading at all: every knob is a constant there.
 *
 * Also here: the OBSERVE counters (per thread, summed when threads exit) and the report. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if HAKMEM_ENV_RUNTIME

HK_ENV_DEFINE_SNAPSHOTS

extern char **environ;
static const char *const profile_names[] = HK_ENV_PROFILE_NAMES;
static int profile_in_force = HK_ENV_PROFILE_BUILD;
static bool provisional;
static bool announced;

static bool parse_int(const char *v, int64_t *out) {
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno || end == v || *end) return false;
  *out = x;
  return true;
}

static bool parse_bytes(const char *v, int64_t *out) {
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno || end == v || *v == '-') return false;
  unsigned shift = 0;
  switch (*end) {
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  default: break;
  }
  if (shift && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)) end += strlen(end);
  if (*end) return false;
  if (shift && x > (UINT64_MAX >> shift)) return false;
  x <<= shift;
  if (x > INT64_MAX) return false;
  *out = (int64_t)x;
  return true;
}

static bool parse_bool(const char *v, int64_t *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
  for (unsigned i = 0; i < 4; i++) {
    if (strcasecmp(v, yes[i]) == 0) return *out = 1, true;
    if (strcasecmp(v, no[i]) == 0) return *out = 0, true;
  }
  return false;
}

static int64_t knob_get(const hk_env_knob_t *k) {
  switch (k->kind) {
  case HK_KNOB_BOOL: return *(const bool *)k->field;
  case HK_KNOB_INT: return *(const int64_t *)k->field;
  case HK_KNOB_BYTES: return (int64_t) * (const size_t *)k->field;
  default: return *(const int *)k->field;
  }
}

static void knob_set(const hk_env_knob_t *k, int64_t x) {
  switch (k->kind) {
  case HK_KNOB_BOOL: *(bool *)k->field = x != 0; break;
  case HK_KNOB_INT: *(int64_t *)k->field = x; break;
  case HK_KNOB_BYTES: *(size_t *)k->field = (size_t)x; break;
  default: *(int *)k->field = (int)x; break;
  }
}

/* "one of speed, balanced, lean" into buf */
static const char *join(char *buf, size_t len, const char *const *names, int n) {
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i < n && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
  return buf;
}

static void load_knob(const hk_env_knob_t *k) {
  const char *v = getenv(k->env);
  if (v == NULL) return;
  int64_t x = 0;
  bool ok = false;
  char accepted[256], kept[64];
  switch (k->kind) {
  case HK_KNOB_BOOL:
    ok = parse_bool(v, &x);
    snprintf(accepted, sizeof accepted, "1/0, true/false, yes/no, on/off");
    break;
  case HK_KNOB_INT:
    ok = parse_int(v, &x) && x >= k->min && x <= k->max;
    snprintf(accepted, sizeof accepted, "an integer in [%" PRId64 ", %" PRId64 "]", k->min, k->max);
    break;
  case HK_KNOB_BYTES:
    ok = parse_bytes(v, &x) && x >= k->min && x <= k->max;
    snprintf(accepted, sizeof accepted, "a byte size in [%" PRId64 ", %" PRId64 "], with an optional K/KiB, M/MiB or G/GiB suffix",
             k->min, k->max);
    break;
  case HK_KNOB_ENUM: {
    char names[200];
    for (int i = 0; i < k->name_count; i++)
      if (strcmp(v, k->names[i]) == 0) ok = true, x = i;
    snprintf(accepted, sizeof accepted, "one of %s", join(names, sizeof names, k->names, k->name_count));
    break;
  }
  }
  if (ok) {
    knob_set(k, x);
    return;
  }
  int64_t cur = knob_get(k);
  if (k->kind == HK_KNOB_ENUM) snprintf(kept, sizeof kept, "%s", k->names[cur]);
  else if (k->kind == HK_KNOB_BOOL) snprintf(kept, sizeof kept, "%s", cur ? "true" : "false");
  else snprintf(kept, sizeof kept, "%" PRId64, cur);
  hk_os_write_err("hakmem: ignoring %s=\"%s\" (%s): expected %s; keeping %s\n", k->env, v, k->path, accepted, kept);
}

void hk_env_load(void) {
  static const hk_env_knob_t knobs[] = HK_ENV_KNOB_TABLE;
  provisional = environ == NULL;
  int p = HK_ENV_PROFILE_BUILD;
  const char *v = getenv("HAKMEM_PROFILE");
  if (v != NULL) {
    int found = -1;
    for (int i = 0; i < HK_ENV_PROFILE_COUNT; i++)
      if (strcmp(v, profile_names[i]) == 0) found = i;
    if (found < 0) {
      char names[200];
      hk_os_write_err("hakmem: ignoring HAKMEM_PROFILE=\"%s\": expected one of %s; keeping %s\n", v,
                      join(names, sizeof names, profile_names, HK_ENV_PROFILE_COUNT), profile_names[p]);
    } else {
      p = found;
    }
  }
  profile_in_force = p;
  hk_env_apply_profile(p);
  for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) load_knob(&knobs[i]);
  if (!provisional && !announced && hk_env_verbose() >= 1) {
    announced = true;
    hk_os_write_err("hakmem %s profile=%s config=%s %s\n", HAKMEM_MODE_NAME, profile_names[p], HAKMEM_CONFIG_HASH,
                    HAKMEM_BOX_VERSIONS);
  }
}

bool hk_env_provisional(void) { return provisional; }
const char *hk_env_profile_name(void) { return profile_names[profile_in_force]; }

#else /* FAST: constants only */

void hk_env_load(void) {}
bool hk_env_provisional(void) { return false; }
const char *hk_env_profile_name(void) { return HAKMEM_PROFILE_NAME; }

#endif

/* ---- OBSERVE counters --------------------------------------------------------------- */
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
