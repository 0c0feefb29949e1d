#!/bin/bash
# usage: ab.sh ROUNDS OUT  -- interleaved base/new/mimalloc on batch and xthread
B=/tmp/wt-perf/dist/native/bin; MI=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2
R=$1; OUT=$2; : > $OUT
for r in $(seq 1 $R); do
  for w in batch xthread; do
    for a in base:/tmp/perf/base-fast.so new:/tmp/perf/new-fast.so mi:$MI; do
      m=$(LD_PRELOAD=${a#*:} $B/$w | grep -o 'mops=[0-9.]*' | cut -d= -f2)
      echo "$r $w ${a%%:*} $m" >> $OUT
    done
  done
done
