#!/bin/sh
# thread_churn under /usr/bin/time, interleaved rounds: user and system seconds per thread created.
# Run from the repository root after `make -C native`; prints one line per run.
set -eu
BIN=dist/native/bin/thread_churn
SCUDO=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so
TCM=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
for round in 1 2 3; do
  for a in hakmem:dist/native/lib/libhakmem.so fast:dist/native/lib/libhakmem-fast.so scudo:$SCUDO tcmalloc:$TCM glibc:; do
    name=${a%%:*} lib=${a#*:}
    out=$(LD_PRELOAD=$lib /usr/bin/time -f 'TIME %U %S' $BIN seconds=2 2>&1)
    threads=$(echo "$out" | sed -n 's/.*threads_created=\([0-9]*\).*/\1/p')
    set -- $(echo "$out" | sed -n 's/^TIME //p')
    awk -v n="$name" -v r="$round" -v t="$threads" -v u="$1" -v s="$2" \
      'BEGIN { printf "%-9s round %s: %7d threads/2 s, user %.1f us, system %.1f us per thread\n", n, r, t, u / t * 1e6, s / t * 1e6 }'
  done
done
