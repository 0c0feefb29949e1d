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
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Every function here leaves errno as it found it: a system call that fails on the way to a
 * success (an in-place mremap with no room, a hinted mmap that lands elsewhere) must not show,
 * and a failure is reported by the caller (ENOMEM, front.c). */

/* ---- the mapping count (OBSERVE: superslab.mappings) --------------------------------------
 * The address ranges hakmem holds: each mapping made (a SuperSlab, a large mapping, a metadata
 * chunk) counts one until it is unmapped whole; trimming a mapping's ends (hk_os_unmap_part)
 * leaves the count alone, and so does a failed unmap (the range is still held, below). Kept in
 * the per-thread counters as +1 / -1: only their sum means anything. The kernel may merge
 * adjacent ranges into one of its mappings, or split one when part of it is unmapped or
 * advised, so /proc/self/maps may show fewer or more. */
#define MAPPINGS(n) HK_SUPERSLAB_COUNT(mappings, (uint64_t)(int64_t)(n))

/* ---- unmaps that failed ----------------------------------------------------------------
 * munmap can fail: with ENOMEM when unmapping part of a kernel mapping would split it and the
 * process already holds vm.max_map_count mappings. Callers have already cleared the range in
 * the segment map, so it would be lost for good, pages and address space. Instead its pages are given back
 * (madvise(MADV_DONTNEED) changes no kernel mapping, so it works at the limit) and the range is
 * kept here: hk_os_map_aligned hands out a kept range of the size and alignment it is asked
 * for before it maps a new one, and tries to unmap the others again first (a mapping ended
 * elsewhere may have made room); malloc_trim tries them all (hk_os_retry_unmaps). A leaf lock,
 * taken with any other held; fork takes it too (init.c). */
#define DEFER_MAX 1024
static struct {
  char *base;
  size_t len;
  bool whole;       /* a whole mapping (counted in `mappings` until it goes) */
  bool decommitted; /* its pages were given back: it reads as zero, as a fresh mapping */
} deferred[DEFER_MAX];
static size_t deferred_n;
static _Atomic(size_t) deferred_hint; /* deferred_n, read without the lock */
pthread_mutex_t hk_os_defer_lock = PTHREAD_MUTEX_INITIALIZER;

static bool sys_unmap(void *p, size_t len) {
  HK_SUPERSLAB_COUNT(munmap_calls, 1);
  return munmap(p, len) == 0;
}

/* Unmap [p, p + len); if the kernel refuses, decommit it and keep it. errno is the caller's. */
static void unmap_or_keep(void *p, size_t len, bool whole) {
  if (sys_unmap(p, len)) {
    if (whole) MAPPINGS(-1);
    return;
  }
  HK_SUPERSLAB_COUNT(unmaps_deferred, 1);
  HK_SUPERSLAB_COUNT(madvise_calls, 1);
  bool decommitted = madvise(p, len, MADV_DONTNEED) == 0;
  pthread_mutex_lock(&hk_os_defer_lock);
  if (deferred_n < DEFER_MAX) {
    deferred[deferred_n].base = p;
    deferred[deferred_n].len = len;
    deferred[deferred_n].whole = whole;
    deferred[deferred_n].decommitted = decommitted;
    atomic_store_explicit(&deferred_hint, ++deferred_n, memory_order_relaxed);
  } /* else: more than DEFER_MAX failed unmaps at once; this one stays mapped, decommitted */
  pthread_mutex_unlock(&hk_os_defer_lock);
}

/* Try to unmap every kept range again. Lock held. */
static void retry_locked(void) {
  for (size_t i = 0; i < deferred_n;) {
    if (!sys_unmap(deferred[i].base, deferred[i].len)) {
      i++;
      continue;
    }
    if (deferred[i].whole) MAPPINGS(-1);
    deferred[i] = deferred[--deferred_n];
  }
  atomic_store_explicit(&deferred_hint, deferred_n, memory_order_relaxed);
}

void hk_os_retry_unmaps(void) {
  if (atomic_load_explicit(&deferred_hint, memory_order_relaxed) == 0) return;
  int saved = errno;
  pthread_mutex_lock(&hk_os_defer_lock);
  retry_locked();
  pthread_mutex_unlock(&hk_os_defer_lock);
  errno = saved;
}

/* A kept range of exactly len bytes starting on an align boundary, decommitted (so zero), to
 * serve as a new mapping; the rest are tried again. NULL if none. */
static void *take_kept(size_t len, size_t align) {
  if (atomic_load_explicit(&deferred_hint, memory_order_relaxed) == 0) return NULL;
  void *p = NULL;
  pthread_mutex_lock(&hk_os_defer_lock);
  for (size_t i = 0; i < deferred_n; i++)
    if (deferred[i].len == len && deferred[i].decommitted && ((uintptr_t)deferred[i].base & (align - 1)) == 0) {
      p = deferred[i].base;
      if (!deferred[i].whole) MAPPINGS(1); /* a piece becomes a mapping of its own */
      deferred[i] = deferred[--deferred_n];
      break;
    }
  if (p == NULL) retry_locked();
  atomic_store_explicit(&deferred_hint, deferred_n, memory_order_relaxed);
  pthread_mutex_unlock(&hk_os_defer_lock);
  return p;
}

static void *map_fresh(size_t len) {
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  MAPPINGS(1);
  return p;
}

/* A mapping of len bytes aligned to align (a power of two). Linux hands out addresses top
 * down, so the first try asks for the aligned range just below the previous one, which is
 * usually free: most calls cost one mmap. Otherwise map len + align and trim both ends. */
void *hk_os_map_aligned(size_t len, size_t align) {
  static _Atomic(uintptr_t) hint;
  int saved = errno;
  void *kept = take_kept(len, align);
  if (kept != NULL) return kept;
  uintptr_t h = atomic_load_explicit(&hint, memory_order_relaxed);
  if (h != 0) {
    HK_SUPERSLAB_COUNT(mmap_calls, 1);
    void *p = h > len ? mmap((void *)((h - len) & ~(uintptr_t)(align - 1)), len, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                      : MAP_FAILED;
    if (p != MAP_FAILED) {
      MAPPINGS(1);
      if (((uintptr_t)p & (align - 1)) == 0) {
        atomic_store_explicit(&hint, (uintptr_t)p, memory_order_relaxed);
        errno = saved;
        return p;
      }
      unmap_or_keep(p, len, true);
    }
  }
  char *raw = len <= SIZE_MAX - align ? map_fresh(len + align) : NULL;
  if (raw == NULL) {
    errno = saved;
    return NULL;
  }
  uintptr_t start = ((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1);
  size_t head = start - (uintptr_t)raw;
  size_t tail = align - head;
  if (head) unmap_or_keep(raw, head, false);
  if (tail) unmap_or_keep((char *)start + len, tail, false);
  atomic_store_explicit(&hint, start, memory_order_relaxed);
  errno = saved;
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
  int saved = errno;
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  char *end = (char *)p + len;
  void *q = mmap(end, new_len - len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  int r = q == end;
  if (q != MAP_FAILED && q != end)
    unmap_or_keep(q, new_len - len, false); /* a kernel without NOREPLACE placed it elsewhere */
  errno = saved;
  return r;
}

bool hk_os_remap_to(void *p, size_t len, size_t new_len, void *dst) {
  (void)p, (void)len;
  hk_os_unmap(dst, new_len); /* the reservation goes; the mapping at p is left as it was */
  return false;
}

void *hk_os_remap_anywhere(void *p, size_t len, size_t new_len, size_t align) {
  (void)p, (void)len, (void)new_len, (void)align;
  return NULL; /* the caller copies */
}
#else
/* Grow the mapping [p, p + len) to new_len bytes where it lies (mremap without MAYMOVE,
 * so p and its alignment stay). 1: grown. 0: it is one kernel mapping but the addresses
 * after it are taken (it can be moved). -1: anything else, e.g. the range spans several
 * kernel mappings (the program changed the protection or advice of part of it): moving it
 * could fail half-way, so it should be copied. mremap is counted as mmap_calls (the box
 * declares no mremap counter). */
int hk_os_remap_in_place(void *p, size_t len, size_t new_len) {
  int saved = errno;
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  int r = mremap(p, len, new_len, 0) != MAP_FAILED ? 1 : errno == ENOMEM ? 0 : -1;
  errno = saved;
  return r;
}

/* Move the mapping [p, p + len) to dst and make it new_len (>= len) bytes long there:
 * dst must be a mapping of ours of new_len bytes (a reservation, from hk_os_map_aligned),
 * which the moved pages and fresh zero pages replace, as one kernel mapping. No page is
 * copied, and [p, p + len) is unmapped. On failure the old mapping is intact and the
 * reservation is released.
 *
 * Whether the reservation is still there after a failure depends on where the kernel failed:
 * before it unmapped dst (an address-space limit is checked first: RLIMIT_AS must hold the
 * old block, the reservation and the growth at once) or after (another thread may have mapped
 * there since). So its first word holds a tag before the move (one page faulted in, on a path
 * that moves megabytes), read back with process_vm_readv, which fails instead of faulting on
 * an address nobody maps: the tag there means the reservation is ours still, and it is
 * unmapped (taking it for someone else's would leave it mapped for good). Without the tag, a probe with MAP_FIXED_NOREPLACE tells a free range (nothing to
 * release) from a taken one (someone else's now: left alone). */
bool hk_os_remap_to(void *p, size_t len, size_t new_len, void *dst) {
  int saved = errno;
  const uint64_t tag = hk_free_key ^ (uintptr_t)dst ^ 0x746167746167ull;
  *(volatile uint64_t *)dst = tag;
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  if (mremap(p, len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) == dst) {
    MAPPINGS(-1); /* two mappings became one */
    errno = saved;
    return true;
  }
  uint64_t seen = 0;
  struct iovec here = {&seen, sizeof seen}, there = {dst, sizeof seen};
  if (process_vm_readv(getpid(), &here, 1, &there, 1, 0) == (ssize_t)sizeof seen && seen == tag) {
    unmap_or_keep(dst, new_len, true); /* the reservation, as it was */
  } else {                             /* unmapped by the kernel, and maybe someone else's by now */
    MAPPINGS(-1);
    HK_SUPERSLAB_COUNT(mmap_calls, 1);
    void *q = mmap(dst, new_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (q != MAP_FAILED)
      sys_unmap(q, new_len); /* the range was free (the probe goes), or an old kernel placed it elsewhere */
    /* else EEXIST: another thread has mapped into it; leave it alone */
  }
  errno = saved;
  return false;
}

/* Move [p, p + len) anywhere the kernel likes (mremap(MREMAP_MAYMOVE), no reservation: the
 * address space must hold the new block only, as glibc's and mimalloc's realloc need) and
 * make it new_len bytes, starting on an align boundary. The kernel's choice is not aligned in
 * general (Linux 6.7 and later align anonymous mappings whose length is a multiple of 2 MiB), so
 * the move asks for new_len rounded up to align plus align: the aligned start lies within, and
 * when it is not where the block landed the block is moved down to it with memmove (a copy, on
 * this fallback only); the ends are trimmed. NULL, with [p, p + len) intact, if the kernel
 * refuses. */
void *hk_os_remap_anywhere(void *p, size_t len, size_t new_len, size_t align) {
  int saved = errno;
  size_t rounded = (new_len + align - 1) & ~(align - 1);
  if (rounded < new_len || rounded > SIZE_MAX - align) return NULL;
  size_t got = rounded + align;
  HK_SUPERSLAB_COUNT(mmap_calls, 1);
  char *q = mremap(p, len, got, MREMAP_MAYMOVE);
  if (q == MAP_FAILED) {
    errno = saved;
    return NULL;
  }
  char *a = (char *)(((uintptr_t)q + align - 1) & ~(uintptr_t)(align - 1));
  if (a != q) {
    memmove(a, q, len);
    unmap_or_keep(q, (size_t)(a - q), false);
  }
  unmap_or_keep(a + new_len, (size_t)(q + got - (a + new_len)), false);
  errno = saved;
  return a;
}
#endif

/* CLOCK_MONOTONIC_COARSE in ms: the vDSO, no system call. Never 0 (0 means "no time"). */
uint64_t hk_clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + 1;
}

/* A whole mapping goes (it leaves `mappings`); a refused unmap keeps the range (above). */
void hk_os_unmap(void *p, size_t len) {
  int saved = errno;
  unmap_or_keep(p, len, true);
  errno = saved;
}

/* Part of a mapping goes (a trimmed end): the mapping stays. */
void hk_os_unmap_part(void *p, size_t len) {
  int saved = errno;
  unmap_or_keep(p, len, false);
  errno = saved;
}

/* Pages given back, the range kept. A failure only leaves the pages resident. */
void hk_os_decommit(void *p, size_t len) {
  int saved = errno;
  HK_SUPERSLAB_COUNT(madvise_calls, 1);
  madvise(p, len, MADV_DONTNEED);
  errno = saved;
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
    int saved = errno;
    char *m = map_fresh(chunk);
    errno = saved;
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

/* The library's one writer of what it prints (warnings, HAKMEM_VERBOSE, the stats report):
 * write(2) until all of it is out, again after a signal, without stdio's buffers or any
 * allocation, leaving errno as it was. A closed or full descriptor drops the rest. */
void hk_os_write_all(int fd, const char *s, size_t len) {
  int saved = errno;
  while (len > 0) {
    ssize_t w = write(fd, s, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    s += w, len -= (size_t)w;
  }
  errno = saved;
}

/* One line, formatted into 512 bytes on the stack (longer lines are cut). */
void hk_os_write_err(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  hk_os_write_all(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
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

#if HK_DEBUG
void hk_assert_fail(const char *file, int line, const char *cond) {
  hk_os_write_err("hakmem: internal invariant broken at %s:%d: %s\n", file, line, cond);
  abort();
}
#endif
