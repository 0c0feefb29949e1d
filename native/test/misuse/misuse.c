/*
 * misuse - one misuse of the allocator, then a workload that checks it was contained.
 *
 *   misuse <case>      cases: see the table below; `misuse list` prints them
 *   misuse peek        prints whether a freed block's first word shows the next free block's
 *                      address ("raw") or not ("encoded": safe-linking, the hardened profile)
 *
 * After a warm-up workload it prints "misuse: <case> begins", does its misuse (a double free,
 * an interior free, a free of a stack address...) and prints "misuse: <case> done". Then the workload allocates blocks of many
 * sizes, fills each with its own pattern and checks them all: a block handed out twice, or
 * an allocator whose lists were corrupted, shows up as a changed byte or a crash. It ends
 * with "misuse: <case> ok (N checks)".
 *
 * What to expect (native/test/misuse/misuse.test.ts, docs/reliability.md):
 *   - hakmem Standard and OBSERVE: the misuse is reported on stderr in one line
 *     ("hakmem: free(): double free of 0x... (class 3, 64 B)") and the process aborts;
 *     with HAKMEM_ON_INVALID=warn the line is printed, the call skipped, the workload ok.
 *   - hakmem FAST: the cases it contains run to "ok" without a word.
 * Run only under hakmem: several cases are undefined behaviour that glibc may not survive
 * (the header case computes a hakmem SuperSlab's address).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>

#include "check.h"

#define SUPERSLAB_SIZE ((uintptr_t)2 << 20) /* the default SuperSlab size */

static char global_buf[64];

/* Many blocks of many sizes, each with its own pattern; all checked, then freed. */
static void workload(unsigned seed)
{
    enum { N = 3000 };
    static void *p[N];
    static size_t n[N];
    static const size_t sizes[] = { 16, 24, 48, 64, 100, 112, 256, 1000, 4096, 20000, 70000, 300000, 2 << 20 };
    uint64_t rng = seed * 2654435761u + 1;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            n[i] = sizes[hk_splitmix64(&rng) % (sizeof sizes / sizeof sizes[0])];
            if (n[i] > 100000 && (i % 64) != 0) n[i] = 64; /* a few large ones */
            p[i] = malloc(n[i]);
            if (!p[i]) check_fatal("malloc(%zu) failed", n[i]);
            pattern_fill(p[i], n[i], seed + (unsigned)i);
        }
        for (int i = 0; i < N; i++) {
            size_t bad = pattern_find_bad(p[i], n[i], seed + (unsigned)i);
            CHECK(bad == (size_t)-1, "block %d (%zu B at %p) byte %zu changed: handed out twice?", i, n[i], p[i], bad);
        }
        for (int i = 0; i < N; i++) free(p[i]);
    }
}

typedef void (*case_fn)(void);

static void c_double_free(void)
{
    void *p = malloc(64);
    escape(p);
    free(p);
    free(p);
}

/* free(p); free(q); free(p): the second free of p does not find p on top of the list */
static void c_double_free_aba(void)
{
    void *p = malloc(112), *q = malloc(112);
    escape(p);
    escape(q);
    free(p);
    free(q);
    free(p);
}

static void c_double_free_mid(void)
{
    void *p = malloc(20000);
    escape(p);
    free(p);
    free(p);
}

static void c_double_free_large(void)
{
    void *p = malloc(1 << 20);
    escape(p);
    free(p);
    free(p);
}

static void c_interior_16(void)
{
    char *p = malloc(112);
    escape(p);
    free(p + 16);
    free(p);
}

static void c_interior_1(void)
{
    char *p = malloc(64);
    escape(p);
    free(p + 1);
    free(p);
}

static void c_interior_mid(void)
{
    char *p = malloc(20000);
    escape(p);
    free(p + 4096);
    free(p);
}

static void c_interior_large(void)
{
    char *p = malloc(1 << 20);
    escape(p);
    free(p + 4096);
    free(p);
}

/* An address past a large block's mapping (its end is rounded to a page, not to the SuperSlab
 * size), in the piece of address space where it starts: nothing is mapped there, so only the
 * mapping's start may be read to refuse it. */
static void c_beyond_large(void)
{
    char *p = malloc(300 << 10);
    escape(p);
    free(p + (1 << 20));
    free(p);
}

/* An address in the header page of the SuperSlab p lies in. */
static void c_header(void)
{
    char *p = malloc(64);
    escape(p);
    char *hdr = (char *)((uintptr_t)p & ~(SUPERSLAB_SIZE - 1)) + 64;
    free(hdr);
    free(p);
}

static void c_stack(void)
{
    char buf[64];
    escape(buf);
    free(buf);
}

static void c_global(void) { free(global_buf); }

static void c_wild(void) { free((void *)(uintptr_t)0x1); }

static void c_realloc_freed(void)
{
    void *p = malloc(64);
    escape(p);
    free(p);
    void *q = realloc(p, 48); /* fits the block: a lax realloc hands p back, freed */
    escape(q);
}

static void c_realloc_interior(void)
{
    char *p = malloc(112);
    escape(p);
    void *q = realloc(p + 16, 200);
    escape(q);
    free(p);
}

static void c_realloc_stack(void)
{
    char buf[64];
    escape(buf);
    void *q = realloc(buf, 200);
    escape(q);
}

/* A use-after-free write of 8 bytes to a freed block's first word: an attacker's address
 * must never come out of malloc. */
static char target[256] __attribute__((aligned(64)));
static void uaf_poison(size_t size)
{
    void *p = malloc(size);
    escape(p);
    free(p);
    *(void **)p = target + 64;
    escape(p);
    void *a = malloc(size), *b = malloc(size);
    escape(a);
    escape(b);
    CHECK(a != target + 64 && b != target + 64, "malloc handed out the address written into a freed block (%p)",
          (void *)(target + 64));
    free(a);
    free(b);
}

static void c_uaf_poison(void) { uaf_poison(64); }
/* The same in a mid class: malloc takes mid blocks on a path of its own (front.c, hk_alloc_slow). */
static void c_uaf_poison_mid(void) { uaf_poison(4096); }

static const struct {
    const char *name;
    case_fn fn;
} cases[] = {
    { "double_free", c_double_free },
    { "double_free_aba", c_double_free_aba },
    { "double_free_mid", c_double_free_mid },
    { "double_free_large", c_double_free_large },
    { "interior_16", c_interior_16 },
    { "interior_1", c_interior_1 },
    { "interior_mid", c_interior_mid },
    { "interior_large", c_interior_large },
    { "beyond_large", c_beyond_large },
    { "header", c_header },
    { "stack", c_stack },
    { "global", c_global },
    { "wild", c_wild },
    { "realloc_freed", c_realloc_freed },
    { "realloc_interior", c_realloc_interior },
    { "realloc_stack", c_realloc_stack },
    { "uaf_poison", c_uaf_poison },
    { "uaf_poison_mid", c_uaf_poison_mid },
};

int main(int argc, char **argv)
{
    check_name = "misuse";
    if (argc != 2) {
        fprintf(stderr, "usage: misuse <case>|list\n");
        return 2;
    }
    if (strcmp(argv[1], "peek") == 0) { /* what a read after free sees in a freed block's first word */
        void *a = malloc(64), *b = malloc(64);
        escape(a);
        escape(b);
        free(a);
        free(b); /* b's first word now links to a */
        void *next = *(void *volatile *)b;
        printf("misuse: peek %s\n", next == a ? "raw" : "encoded");
        return 0;
    }
    if (strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) printf("%s\n", cases[i].name);
        return 0;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(argv[1], cases[i].name) != 0) continue;
        workload(1); /* the allocator is warm: caches and slabs in use */
        printf("misuse: %s begins\n", cases[i].name);
        fflush(stdout);
        cases[i].fn();
        printf("misuse: %s done\n", cases[i].name);
        fflush(stdout);
        workload(2);
        printf("misuse: %s ok (%lu checks)\n", cases[i].name, check_count);
        return check_finish();
    }
    fprintf(stderr, "misuse: unknown case '%s' (misuse list prints the cases)\n", argv[1]);
    return 2;
}
