/* env.c: the ENV gate box. In Standard and OBSERVE builds the HAKMEM_* variables
 * are read once, at initialisation, into the snapshot structs the generated headers
 * declare; nothing reads the environment afterwards. FAST builds contain no environment
 * reading at all: every knob is a constant there. The OBSERVE counters and their report
 * are in stats.c.
 *
 * After reading, the declared invariants that involve run-time knobs are checked as codegen
 * checks them at build time (HK_ENV_INVARIANT_TABLE, with codegen's wording): a broken one
 * prints one line and every override from the environment falls back to the build's value
 * (diagnostic knobs, which only choose what is reported, stay). The configuration in force is
 * then hashed exactly as codegen hashes a build's (HK_ENV_CONFIG_TABLE), so HAKMEM_VERBOSE=1
 * names the configuration really in force and the overrides that made it; HAKMEM_VERBOSE=2
 * also prints every knob's value and where it came from.
 *
 * HAKMEM_PROFILE names a built-in profile, or (a value with a '/') a profile file: lines
 * HAKMEM_<KNOB>=VALUE, blank lines and # comments, and at most one HAKMEM_PROFILE=<built-in
 * name> to start from (hakmem tune writes them). It is read here, once, with open/read into a
 * static buffer (no stdio, no allocation: this runs at the first malloc). Its values go over the
 * profile's, and the environment's own variables over both. A file that cannot be read, or has
 * one bad line, is refused whole with one line naming the file, the line and the problem; the
 * build's profile stays. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#if HAKMEM_ENV_RUNTIME

HK_ENV_DEFINE_SNAPSHOTS

extern char **environ;
static const char *const profile_names[] = HK_ENV_PROFILE_NAMES;
static const char *const origin_names[] = HK_ENV_ORIGIN_NAMES;
static const hk_env_knob_t knobs[] = HK_ENV_KNOB_TABLE;
#define KNOB_COUNT (sizeof knobs / sizeof knobs[0])
static int profile_in_force = HK_ENV_PROFILE_BUILD;
static bool profile_from_env;     /* HAKMEM_PROFILE chose the profile */
static bool from_env[KNOB_COUNT]; /* the environment set knobs[i] */
/* A profile file (HAKMEM_PROFILE=<path>): its path (empty when none is in force), its text,
 * whether it chose the built-in profile it starts from, and the knobs it set. */
#define PROFILE_FILE_MAX 16384
#define PROFILE_FILE_MAX_TEXT "16384"
static char profile_file[1024];
static char profile_file_text[PROFILE_FILE_MAX + 1];
static bool profile_from_file;
static bool from_file[KNOB_COUNT];
static char config_hash[17] = HAKMEM_CONFIG_HASH;
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
  case 'k':
  case 'K':
    shift = 10;
    end++;
    break;
  case 'm':
  case 'M':
    shift = 20;
    end++;
    break;
  case 'g':
  case 'G':
    shift = 30;
    end++;
    break;
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

/* Parses a value for knob k into *x; false (and what is accepted, in `accepted`) when it is not one. */
static bool parse_value(const hk_env_knob_t *k, const char *v, int64_t *x, char *accepted, size_t len) {
  bool ok = false;
  switch (k->kind) {
  case HK_KNOB_BOOL:
    ok = parse_bool(v, x);
    snprintf(accepted, len, "1/0, true/false, yes/no, on/off");
    break;
  case HK_KNOB_INT:
    ok = parse_int(v, x) && *x >= k->min && *x <= k->max;
    snprintf(accepted, len, "an integer in [%" PRId64 ", %" PRId64 "]", k->min, k->max);
    break;
  case HK_KNOB_BYTES:
    ok = parse_bytes(v, x) && *x >= k->min && *x <= k->max;
    snprintf(accepted, len, "a byte size in [%" PRId64 ", %" PRId64 "], with an optional K/KiB, M/MiB or G/GiB suffix",
             k->min, k->max);
    break;
  case HK_KNOB_ENUM: {
    char names[200];
    for (int i = 0; i < k->name_count; i++)
      if (strcmp(v, k->names[i]) == 0) ok = true, *x = i;
    snprintf(accepted, len, "one of %s", join(names, sizeof names, k->names, k->name_count));
    break;
  }
  }
  return ok;
}

/* Reads one variable; true when it was set to a valid value (now in force). */
static bool load_knob(const hk_env_knob_t *k) {
  const char *v = getenv(k->env);
  if (v == NULL) return false;
  int64_t x = 0;
  char accepted[256], kept[64];
  if (parse_value(k, v, &x, accepted, sizeof accepted)) {
    knob_set(k, x);
    return true;
  }
  int64_t cur = knob_get(k);
  if (k->kind == HK_KNOB_ENUM) snprintf(kept, sizeof kept, "%s", k->names[cur]);
  else if (k->kind == HK_KNOB_BOOL) snprintf(kept, sizeof kept, "%s", cur ? "true" : "false");
  else snprintf(kept, sizeof kept, "%" PRId64, cur);
  hk_os_write_err("hakmem: ignoring %s=\"%s\" (%s): expected %s; keeping %s\n", k->env, v, k->path, accepted, kept);
  return false;
}

/* ---- a profile file ------------------------------------------------------------------------ */

/* The built-in profile named `v`, or -1. */
static int profile_index(const char *v) {
  for (int i = 0; i < HK_ENV_PROFILE_COUNT; i++)
    if (strcmp(v, profile_names[i]) == 0) return i;
  return -1;
}

/* Reads the file at `path` into profile_file_text (NUL-terminated); NULL, or why not. */
static const char *read_profile_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return strerrordesc_np(errno);
  size_t used = 0;
  const char *problem = NULL;
  for (;;) {
    ssize_t n = read(fd, profile_file_text + used, sizeof profile_file_text - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = strerrordesc_np(errno);
      break;
    }
    if (n == 0) break;
    used += (size_t)n;
    if (used == sizeof profile_file_text - 1) {
      char extra;
      if (read(fd, &extra, 1) > 0) problem = "larger than " PROFILE_FILE_MAX_TEXT " bytes";
      break;
    }
  }
  close(fd);
  profile_file_text[used] = 0;
  if (problem == NULL && memchr(profile_file_text, 0, used) != NULL) problem = "not a text file (a NUL byte)";
  return problem;
}

/* Parses profile_file_text: the built-in profile it starts from (*base, or -1) and a value
 * for each knob it sets (set[i], value[i]). On a bad line, writes "line N: what" into `problem`
 * and returns false; nothing is applied. The text is cut into lines in place. */
static bool parse_profile_file(int *base, bool set[], int64_t value[], char *problem, size_t len) {
  unsigned set_at[KNOB_COUNT + 1]; /* the line that set each knob; [KNOB_COUNT]: HAKMEM_PROFILE */
  memset(set_at, 0, sizeof set_at);
  char *line = profile_file_text;
  for (unsigned no = 1; line != NULL; no++) {
    char *next = strchr(line, '\n');
    if (next) *next++ = 0;
    char *end = line + strlen(line);
    while (*line == ' ' || *line == '\t') line++;
    while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = 0;
    if (*line == 0 || *line == '#') {
      line = next;
      continue;
    }
    char *eq = strchr(line, '=');
    if (eq == NULL || eq == line) {
      snprintf(problem, len, "line %u: expected HAKMEM_<KNOB>=VALUE, got \"%.80s\"", no, line);
      return false;
    }
    *eq = 0;
    const char *name = line, *v = eq + 1;
    int row = -1;
    if (strcmp(name, "HAKMEM_PROFILE") == 0) row = (int)KNOB_COUNT;
    for (size_t i = 0; i < KNOB_COUNT && row < 0; i++)
      if (strcmp(name, knobs[i].env) == 0) row = (int)i;
    if (row < 0) {
      snprintf(problem, len, "line %u: %.80s is not a run-time knob of this build (docs/knobs.md lists them)", no,
               name);
      return false;
    }
    if (set_at[row]) {
      snprintf(problem, len, "line %u: %.80s is set twice (line %u too)", no, name, set_at[row]);
      return false;
    }
    set_at[row] = no;
    if (row == (int)KNOB_COUNT) {
      int p = profile_index(v);
      if (p < 0) {
        char names[200];
        snprintf(problem, len, "line %u: HAKMEM_PROFILE=\"%.80s\": expected one of %s (a file names no other file)", no,
                 v, join(names, sizeof names, profile_names, HK_ENV_PROFILE_COUNT));
        return false;
      }
      *base = p;
    } else {
      char accepted[256];
      if (!parse_value(&knobs[row], v, &value[row], accepted, sizeof accepted)) {
        snprintf(problem, len, "line %u: %.80s=\"%.80s\" (%.80s): expected %.200s", no, name, v, knobs[row].path,
                 accepted);
        return false;
      }
      set[row] = true;
    }
    line = next;
  }
  return true;
}

/* HAKMEM_PROFILE=<path>: reads and checks the file; true when it is in force (its profile
 * applied, then its values), false when it was refused with one line (nothing applied). */
static bool load_profile_file(const char *path) {
  char problem[512]; /* the longest line parse_profile_file writes: 475 bytes */
  int base = -1;
  bool set[KNOB_COUNT];
  int64_t value[KNOB_COUNT];
  memset(set, 0, sizeof set);
  const char *why = strlen(path) >= sizeof profile_file ? "its path is too long" : read_profile_file(path);
  if (why != NULL) snprintf(problem, sizeof problem, "%s", why);
  if (why != NULL || !parse_profile_file(&base, set, value, problem, sizeof problem)) {
    hk_os_write_err("hakmem: ignoring the profile file HAKMEM_PROFILE=%s: %s; keeping the build's (profile %s)\n", path,
                    problem, profile_names[HK_ENV_PROFILE_BUILD]);
    return false;
  }
  snprintf(profile_file, sizeof profile_file, "%s", path);
  profile_from_file = base >= 0;
  if (base < 0) base = HK_ENV_PROFILE_BUILD;
  profile_in_force = base;
  hk_env_apply_profile(base);
  for (size_t i = 0; i < KNOB_COUNT; i++) {
    from_file[i] = set[i];
    if (set[i]) knob_set(&knobs[i], value[i]);
  }
  return true;
}

/* ---- the configuration in force: its text, hash and origins ------------------------------ */

/* A run-time knob's value as text: JSON (as codegen hashes it) or for people (enum names bare). */
static void knob_text(char *buf, size_t len, int row, bool json) {
  const hk_env_knob_t *k = &knobs[row];
  int64_t x = knob_get(k);
  if (k->kind == HK_KNOB_ENUM) snprintf(buf, len, json ? "\"%s\"" : "%s", k->names[x]);
  else if (k->kind == HK_KNOB_BOOL) snprintf(buf, len, "%s", x ? "true" : "false");
  else snprintf(buf, len, "%" PRId64, x);
}

/* SHA-256 (FIPS 180-4) of a short text, for the configuration hash. */
static void sha256(const unsigned char *msg, size_t len, unsigned char out[32]) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
  size_t blocks = (len + 9 + 63) / 64;
  for (size_t blk = 0; blk < blocks; blk++) {
    unsigned char chunk[64];
    for (size_t i = 0; i < 64; i++) {
      size_t at = blk * 64 + i;
      uint64_t bits = (uint64_t)len * 8;
      if (at < len) chunk[i] = msg[at];
      else if (at == len) chunk[i] = 0x80;
      else if (blk == blocks - 1 && i >= 56) chunk[i] = (unsigned char)(bits >> (8 * (63 - i)));
      else chunk[i] = 0;
    }
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
      w[i] = (uint32_t)chunk[4 * i] << 24 | (uint32_t)chunk[4 * i + 1] << 16 | (uint32_t)chunk[4 * i + 2] << 8 |
             chunk[4 * i + 3];
    for (int i = 16; i < 64; i++) {
      uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
      uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
  }
#undef ROR
  for (int i = 0; i < 32; i++) out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* config_hash = what codegen's configHash gives for the configuration in force: the first 16
 * hex digits of sha256(["<profile>",[["<path>",<json>],...]]) over every knob, sorted by path,
 * diagnostic knobs with the build's value. With no override it is HAKMEM_CONFIG_HASH. */
static void hash_config(void) {
  static const hk_env_config_entry_t entries[] = HK_ENV_CONFIG_TABLE;
  static char text[HK_ENV_HASH_TEXT_MAX + 64];
  size_t used = (size_t)snprintf(text, sizeof text, "[\"%s\",[", profile_names[profile_in_force]);
  for (size_t i = 0; i < sizeof entries / sizeof entries[0] && used < sizeof text; i++) {
    const hk_env_config_entry_t *e = &entries[i];
    char value[96];
    if (e->json != NULL) snprintf(value, sizeof value, "%s", e->json);
    else if (e->row == -2) snprintf(value, sizeof value, "\"%s\"", profile_names[profile_in_force]);
    else knob_text(value, sizeof value, e->row, true);
    used += (size_t)snprintf(text + used, sizeof text - used, "%s[\"%s\",%s]", i ? "," : "", e->path, value);
  }
  if (used + 2 >= sizeof text) return; /* cannot happen (codegen sized the buffer); keep the build's */
  used += (size_t)snprintf(text + used, sizeof text - used, "]]");
  unsigned char digest[32];
  sha256((const unsigned char *)text, used, digest);
  for (int i = 0; i < 8; i++) snprintf(config_hash + 2 * i, 3, "%02x", digest[i]);
}

/* Where a run-time knob's value comes from now: an hk_knob_origin_t, or ORIGIN_FILE (the profile file). */
#define ORIGIN_FILE 100u
static unsigned origin_of(int row) {
  return from_env[row] ? HK_ORIGIN_ENV : from_file[row] ? ORIGIN_FILE : knobs[row].origin[profile_in_force];
}

/* "HAKMEM_UNIFIED_CACHE_CAPACITY=32 (profile lean)": a variable, its value, and where that came from
 * when not from the environment. */
static void describe_row(char *buf, size_t len, int row) {
  char value[64];
  knob_text(value, sizeof value, row, false);
  unsigned o = origin_of(row);
  if (o == HK_ORIGIN_ENV) snprintf(buf, len, "%s=%s", knobs[row].env, value);
  else if (o == ORIGIN_FILE) snprintf(buf, len, "%s=%s (profile file %.100s)", knobs[row].env, value, profile_file);
  else if (o == HK_ORIGIN_PROFILE)
    snprintf(buf, len, "%s=%s (profile %s)", knobs[row].env, value, profile_names[profile_in_force]);
  else snprintf(buf, len, "%s=%s (%s)", knobs[row].env, value, origin_names[o]);
}

/* ---- the declared invariants, at run time ------------------------------------------------ */
#if HK_ENV_INVARIANT_COUNT > 0
static bool invariant_holds(const hk_env_invariant_t *inv, int64_t a, int64_t b) {
  switch (inv->op) {
  case HK_INV_AT_MOST: return a <= b;
  case HK_INV_LESS_THAN: return a < b;
  case HK_INV_AT_LEAST: return a >= inv->n;
  case HK_INV_POWER_OF_TWO: return a > 0 && (a & (a - 1)) == 0;
  case HK_INV_MULTIPLE_OF: return b > 0 && a % b == 0;
  case HK_INV_RATIO_WITHIN: return b > 0 && a >= inv->lo * b && a <= inv->hi * b;
  }
  return true;
}
#endif

/* Checks every invariant over run-time knobs; prints one line per broken one (the variables,
 * their values and the rule as codegen words it). Returns how many are broken. */
static int check_invariants(void) {
  int broken = 0;
#if HK_ENV_INVARIANT_COUNT > 0
  static const hk_env_invariant_t invariants[] = HK_ENV_INVARIANT_TABLE;
  for (size_t i = 0; i < sizeof invariants / sizeof invariants[0]; i++) {
    const hk_env_invariant_t *inv = &invariants[i];
    int64_t a = inv->a >= 0 ? knob_get(&knobs[inv->a]) : inv->a_value;
    int64_t b = inv->b >= 0 ? knob_get(&knobs[inv->b]) : inv->b_value;
    if (invariant_holds(inv, a, b)) continue;
    broken++;
    char rule[256], va[320] = "", vb[320] = "";
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(rule, sizeof rule, inv->problem, a, b);
#pragma GCC diagnostic pop
    if (inv->a >= 0) describe_row(va, sizeof va, inv->a);
    if (inv->b >= 0) describe_row(vb, sizeof vb, inv->b);
    hk_os_write_err(
        "hakmem: ignoring the environment's configuration: %s%s%s break %s; keeping the build's (profile %s)\n", va,
        va[0] && vb[0] ? " and " : "", vb, rule, profile_names[HK_ENV_PROFILE_BUILD]);
  }
#endif
  return broken;
}

/* Every override from the environment (and the profile file) falls back to the build's value,
 * but the diagnostic knobs (what to report), which take part in no invariant. */
static void fall_back_to_build(void) {
  profile_in_force = HK_ENV_PROFILE_BUILD;
  profile_from_env = false;
  profile_from_file = false;
  profile_file[0] = 0;
  int64_t kept[KNOB_COUNT];
  for (size_t i = 0; i < KNOB_COUNT; i++) kept[i] = knob_get(&knobs[i]);
  hk_env_apply_profile(HK_ENV_PROFILE_BUILD);
  for (size_t i = 0; i < KNOB_COUNT; i++) {
    bool set = from_env[i] || from_file[i];
    from_env[i] = from_file[i] = false;
    if (knobs[i].diagnostic && set) {
      knob_set(&knobs[i], kept[i]);
      from_env[i] = true; /* shown as the environment's: the file's own origin is gone with it */
    }
  }
}

/* ---- what HAKMEM_VERBOSE prints ----------------------------------------------------------- */

/* A text of any length to stderr (hk_os_write_err stops at one 512-byte line). */
static void write_err(const char *s) { hk_os_write_all(2, s, strlen(s)); }

static void announce(void) {
  static char line[4096];
  size_t used = (size_t)snprintf(line, sizeof line, "hakmem %s profile=%s config=%s %s", HAKMEM_MODE_NAME,
                                 profile_names[profile_in_force], config_hash, HAKMEM_BOX_VERSIONS);
  bool any = profile_from_env || profile_file[0];
  for (size_t i = 0; i < KNOB_COUNT; i++) any |= (from_env[i] || from_file[i]) && !knobs[i].diagnostic;
  if (any) {
    used += (size_t)snprintf(line + used, sizeof line - used, " overrides:");
    if (profile_from_env && used < sizeof line)
      used += (size_t)snprintf(line + used, sizeof line - used, " HAKMEM_PROFILE=%s", profile_names[profile_in_force]);
    if (profile_file[0] && used < sizeof line)
      used += (size_t)snprintf(line + used, sizeof line - used, " HAKMEM_PROFILE=%s", profile_file);
    for (size_t i = 0; i < KNOB_COUNT && used < sizeof line; i++) {
      if (!(from_env[i] || from_file[i]) || knobs[i].diagnostic) continue;
      char value[64];
      knob_text(value, sizeof value, (int)i, false);
      used += (size_t)snprintf(line + used, sizeof line - used, " %s=%s", knobs[i].env, value);
    }
    if (used < sizeof line)
      used += (size_t)snprintf(line + used, sizeof line - used, " (build config=%s)", HAKMEM_CONFIG_HASH);
  }
  if (used >= sizeof line - 1) used = sizeof line - 2;
  line[used] = '\n', line[used + 1] = 0;
  write_err(line);
  if (hk_env_verbose() < 2) return;
  /* every knob, sorted by path, with its value and where it came from */
  static const hk_env_config_entry_t entries[] = HK_ENV_CONFIG_TABLE;
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
    const hk_env_config_entry_t *e = &entries[i];
    char value[160], from[sizeof profile_file + 32];
    if (e->row == -2) {
      snprintf(value, sizeof value, "%s", profile_names[profile_in_force]);
      if (profile_from_file) snprintf(from, sizeof from, "profile file %s", profile_file);
      else
        snprintf(from, sizeof from, "%s",
                 profile_from_env ? "environment HAKMEM_PROFILE" : origin_names[HK_ENV_PROFILE_ORIGIN]);
    } else if (e->row >= 0) {
      knob_text(value, sizeof value, e->row, false);
      unsigned o = origin_of(e->row);
      if (o == HK_ORIGIN_ENV) snprintf(from, sizeof from, "environment %s", knobs[e->row].env);
      else if (o == ORIGIN_FILE) snprintf(from, sizeof from, "profile file %s", profile_file);
      else if (o == HK_ORIGIN_PROFILE) snprintf(from, sizeof from, "profile %s", profile_names[profile_in_force]);
      else snprintf(from, sizeof from, "%s", origin_names[o]);
    } else {
      snprintf(value, sizeof value, "%s", e->json);
      snprintf(from, sizeof from, "%s%s, build-time",
               e->origin == HK_ORIGIN_PROFILE ? "profile " : origin_names[e->origin],
               e->origin == HK_ORIGIN_PROFILE ? profile_names[HK_ENV_PROFILE_BUILD] : "");
    }
    snprintf(line, sizeof line, "hakmem:   %s = %s (%s)\n", e->path, value, from);
    write_err(line);
  }
}

/* ---- a variable that names no knob, close to one that does --------------------------------
 * HAKMEM_SUPERSLAB_PURGE_DELAY_MS for HAKMEM_PURGE_DELAY_MS, HAKMEM_PURGE_DELAY_M: a knob's name
 * misremembered or mistyped changes nothing, and in silence the user believes it is in force.
 * A HAKMEM_* variable that is not a knob's (nor HAKMEM_PROFILE) prints one line naming the
 * closest knob's variable when there is one: the words of one name (split at '_', after
 * HAKMEM_) all among the other's, or at most two edits apart (names of six letters or more).
 * Variables near no knob (a tool's own, HAKMEM_DIST) pass in silence. */
#define NAME_MAX_LEN 64

/* Every '_'-separated word of a (length na) is a word of b. */
static bool words_within(const char *a, size_t na, const char *b, size_t nb) {
  for (size_t i = 0; i < na;) {
    size_t j = i;
    while (j < na && a[j] != '_') j++;
    bool found = false;
    for (size_t k = 0; k < nb && !found;) {
      size_t l = k;
      while (l < nb && b[l] != '_') l++;
      found = l - k == j - i && j > i && memcmp(a + i, b + k, j - i) == 0;
      k = l + 1;
    }
    if (!found) return false;
    i = j + 1;
  }
  return na > 0;
}

/* Levenshtein distance of a and b (each at most NAME_MAX_LEN), with two rows on the stack. */
static size_t edits(const char *a, size_t na, const char *b, size_t nb) {
  size_t row[2][NAME_MAX_LEN + 1];
  for (size_t j = 0; j <= nb; j++) row[0][j] = j;
  for (size_t i = 1; i <= na; i++) {
    size_t *cur = row[i & 1], *prev = row[(i - 1) & 1];
    cur[0] = i;
    for (size_t j = 1; j <= nb; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
  }
  return row[na & 1][nb];
}

static void warn_unknown_variables(void) {
  static const char prefix[] = "HAKMEM_";
  const size_t np = sizeof prefix - 1;
  for (char **e = environ; e != NULL && *e != NULL; e++) {
    const char *v = *e, *eq = strchr(v, '=');
    if (eq == NULL || strncmp(v, prefix, np) != 0) continue;
    size_t len = (size_t)(eq - v);
    if (len - np > NAME_MAX_LEN || (len == 14 && strncmp(v, "HAKMEM_PROFILE", len) == 0)) continue;
    const char *best = NULL;
    size_t best_edits = SIZE_MAX;
    bool known = false;
    for (size_t i = 0; i < KNOB_COUNT && !known; i++) {
      const char *k = knobs[i].env;
      size_t kl = strlen(k);
      if (kl == len && strncmp(v, k, len) == 0) known = true;
      if (known || kl - np > NAME_MAX_LEN) continue;
      const char *a = v + np, *b = k + np;
      size_t na = len - np, nb = kl - np, d = SIZE_MAX;
      if (words_within(a, na, b, nb) || words_within(b, nb, a, na)) d = 0;
      else if (na >= 6 && (d = edits(a, na, b, nb)) > 2) d = SIZE_MAX;
      if (d < best_edits) best_edits = d, best = k;
    }
    if (!known && best != NULL)
      hk_os_write_err("hakmem: ignoring %.*s: no knob has that name; did you mean %s? (HAKMEM_VERBOSE=2 lists them)\n",
                      (int)len, v, best);
  }
}

void hk_env_load(void) {
  int saved_errno = errno; /* runs inside the first malloc, which must leave errno alone */
  provisional = environ == NULL;
  int p = HK_ENV_PROFILE_BUILD;
  const char *v = getenv("HAKMEM_PROFILE");
  profile_from_env = profile_from_file = false;
  profile_file[0] = 0;
  memset(from_file, 0, sizeof from_file);
  bool file = v != NULL && strchr(v, '/') != NULL;
  if (v != NULL && !file) {
    int found = profile_index(v);
    if (found < 0) {
      char names[200];
      hk_os_write_err("hakmem: ignoring HAKMEM_PROFILE=\"%s\": expected one of %s, or a profile file's path (with a "
                      "/); keeping %s\n",
                      v, join(names, sizeof names, profile_names, HK_ENV_PROFILE_COUNT), profile_names[p]);
    } else {
      p = found;
      profile_from_env = true;
    }
  }
  profile_in_force = p;
  hk_env_apply_profile(p);
  if (file) load_profile_file(v); /* applies its profile and values, or leaves the build's */
  for (size_t i = 0; i < KNOB_COUNT; i++) from_env[i] = load_knob(&knobs[i]);
  if (check_invariants() > 0) fall_back_to_build();
  hash_config();
  static bool looked; /* the variables are looked at once, when the environment is there */
  if (!provisional && !looked) {
    looked = true;
    warn_unknown_variables();
  }
  if (!provisional && !announced && hk_env_verbose() >= 1) {
    announced = true;
    announce();
  }
  errno = saved_errno;
}

bool hk_env_provisional(void) { return provisional; }
const char *hk_env_profile_name(void) { return profile_names[profile_in_force]; }
const char *hk_env_config_hash(void) { return config_hash; }

#else /* FAST: constants only */

void hk_env_load(void) {}
bool hk_env_provisional(void) { return false; }
const char *hk_env_profile_name(void) { return HAKMEM_PROFILE_NAME; }
const char *hk_env_config_hash(void) { return HAKMEM_CONFIG_HASH; }

#endif
