#!/bin/bash
# perf-parts.sh LABEL PROGRAM [ARGS...]: runs a workload program (LD_PRELOAD and other
# variables set by the caller) under perf record -e cpu-clock -F 4000 and prints its result
# (mops) and CPU ns per operation by part: prog (the program's own code), alloc (a preloaded
# allocator library), kern (the kernel), other (other libraries). Files go to $OUT (default /tmp/pp).
# Example: LD_PRELOAD=dist/native/lib/libhakmem-fast.so perf-parts.sh hk dist/native/bin/larson threads=16
# (hakmem profile does this with interleaved rounds for the workloads it knows.)
label=$1; shift
OUT=${OUT:-/tmp/pp}; mkdir -p "$OUT"
out=$(perf record -q -e cpu-clock -F 4000 -o $OUT/$label.data -- "$@" 2>/dev/null)
ops=$(echo "$out" | grep -o "ops=[0-9]*" | head -1 | cut -d= -f2)
mops=$(echo "$out" | grep -o "mops=[0-9.]*" | cut -d= -f2)
perf report -i $OUT/$label.data --sort dso --stdio -F overhead,sample,dso 2>/dev/null | grep -v "^#" | grep -v "^$" > $OUT/$label.dso
awk -v ops=$ops -v mops=$mops -v label=$label '{s=$2; d=$3; tot+=s; if(d=="larson"||d=="larson5"||d=="random_mixed"||d=="batch"||d=="xthread") prog+=s; else if(d ~ /hakmem|mimalloc|tcmalloc|jemalloc/) al+=s; else if (d ~ /kernel/) k+=s; else o+=s} END {f=1e9/4000/ops; printf "%s mops=%s prog=%.1f alloc=%.1f kern=%.1f other=%.1f\n", label, mops, prog*f, al*f, k*f, o*f}' $OUT/$label.dso
