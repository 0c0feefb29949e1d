#!/bin/bash
# mkvar.sh NAME 'C expression for the pad, given size' : FAST lib variant in /tmp/var/NAME/libhakmem.so
set -e
name=$1; expr=$2
d=/tmp/var/$name; rm -rf $d; mkdir -p $d/src $d/obj
cp /work/main/native/src/* $d/src/
python3 - "$d/src/internal.h" "$expr" <<'PY'
import sys
p,e=sys.argv[1],sys.argv[2]
s=open(p).read()
old="return size + (cls < HK_TINY_CLASS_COUNT && size % 256 == 0 ? 16 : 0);"
assert old in s
s=s.replace(old,"return size + (cls < HK_TINY_CLASS_COUNT && size % 256 == 0 ? ("+e+") : 0);")
open(p,'w').write(s)
PY
F="-O2 -g -std=gnu11 -pthread -fPIC -fvisibility=hidden -fno-semantic-interposition -ftls-model=initial-exec -fno-strict-aliasing -I/work/main/native/include -I/work/main/native/generated/fast -DHAKMEM_BUILD_CFLAGS=\"\\\"x\\\"\""
for f in $d/src/*.c; do gcc $F -c $f -o $d/obj/$(basename $f .c).o & done; wait
gcc -shared -pthread -Wl,-z,relro,-z,now -o $d/libhakmem.so $d/obj/*.o
echo built $d/libhakmem.so
