/* os.c: every system call that maps, remaps, unmaps or advises memory, in one place, counted in
 * OBSERVE, the coarse clock the purge reads, and the process's secret free key (from the
 * kernel's AT_RANDOM bytes). Nothing here runs on a fast path.
 *
 * Mappings are ordinary (no MAP_NORESERVE): the kernel's overcommit policy judges a huge
 * request exactly as it would glibc's, so malloc(1 TiB) on a 24 GiB machine fails with
 * ENOMEM instead of succeeding and inviting the OOM killer later. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static void *map_fresh(size_t len) {
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* A mapping of len bytes aligned to align (a power of two). Linux hands out addresses top
 * down, so the first try asks for the aligned range just below the previous one, which is
 * usually free: most calls cost one mmap. Otherwise map len + align and trim both ends. */
void *hk_os_map_aligned(size_t len, size_t align) {
  static _Atomic(uintptr_t) hint;
  uintptr_t h = atomic_load_explicit(&hint, memory_order_relaxed);
  if (h != 0) {
    HK_SUPERSLAB_COUNT(mmap_calls, 1);
    void *p = h > len ? mmap((void *)((h - len) & ~(uintptr_t)(align - 1)), len, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                      : MAP_FAILED;
    if (p != MAP_FAILED) {
      if (((uintptr_t)p & (align - 1)) == 0) {
        atomic_store_explicit(&hint, (uintptr_t)p, memory_order_relaxed);
        return p;
      }
      hk_os_unmap(p, len);
    }
  }
  if (len > SIZE_MAX - align) return NULL;
  char *raw = map_fresh(len + align);
  if (raw == NULL) return NULL;
  uintptr_t start = ((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1);
  size_t head = start - (uintptr_t)raw;
  size_t tail = align - head;
  if (head) hk_os_unmap(raw, head);
  if (tail) hk_os_unmap((char *)start + len, tail);
  atomic_store_explicit(&hint, start, memory_order_relaxed);
  return (void *)start;
}

/* ThreadSanitizer intercepts mmap and munmap, which reset what it knows of a range, but not
 * mremap. Under TSan, a range one thread's mapping left through mremap and another thread's
 * mapping then grew into through mremap would keep the first thread's accesses, and the
 * second thread's writes would be reported as races with them (check-run-tsan's stress, a
 * realloc that moved a large block, then a calloc that grew a cached mapping over its old
 * header). So TSan builds grow in place with mmap(MAP_FIXED_NOREPLACE) over the addresses
 * after the mapping, and never move one: the caller copies instead (large.c), and the old
 * mapping goes with munmap. Every other build uses mremap, below. */
#ifdef HK_TSAN
int hk_os_remap_in_place(void *p, size_t len, size_t new_len) {
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  char *end = (char *)p + len;
  void *q = mmap(end, new_len - len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (q == end) return 1;
  if (q != MAP_FAILED) hk_os_unmap(q, new_len - len); /* a kernel without NOREPLACE placed it elsewhere */
  return 0;
}

bool hk_os_remap_to(void *p, size_t len, size_t new_len, void *dst) {
  (void)p, (void)len;
  hk_os_unmap(dst, new_len); /* the reservation goes; the mapping at p is left as it was */
  return false;
}
#else
/* Grow the mapping [p, p + len) to new_len bytes where it lies (mremap without MAYMOVE,
 * so p and its alignment stay). 1: grown. 0: it is one kernel mapping but the addresses
 * after it are taken (it can be moved). -1: anything else, e.g. the range spans several
 * kernel mappings (the program changed the protection or advice of part of it): moving it
 * could fail half-way, so it should be copied. mremap is counted as mmap_calls (the box
 * declares no mremap counter). */
int hk_os_remap_in_place(void *p, size_t len, size_t new_len) {
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  if (mremap(p, len, new_len, 0) != MAP_FAILED) return 1;
  return errno == ENOMEM ? 0 : -1;
}

/* Move the mapping [p, p + len) to dst and make it new_len (>= len) bytes long there:
 * dst must be a mapping of ours of new_len bytes (a reservation, from hk_os_map_aligned),
 * which the moved pages and fresh zero pages replace, as one kernel mapping. No page is
 * copied, and [p, p + len) is unmapped. On failure the old mapping is intact and the
 * reservation is released, except when the kernel had already unmapped it and it may be
 * someone else's by now: then it is left alone (a leak of address space, never an unmap of
 * another thread's memory). */
bool hk_os_remap_to(void *p, size_t len, size_t new_len, void *dst) {
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  if (mremap(p, len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) == dst) return true;
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  void *q = mmap(dst, new_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (q == dst) hk_os_unmap(dst, new_len);           /* the range was free: the reservation is gone, nobody took it */
  else if (q != MAP_FAILED) hk_os_unmap(q, new_len); /* a kernel without NOREPLACE placed it elsewhere */
  /* else EEXIST: the reservation is still there, or another thread mapped into it; leave it */
  return false;
}
#endif

/* CLOCK_MONOTONIC_COARSE in ms: the vDSO, no system call. Never 0 (0 means "no time"). */
uint64_t hk_clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + 1;
}

void hk_os_unmap(void *p, size_t len) {
  HK_SUPERSLAB_COUNT(munmap_calls, 1);
  munmap(p, len);
}

void hk_os_decommit(void *p, size_t len) {
  HK_SUPERSLAB_COUNT(madvise_calls, 1);
  madvise(p, len, MADV_DONTNEED);
}

pthread_mutex_t hk_meta_lock = PTHREAD_MUTEX_INITIALIZER;

/* Descriptors that live for the whole process (heaps): carved from 64 KiB mappings. */
void *hk_os_meta_alloc(size_t size) {
  static char *cur, *end;
  size = (size + 63) & ~(size_t)63;
  pthread_mutex_lock(&hk_meta_lock);
  HK_SUPERSLAB_COUNT(meta_locks, 1);
  if (cur == NULL || (size_t)(end - cur) < size) {
    size_t chunk = size > 65536 ? size : 65536;
    char *m = map_fresh(chunk);
    if (m == NULL) {
      pthread_mutex_unlock(&hk_meta_lock);
      return NULL;
    }
    cur = m;
    end = m + chunk;
  }
  void *p = cur;
  cur += size;
  pthread_mutex_unlock(&hk_meta_lock);
  return p;
}

/* One line to a file descriptor without stdio's buffers or any allocation. */
static void vwrite_fd(int fd, const char *fmt, va_list ap) {
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
  int saved = errno;
  ssize_t w = write(fd, buf, len);
  (void)w;
  errno = saved;
}

void hk_os_write_err(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite_fd(2, fmt, ap);
  va_end(ap);
}

/* The free key (internal.h): nonzero from the start, made secret before any block exists. */
#define HK_FREE_KEY_FALLBACK 0x686b46726565426bull /* "hkFreeBk" */
uintptr_t hk_free_key = HK_FREE_KEY_FALLBACK;

/* 16 random bytes the kernel gives every process (no system call, no allocation), mixed
 * with where this library was loaded. */
void hk_os_free_key_init(void) {
  const void *at = (const void *)getauxval(AT_RANDOM);
  uint64_t r[2] = {0, 0};
  if (at) memcpy(r, at, sizeof r); /* not necessarily 8-byte aligned */
  uint64_t k = r[0] ^ (r[1] << 1) ^ (uint64_t)(uintptr_t)&hk_free_key * 0x9e3779b97f4a7c15ull;
  k ^= k >> 29;
  hk_free_key = k ? k : HK_FREE_KEY_FALLBACK;
}
