/* env_gate.c: the ENV gate box. In Standard and OBSERVE builds the HAKMEM_* variables
 * are read once, at initialisation, into the snapshot structs the generated headers
 * declare; nothing reads the environment afterwards. FAST builds contain no environment
 * reading at all: every knob is a constant there. The OBSERVE counters and their report
 * are in stats.c. */
#define _GNU_SOURCE
#include <errno.h>
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
