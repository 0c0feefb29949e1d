#!/bin/bash
# interleaved: larson threads=16 under Standard with cache capacity variants and mimalloc
L=/work/main/dist/native/lib
B=/work/main/dist/native/bin/larson
for r in $(seq 1 $1); do
  for v in def 256 64 16 mi; do
    case $v in
      def) out=$(LD_PRELOAD=$L/libhakmem.so $B threads=16 seconds=3 $2);;
      mi) out=$(LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 $B threads=16 seconds=3 $2);;
      *) out=$(HAKMEM_UNIFIED_CACHE_CAPACITY=$v LD_PRELOAD=$L/libhakmem.so $B threads=16 seconds=3 $2);;
    esac
    echo "$r $v $(echo "$out" | grep -o 'mops=[0-9.]*')"
  done
done
