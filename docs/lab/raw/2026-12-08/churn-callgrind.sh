#!/bin/sh
# thread_churn under callgrind (Standard): instructions per thread created, by the object that
# executed them. Run from the repository root after `make -C native`.
set -eu
out=$(mktemp)
LD_PRELOAD=dist/native/lib/libhakmem.so valgrind --tool=callgrind --callgrind-out-file="$out" \
  dist/native/bin/thread_churn seconds=3 2>/dev/null | tee /dev/stderr | sed -n 's/.*threads_created=\([0-9]*\).*/\1/p' > "$out.threads"
callgrind_annotate --auto=no --threshold=100 "$out" | awk -v t="$(cat "$out.threads")" '
  # a line names its object in brackets; lines inlined from a header name only the file
  /^ *[0-9,]+ +\(/ && !/PROGRAM TOTALS/ {
    n = $1; gsub(",", "", n); obj = $0
    if (obj ~ /\[/) { sub(/.*\[/, "", obj); sub(/\].*/, "", obj); sub(/.*\//, "", obj) }
    else if (obj ~ /native\/src\// || obj ~ /native\/generated\//) obj = "libhakmem.so"
    else if (obj ~ /native\/bench\// || obj ~ /native\/common\//) obj = "thread_churn"
    else if (obj ~ /^ *[0-9,]+ +\([^)]*\) +\.\//) obj = "libc.so.6" # inlined from glibc sources
    else obj = "other"
    by[obj] += n; total += n
  }
  /PROGRAM TOTALS/ { all = $1; gsub(",", "", all) }
  END { printf "%d threads; instructions per thread by object:\n", t; for (o in by) printf "  %-24s %8.0f\n", o, by[o] / t; printf "  %-24s %8.0f (program total %.0f)\n", "(all)", total / t, all / t }'
rm -f "$out" "$out.threads"
