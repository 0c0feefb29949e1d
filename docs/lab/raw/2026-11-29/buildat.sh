#!/bin/bash
# buildat.sh SHA: FAST lib of that commit at /tmp/at/SHA/libhakmem-fast.so
set -e
sha=$1; d=/tmp/at/$sha; [ -f $d/libhakmem-fast.so ] && exit 0
rm -rf $d; mkdir -p $d/src
git -C /work/main archive $sha native/src native/include native/generated | tar -x -C $d/src
F="-O2 -g -std=gnu11 -pthread -fPIC -fvisibility=hidden -fno-semantic-interposition -ftls-model=initial-exec -fno-strict-aliasing -I$d/src/native/include -I$d/src/native/generated/fast"
mkdir -p $d/obj
for f in $d/src/native/src/*.c; do gcc $F -DHAKMEM_BUILD_CFLAGS='"x"' -c $f -o $d/obj/$(basename $f .c).o & done; wait
gcc -shared -pthread -o $d/libhakmem-fast.so $d/obj/*.o
