/*
 * fuzz_hak - a libFuzzer target for the hak_* API (issue 8: bad input never hangs, crashes
 * or corrupts). Built by native/test/check/check.mk (check-fuzz) with clang
 * -fsanitize=fuzzer,address,undefined and the allocator objects linked in; run with
 * `npm run fuzz -- --seconds N`, or replay one input: dist/native/check/bin/fuzz_hak FILE.
 *
 * The input is a program in a small operation language, one operation per 4 bytes:
 *   op   (byte 0)  what to do, op % OPS (below)
 *   slot (byte 1)  which of SLOTS slots, slot % SLOTS
 *   size (bytes 2-3, little-endian, with the op's high bits as a scale) the size
 * against a model: every live block is patterned from (slot, generation) and checked
 * before it is freed, resized or looked at; realloc keeps the prefix; calloc is zero;
 * usable size >= the size asked for, and the usable slack is written too; alignment
 * honoured; no two live blocks overlap (usable sizes included).
 * Bad input the API promises to survive is part of the language: impossible sizes and
 * counts (overflowing calloc, SIZE_MAX, PTRDIFF_MAX), bad and huge alignments, free,
 * realloc and usable size of NULL and of foreign memory (an mmap'd page the allocator
 * never saw), double frees of any block and reallocs of freed ones, and frees of addresses
 * inside live blocks: all refused (run with HAKMEM_ON_INVALID=ignore, which the target sets
 * for itself), none may change a live block or the allocator's structures.
 * Every block is freed at the end of each input, so inputs are independent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hakmem.h"

#define SLOTS 16
#define LIVE_MAX ((size_t)96 << 20)

typedef struct {
    unsigned char *p;
    size_t size, align, usable;
    uint64_t key;
} slot_t;

static slot_t slots[SLOTS];
static size_t live;
static uint64_t gen;
static unsigned char *foreign; /* a page of memory that is not the allocator's */
/* FUZZ_HAK_KNOWN=1 in the environment: also the inputs of allocator bugs found and reported
 * but not fixed yet; by default they are avoided so that a run looks for new ones. None at
 * the moment: aligned_alloc(align > 4 KiB, 0), which returned the next SuperSlab's header, was
 * fixed in 7a5ce7f (corpus/aligned_huge_zero replays it). */
static int known __attribute__((unused));

static __attribute__((noreturn)) void die(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "fuzz_hak: %s (%zu, %zu)\n", what, a, b);
    abort();
}

static inline unsigned char pat(uint64_t k, size_t i)
{
    uint64_t x = (k ^ (i >> 3) * 0x9e3779b97f4a7c15ull) * 0xd6e8feb86659fd93ull;
    return (unsigned char)(x >> ((i & 7) * 8));
}
/* up to 4 KiB at each end and a byte per page in between */
#define EDGE 4096
static void fill(slot_t *s)
{
    size_t n = s->size;
    for (size_t i = 0; i < n && i < EDGE; i++) s->p[i] = pat(s->key, i);
    for (size_t i = EDGE; i + EDGE < n; i += 4096) s->p[i] = pat(s->key, i);
    for (size_t i = n > EDGE ? (n - EDGE > EDGE ? n - EDGE : EDGE) : n; i < n; i++) s->p[i] = pat(s->key, i);
}
static void check(const slot_t *s, size_t size, size_t limit, const char *what)
{
    size_t n = size;
#define AT(i) \
    if ((i) < limit && s->p[i] != pat(s->key, i)) die(what, i, size)
    for (size_t i = 0; i < n && i < EDGE; i++) AT(i);
    for (size_t i = EDGE; i + EDGE < n; i += 4096) AT(i);
    for (size_t i = n > EDGE ? (n - EDGE > EDGE ? n - EDGE : EDGE) : n; i < n; i++) AT(i);
#undef AT
}

static void overlap_check(unsigned idx)
{
    slot_t *s = &slots[idx];
    /* the usable bytes are the program's (malloc_usable_size): they must not overlap either */
    uintptr_t a = (uintptr_t)s->p, ae = a + (s->usable ? s->usable : 1);
    for (unsigned j = 0; j < SLOTS; j++) {
        if (j == idx || !slots[j].p) continue;
        uintptr_t b = (uintptr_t)slots[j].p, be = b + (slots[j].usable ? slots[j].usable : 1);
        if (a < be && b < ae) die("two live blocks overlap", idx, j);
    }
}

static void take(unsigned idx, void *p, size_t size, size_t align, int zeroed)
{
    slot_t *s = &slots[idx];
    if (p == NULL) return; /* allowed (ENOMEM); the model has nothing */
    if (((uintptr_t)p & (align - 1)) != 0) die("misaligned", (uintptr_t)p, align);
    size_t u = hak_usable_size(p);
    if (u < size) die("usable size below the size asked for", u, size);
    s->p = p;
    s->size = size;
    s->align = align;
    s->usable = u;
    s->key = ++gen * 0x2545f4914f6cdd1dull;
    if (zeroed) {
        for (size_t i = 0; i < size && i < EDGE; i++)
            if (s->p[i]) die("calloc not zero", i, size);
        for (size_t i = EDGE; i < size; i += 4096)
            if (s->p[i]) die("calloc not zero", i, size);
    }
    overlap_check(idx);
    /* the slack the usable size promises is written too, at both ends */
    memset(s->p + size, 0xa5, u - size < 256 ? u - size : 256);
    if (u > size) s->p[u - 1] = 0xa5;
    fill(s);
    live += size;
}

static void drop(unsigned idx)
{
    slot_t *s = &slots[idx];
    if (!s->p) return;
    check(s, s->size, SIZE_MAX, "pattern damaged before free");
    hak_free(s->p);
    live -= s->size;
    s->p = NULL;
}

static size_t decode_size(unsigned scale, unsigned v)
{
    switch (scale & 7) {
    case 0: return v & 0x3ff;                          /* tiny */
    case 1: return v;                                  /* up to 64 KiB */
    case 2: return (size_t)v << 2;                     /* up to 256 KiB: every mid class */
    case 3: return ((size_t)256 << 10) - 8 + (v & 15); /* the mid/large boundary */
    case 4: return (size_t)v << 6;                     /* up to 4 MiB: large */
    case 5: return (size_t)v << 8;                     /* up to 16 MiB */
    case 6: {                                          /* impossible sizes */
        static const size_t bad[] = {
            SIZE_MAX,        SIZE_MAX - 15,         SIZE_MAX / 2,   PTRDIFF_MAX, (size_t)PTRDIFF_MAX + 1,
            (size_t)1 << 48, ((size_t)1 << 62) + 1, SIZE_MAX - 4096
        };
        return bad[v & 7];
    }
    default: return (size_t)1 << (v & 15); /* powers of two */
    }
}

enum {
    OP_MALLOC,
    OP_CALLOC,
    OP_REALLOC,
    OP_ALIGNED,
    OP_FREE,
    OP_USABLE,
    OP_FOREIGN,
    OP_DOUBLE_LARGE,
    OP_DOUBLE,
    OP_INTERIOR,
    OPS
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    /* The language misuses the API on purpose: the allocator must skip those calls and keep
   * its structures intact (HAKMEM_ON_INVALID=ignore), not abort as it does by default. The
   * variable is read when the allocator starts, before this runs: so set it and start again
   * (replays of a saved input need no environment of their own). */
    const char *inv = getenv("HAKMEM_ON_INVALID");
    if (inv == NULL || strcmp(inv, "ignore") != 0) {
        setenv("HAKMEM_ON_INVALID", "ignore", 1);
        execv("/proc/self/exe", *argv);
        perror("fuzz_hak: execv /proc/self/exe");
        abort();
    }
    foreign = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (foreign == MAP_FAILED) abort();
    const char *k = getenv("FUZZ_HAK_KNOWN");
    known = k && *k == '1';
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    for (size_t at = 0; at + 4 <= n; at += 4) {
        unsigned op = data[at] % OPS, scale = data[at] >> 4;
        unsigned idx = data[at + 1] % SLOTS;
        unsigned v = data[at + 2] | (unsigned)data[at + 3] << 8;
        size_t size = decode_size(scale, v);
        slot_t *s = &slots[idx];
        int fits = size <= LIVE_MAX && live + size <= LIVE_MAX;
        switch (op) {
        case OP_MALLOC:
            drop(idx);
            if (fits) take(idx, hak_malloc(size), size, 16, 0);
            else {
                void *p = hak_malloc(size); /* an impossible size must fail; a merely big one may work */
                if (p != NULL && size > PTRDIFF_MAX) die("malloc of an impossible size succeeded", size, 0);
                hak_free(p);
            }
            break;
        case OP_CALLOC: {
            drop(idx);
            size_t count = (data[at + 1] >> 4) + 1, each = size / count;
            if (data[at + 1] & 0x80) each = size; /* count * size may overflow: must fail cleanly */
            size_t total;
            if (__builtin_mul_overflow(count, each, &total)) {
                errno = 0;
                if (hak_calloc(count, each) != NULL || errno != ENOMEM) die("calloc overflow not refused", count, each);
            } else if (total <= LIVE_MAX && live + total <= LIVE_MAX) {
                take(idx, hak_calloc(count, each), total, 16, 1);
            }
            break;
        }
        case OP_REALLOC:
            if (!s->p) {
                if (fits) take(idx, hak_realloc(NULL, size), size, 16, 0);
                break;
            }
            check(s, s->size, SIZE_MAX, "pattern damaged before realloc");
            if (size == 0) {
                void *q = hak_realloc(s->p, 0);
                live -= s->size;
                s->p = NULL;
                if (q) hak_free(q);
            } else if (!fits && size > PTRDIFF_MAX) {
                errno = 0;
                if (hak_realloc(s->p, size) != NULL) die("realloc to an impossible size succeeded", size, 0);
                check(s, s->size, SIZE_MAX, "failed realloc damaged the block");
            } else if (fits) {
                void *q = hak_realloc(s->p, size);
                if (q == NULL) break; /* ENOMEM: the block is intact (checked when dropped) */
                size_t old = s->size;
                s->p = q;
                live -= old;
                check(s, old, size < old ? size : old, "realloc lost the prefix");
                take(idx, q, size, 16, 0);
            }
            break;
        case OP_ALIGNED: {
            drop(idx);
            size_t align = (size_t)1 << (v >> 10); /* 1 .. 2^63 */
            size_t asize = size & 0xfffff;
            if (data[at + 1] & 0x10) align += (data[at + 1] >> 5) + 1; /* not a power of two (mostly) */
            errno = 0;
            if (align & (align - 1)) {
                if (hak_aligned_alloc(align, asize) != NULL || errno != EINVAL)
                    die("bad alignment accepted", align, asize);
            } else if (align > ((size_t)16 << 20)) {
                void *p = hak_aligned_alloc(align, asize); /* may work (2^24..2^40) or fail; never crash */
                if (p) {
                    if ((uintptr_t)p & (align - 1)) die("misaligned huge alignment", (uintptr_t)p, align);
                    hak_free(p);
                }
            } else if (live + asize <= LIVE_MAX) {
                take(idx, hak_aligned_alloc(align, asize), asize, align < 16 ? 1 : align, 0);
            }
            break;
        }
        case OP_FREE: drop(idx); break;
        case OP_USABLE:
            if (s->p) {
                if (hak_usable_size(s->p) < s->size) die("usable size below the size asked for", s->size, 0);
                check(s, s->size, SIZE_MAX, "pattern damaged");
            } else if (hak_usable_size(NULL) != 0) {
                die("usable size of NULL", 0, 0);
            }
            break;
        case OP_FOREIGN: { /* memory that is not the allocator's: ignored, copied, reported 0 */
            /* a pointer into a page of its own, with a plausible C-library chunk header before it
       * (size | PREV_INUSE) that stays inside the mapping: realloc may trust it and copy */
            size_t off = 16 + (v & 2047 & ~(size_t)15);
            unsigned char *f = foreign + 4096 + off;
            memset(foreign + 4096, 0x5a, 4096);
            size_t chunk = ((size_t)(v & 0x3f0) + 32);
            if (chunk > 2 * 4096 - off) chunk = 32;
            memcpy(f - sizeof(size_t), &(size_t){ chunk | 1 }, sizeof(size_t));
            switch (v >> 14) {
            case 0: hak_free(f); break;
            case 1:
                if (hak_usable_size(f) != 0) die("usable size of foreign memory", (uintptr_t)f, 0);
                break;
            default: {
                void *q = hak_realloc(f, (size & 0xffff) + 1); /* may copy what it can; never frees f */
                if (q) hak_free(q);
                break;
            }
            }
            hak_free(NULL);
            break;
        }
        case OP_DOUBLE_LARGE: /* free a large block twice in a row: the second is ignored */
            if (s->p && s->size > ((size_t)256 << 10)) {
                void *p = s->p;
                drop(idx);
                hak_free(p);
            }
            break;
        case OP_DOUBLE: /* free any block twice (the second is refused), or realloc it once freed */
            if (s->p) {
                void *p = s->p;
                drop(idx);
                if (v & 1) {
                    hak_free(p);
                } else {
                    errno = 0;
                    if (hak_realloc(p, (size & 0xffff) + 1) != NULL || errno != EINVAL)
                        die("realloc of a freed block", (uintptr_t)p, 0);
                }
            }
            break;
        case OP_INTERIOR: /* free an address inside a live block: refused, the block untouched */
            if (s->p && s->usable > 1) {
                hak_free(s->p + 1 + v % (s->usable - 1));
                check(s, s->size, SIZE_MAX, "pattern damaged by an interior free");
            }
            break;
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) drop(i);
    return 0;
}
