#!/bin/bash
# Where a workload's CPU time goes on the real machine, by sampling (perf's cpu-clock timer:
# this VM has no hardware counters, but timer sampling works). For each allocator and round:
# the run's result line, then CPU seconds per symbol (samples / frequency), top 8.
#   perf-share.sh ROUNDS "PROGRAM ARGS" ALLOC...   (ALLOC: fast, mi, tc, or a library path)
# Example: perf-share.sh 3 "dist/native/bin/batch" fast tc
# ANNOTATE=SYMBOL adds that symbol's instructions holding more than 3 % of its samples.
set -euo pipefail
rounds=$1 cmd=$2
shift 2
F=4000
for r in $(seq "$rounds"); do
  for a in "$@"; do
    case $a in
    fast) lib=$PWD/dist/native/lib/libhakmem-fast.so ;;
    mi) lib=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 ;;
    tc) lib=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ;;
    *) lib=$a ;;
    esac
    data=$(mktemp)
    # shellcheck disable=SC2086
    line=$(LD_PRELOAD=$lib perf record -q -e cpu-clock -F $F -o "$data" $cmd 2>/dev/null | tail -n 1)
    echo "round $r $a: $line"
    perf report -i "$data" --sort dso,symbol --stdio -n 2>/dev/null |
      awk -v f=$F '/^ +[0-9.]+%/ && n++ < 8 { s = $2 / f; $1 = ""; $2 = ""; printf "  %7.3f s %s\n", s, $0 }'
    if [ -n "${ANNOTATE:-}" ]; then
      perf annotate -i "$data" --stdio -s "$ANNOTATE" 2>/dev/null | awk '/^ +[0-9.]+ :/ && $1 > 3 { print "    " $0 }'
    fi
    rm -f "$data"
  done
done
