/*
 * aligned_many - many small blocks with a large alignment cost what they use (issue 9, item 2).
 *
 * count blocks of `size` bytes from posix_memalign(align, size), each written in full, then
 * every one checked and freed. Every alignment up to a slab unit (64 KiB) is served from a
 * size class whose blocks are multiples of it (slab areas start on a unit boundary), not from a
 * mapping of its own: such a mapping took 2 MiB of address space and a header page each
 * (100,000 of posix_memalign(65536, 100): 200 GB of address space, 782 MB resident).
 *
 * Arguments (key=value): align=<power of two> size=<bytes> count=<n> rss_mb=<bound>
 * vm_mb=<bound on the growth of the address space>.
 * Prints: aligned_many: align=.. size=.. count=.. rss_kb start=.. peak=.. vm_kb start=.. peak=..
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "check.h"

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            v = atol(line + n + 1);
            break;
        }
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    check_name = "aligned_many";
    check_watchdog(120);
    unsigned long long align = 65536, size = 100, count = 100000, rss_mb = 0, vm_mb = 0;
    CHECK_ARGS(argc, argv, { "align", &align }, { "size", &size }, { "count", &count }, { "rss_mb", &rss_mb },
               { "vm_mb", &vm_mb });
    if (align < sizeof(void *) || (align & (align - 1)) || size == 0 || count == 0)
        check_fatal("align must be a power of two >= %zu; size and count at least 1", sizeof(void *));
    /* the pointer array comes from mmap: it is not the allocator's memory */
    char **ptr = mmap(NULL, count * sizeof *ptr, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ptr == MAP_FAILED) check_fatal("mmap of the pointer array failed");
    free(malloc(64));
    long rss0 = hk_rss_kb(), vm0 = status_kb("VmSize");
    unsigned long failed = 0, misaligned = 0;
    for (size_t i = 0; i < count; i++) {
        void *p = NULL;
        if (posix_memalign(&p, align, size) != 0) {
            failed++;
            ptr[i] = NULL;
            continue;
        }
        if ((uintptr_t)p & (align - 1)) misaligned++;
        memset(p, (int)(i & 0xff), size);
        ptr[i] = p;
    }
    long rss1 = hk_rss_kb(), vm1 = status_kb("VmSize");
    for (size_t i = 0; i < count; i++) {
        if (ptr[i] == NULL) continue;
        CHECK(ptr[i][0] == (char)(i & 0xff) && ptr[i][size - 1] == (char)(i & 0xff), "block %zu changed", i);
        free(ptr[i]);
    }
    munmap(ptr, count * sizeof *ptr);
    printf("aligned_many: align=%llu size=%llu count=%llu rss_kb start=%ld peak=%ld vm_kb start=%ld peak=%ld\n", align,
           size, count, rss0, rss1, vm0, vm1);
    CHECK(failed == 0, "%lu of %llu posix_memalign calls failed", failed, count);
    CHECK(misaligned == 0, "%lu blocks not aligned to %llu", misaligned, align);
    if (rss_mb) CHECK(rss1 - rss0 <= (long)(rss_mb << 10), "RSS grew by %ld KiB (bound %llu MiB)", rss1 - rss0, rss_mb);
    if (vm_mb)
        CHECK(vm1 - vm0 <= (long)(vm_mb << 10), "address space grew by %ld KiB (bound %llu MiB)", vm1 - vm0, vm_mb);
    return check_finish();
}
