#!/bin/bash
set -e
name=$1; d=/tmp/var/$name; rm -rf $d; mkdir -p $d/src $d/obj
cp /work/main/native/src/* $d/src/
python3 - "$d/src/superslab.c" <<'PY'
import sys
p=sys.argv[1]
s=open(p).read()
old="  if (r == NULL) return NULL;\n  HK_SUPERSLAB_COUNT(superslabs_mapped, 1);"
assert old in s
s=s.replace(old,"  if (r == NULL) return NULL;\n  madvise(r, HK_SUPERSLAB_SIZE, MADV_HUGEPAGE);\n  HK_SUPERSLAB_COUNT(superslabs_mapped, 1);")
s="#include <sys/mman.h>\n"+s
open(p,'w').write(s)
PY
F="-O2 -g -std=gnu11 -pthread -fPIC -fvisibility=hidden -fno-semantic-interposition -ftls-model=initial-exec -fno-strict-aliasing -I/work/main/native/include -I/work/main/native/generated/fast -DHAKMEM_BUILD_CFLAGS=\"\\\"x\\\"\""
for f in $d/src/*.c; do eval gcc $F -c $f -o $d/obj/$(basename $f .c).o & done; wait
gcc -shared -pthread -Wl,-z,relro,-z,now -o $d/libhakmem.so $d/obj/*.o
echo built $d/libhakmem.so
