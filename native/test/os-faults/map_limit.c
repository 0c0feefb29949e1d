/*
 * map_limit - allocation near the process's mapping limit (vm.max_map_count), issue 29,
 * defect 4 and the mapping budget.
 *
 * First the program uses up the mappings it may hold, less `headroom` (default 100): it maps a
 * region and changes the protection of every other page, each change making two kernel
 * mappings more, until /proc/self/maps has max_map_count - headroom lines. Then `ops`
 * operations (default 200,000; seeded) on `slots` live blocks (default 256): small (16 B -
 * 4 KiB), mid (8 - 256 KiB) and, large_pct % of the time (default 30), large (300 KiB - 4 MiB)
 * blocks, each holding a pattern (both ends and every 4 KiB) checked before it is freed, and reallocs. A request may be refused near the limit (NULL, with
 * ENOMEM); it must never crash or corrupt a block. At the end everything is freed and
 * malloc_trim(0) runs: the address space (VmSize) and RSS must be back within vm_slack_mb
 * (default 128) and rss_slack_mb (default 16) of where they were after the filling. Before the
 * fix, munmap calls that failed there (unmapping would split a mapping: one more than the limit)
 * were ignored after the segment map was cleared, and those ranges stayed mapped for good.
 *
 * Prints `map_limit: requests=N refused=R refused_large=L maps_max=M vm_kb start=.. end=..
 * rss_kb start=.. end=..`, then the check summary.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>

#include "check.h"

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t klen = strlen(key);
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static long count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long n = 0;
    int c;
    if (!f) return -1;
    while ((c = getc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

static long read_max_map_count(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long n = -1;
    if (!f) return -1;
    if (fscanf(f, "%ld", &n) != 1) n = -1;
    fclose(f);
    return n;
}

/* Make the process hold max - headroom kernel mappings. */
static void fill_maps(long max, long headroom)
{
    long want = max - headroom, have = count_maps();
    if (have >= want) return;
    size_t pages = (size_t)(want - have) + 16;
    char *r = mmap(NULL, pages * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) check_fatal("mmap of the filler failed: %s", strerror(errno));
    have = count_maps();
    for (size_t i = 1; i + 1 < pages && have + 2 <= want; i += 2) {
        if (mprotect(r + i * 4096, 4096, PROT_NONE) != 0) check_fatal("mprotect: %s", strerror(errno));
        have += 2;
    }
    have = count_maps();
    if (have < want - 2 || have > want) check_fatal("filled to %ld mappings, wanted %ld", have, want);
}

/* The pattern is written and checked at a few places only (both ends and every 4 KiB): enough to
 * see a page lost or moved wrongly, cheap enough for thousands of blocks of megabytes. */
static unsigned char sample_byte(size_t i, unsigned seed) { return (unsigned char)(pattern_byte(i, seed) | 1); }

static void sample_fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n && i < 64; i++) p[i] = (char)sample_byte(i, seed);
    for (size_t i = 4096; i < n; i += 4096) p[i] = (char)sample_byte(i, seed);
    for (size_t i = n > 64 ? n - 64 : 0; i < n; i++) p[i] = (char)sample_byte(i, seed);
    escape(p);
}

/* The first sampled byte of p's first n bytes (of a block of full bytes) that differs, or -1. */
static size_t sample_find_bad(const char *p, size_t n, size_t full, unsigned seed)
{
    escape(p);
    for (size_t i = 0; i < n && i < 64; i++)
        if ((unsigned char)p[i] != sample_byte(i, seed)) return i;
    for (size_t i = 4096; i < n; i += 4096)
        if ((unsigned char)p[i] != sample_byte(i, seed)) return i;
    for (size_t i = full > 64 ? full - 64 : 0; i < n; i++)
        if ((unsigned char)p[i] != sample_byte(i, seed)) return i;
    return (size_t)-1;
}

typedef struct {
    char *p;
    size_t n;
    unsigned seed;
} slot_t;

static unsigned long long large_pct = 30;

static size_t pick_size(uint64_t *rng, int *large)
{
    uint64_t r = hk_splitmix64(rng);
    unsigned kind = (unsigned)(r % 100);
    *large = 0;
    if (kind >= large_pct)
        return kind % 4 ? 16 + (size_t)((r >> 8) % 4081) : 8192 + (size_t)((r >> 8) % (256 * 1024 - 8192));
    *large = 1;
    return 300 * 1024 + (size_t)((r >> 8) % (4 * 1024 * 1024 - 300 * 1024));
}

int main(int argc, char **argv)
{
    unsigned long long headroom = 100, ops = 50000, slots = 512, seed = 1, vm_slack_mb = 128, rss_slack_mb = 16;
    check_name = "map_limit";
    CHECK_ARGS(argc, argv, { "headroom", &headroom }, { "ops", &ops }, { "slots", &slots }, { "seed", &seed },
               { "vm_slack_mb", &vm_slack_mb }, { "rss_slack_mb", &rss_slack_mb }, { "large_pct", &large_pct });
    check_watchdog(120);
    long max = read_max_map_count();
    if (max <= 0) check_fatal("cannot read /proc/sys/vm/max_map_count");
    slot_t *v = calloc(slots, sizeof *v);
    if (v == NULL) check_fatal("calloc(slots) failed");
    malloc_trim(0);
    fill_maps(max, (long)headroom);
    long vm0 = status_kb("VmSize"), rss0 = status_kb("VmRSS");

    uint64_t rng = seed;
    unsigned long long requests = 0, refused = 0, refused_large = 0;
    for (unsigned long long op = 0; op < ops; op++) {
        slot_t *s = &v[hk_splitmix64(&rng) % slots];
        if (s->p) {
            size_t bad = sample_find_bad(s->p, s->n, s->n, s->seed);
            CHECK(bad == (size_t)-1, "op %llu: a block of %zu B changed at byte %zu", op, s->n, bad);
            if (hk_splitmix64(&rng) % 4 == 0) { /* realloc: grow or shrink, keep the prefix */
                int large;
                size_t m = pick_size(&rng, &large);
                requests++;
                errno = 0;
                char *q = realloc(s->p, m);
                if (q == NULL) {
                    refused++, refused_large += large;
                    CHECK(errno == ENOMEM, "op %llu: realloc(%zu) = NULL with errno %d", op, m, errno);
                    continue; /* the block stays as it was */
                }
                size_t keep = m < s->n ? m : s->n;
                bad = sample_find_bad(q, keep, s->n, s->seed);
                CHECK(bad == (size_t)-1, "op %llu: realloc(%zu -> %zu) changed byte %zu", op, s->n, m, bad);
                s->p = q, s->n = m, s->seed = (unsigned)op;
                sample_fill(q, m, s->seed);
                continue;
            }
            free(s->p);
            s->p = NULL;
            continue;
        }
        int large;
        size_t m = pick_size(&rng, &large);
        requests++;
        errno = 0;
        char *p = malloc(m);
        if (p == NULL) {
            refused++, refused_large += large;
            CHECK(errno == ENOMEM, "op %llu: malloc(%zu) = NULL with errno %d", op, m, errno);
            continue;
        }
        s->p = p, s->n = m, s->seed = (unsigned)op;
        sample_fill(p, m, s->seed);
    }
    long maps_max = count_maps();
    for (unsigned long long i = 0; i < slots; i++) {
        if (v[i].p == NULL) continue;
        size_t bad = sample_find_bad(v[i].p, v[i].n, v[i].n, v[i].seed);
        CHECK(bad == (size_t)-1, "slot %llu: a block of %zu B changed at byte %zu", i, v[i].n, bad);
        free(v[i].p);
    }
    malloc_trim(0);
    long vm1 = status_kb("VmSize"), rss1 = status_kb("VmRSS");
    printf("map_limit: requests=%llu refused=%llu refused_large=%llu maps_max=%ld limit=%ld vm_kb start=%ld end=%ld "
           "rss_kb start=%ld end=%ld\n",
           requests, refused, refused_large, maps_max, max, vm0, vm1, rss0, rss1);
    CHECK(vm1 <= vm0 + (long)vm_slack_mb * 1024, "address space %ld kB after everything was freed, %ld kB before", vm1,
          vm0);
    CHECK(rss1 <= rss0 + (long)rss_slack_mb * 1024, "RSS %ld kB after everything was freed, %ld kB before", rss1, rss0);
    free(v);
    return check_finish();
}
