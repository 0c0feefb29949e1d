#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <string.h>
/* usage: spread R [chunkKB] [totalMB] : total MB spread over R 2MiB regions in chunks, random reads */
static double now() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv) {
  int R = atoi(argv[1]);
  size_t chunk = (argc > 2 ? atoi(argv[2]) : 64) * 1024;
  size_t total = (argc > 3 ? atoi(argv[3]) : 6) << 20;
  size_t nchunks = total / chunk;
  size_t per = (nchunks + R - 1) / R;
  size_t region = 2 << 20;
  if (per * chunk > region) {
    fprintf(stderr, "too few regions\n");
    return 1;
  }
  size_t span = (size_t)R * region * 2; /* leave a gap region between used ones */
  char *base = mmap(NULL, span + region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  base = (char *)(((uintptr_t)base + region - 1) & ~(region - 1));
  char **ch = malloc(nchunks * sizeof(char *));
  size_t k = 0;
  for (int r = 0; r < R && k < nchunks; r++)
    for (size_t j = 0; j < per && k < nchunks; j++) {
      ch[k] = base + (size_t)r * 2 * region + j * chunk;
      memset(ch[k], 1, chunk);
      k++;
    }
  uint64_t x = 88172645463325252ULL;
  volatile uint64_t sink = 0;
  size_t n = 20000000;
  double t0 = now();
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    size_t c = x % nchunks;
    size_t off = ((x >> 32) % chunk) & ~7UL;
    sink += *(uint64_t *)(ch[c] + off);
  }
  printf("R=%d chunkKB=%zu totalMB=%zu ns/read=%.2f\n", R, chunk / 1024, total >> 20, (now() - t0) / n * 1e9);
}
