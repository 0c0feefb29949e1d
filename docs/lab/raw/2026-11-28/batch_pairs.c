/*
 * batch - a thread holding far more blocks than its cache: refill and flush, slab free
 * lists (docs/workloads.md).
 *
 * One thread. For each of the 25 (n, size) pairs, n in 25, 100, 400, 1600, 6400 (outer)
 * and size in 16, 48, 256, 1024, 4096 B (inner), over and over: malloc n blocks of `size`,
 * write every byte (memset), then free the first half in allocation order and the second
 * half in reverse; until `iters` blocks have been allocated for that pair (rounded up to
 * whole batches: ceil(iters / n) batches). ops = mallocs + frees, so the default run
 * (iters 2,000,000 per pair) is 2 x 5 x (4 x 2,000,000 + 2,003,200) = 100,032,000 ops.
 * No random numbers: the run is the same every time.
 *
 * Self-check: block j of a batch is filled with the byte pattern (j * 151 + n + size) & 0xff;
 * its first and last bytes are compared before it is freed; a mismatch exits 1.
 *
 * Soak mode (seconds=<total> epoch=<s>): the pairs are visited in the same order, over
 * and over, each visit allocating about 16,384 blocks (whole batches), until the time is
 * up; iters is ignored.
 */
#include "common.h"

static const char NAME[] = "batch";
static const char WHAT[] =
    "for each (n, size) in {25,100,400,1600,6400} x {16,48,256,1024,4096}: malloc n blocks, memset, free the first "
    "half in order, the second in reverse; iters = blocks per pair; ops = mallocs + frees";

static const uint64_t NS[] = {25, 100, 400, 1600, 6400};
static const uint64_t SIZES[] = {16, 48, 256, 1024, 4096};
#define NPAIRS (HK_NARGS(NS) * HK_NARGS(SIZES))
#define MAX_N 6400
#define SOAK_BLOCKS 16384

static inline unsigned char pattern(uint64_t j, uint64_t n, uint64_t size) {
  return (unsigned char)(j * 151 + n + size);
}

/* One batch: n mallocs of size (each filled), n frees. Returns non-zero on a failed check. */
static unsigned run_batch(unsigned char **blk, uint64_t n, uint64_t size) {
  unsigned bad = 0;
  for (uint64_t j = 0; j < n; j++) {
    unsigned char *p = malloc(size);
    if (HK_UNLIKELY(!p)) hk_die(NAME, "malloc(%llu) returned NULL", (unsigned long long)size);
    memset(p, pattern(j, n, size), size);
    blk[j] = p;
  }
  uint64_t half = n / 2;
  for (uint64_t j = 0; j < half; j++) {
    unsigned char *p = blk[j], c = pattern(j, n, size);
    bad |= (p[0] ^ c) | (p[size - 1] ^ c);
    free(p);
  }
  for (uint64_t j = n; j-- > half;) {
    unsigned char *p = blk[j], c = pattern(j, n, size);
    bad |= (p[0] ^ c) | (p[size - 1] ^ c);
    free(p);
  }
  return bad;
}

/* Arguments: [iters [n size]]. With n and size, only that pair runs (for callgrind). */
int main(int argc, char **argv) {
  uint64_t iters = argc > 1 ? strtoull(argv[1], 0, 10) : 2000000;
  uint64_t only_n = argc > 3 ? strtoull(argv[2], 0, 10) : 0, only_size = argc > 3 ? strtoull(argv[3], 0, 10) : 0;
  unsigned char **blk = calloc(MAX_N, sizeof(*blk));
  unsigned bad = 0;
  for (uint64_t pair = 0; pair < NPAIRS; pair++) {
    uint64_t n = NS[pair / HK_NARGS(SIZES)], size = SIZES[pair % HK_NARGS(SIZES)];
    if (only_n && (n != only_n || size != only_size)) continue;
    uint64_t batches = (iters + n - 1) / n;
    double t0 = hk_now();
    for (uint64_t b = 0; b < batches; b++) bad |= run_batch(blk, n, size);
    printf("%llu %llu %.4f\n", (unsigned long long)n, (unsigned long long)size, hk_now() - t0);
  }
  return bad;
}
