/* internal.h: the layers of the allocator, their shared functions and the hot inline helpers.
 *
 * LAYERS. The C files sit in one folder per layer, lowest first. A folder's files may name
 * what their own layer and the layers below it declare (the functions, globals and inline
 * helpers in that layer's section of this file, the types listed with it in the table below,
 * the knob accessors of the boxes those folders belong to), never what a higher layer does:
 * `npm run lint` checks it (tools/src/commands/lint-layers.ts). Calls therefore run downward;
 * where a lower layer must make something above happen later (the time-based purge), the higher
 * layer registers a function at process start. types.h (the memory layout) and this file
 * describe every layer and sit above the folders.
 *
 *   layer          box              what it holds
 *   core           (none)           os.c: every system call, the clock, the free key, metadata
 *                                   memory; segment_map.c: what each 2 MiB of address space holds;
 *                                   manifest.c: the build's manifest
 *   env            env              env.c: the environment snapshot; report.c: misuse and
 *                                   corruption reports (env.onInvalid); purge.c: the time-based
 *                                   purge's clock and registry; stats.c: the OBSERVE report
 *   superslab      superslab        superslab.c: SuperSlabs, slab geometry, the pool
 *   remote         remote           heap.c: heaps and their lifecycle; slabs.c: a heap's slabs;
 *                                   remote_queue.c: blocks going home to their owner
 *   unified_cache  unified-cache    unified_cache.c: the thread caches (others' blocks too), budget;
 *                                   depot.c: chains of free blocks between threads
 *   large          large            large.c: large blocks in mappings of their own, their cache
 *   front          front            front.c: malloc, free, realloc, calloc, aligned routing;
 *                                   api.c: the rest of the API; misuse.c: what a bad pointer is;
 *                                   init.c: process and thread lifecycle, fork
 *
 * layer types: superslab hk_superslab_t hk_slab_t hk_unit_t
 * layer types: remote hk_heap_t hk_parked_t
 * layer types: unified_cache hk_tls_t hk_unified_cache_t hk_tls
 * layer types: large hk_large_t
 *
 * Named exceptions (each a line the check reads: folder, the name it may use, why):
 * exception: core HK_SUPERSLAB_COUNT             the system-call counters (mmapCalls, ...) are
 *                                                declared by the SuperSlab box; core has no box
 *
 * Naming: hak_* is public (hakmem.h), hk_* is internal across files (hidden), static for
 * everything else. Fast paths are written for the compiler: the common case is a few lines
 * inline; everything rare is a noinline function so that the fast path does not spill
 * registers.
 */
#ifndef HAKMEM_INTERNAL_H
#define HAKMEM_INTERNAL_H

#include <pthread.h>
#include <string.h>

#include "types.h"

#define HK_HIDDEN __attribute__((visibility("hidden")))
#define HK_EXPORT __attribute__((visibility("default")))
#define HK_TLS_MODEL __attribute__((tls_model("initial-exec")))

/* ==== layer core ========================================================================= */

/* ---- debug assertions --------------------------------------------------------------
 * HK_ASSERT states an invariant of types.h. It is checked only in the debug build (make -C
 * native check-debug, and the sanitizer builds: -DHK_DEBUG=1), where a broken one prints
 * the file, line and condition and aborts (env/report.c); elsewhere it compiles to nothing. */
#ifndef HK_DEBUG
#define HK_DEBUG 0
#endif
#if HK_DEBUG
void hk_assert_fail(const char *file, int line, const char *cond) HK_HIDDEN __attribute__((noreturn, cold));
#define HK_ASSERT(cond) ((cond) ? (void)0 : hk_assert_fail(__FILE__, __LINE__, #cond))
#else
#define HK_ASSERT(cond) ((void)0)
#endif

/* ---- checks: what Standard and OBSERVE verify and FAST does not --------------------------
 * HK_CHECKS is 1 in Standard and OBSERVE: every free checks that its pointer is the start of
 * a block (hk_block_start) and not already free (the free key below), and reports a misuse
 * (hk_invalid, front/misuse.c) instead of linking it. FAST drops those two checks from its
 * fast path; what it still refuses everywhere is listed in docs/reliability.md. */
#define HK_CHECKS (!HAKMEM_FAST)

/* ---- the segment map: address -> kind, O(1), constants only ---------------------------
 * Entries are written with atomic stores (a SuperSlab or mapping comes and goes). Under TSan they
 * are read with relaxed atomic loads, so there is no data race in C11 terms; elsewhere with a
 * plain load, the same byte load on x86-64, which the compiler can fold into free's compare
 * (a relaxed atomic load costs the fast path one more instruction). */
#if defined(__SANITIZE_THREAD__)
#define HK_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HK_TSAN 1
#endif
#endif
extern uint8_t hk_segmap[HK_SEGMAP_LEN] HK_HIDDEN;
void hk_segmap_mark(void *base, size_t len, uint8_t kind) HK_HIDDEN; /* 0, HK_SEG_SUPERSLAB or HK_SEG_LARGE */
hk_inline unsigned hk_seg_load(uintptr_t i) {
#ifdef HK_TSAN
  return __atomic_load_n(&hk_segmap[i], __ATOMIC_RELAXED);
#else
  return hk_segmap[i];
#endif
}
hk_inline unsigned hk_seg_kind(uintptr_t a) {
  uintptr_t i = a >> HK_SUPERSLAB_SHIFT;
  return hk_likely(i < HK_SEGMAP_LEN) ? hk_seg_load(i) : 0;
}

/* ---- blocks -----------------------------------------------------------------------------
 * Where a slab lays its blocks: one every stride bytes from its start. The stride is the class
 * size, plus 16 bytes for the tiny classes whose size is a multiple of 256 (256, 512, 768,
 * 1,024): at the bare size, the starts of such blocks fall in a few of the L1's 64 sets
 * (1,024 B: 4 of them, 512 B: 8), where the lines a program touches first in each block, and
 * the links free writes there, evict each other although the cache has room; 16 bytes more and
 * the starts walk over all 64 sets, for a few per cent fewer blocks per slab. Blocks stay 16-byte
 * aligned; an aligned allocation picks a class whose stride is a multiple of the alignment
 * (front.c), so a 32- to 1,024-byte-aligned request that would fit one of these classes
 * takes a larger one (posix_memalign(64, 1000): 1,280 B). A pure function of the generated
 * class table, so it needs no initialisation. */
hk_inline size_t hk_block_stride(unsigned cls) {
  size_t size = hk_class_size[cls];
  return size + (cls < HK_TINY_CLASS_COUNT && size % 256 == 0 ? 16 : 0);
}
hk_inline bool hk_class_is_tiny(unsigned cls) { return cls < HK_TINY_CLASS_COUNT; }

/* The free key: double frees, found without a search. hk_free_key is a random word, chosen
 * once per process before the first block exists (os.c). A free block's second word (every
 * block has two) holds it:
 *   - in every build, while the block is in a slab's free list, a remote queue, an outbox or a
 *     heap's pending list;
 *   - in Standard and OBSERVE, also while it is in a unified cache (running or parked) or a
 *     depot chain.
 * A block handed to the program never holds it: Standard clears it in malloc's pop; FAST
 * clears it as blocks enter a cache or the depot (refill, drain, a flush into the depot),
 * since its pop and push do not touch it. So a free that finds the key is a double free:
 * Standard checks on every free; FAST checks on its slow paths (another heap's block, cache
 * full), where it drops the block so that it is never in two lists at once (a block in two
 * lists would crash an unrelated thread later, after it adopted the heap). The key
 * is secret and random, so stale user data cannot match it by accident, and a program cannot
 * forge a free block without reading freed memory. */
extern uintptr_t hk_free_key HK_HIDDEN;
hk_inline bool hk_marked_free(const hk_block_t *b) { return ((const uintptr_t *)b)[1] == hk_free_key; }
hk_inline void hk_mark_free(hk_block_t *b) { ((uintptr_t *)b)[1] = hk_free_key; }
hk_inline void hk_mark_clear(hk_block_t *b) { ((uintptr_t *)b)[1] = 0; }
/* The end of a cache list. FAST ends its lists at NULL, and malloc's hit path tests for it.
 * Standard ends them at hk_list_end, a read-only pair of words whose second is 0, never the
 * free key (os.c keeps the key nonzero): the key test its pop makes anyway then fails at the end
 * as it fails at a poisoned block, so the hit path has one test for both, and the slow path
 * it falls to (the refill, through hk_unified_cache_pop) tells them apart. Every list that
 * becomes a cache's (a refill's chain, a depot chain, a parked cache, the thread's initial
 * image) ends at HK_LIST_END. */
extern const uintptr_t hk_list_end[2] HK_HIDDEN;
#define HK_LIST_END (HK_CHECKS ? (hk_block_t *)hk_list_end : (hk_block_t *)NULL)

/* A free block entering a unified cache (or the depot): marked in Standard, unmarked in FAST. */
hk_inline void hk_mark_cached(hk_block_t *b) {
  if (HK_CHECKS) hk_mark_free(b);
  else hk_mark_clear(b);
}

/* Safe-linking (unifiedCache.safeLinking: the `hardened` profile). A cache list's next
 * pointer is stored XOR the address of the word that holds it >> 12 (glibc's safe-linking) and
 * the secret free key: freed memory shows no heap address, and a pointer written into a freed
 * block decodes to garbage, which a pop refuses unless it is 16-byte aligned and lies in a
 * SuperSlab (and then it still needs the key in its second word). Alignment alone would let one
 * garbage pointer in 16 through, to be read at the next pop: the segment map's load never
 * faults. Only cache-list form (unified caches, parked caches, depot chains: what malloc's hit
 * path follows); slab free lists and remote queues are checked by key as they are taken. Off,
 * the two functions return their argument. */
#define HK_SAFE_LINKING (HK_CHECKS && HK_UNIFIED_CACHE_SAFE_LINKING)
hk_inline hk_block_t *hk_link_enc(const hk_block_t *slot, const hk_block_t *next) {
  if (!HK_SAFE_LINKING) return (hk_block_t *)next;
  return (hk_block_t *)((uintptr_t)next ^ ((uintptr_t)slot >> 12) ^ hk_free_key);
}
hk_inline hk_block_t *hk_link_dec(const hk_block_t *slot) {
  return hk_link_enc(slot, slot->next); /* XOR is its own inverse */
}
/* After decoding: a next pointer that cannot be a block's (misaligned, or not in a SuperSlab)
 * is a poisoned list. */
hk_inline bool hk_link_bad(const hk_block_t *next) {
  uintptr_t a = (uintptr_t)next;
  return HK_SAFE_LINKING && ((a & 15) != 0 || (next != HK_LIST_END && hk_seg_kind(a) != HK_SEG_SUPERSLAB));
}

/* ---- os.c: every mmap, mremap, munmap and madvise in one place --------------------- */
extern pthread_mutex_t hk_meta_lock HK_HIDDEN;
void *hk_os_map_aligned(size_t len, size_t align) HK_HIDDEN;
int hk_os_remap_in_place(void *p, size_t len, size_t new_len) HK_HIDDEN;       /* 1 grown, 0 no room, -1 copy it */
bool hk_os_remap_to(void *p, size_t len, size_t new_len, void *dst) HK_HIDDEN; /* move into the reservation dst */
void *hk_os_remap_anywhere(void *p, size_t len, size_t new_len, size_t align) HK_HIDDEN; /* no reservation */
void hk_os_unmap(void *p, size_t len) HK_HIDDEN;      /* a whole mapping; a refused unmap keeps the range */
void hk_os_unmap_part(void *p, size_t len) HK_HIDDEN; /* a trimmed end of one */
void hk_os_retry_unmaps(void) HK_HIDDEN;              /* malloc_trim: the refused unmaps again */
extern pthread_mutex_t hk_os_defer_lock HK_HIDDEN;    /* leaf; taken around fork */
void hk_os_decommit(void *p, size_t len) HK_HIDDEN;
uint64_t hk_clock_ms(void) HK_HIDDEN;          /* CLOCK_MONOTONIC_COARSE in ms (vDSO), never 0 */
void hk_os_free_key_init(void) HK_HIDDEN;      /* hk_free_key: secret, before the first block exists */
void *hk_os_meta_alloc(size_t size) HK_HIDDEN; /* zeroed, never freed; takes hk_meta_lock */
void hk_os_write_all(int fd, const char *s, size_t len) HK_HIDDEN;                          /* every byte, errno kept */
void hk_os_write_err(const char *fmt, ...) HK_HIDDEN __attribute__((format(printf, 1, 2))); /* one line */

/* ==== layer env ========================================================================== */

/* ---- env.c: the one-time environment snapshot, verbosity ----------------------- */
void hk_env_load(void) HK_HIDDEN;
bool hk_env_provisional(void) HK_HIDDEN;
const char *hk_env_profile_name(void) HK_HIDDEN;
/* The hash of the configuration in force (HAKMEM_CONFIG_HASH unless the environment changed it). */
const char *hk_env_config_hash(void) HK_HIDDEN;

/* ---- report.c: misuse and corruption reports ------------------------------------------
 * One line (with its newline) of what was wrong, then what env.onInvalid asks: abort, warn and
 * skip the call, or skip it silently (Standard, OBSERVE); FAST reports nothing. */
void hk_report(const char *line) HK_HIDDEN __attribute__((cold, noinline));
/* A free list holds a block that is not free (it was written after it was freed). */
void hk_corrupt_list(const char *where, const void *b, unsigned cls) HK_HIDDEN __attribute__((cold, noinline));

/* ---- purge.c: the time-based purge (env.purgeDelayMs) ---------------------------- */
extern _Atomic(uint64_t) hk_purge_due HK_HIDDEN; /* the earliest due time of any layer (0: none) */
void hk_purge_register(_Atomic(uint64_t) *due, void (*run)(uint64_t now)) HK_HIDDEN; /* process start */
void hk_purge_maybe(void) HK_HIDDEN; /* slow paths: run the purgers whose memory has aged */
/* Something of a layer waits and ages at `due` (ms): the layer's *next, and the earliest of all,
 * become the earlier of what they were and due (0: nothing waits). */
hk_inline void hk_due_min(_Atomic(uint64_t) *next, uint64_t due) {
  uint64_t cur = atomic_load_explicit(next, memory_order_relaxed);
  while ((cur == 0 || due < cur) &&
         !atomic_compare_exchange_weak_explicit(next, &cur, due, memory_order_relaxed, memory_order_relaxed)) {}
}
hk_inline void hk_due_note(_Atomic(uint64_t) *next, uint64_t due) {
  hk_due_min(next, due);
  hk_due_min(&hk_purge_due, due);
}

/* ---- stats.c: the OBSERVE counters and their report ---------------------------------- */
void hk_stats_thread_exit(void) HK_HIDDEN;
/* A thread whose exit hook has run (its counters folded) may still allocate and free, from a
 * later pthread key destructor or glibc's own thread teardown: what it counts then is folded at
 * once, or the report would show a queue drained of more blocks than were ever pushed. */
#define HK_STATS_FOLD_IF_EXITED()                                             \
  do {                                                                        \
    if (HAKMEM_OBSERVE && hk_unlikely(hk_tls.exited)) hk_stats_thread_exit(); \
  } while (0)
void hk_stats_prepare(void) HK_HIDDEN;   /* from the constructor: keep a descriptor for the report */
void hk_stats_report(void) HK_HIDDEN;    /* at exit, when HAKMEM_STATS=1 (OBSERVE) */
void hk_stats_print_now(void) HK_HIDDEN; /* hak_stats_print */

/* ==== layer superslab ==================================================================== */

/* ---- address -> SuperSlab, unit, slab: constants only ---------------------------------- */
hk_inline hk_superslab_t *hk_superslab_of(uintptr_t a) { return (hk_superslab_t *)(a & ~(HK_SUPERSLAB_SIZE - 1)); }

hk_inline hk_unit_t *hk_unit_of(uintptr_t a) {
  return &hk_superslab_of(a)->units[(a >> HK_SLAB_SHIFT) & (HK_UNITS - 1)];
}

/* The same from a segment index i = a >> SUPERSLAB_SHIFT that free has already computed. */
hk_inline hk_unit_t *hk_unit_at(uintptr_t i, uintptr_t a) {
  __asm__("" : "+r"(i)); /* keep i: gcc would rebuild i << SHIFT as a & mask, two instructions more */
  return (hk_unit_t *)((i << HK_SUPERSLAB_SHIFT) + offsetof(hk_superslab_t, units) +
                       ((a >> (HK_SLAB_SHIFT - 5)) & ((uintptr_t)(HK_UNITS - 1) << 5)));
}

/* Is a the start of one of the blocks of u's slab? a and base lie in one SuperSlab (2 MiB), so
 * n = (a - base) modulo 2^32, from their low 32 bits, is below a SuperSlab's size when a >= base
 * and at least 2^32 - 2 MiB (rejected below like any other n < 2^32) when a < base. With
 * magic = ceil(2^64 / d) for the block stride d (plus 1 when d is a power of two), q = n * magic
 * modulo 2^64 is k * eps for n = k * d, where eps = d * magic - 2^64 is between 1 and d, and at
 * least magic (far above any k * eps) for every other n < 2^32 (Lemire, Kaser and Kurz, "Faster
 * remainder by direct computation", 2019). So q < limit = capacity * eps holds exactly for the
 * starts of the slab's blocks, one test for "a multiple of d" and "below the last block" at once:
 * a subtraction, a multiply, a compare (limit is 0 for a free slab and for unit 0, so every check
 * fails). */
hk_inline bool hk_block_start(const hk_unit_t *u, uintptr_t a) {
  return (uint64_t)((uint32_t)a - u->base) * u->magic < u->limit;
}

/* The address of u's slab's first block, for a in the same SuperSlab: a SuperSlab is aligned to
 * its size (2 MiB), so it never crosses a 4 GiB boundary and a's upper 32 bits are the base's. */
hk_inline uintptr_t hk_unit_base(const hk_unit_t *u, uintptr_t a) { return (a & ~(uintptr_t)UINT32_MAX) | u->base; }

/* The bytes u's slab's blocks cover (capacity * stride), from its limit: for reports. */
hk_inline size_t hk_unit_span(const hk_unit_t *u) {
  uint64_t d = hk_block_stride(u->cls), eps = d * u->magic;
  return eps ? (size_t)(u->limit / eps * d) : 0;
}

/* The state of the slab a block belongs to (owner side). */
hk_inline hk_slab_t *hk_slab_of(uintptr_t a) {
  return hk_superslab_of(a)->slabs[(a >> HK_SLAB_SHIFT) & (HK_UNITS - 1)].head;
}
hk_inline unsigned hk_slab_index(const hk_slab_t *s) { return (unsigned)(s - hk_superslab_of((uintptr_t)s)->slabs); }
/* Where the slab's blocks start: unit 0 holds the SuperSlab's header, so a slab that covers it
 * starts at unit 1. */
hk_inline char *hk_slab_area(const hk_slab_t *s) {
  unsigned i = hk_slab_index(s);
  return (char *)hk_superslab_of((uintptr_t)s) + ((size_t)(i ? i : 1) << HK_SLAB_SHIFT);
}

/* Lists of slabs (a tier of the pool, a heap's partial list of a class), doubly linked through
 * next/prev and NULL-terminated. */
hk_inline void hk_slab_list_push(hk_slab_t **list, hk_slab_t *s) {
  s->prev = NULL;
  s->next = *list;
  if (*list) (*list)->prev = s;
  *list = s;
}
/* Second place: the head is the slab refills are taking from; keep it there. */
hk_inline void hk_slab_list_insert_second(hk_slab_t **list, hk_slab_t *s) {
  hk_slab_t *h = *list;
  if (h == NULL) {
    hk_slab_list_push(list, s);
    return;
  }
  s->prev = h;
  s->next = h->next;
  if (h->next) h->next->prev = s;
  h->next = s;
}
hk_inline void hk_slab_list_unlink(hk_slab_t **list, hk_slab_t *s) {
  if (s->prev) s->prev->next = s->next;
  else *list = s->next;
  if (s->next) s->next->prev = s->prev;
  s->next = s->prev = NULL;
}

/* ---- superslab.c: SuperSlabs, slabs and the pool ---------------------------------------- */
extern pthread_mutex_t hk_pool_lock HK_HIDDEN;
void hk_superslab_init(void) HK_HIDDEN;
/* A free slab for class cls, formatted and stamped with its owner (an opaque heap pointer):
 * from the pool, else (may_map) from a new SuperSlab; NULL when none could be had. */
hk_slab_t *hk_slab_from_pool(unsigned cls, void *owner, bool may_map) HK_HIDDEN;
void hk_slab_to_pool(hk_slab_t *s) HK_HIDDEN; /* a slab with no block out, back to the pool */
size_t hk_superslab_trim(void) HK_HIDDEN;     /* malloc_trim: release every empty SuperSlab */
#if HK_DEBUG
/* The debug build's validators of types.h's accounting; each returns true or aborts naming the
 * broken condition (HK_ASSERT(hk_slab_valid(...)) at the points the state changes). */
bool hk_slab_valid(const hk_slab_t *s, const void *owner, bool walk) HK_HIDDEN;
bool hk_superslab_valid(const hk_superslab_t *ss) HK_HIDDEN; /* pool lock held */
#endif
extern _Atomic(uint64_t) hk_superslab_due HK_HIDDEN; /* when an empty SuperSlab or a warm slab ages (0: none) */
void hk_superslab_purge(uint64_t now) HK_HIDDEN;     /* registered purger: release what waited purgeDelayMs */

/* ==== layer remote ======================================================================= */

/* ---- heap.c: heaps' lifecycle, their parked caches, blocks going home ------------------- */
extern _Atomic(hk_heap_t *) hk_heaps HK_HIDDEN;
hk_heap_t *hk_heap_acquire(void) HK_HIDDEN; /* a new thread's: adopted, or new */
void hk_heap_abandon(hk_heap_t *h) HK_HIDDEN;
extern _Atomic(uint32_t) hk_heaps_active HK_HIDDEN; /* heaps held by a thread: the cache budget's share */
bool hk_heap_collect_abandoned(void) HK_HIDDEN;     /* true if anything came back to the pool */
unsigned hk_heap_take(hk_heap_t *h, unsigned cls, unsigned want, hk_block_t **out) HK_HIDDEN;
/* A free of a block whose owner's thread has exited (owner ABANDONED), or by a thread that has
 * exited itself (exited): straight back to its slab by this thread, claiming the heap. */
void hk_free_to_exited(hk_heap_t *owner, hk_block_t *b, bool exited) HK_HIDDEN;
void hk_heap_give_block(hk_heap_t *h, hk_block_t *b) HK_HIDDEN;             /* to its slab if h owns it, else home */
void hk_heap_give_chain(hk_heap_t *h, hk_block_t *b, uint32_t n) HK_HIDDEN; /* n blocks, cache-list form */
extern _Atomic(uint32_t) hk_parked_heaps HK_HIDDEN;                         /* abandoned heaps holding parked caches */
void hk_heap_flush_parked(hk_heap_t *h) HK_HIDDEN;                          /* h held: its parked blocks go home */
extern _Atomic(uint64_t) hk_heap_due HK_HIDDEN;                             /* when a parked cache ages (0: none) */
void hk_heap_purge_parked(uint64_t now) HK_HIDDEN; /* registered purger: caches parked purgeDelayMs */

/* ---- slabs.c: a heap's slabs ------------------------------------------------------------
 * Up to `want` blocks of class cls from h's slabs: HK_TAKE_FREED only blocks that came back to
 * the head slab's free list; HK_TAKE_POOL also fresh ones, and slabs from the pool; HK_TAKE_MAP
 * also a new SuperSlab. */
enum { HK_TAKE_FREED, HK_TAKE_POOL, HK_TAKE_MAP };
unsigned hk_slab_take(hk_heap_t *h, unsigned cls, unsigned want, int how, hk_block_t **out) HK_HIDDEN;
void hk_slab_give(hk_heap_t *h, hk_block_t *b) HK_HIDDEN; /* one block back to its slab, owner side */
void hk_slab_release_empty(hk_heap_t *h) HK_HIDDEN;       /* every empty slab of h back to the pool */

/* ---- remote_queue.c: blocks going home to their owner ----------------------------------- */
void hk_remote_free(hk_heap_t *owner, hk_block_t *b) HK_HIDDEN; /* one freed block, via the outbox */
void hk_remote_flush(void) HK_HIDDEN;                           /* what this thread gathered goes out */
bool hk_remote_gathering(const hk_heap_t *owner) HK_HIDDEN;     /* the outbox holds owner's blocks */
/* A chain head..tail of n blocks holding the free key, all of owner's slabs, back to owner. */
void hk_remote_send(hk_heap_t *owner, hk_block_t *head, hk_block_t *tail, uint32_t n) HK_HIDDEN;
/* Up to budget blocks that came home, as a NULL-terminated chain (keys cleared); *n their count. */
hk_block_t *hk_remote_take(hk_heap_t *h, uint64_t budget, uint64_t *n) HK_HIDDEN;
void hk_remote_drain(hk_heap_t *h, uint64_t budget) HK_HIDDEN; /* up to budget of them to their slabs */
hk_inline bool hk_remote_pending(hk_heap_t *h) {
  return h->pending != NULL || atomic_load_explicit(&h->remote, memory_order_relaxed) != NULL;
}
hk_inline bool hk_remote_due(hk_heap_t *h) {
  if (hk_remote_drain_threshold() <= 1) return hk_remote_pending(h);
  return atomic_load_explicit(&h->remote_count, memory_order_relaxed) >= (uint64_t)hk_remote_drain_threshold();
}

/* ==== layer unified_cache ================================================================ */

/* ---- the thread's block ---------------------------------------------------------------
 * hk_tls has the initial-exec model: its offset from the thread pointer is one constant for
 * the process, which gcc loads from the GOT. malloc's and free's hit paths reach the cache in
 * one of two ways, chosen per build by measurement (docs/lab/2026-12-07-tls-segment.md):
 *   - FAST forms the thread's address (the offset plus %fs:0, an `add %fs:0`) and reaches the
 *     cache through a plain pointer;
 *   - Standard and OBSERVE address it through a __seg_fs pointer holding the offset, so that
 *     every access is one %fs:-prefixed instruction and the address is never formed (one
 *     instruction fewer in each of malloc and free, 1e7f037).
 * On an Intel Sapphire Rapids VM, FAST's tiny_hot took 1.14 times as long addressed off %fs
 * (and the same free-then-malloc pair in a 20-line program 1.27 times), with no workload of the
 * matrix faster that way; Standard's larson took 1.08 to 1.09 times as long through the plain pointer,
 * for no significant gain on tiny_hot. Why that core behaves so was not measured (it counts no
 * cycles); the AMD EPYC the earlier figures came from could not be measured again. Where __seg_fs
 * cannot be used (clang, sanitizers, which would check the offset as an address, other targets)
 * hk_tls_fs() is simply &hk_tls in every build. */
extern __thread hk_tls_t hk_tls HK_TLS_MODEL HK_HIDDEN;
#if HK_CHECKS && defined(__x86_64__) && defined(__SEG_FS) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__) && !defined(HK_TSAN)
#define HK_TLS_SEG __seg_fs
hk_inline hk_tls_t HK_TLS_SEG *hk_tls_fs(void) {
  return (hk_tls_t HK_TLS_SEG *)((uintptr_t)&hk_tls - (uintptr_t)__builtin_thread_pointer());
}
#else
#define HK_TLS_SEG
hk_inline hk_tls_t *hk_tls_fs(void) { return &hk_tls; }
#endif
/* Keep x in rdx (an empty asm, no instruction): malloc's hit path then has the block, not the
 * cache's address, in rax, where it is returned, and saves a final mov. x86-64 only. */
#ifdef __x86_64__
#define HK_KEEP_IN_RDX(x) __asm__("" : "+d"(x))
#else
#define HK_KEEP_IN_RDX(x) ((void)0)
#endif
/* The unified cache at byte offset off in the thread's block (off: a unit's tc_off, or tiny_off[]). */
hk_inline hk_unified_cache_t HK_TLS_SEG *hk_tls_cache_at(hk_tls_t HK_TLS_SEG *t, size_t off) {
  return (hk_unified_cache_t HK_TLS_SEG *)((char HK_TLS_SEG *)t + off);
}

/* A unified cache's list holds a block without the free key: reported, and the list is
 * dropped (its blocks leak; none is handed out). Returns a block refilled from the slabs. */
hk_block_t *hk_unified_cache_poisoned(hk_unified_cache_t *uc) HK_HIDDEN __attribute__((cold, noinline));

/* ---- the unified cache's pop (malloc's hit path) and push -----------------------------
 * Standard checks that the block it hands out still holds the free key: a free block whose
 * first word was overwritten (a use after free) would make the next pop follow the written
 * address; that block then lacks the key, and the pop refuses it instead of handing out an
 * address of the writer's choosing. */
hk_inline hk_block_t *hk_unified_cache_pop(hk_unified_cache_t *uc) {
  hk_block_t *b = uc->head;
  if (hk_unlikely(b == HK_LIST_END)) return NULL; /* an aligned allocation's class hits here (front.c, class_alloc) */
  hk_block_t *next = hk_link_dec(b);
  if (HK_CHECKS && hk_unlikely(!hk_marked_free(b) || hk_link_bad(next))) return hk_unified_cache_poisoned(uc);
  uc->head = next; /* (malloc's hit path repeats these lines, front.c) */
  uc->room++;
  if (HK_CHECKS) hk_mark_clear(b); /* handed out: no longer free */
  return b;
}

hk_inline void hk_unified_cache_push(hk_unified_cache_t *uc, hk_block_t *b) {
  if (HK_CHECKS) hk_mark_free(b);
  b->next = hk_link_enc(b, uc->head);
  uc->head = b;
  uc->room--;
}

/* ---- unified_cache.c: refill and flush (the slow halves of malloc and free) ---------- */
void *hk_unified_cache_refill(unsigned cls) HK_HIDDEN; /* the thread has a heap; a block, or NULL (ENOMEM) */
void hk_unified_cache_overflow(hk_block_t *b, unsigned cls) HK_HIDDEN; /* cache full: flush, then push */
void hk_unified_cache_flush_all(hk_tls_t *t, hk_heap_t *h) HK_HIDDEN;
void hk_unified_cache_park(hk_tls_t *t, hk_heap_t *h) HK_HIDDEN;   /* thread exit: cached blocks stay with h */
void hk_unified_cache_unpark(hk_tls_t *t, hk_heap_t *h) HK_HIDDEN; /* adoption: take them over */
void hk_unified_cache_set_limits(hk_tls_t *t) HK_HIDDEN;
void hk_unified_cache_derive_limits(void) HK_HIDDEN;
void hk_unified_cache_purge_depot(uint64_t now) HK_HIDDEN; /* registered purger: aged depot chains go home */

/* free found a block of another heap (owner != this thread's heap) and this thread has a
 * cache: the block joins the cache of its class as the thread's own do, and the thread's next
 * malloc of the class hands it out, most recent first (THREAD CACHE in types.h). A thread that
 * only frees others' blocks fills its cache and overflows: the overflow sends its own blocks
 * to their slabs and the others' on as one chain (the depot, or home). FAST drops a block that
 * holds the free key (above); one freed twice while in a cache, where FAST
 * keeps no key, it cannot tell, as on its own path. */
hk_inline void hk_unified_cache_foreign(hk_tls_t *t, hk_block_t *b, unsigned cls) {
  if (!HK_CHECKS && hk_unlikely(hk_marked_free(b)))
    return; /* FAST: in a slab or a queue already (Standard refused it in free) */
  HK_UNIFIED_CACHE_COUNT(foreign_kept, 1);
  hk_unified_cache_t *uc = &t->cache[cls];
  if (hk_likely(uc->room > 0)) hk_unified_cache_push(uc, b);
  else if (uc->limit == 0) hk_heap_give_block(t->heap, b); /* the cache is off: home */
  else hk_unified_cache_overflow(b, cls);
}

/* ---- depot.c: chains of free blocks between thread caches -------------------------------- */
bool hk_depot_put(unsigned cls, hk_block_t *head, hk_block_t *tail, uint32_t n) HK_HIDDEN; /* false: full */
hk_block_t *hk_depot_take(unsigned cls, uint32_t *n) HK_HIDDEN; /* the newest chain, or NULL */
/* the chains made by `before`, joined; *next: when the next one ages */
hk_block_t *hk_depot_take_aged(unsigned cls, uint64_t before, uint64_t delay, uint32_t *n, uint64_t *next) HK_HIDDEN;
extern _Atomic(uint64_t) hk_depot_due HK_HIDDEN; /* when the oldest chain ages (0: none) */
void hk_depot_fork_prepare(void) HK_HIDDEN;
void hk_depot_fork_parent(void) HK_HIDDEN;
void hk_depot_fork_child(void) HK_HIDDEN;

/* ==== layer large ======================================================================== */

/* ---- large.c: large mappings, their cache, their realloc ----------------------------- */
extern pthread_mutex_t hk_large_lock HK_HIDDEN;
void *hk_large_alloc(size_t size, size_t align, bool *fresh) HK_HIDDEN; /* fresh: still zero */
bool hk_large_free(void *p) HK_HIDDEN;                /* false: p is not the start of a live large block (left alone) */
hk_large_t *hk_large_header(const void *p) HK_HIDDEN; /* NULL unless p starts a live large block */
void *hk_large_realloc(hk_large_t *h, size_t size) HK_HIDDEN; /* stays large; NULL + ENOMEM: intact */
size_t hk_large_trim(void) HK_HIDDEN;                         /* malloc_trim: unmap every cached mapping */
extern _Atomic(uint64_t) hk_large_due HK_HIDDEN;              /* when a cached mapping ages */
void hk_large_purge(uint64_t now) HK_HIDDEN;                  /* registered purger: unmap what aged */

/* ==== layer front ======================================================================== */

/* ---- size -> class, a table lookup ------------------------------------------------- */
hk_inline unsigned hk_tiny_class(size_t size) { return hk_tiny_class_index[(size + 15) >> 4]; }
hk_inline unsigned hk_mid_class(size_t size) { return hk_mid_class_index[(size - 1) >> HK_MID_GRANULE_SHIFT]; }
hk_inline unsigned hk_class_of(size_t size) {
  return size <= HK_FRONT_TINY_MAX ? hk_tiny_class(size) : hk_mid_class(size);
}

/* ---- front.c, misuse.c: routing behind malloc and free, reports of bad pointers ------ */
void *hk_alloc_aligned(size_t align, size_t size) HK_HIDDEN;
size_t hk_usable(const void *p) HK_HIDDEN;
/* A misuse found: report it per env.onInvalid (Standard, OBSERVE) and return, so the caller
 * skips the call; FAST returns silently. call names the entry point ("free", "realloc", ...). */
void hk_invalid(const char *call, const void *p) HK_HIDDEN __attribute__((cold, noinline));

/* ---- init.c: process and thread lifecycle ------------------------------------------ */
void hk_process_init(void) HK_HIDDEN;
bool hk_thread_init(void) HK_HIDDEN;           /* false: no heap could be had (ENOMEM) */
void *hk_exited_alloc(unsigned cls) HK_HIDDEN; /* after the thread's exit hook: a block from a borrowed heap */

#endif /* HAKMEM_INTERNAL_H */
