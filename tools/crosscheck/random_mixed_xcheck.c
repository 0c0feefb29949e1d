/*
 * random_mixed_xcheck: an independent harness of random_mixed's shape, for checking the
 * ratio `hakmem bench` reports (issue 7: "agrees within ±5 % with an independent harness").
 *
 * Shares no code with native/bench (no common.h, no splitmix64, no result-line parser):
 * a table of `ws` slots; each iteration draws one number from a PCG32 pair (a different
 * generator from the workload's); if the slot is full, free it, else malloc a size in
 * [16, 1024], write one byte, store it. Prints "<Mops/s>" and nothing else.
 *
 *   cc -O2 -o /tmp/xcheck random_mixed_xcheck.c
 *   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 /tmp/xcheck 20000000 400
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t pcg_state = 0x853c49e6748fea9bULL;

static uint32_t pcg32(void) {
  uint64_t old = pcg_state;
  pcg_state = old * 6364136223846793005ULL + 1442695040888963407ULL;
  uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t)(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 20000000L;
  long ws = argc > 2 ? atol(argv[2]) : 400;
  char **slot = calloc((size_t)ws, sizeof *slot);
  if (!slot) return 1;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < iters; i++) {
    uint32_t r1 = pcg32(), r2 = pcg32();
    long k = (long)(r1 % (uint32_t)ws);
    if (slot[k]) {
      free(slot[k]);
      slot[k] = NULL;
    } else {
      size_t n = 16 + r2 % 1009;
      char *p = malloc(n);
      if (!p) return 1;
      p[0] = (char)i;
      slot[k] = p;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  for (long k = 0; k < ws; k++) free(slot[k]);
  free(slot);
  double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
  printf("%.2f\n", (double)iters / s / 1e6);
  return 0;
}
