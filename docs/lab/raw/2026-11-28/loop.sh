#!/bin/bash
# loop.sh ROUNDS WORKLOAD [args] -- runs each config line of $CONFIGS (name|env...) interleaved
r=$1; w=$2; shift 2
for i in $(seq $r); do
  while IFS='|' read -r name envs; do
    [ -z "$name" ] && continue
    m=$(env $envs /work/main/dist/native/bin/$w "$@" | sed -n 's/.*mops=\([0-9.]*\).*/\1/p')
    echo "$i $name $m"
  done <<< "$CONFIGS"
done
