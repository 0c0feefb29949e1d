#!/bin/bash
# interleaved rounds: each round runs every (workload, threads, allocator) cell once, in a shuffled order
cd /tmp/wt-scale; B=dist/native/bin; R=${1:-11}; OUT=${2:-/tmp/scale/bench.tsv}
declare -A LIB=([hakmem-fast]=/tmp/wt-scale/dist/native/lib/libhakmem-fast.so [mimalloc]=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 [tcmalloc]=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4)
: > $OUT
for r in $(seq 1 $R); do
  for cell in $(for w in larson xthread; do for t in 8 16 64; do for a in hakmem-fast mimalloc tcmalloc; do echo $w:$t:$a; done; done; done | shuf); do
    IFS=: read w t a <<< "$cell"
    if [ $w = larson ]; then args="threads=$t seconds=1"; else args="threads=$t"; fi
    line=$( { /usr/bin/time -f "rss_kb=%M" env LD_PRELOAD=${LIB[$a]} $B/$w $args; } 2>&1 | tr '\n' ' ')
    mops=$(echo "$line" | grep -o 'mops=[0-9.]*' | cut -d= -f2); rss=$(echo "$line" | grep -o 'rss_kb=[0-9]*' | cut -d= -f2)
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" $r $w $t $a "$mops" "$rss" >> $OUT
  done
done
echo done >> $OUT.done
