#!/bin/bash
# interleaved, rotated order: larson under Standard with cache capacity variants (HAKMEM_UNIFIED_CACHE_CAPACITY) and mimalloc
L=/work/main/dist/native/lib
B=/work/main/dist/native/bin/larson
vs=($3)
n=${#vs[@]}
for r in $(seq 1 $1); do
  for k in $(seq 0 $((n-1))); do
    v=${vs[$(( (k + r) % n ))]}
    case $v in
      def) out=$(LD_PRELOAD=$L/libhakmem.so $B $2);;
      fast) out=$(LD_PRELOAD=$L/libhakmem-fast.so $B $2);;
      mi) out=$(LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 $B $2);;
      *.so) out=$(LD_PRELOAD=$v $B $2);;
      *) out=$(HAKMEM_UNIFIED_CACHE_REFILL_BATCH=16 HAKMEM_UNIFIED_CACHE_CAPACITY=$v LD_PRELOAD=$L/libhakmem.so $B $2);;
    esac
    echo "$r $v $(echo "$out" | grep -o 'mops=[0-9.]*')"
  done
done
