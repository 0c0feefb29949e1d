/* types.h: the memory layout of hakmem, in one place.
 *
 * Read this file first. Every structure the allocator keeps is declared here, with who
 * may touch which field and the invariants each list keeps. The values (sizes, counts,
 * limits) come from the generated box headers in native/generated/<mode>/, which are
 * made from the declarations in packages/box-* by `npm run codegen`. The code is in one
 * folder per layer (core, env, superslab, remote, unified_cache, large, front: the top of
 * internal.h says which may call which); a section below names the files it describes.
 *
 * ADDRESS SPACE
 *   The allocator owns two kinds of memory, both obtained with mmap and both starting on a
 *   multiple of the SuperSlab size (HK_SUPERSLAB_SIZE, from superslab.size, 2 MiB by
 *   default):
 *
 *   - SuperSlabs (HK_SUPERSLAB_SIZE bytes each) hold every block of up to HK_FRONT_MID_MAX bytes.
 *   - Large mappings (any number of pages) hold one block each.
 *
 *   The segment map, hk_segmap[address >> SUPERSLAB_SHIFT], says for every SuperSlab-sized piece of the
 *   address space which kind it is: 0 = not ours, HK_SEG_SUPERSLAB or HK_SEG_LARGE. It is a
 *   static byte array (core/segment_map.c; only the pages for addresses we used ever become resident), so
 *   "is this pointer ours, and what is it?" costs one load and never reads memory that
 *   may be unmapped. A piece marked HK_SEG_LARGE may be covered only in part (a large mapping
 *   ends on a page, and whatever follows it may be anyone's), but its first page is always in
 *   one of our large mappings: since every mapping starts on a piece boundary, each piece it
 *   touches starts inside it. So the start of a marked piece is the one address there that may
 *   be read. A pointer that maps to 0 (from before the library was loaded, or
 *   from another allocator) is never dereferenced: free ignores it, realloc copies it
 *   conservatively, malloc_usable_size reports 0.
 *
 * SUPERSLAB (superslab/superslab.c; a heap's slabs: remote/slabs.c)
 *
 *   SuperSlab (aligned to its size, HK_SUPERSLAB_SIZE bytes)
 *   +------------------+----------------------+----------------------+-----+
 *   | hk_superslab_t   | (never touched)      | unit 1: the first    | ... |
 *   | (header + one    |                      | slab's blocks        |     |
 *   |  hk_unit_t and   |                      |                      |     |
 *   |  hk_slab_t per   |                      |                      |     |
 *   |  unit)           |                      |                      |     |
 *   +------------------+----------------------+----------------------+-----+
 *   0                  HK_SUPERSLAB_HDR       HK_SLAB_SIZE           ...  SIZE
 *
 *   The SuperSlab is cut into units of HK_SLAB_SIZE (64 KiB by default). Unit 0 holds the
 *   header and no block: its unit entry has no owner, so a free of an address in the header
 *   is refused by every build without a check of its own (the rest of unit 0 is address
 *   space only, never touched, so it costs no memory). A SuperSlab is formatted for one tier:
 *   tier 0 slabs are one unit (units 1 .. UNITS-1), tier 1 slabs eight units, tier 2 slabs
 *   the whole SuperSlab; a slab that covers unit 0 starts its blocks at unit 1.
 *   Every size class has the tier whose slab holds at least eight of its blocks (seven in a
 *   slab that covers unit 0), so small classes pack tightly and 256 KiB blocks still come
 *   seven to a SuperSlab. An empty SuperSlab can be re-formatted for any tier.
 *
 *   Owner lookup from any block address p, with constants only:
 *       ss     = p & ~(SUPERSLAB_SIZE - 1)
 *       unit   = &ss->units[(p >> SLAB_SHIFT) & (UNITS - 1)]      (owner, class)
 *       slab   = ss->slabs[(p >> SLAB_SHIFT) & (UNITS - 1)].head   (its state)
 *   The unit map holds only what free reads, written when a slab changes hands; the slab
 *   state, which the owner updates on every refill and flush, lives in other cache lines,
 *   so a free from another thread never reads a line the owner is writing. A multi-unit
 *   slab writes its owner and class into every unit it covers.
 *
 * SLAB (hk_unit_t, 16 bytes per unit, and hk_slab_t, 64 bytes, one cache line)
 *   A slab serves one size class for one heap. Its blocks are in exactly one of these
 *   places, and `used` counts all but the first two:
 *     - uncarved: index >= carved (never touched yet; carving is a pointer bump);
 *     - the slab's free list (`free`, owner only);
 *     - a unified cache of the owning heap, the user's hands, a heap's remote queue.
 *   used == 0 means every block is back: the slab may return to the pool.
 *   Each transfer between these places adjusts `used` exactly once: the predecessor's
 *   double decrement is the bug this rule prevents (CONTRIBUTING.md, "What the predecessor taught").
 *
 *   Read by other threads: the unit map's owner and cls (to decide local or remote free).
 *   They change only while the slab has no live block, so a racing free cannot see them
 *   change. The slab state belongs to the owning heap, or to the pool lock while the slab
 *   is in the pool (owner == NULL).
 *
 * BLOCK
 *   A free block's first word is the next pointer of whatever list holds it. Blocks are
 *   at least 16 bytes and 16-byte aligned; a block of class c is hk_class_size[c] bytes,
 *   and a slab lays them hk_block_stride(c) bytes apart (internal.h: 16 bytes more for the
 *   tiny classes whose size is a multiple of 256, so that their starts spread over the CPU
 *   caches' sets).
 *   Live blocks carry no header: the class comes from the slab. The second word of a free
 *   block holds the process's secret free key (internal.h): in every build while the block
 *   is in a slab's free list or a remote queue, and in Standard and OBSERVE also while it is
 *   in a unified cache. A free that finds it is a double free; a pop that does not find it
 *   (Standard) follows a list a use after free has written. Live blocks never hold it.
 *
 * HEAP (hk_heap_t; remote/heap.c) AND THREAD CACHE (hk_tls_t; unified_cache/unified_cache.c)
 *   A heap owns slabs: per class, a list of slabs that still have free or uncarved blocks
 *   (`partial[c]`; its head is the slab refills take from). A heap is never freed: when
 *   its thread exits it is abandoned (its cached blocks flushed back to its slabs, its
 *   empty slabs returned to the pool) and the next new thread adopts it, slabs included,
 *   so thread churn reuses memory instead of growing. A thread that allocates again after
 *   its exit hook ran (from a later pthread key destructor: glibc may run no further round
 *   to abandon a new heap) gets no heap of its own (`exited` in hk_tls_t): each such
 *   allocation adopts a heap, takes one block and abandons the heap at once. Blocks freed
 *   into an ABANDONED heap are not left in its queue: the freeing thread claims the heap
 *   (COLLECTING) and drains the queue into the slabs (REMOTE QUEUE below), so memory freed
 *   after its thread exited goes back without malloc_trim. Heaps are used by one thread at a
 *   time; `state` (ACTIVE, ABANDONED, COLLECTING) is the only field another thread writes
 *   besides the remote queue. An exiting thread parks its cached blocks in the heap
 *   (`parked`, still counted as used) and the adopting thread takes them over as its own
 *   cache, so thread churn moves a few pointers per class instead of every cached block.
 *   At most 8 heaps hold parked blocks at once (more threads exiting together flush), and
 *   the time-based purge flushes a parked cache nobody adopted within purgeDelayMs.
 *
 *   The unified cache lives in thread-local storage (initial-exec TLS, no call): one LIFO
 *   list per class with its limit and the room left under it. malloc pops, free pushes
 *   when the block's slab belongs to this thread's heap and room > 0. A block of another
 *   heap that a thread frees joins the same list (on the slow path): the thread's next malloc
 *   of the class hands it out, most recent first, as tcmalloc's thread caches do, so a block
 *   is reused by the thread that freed it, at once, while it is still in that CPU's cache, and
 *   never waits in the queue of an owner that is not running (64 threads on 2 cores: each
 *   owner's queue held about a timeslice of its allocations, 1 GB in all). The blocks stay
 *   counted as used in their owners' slabs. So a cache list holds blocks of any heap, and
 *   every way out of a cache (flush, trim, exit) sends each block where it belongs: this
 *   heap's to their slabs, the others' on as one chain (DEPOT), or to their owners' queues. A fresh or exited
 *   thread has room 0 everywhere, so its first call falls into the slow path, which initialises;
 *   no "initialised?" test sits on the fast path. A new thread's limits start at about one
 *   page of blocks per class and double at each refill and overflow up to the class's limit
 *   (slow start), so a thread that uses a class a little touches one page of it. A thread's
 *   limits together stay within maxBytesPerThread: a class that would grow past it takes room
 *   from the others (their limits halve, never below their first; what they hold beyond goes
 *   back to the slabs), or else grows as far as the budget has left (unified_cache/unified_cache.c).
 *
 * DEPOT (unified_cache/depot.c; fed and drained in unified_cache.c)
 *   Per class, chains of free blocks that threads passed on: the other heaps' blocks of a
 *   cache that overflowed or of a thread that exited. A refill of the class that finds its
 *   own cache and its heap's returned blocks empty
 *   takes the newest chain whole and makes it its cache list, without touching a block (the
 *   chains are kept in cache-list form: links as hk_link_enc writes them, the free key in
 *   Standard and OBSERVE, none in FAST). So a block freed by a thread that does not need it
 *   reaches one that does at a cost per chain (a lock, a few stores), where a remote queue
 *   costs its owner a read of every block (a miss each). Its blocks stay counted as used in
 *   their owners' slabs. Bounded by depotBytes in all (beyond, blocks go home to their owners'
 *   queues); a chain that waits purgeDelayMs goes home (env/purge.c), and malloc_trim empties it.
 *
 * REMOTE QUEUE (remote/remote_queue.c; abandonment, adoption and collection in remote/heap.c)
 *   Blocks go back to an owning heap (from a cache that overflowed when the depot is full, or freed
 *   by a thread that has no cache: it exited, or no heap could be had) through the heap's
 *   `remote` list: a lock-free multi-producer stack (compare-and-swap on the head, one per
 *   chain of blocks; the owner takes the whole list with one exchange, so there is no ABA
 *   problem). With
 *   remote.pushBatch > 1 (default 1) the freeing thread first gathers that many blocks for
 *   the same owner in its outbox (thread-local) and pushes them as one chain with one
 *   compare-and-swap; the outbox is emptied when the owner changes, when the thread
 *   refills, and when it exits.
 *   remote_count counts blocks pushed and not yet processed (kept only when drainThreshold
 *   > 1). The owner drains when it refills and that many wait, at most drainBatch per refill,
 *   each block straight into its cache for the block's class while there is room (else
 *   back to its slab); the rest wait, owner-private, in `pending`. An abandoned heap's queue is drained by
 *   the thread that adopts it, by any thread whose refill would map a new SuperSlab, and by a
 *   thread whose free finds the owner ABANDONED: it claims the heap (state CAS to COLLECTING),
 *   drains the queue into the slabs and lets go, so memory freed after its thread exited
 *   reaches the pool (and the OS) without malloc_trim. `state` sits in the queue's cache line,
 *   so that check costs a remote free no extra line.
 *
 * POOL (superslab/superslab.c, under hk_pool_lock)
 *   Per tier, two lists of free slabs in SuperSlabs that are partly used: warm (their pages
 *   may be resident; newest first) and cold (they hold no memory: never touched, or
 *   decommitted after waiting purgeDelayMs in the warm list); a list of empty SuperSlabs.
 *   A slab is taken warm first, then cold, then from an empty SuperSlab. Slabs come back
 *   when empty; SuperSlabs with every slab free move to the empty list. When more than
 *   poolLimit empty SuperSlabs are kept, SuperSlabs are released until releaseThreshold
 *   remain (unmapped, or decommitted with madvise, or kept, per releaseMode): lazily, in a
 *   batch, with hysteresis, so a steady workload makes no system calls. The limit adapts: a
 *   SuperSlab mapped (or a decommitted one reused) within purgeDelayMs of such a release
 *   doubles it, up to 8 x poolLimit, so a working set that swings by more than poolLimit
 *   SuperSlabs is not unmapped and faulted in at every swing; an age purge that releases
 *   anything, and malloc_trim, set it back to poolLimit. An empty SuperSlab also notes when
 *   it became empty (`empty_since`): one that waited purgeDelayMs (1 s by default) is
 *   released too, whatever the count (time-based purge; env/purge.c). The warm lists hold at
 *   most warmBytes of slabs: beyond, the oldest are decommitted at once (threads that empty
 *   and refill slabs all the time would otherwise keep a second's worth resident).
 *
 * LARGE MAPPINGS (large/large.c)
 *   Requests above HK_FRONT_MID_MAX, and alignments above HK_ALIGN_SLAB_MAX (a unit, 64 KiB), get a
 *   mapping of their own: it starts on a SuperSlab boundary and ends at the block's end rounded
 *   up to a page (a 260 KiB block costs 264 KiB of address space, not 2 MiB).
 *
 *   Large mapping
 *   +--------------+-------------------------------------------+-------+
 *   | hk_large_t   | the block                                 | (page |
 *   | (64 bytes)   |                                           |  end) |
 *   +--------------+-------------------------------------------+-------+
 *   base           base + off                                          base + map_len
 *
 *   off is 64, the alignment (for alignments of 128 B up to below the SuperSlab size), or the
 *   SuperSlab size (for larger ones; base is then chosen so that base + off is aligned). In every
 *   case the header is at (block - 64) rounded down to the SuperSlab size, the start of a piece
 *   the segment map marks HK_SEG_LARGE, which is always mapped (ADDRESS SPACE): free reads one
 *   byte of the map and, for a block of ours, one header. Freed mappings wait in a cache
 *   (large.cacheEntries / large.cacheBytes) for reuse, each with the time it came in: after
 *   env.purgeDelayMs unused it is unmapped. A request takes the smallest cached mapping
 *   that holds it (split at a SuperSlab boundary when much longer, the rest staying cached),
 *   else grows the largest with mremap; a freed mapping joins a cached neighbour. Each
 *   mapping remembers how far its blocks may have written (touched). Pages touched beyond
 *   twice a new block's need stay while live blocks hold at most large.cacheBytes / 16 of
 *   them (slack), and are given back with madvise beyond that; the mapping keeps its length
 *   either way, so a later, larger block needs no mremap. When the
 *   cache had to let a mapping go shortly before one must be made, its limits rise eightfold
 *   (large.c), so a program whose large working set swings keeps its pages.
 *
 * TIME-BASED PURGE (env/purge.c, env.purgeDelayMs)
 *   No background thread: the slow paths (a cache refill, a cache flush, a free into an
 *   exited thread's heap, a large allocation or free) call hk_purge_maybe. While nothing
 *   waits, that is one load of a global (0); while something waits, every 16th call of a
 *   thread reads CLOCK_MONOTONIC_COARSE (vDSO, no system call) and the first call past the
 *   earliest due time runs the purgers the layers registered at process start (SuperSlabs and
 *   free slabs, parked caches, the depot, cached large mappings), each releasing what has aged.
 *   -1 never purges; 0 releases a SuperSlab the moment it is empty and never caches a large
 *   mapping (nor keeps a depot chain).
 *
 * LOCKS: hk_meta_lock (heap descriptors) -> hk_pool_lock -> hk_large_lock -> hk_os_defer_lock (os.c's
 * refused unmaps, core/os.c, a leaf), always in this order; a depot class's lock is taken alone (or before
 * hk_meta_lock, for descriptors). All of them are taken around fork() so that a child can allocate.
 */
#ifndef HAKMEM_TYPES_H
#define HAKMEM_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front_box.h"
#include "unified_cache_box.h"
#include "large_box.h"
#include "superslab_box.h"
#include "remote_box.h"
#include "env_box.h"

/* ---- derived constants ---------------------------------------------------------- */
#define HK_SUPERSLAB_SHIFT ((unsigned)__builtin_ctzll(HK_SUPERSLAB_SIZE))
#define HK_SLAB_SIZE ((uintptr_t)HK_SUPERSLAB_SLAB_SIZE)
#define HK_SLAB_SHIFT ((unsigned)__builtin_ctzll(HK_SUPERSLAB_SLAB_SIZE))
#define HK_UNITS (HK_SUPERSLAB_SIZE / HK_SUPERSLAB_SLAB_SIZE)
#define HK_TIERS 3
#define HK_ADDRESS_BITS 47
#define HK_SEGMAP_LEN \
  ((size_t)1 << (HK_ADDRESS_BITS - HK_SUPERSLAB_SHIFT)) /* one byte per SuperSlab-sized piece of user address space */
#define HK_SEG_SUPERSLAB 1
#define HK_SEG_LARGE 2
#define HK_LARGE_HDR 64
#define HK_ALIGN_SLAB_MAX HK_SLAB_SIZE /* slab blocks honour alignments up to this: slab areas start on a unit */

_Static_assert((HK_SUPERSLAB_SIZE & (HK_SUPERSLAB_SIZE - 1)) == 0, "the SuperSlab size must be a power of two");
_Static_assert((HK_SUPERSLAB_SLAB_SIZE & (HK_SUPERSLAB_SLAB_SIZE - 1)) == 0, "slab size must be a power of two");
_Static_assert(HK_UNITS >= 4 && HK_UNITS <= 64, "SuperSlab size / slab size must be within [4, 64]");
_Static_assert(HK_CLASS_COUNT <= 255, "class index is a byte");

#if defined(__GNUC__)
#define hk_likely(x) __builtin_expect(!!(x), 1)
#define hk_unlikely(x) __builtin_expect(!!(x), 0)
#define hk_noinline __attribute__((noinline))
#define hk_inline static inline __attribute__((always_inline))
#endif

typedef struct hk_block {
  struct hk_block *next;
} hk_block_t;

struct hk_heap;

/* What free reads, per unit: kept apart from the slab state below, which the owner writes
 * all the time, so that frees from other threads read lines nobody is writing. Written
 * only while the unit's slab has no live block (formatting, acquiring, returning).
 * base, magic and limit let Standard check that a freed address is the start of one of the
 * slab's blocks with a copy, a subtraction, a multiply and a compare, each operand read
 * straight from memory (hk_block_start in internal.h);
 * limit is 0 while the slab is in the pool and for unit 0, so every check fails. */
typedef struct hk_unit {
  struct hk_heap *owner; /* NULL while the slab is in the pool, and always for unit 0 (the header) */
  uint64_t magic;        /* 2^64 / the block stride, rounded up; + 1 for a power of two (hk_block_start) */
  uint64_t limit;        /* capacity * (stride * magic mod 2^64): the block starts' products lie below.
                          * Below 2^32, but 64 bits wide so that free compares with it in memory */
  uint32_t base;         /* the low 32 bits of the slab's first block's address: enough, as a
                          * SuperSlab spans 2 MiB (hk_block_start) */
  uint8_t cls;
  uint8_t pad;
  uint16_t tc_off; /* offsetof(hk_tls_t, cache[cls]) = cls * HK_CACHE_ENTRY_BYTES: free adds instead of multiplying */
} hk_unit_t;
#define HK_CACHE_ENTRY_BYTES 16 /* sizeof(hk_unified_cache_t), which starts hk_tls_t (asserted below) */
_Static_assert(sizeof(hk_unit_t) == 32, "hk_unit_at scales by 32");
_Static_assert(HK_SUPERSLAB_SIZE <= ((uint64_t)1 << 32), "hk_unit_t keeps the low 32 bits of a slab's base");

/* The slab state, owner only (or the pool lock while the slab is in the pool). */
typedef struct __attribute__((aligned(64))) hk_slab {
  struct hk_slab *head; /* the descriptor of the slab this unit belongs to */
  hk_block_t *free;
  uint32_t used; /* see SLAB above */
  uint32_t carved;
  uint32_t capacity;
  uint8_t cls;
  uint8_t tier;
  uint8_t listed;  /* on its heap's partial list (owner) or the pool's tier list */
  uint8_t in_pool; /* HK_POOL_WARM (may hold pages) or HK_POOL_COLD (holds none) */
  struct hk_slab *next;
  struct hk_slab *prev;
  uint64_t pooled_since; /* warm: when it came to the pool (ms); purgeDelayMs later it is decommitted */
} hk_slab_t;
enum { HK_POOL_WARM = 1, HK_POOL_COLD = 2 };
_Static_assert(sizeof(hk_slab_t) == 64, "a slab descriptor is one cache line");

typedef struct hk_superslab {
  uint64_t magic;
  uint8_t tier; /* -1 (0xff) while empty and unformatted */
  uint8_t decommitted;
  uint16_t nslabs;     /* slabs in the current format */
  uint16_t free_slabs; /* slabs of this SuperSlab in the pool */
  uint8_t in_empty_list;
  uint8_t pad0;
  struct hk_superslab *next, *prev; /* empty-SuperSlab list (pool lock) */
  uint64_t empty_since;             /* when it joined that list (ms, hk_clock_ms): purgeDelayMs counts from here */
  char pad1[64 - 8 - 8 - 16 - 8];
  hk_unit_t units[HK_UNITS]; /* read by free, from any thread */
  hk_slab_t slabs[HK_UNITS]; /* one per unit; a multi-unit slab uses its first */
} hk_superslab_t;

#define HK_SUPERSLAB_MAGIC 0x68616b6d656d5353ull /* "hakmemSS" */
#define HK_SUPERSLAB_HDR ((sizeof(hk_superslab_t) + 4095) & ~(size_t)4095)
_Static_assert(sizeof(hk_superslab_t) % 64 == 0, "slab descriptors stay line-aligned");
_Static_assert(HK_SUPERSLAB_HDR <= HK_SUPERSLAB_SLAB_SIZE, "the header fits in unit 0");

typedef struct hk_large {
  uint64_t magic;
  void *base;     /* the mapping, where this header is */
  size_t map_len; /* its length, a multiple of a page */
  void *user;     /* the block: base + 64, + its alignment, or + HK_SUPERSLAB_SIZE (LARGE MAPPINGS) */
  size_t align;   /* as asked: a moved mapping keeps it */
  size_t touched; /* bytes from base that may be resident: the most its blocks asked for since
                   * its tail was last given back (large.c, large_cache_take) */
  size_t slack;   /* of those, what lies beyond twice the block's need, counted in large.c's budget */
  char pad[HK_LARGE_HDR - 56];
} hk_large_t;
#define HK_LARGE_MAGIC 0x68616b6d656d4c47ull /* "hakmemLG" */

enum { HK_HEAP_ACTIVE = 1, HK_HEAP_ABANDONED = 2, HK_HEAP_COLLECTING = 3 };

/* A unified cache left behind by an exited thread, for the next thread that adopts the heap. */
typedef struct hk_parked {
  hk_block_t *head;
  uint32_t count;
} hk_parked_t;

typedef struct hk_heap {
  /* pushed by any thread: its own cache line */
  _Alignas(64) _Atomic(hk_block_t *) remote;
  _Atomic(uint64_t) remote_count;
  _Atomic(int) state; /* here: a remote free reads it in the line its push just wrote */
  /* owner only */
  _Alignas(64) hk_block_t *pending;
  _Atomic(bool) has_parked; /* parked[] holds blocks (read by collectors before they claim the heap) */
  struct hk_heap *next_all; /* every heap ever made; never unlinked */
  hk_slab_t *partial[HK_CLASS_COUNT];
  hk_parked_t parked[HK_CLASS_COUNT];
  uint64_t parked_since; /* when its thread parked them (ms): the purge flushes them after purgeDelayMs */
} hk_heap_t;

/* room = limit - (blocks held): free pushes while room > 0, one compare on a field it
 * updates anyway; room < 0 after a limit shrank just means the next free flushes. */
typedef struct hk_unified_cache {
  hk_block_t *head;
  int32_t room;
  uint32_t limit;
} hk_unified_cache_t;

typedef struct hk_tls {
  hk_unified_cache_t cache[HK_CLASS_COUNT]; /* first: a class's cache is at cls * sizeof(hk_unified_cache_t) */
  hk_heap_t *heap;                          /* NULL before the first refill and after the thread's exit hook */
  bool exited;                              /* the exit hook ran: later allocations borrow a heap per call (init.c) */
  uint8_t steal_next;   /* the class whose limit gives next when a cache outgrows maxBytesPerThread */
  uint64_t limit_bytes; /* the sum over classes of limit * class size (unified_cache.c) */
  /* malloc's size -> cache table: [size + 15] -> offsetof(hk_tls_t, cache[class]) for size <=
   * tinyMax (hk_tiny_class_index spread over every size and pre-scaled; the +15 folds into
   * the load's displacement). It lives in the thread's own block (filled from the TLS image,
   * unified_cache.c), so malloc's hit path reads it and the cache off one base, with no table
   * address to form, no shift and no multiply (hak_malloc). */
  uint16_t tiny_off[((HK_FRONT_TINY_MAX >> 4) + 1) << 4];
} hk_tls_t;
_Static_assert(HK_CLASS_COUNT <= 256, "steal_next holds a class index in a byte");
_Static_assert(sizeof(hk_unified_cache_t) == HK_CACHE_ENTRY_BYTES && offsetof(hk_tls_t, cache) == 0,
               "a unit's tc_off is cls * HK_CACHE_ENTRY_BYTES");

#endif /* HAKMEM_TYPES_H */
