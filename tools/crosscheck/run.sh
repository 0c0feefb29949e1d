#!/usr/bin/env bash
# Independent check of the random_mixed ratio hakmem FAST / mimalloc (issue 7): builds the
# harness beside this script into a temp dir, runs it N rounds interleaved (mimalloc, hakmem
# FAST), and prints each round and the median of the per-round ratios. Uses only the shell,
# cc and sort: nothing of tools/ or native/bench.
#   bash tools/crosscheck/run.sh [rounds=9] [iters=20000000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
rounds=${1:-9}; iters=${2:-20000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/xcheck" "$here/random_mixed_xcheck.c"
mi=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2
hk="$root/dist/native/lib/libhakmem-fast.so"
for f in "$mi" "$hk"; do [ -e "$f" ] || { echo "missing $f" >&2; exit 1; }; done
for i in $(seq "$rounds"); do
  m=$(LD_PRELOAD=$mi "$tmp/xcheck" "$iters" 400)
  h=$(LD_PRELOAD=$hk "$tmp/xcheck" "$iters" 400)
  r=$(awk -v h="$h" -v m="$m" 'BEGIN{printf "%.4f", h/m}')
  echo "round $i: mimalloc $m  hakmem-fast $h  ratio $r"
  echo "$r" >>"$tmp/ratios"
done
sort -n "$tmp/ratios" | awk '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "median ratio hakmem-fast/mimalloc: %.3f over %d rounds\n", m, NR}'
