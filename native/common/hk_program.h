/*
 * hk_program.h - what every C program around the allocator shares: the workloads (native/bench),
 * the test programs and the checks (native/test). Not part of the allocator or its public header.
 *
 *   - hk_splitmix64(&state): splitmix64, the one random generator of the workloads and the tests;
 *     hk_splitmix64_of(x): its output for the state x as a pure function (mixing seeds into keys)
 *   - hk_now(): the monotonic clock in seconds
 *   - hk_rss_kb(): the current resident set size in KiB, read without allocating
 *   - hk_write_err(s, len), hk_write_errf(fmt, ...): a message to stderr with write(2), no stdio
 *     and no allocation (safe in a signal handler, a forked child, or with the allocator broken)
 *
 * Header-only (static functions): each program stays one translation unit and links nothing more.
 * A workload's random sequence is its published definition (docs/workloads.md): change nothing here
 * that would change what hk_splitmix64 returns.
 */
#ifndef HAKMEM_PROGRAM_H
#define HAKMEM_PROGRAM_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* splitmix64 (Steele, Lea, Flood 2014; the reference constants). */
static inline uint64_t hk_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* What hk_splitmix64 returns from the state x, leaving nothing changed: a 64-bit mix of x. */
static inline uint64_t hk_splitmix64_of(uint64_t x) { return hk_splitmix64(&x); }

static inline double hk_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Current resident set size in KiB, from /proc/self/statm (field 2 = resident pages); -1 when it
 * cannot be read. Read with open/read into a buffer on the stack: no stdio, so sampling RSS
 * allocates nothing. */
static __attribute__((unused)) long hk_rss_kb(void) {
  char buf[128];
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  long size = 0, resident = -1;
  if (sscanf(buf, "%ld %ld", &size, &resident) != 2 || resident < 0) return -1;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Every byte of s to stderr, again after a signal; errno is left as it was. */
static inline void hk_write_err(const char *s, size_t len) {
  int saved = errno;
  while (len > 0) {
    ssize_t w = write(2, s, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    s += w, len -= (size_t)w;
  }
  errno = saved;
}

/* One message formatted into 512 bytes on the stack (a longer one is cut), then hk_write_err. */
static __attribute__((unused, format(printf, 1, 2))) void hk_write_errf(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) hk_write_err(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

#endif /* HAKMEM_PROGRAM_H */
