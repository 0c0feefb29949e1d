# native/test/check/check.mk - debug and sanitizer builds of the allocator, the seeded stress
# test and the libFuzzer target (included by native/Makefile; issue 8).
#
# Targets (everything goes under $(DIST)/check/, or $(CHECK_DEBUG_DIST) for check-debug):
#   check-debug     the whole native build (three libraries, the C tests) with -O1 -g
#                   -DHK_DEBUG=1, into $(CHECK_DEBUG_DIST) (default dist/native-debug): run the
#                   specs against it with HAKMEM_DIST=dist/native-debug npx vitest run native/test/...
#   check-stress    $(DIST)/check/bin/stress: the stress test (native/test/stress/stress.c) on
#                   the plain malloc API (for LD_PRELOAD of each library, or glibc as the
#                   control), and the reproducers of reported bugs, native/test/stress/repro/*.c
#                   -> $(DIST)/check/bin/repro/ (exit 0 = fixed)
#   check-asan      $(DIST)/check/bin/stress-asan: the stress test on the hak_* API, linked
#                   with the allocator objects, all built with -fsanitize=address,undefined
#   check-tsan      $(DIST)/check/bin/{stress,mt_cross_free,thread_churn}-tsan: the same with
#                   -fsanitize=thread (mt_cross_free and thread_churn from native/test/threads, their
#                   malloc calls routed to hak_* by hak_shim.h)
#   check-fuzz      $(DIST)/check/bin/fuzz_hak: the libFuzzer target (clang -fsanitize=fuzzer,
#                   address,undefined; the allocator objects carry coverage too)
#   check-all       all of the above
#   (CHECK_MODE=fast or observe: the sanitizer targets from that mode's headers, into
#   $(DIST)/check-<mode>/; the default is standard, into $(DIST)/check/)
#   check-run-asan  build and run the ASan+UBSan stress at fixed seeds (CI)
#   check-run-tsan  build and run the TSan programs at fixed seeds (CI; tsan.supp lists the
#                   reported, not yet fixed findings)
#
# The sanitizer builds use clang (CHECK_CC): libFuzzer exists only there, and one compiler
# for the three keeps their runtimes consistent. The allocator's objects define malloc, free
# & co. (front/front.c aliases them to hak_*); linked into a program those definitions would
# replace the sanitizer runtime's interceptors (ASan and TSan would then neither see nor
# check the program's own allocations, and the runtime's internal calls would land in
# hakmem). So every global symbol that is not hak_* or hk_* is made local in the objects
# with objcopy --localize-symbol: no source change, and the program reaches the allocator
# only through hak_*. The allocator's own memory comes from mmap, which the sanitizers do
# not police, so ASan checks the allocator's code (its globals, stacks, metadata reads),
# UBSan its arithmetic, and TSan its synchronisation (the blocks the program writes move
# between threads through the allocator's remote queues and heaps).

CHECK_SRC   := $(ROOT)/native/test/check
# the stress test and its reproducers sit beside their spec (native/test/stress/stress.test.ts)
STRESS_SRC  := $(ROOT)/native/test/stress
# CHECK_MODE=fast|observe: the sanitizer builds from that mode's headers, into $(DIST)/check-<mode>
CHECK_MODE  ?= standard
CHECK_OUT   := $(DIST)/check$(if $(filter standard,$(CHECK_MODE)),,-$(CHECK_MODE))
CHECK_BIN   := $(CHECK_OUT)/bin
CHECK_CC    ?= clang
CHECK_GEN   := $(GEN)/$(CHECK_MODE)
CHECK_DEBUG_DIST ?= $(ROOT)/dist/native-debug
CHECK_DEBUG_CFLAGS := -O1 -g -DHK_DEBUG=1 -Wall -Wextra -Werror -std=gnu11 -pthread
# -Werror stays off for clang: its warnings are not the build's contract (gcc's are)
CHECK_SAN_BASE := -O1 -g -DHK_DEBUG=1 -fno-omit-frame-pointer -Wall -Wextra -std=gnu11 -pthread \
                  -fno-strict-aliasing -I$(ROOT)/native/include -I$(ROOT)/native/src
CHECK_ASAN  := -fsanitize=address,undefined -fno-sanitize-recover=all
CHECK_TSAN  := -fsanitize=thread
CHECK_FUZZ  := -fsanitize=address,undefined -fno-sanitize-recover=all
CHECK_HDRS  := $(HDR) $(wildcard $(CHECK_GEN)/*.h)
# the programs' shared helpers (splitmix64, the clock), never the allocator's objects
CHECK_PROG  := -I$(ROOT)/native/common

.PHONY: check-debug check-stress check-asan check-tsan check-fuzz check-all check-run-asan check-run-tsan
check-all: check-debug check-stress check-asan check-tsan check-fuzz

check-debug:
	$(MAKE) -C $(ROOT)/native DIST=$(CHECK_DEBUG_DIST) CFLAGS="$(CHECK_DEBUG_CFLAGS)" libs include tests tests-api

check-stress: $(CHECK_BIN)/stress
$(CHECK_BIN)/stress: $(STRESS_SRC)/stress.c $(ROOT)/native/common/hk_program.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -std=gnu11 -pthread -fno-builtin $(CHECK_PROG) -o $@ $< -lpthread

# reproducers of reported bugs (plain malloc API, for LD_PRELOAD): regression tests once fixed
CHECK_REPRO_BINS := $(patsubst $(STRESS_SRC)/repro/%.c,$(CHECK_BIN)/repro/%,$(wildcard $(STRESS_SRC)/repro/*.c))
check-stress: $(CHECK_REPRO_BINS)
$(CHECK_BIN)/repro/%: $(STRESS_SRC)/repro/%.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -Wextra -Werror -std=gnu11 -pthread -fno-builtin -o $@ $< -lpthread

# $(1) = variant (asan, tsan, fuzz), $(2) = its flags
define CHECK_VARIANT
CHECK_OBJ_$(1) := $(addprefix $(CHECK_OUT)/obj/$(1)/,$(addsuffix .o,$(NAMES)))
$(CHECK_OUT)/obj/$(1)/%.o: %.c $(CHECK_HDRS)
	@mkdir -p $$(@D)
	$(CHECK_CC) $(CHECK_SAN_BASE) $(2) -DHAKMEM_BUILD_CFLAGS='"check-$(1)"' -I$(CHECK_GEN) -c $$< -o $$@.tmp
	objcopy $$$$(nm -g --defined-only $$@.tmp | awk '$$$$3 !~ /^(hak|hk)_/ {printf " --localize-symbol=%s", $$$$3}') $$@.tmp $$@
	rm -f $$@.tmp
endef
$(eval $(call CHECK_VARIANT,asan,$(CHECK_ASAN)))
$(eval $(call CHECK_VARIANT,tsan,$(CHECK_TSAN)))
$(eval $(call CHECK_VARIANT,fuzz,$(CHECK_FUZZ) -fsanitize=fuzzer-no-link))

check-asan: $(CHECK_BIN)/stress-asan
$(CHECK_BIN)/stress-asan: $(STRESS_SRC)/stress.c $(ROOT)/native/common/hk_program.h $(CHECK_OBJ_asan) $(ROOT)/native/include/hakmem.h
	@mkdir -p $(@D)
	$(CHECK_CC) $(CHECK_SAN_BASE) $(CHECK_PROG) $(CHECK_ASAN) -DSTRESS_HAK -o $@ $< $(CHECK_OBJ_asan) -lpthread

CHECK_TSAN_BINS := $(addprefix $(CHECK_BIN)/,stress-tsan mt_cross_free-tsan thread_churn-tsan)
check-tsan: $(CHECK_TSAN_BINS)
$(CHECK_BIN)/stress-tsan: $(STRESS_SRC)/stress.c $(ROOT)/native/common/hk_program.h $(CHECK_OBJ_tsan) $(ROOT)/native/include/hakmem.h
	@mkdir -p $(@D)
	$(CHECK_CC) $(CHECK_SAN_BASE) $(CHECK_PROG) $(CHECK_TSAN) -DSTRESS_HAK -o $@ $< $(CHECK_OBJ_tsan) -lpthread
$(CHECK_BIN)/%-tsan: $(ROOT)/native/test/threads/%.c $(CHECK_SRC)/hak_shim.h $(CHECK_OBJ_tsan) $(ROOT)/native/include/hakmem.h
	@mkdir -p $(@D)
	$(CHECK_CC) $(CHECK_SAN_BASE) $(CHECK_PROG) $(CHECK_TSAN) -fno-builtin -I$(ROOT)/native/test -include $(CHECK_SRC)/hak_shim.h \
		-o $@ $< $(CHECK_OBJ_tsan) -lpthread -ldl

check-fuzz: $(CHECK_BIN)/fuzz_hak
$(CHECK_BIN)/fuzz_hak: $(CHECK_SRC)/fuzz_hak.c $(CHECK_OBJ_fuzz) $(ROOT)/native/include/hakmem.h
	@mkdir -p $(@D)
	$(CHECK_CC) $(CHECK_SAN_BASE) $(CHECK_FUZZ) -fsanitize=fuzzer -o $@ $< $(CHECK_OBJ_fuzz) -lpthread

# Fixed-seed runs for CI (.ci/run): about 15 s (ASan) and 25 s (TSan) on a loaded 2-core machine.
CHECK_ASAN_ENV := ASAN_OPTIONS=abort_on_error=0:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
CHECK_TSAN_ENV := TSAN_OPTIONS="suppressions=$(CHECK_SRC)/tsan.supp halt_on_error=1 exitcode=66 second_deadlock_stack=1"
check-run-asan: $(CHECK_BIN)/stress-asan
	$(CHECK_ASAN_ENV) $< seed=1 threads=1 ops=300000
	$(CHECK_ASAN_ENV) $< seed=2 threads=4 life=5000 ops=200000
	$(CHECK_ASAN_ENV) HAKMEM_REMOTE_PUSH_BATCH=8 HAKMEM_REMOTE_DRAIN_THRESHOLD=4 HAKMEM_UNIFIED_CACHE_CAPACITY=4 \
		$< seed=3 threads=4 life=3000 ops=200000
check-run-tsan: $(CHECK_TSAN_BINS)
	$(CHECK_TSAN_ENV) $(CHECK_BIN)/stress-tsan seed=4 threads=4 life=3000 ops=60000
	$(CHECK_TSAN_ENV) HAKMEM_REMOTE_PUSH_BATCH=8 HAKMEM_REMOTE_DRAIN_THRESHOLD=4 \
		$(CHECK_BIN)/stress-tsan seed=5 threads=4 life=2000 ops=60000
	$(CHECK_TSAN_ENV) $(CHECK_BIN)/mt_cross_free-tsan ops=100000 threads=4
	$(CHECK_TSAN_ENV) $(CHECK_BIN)/thread_churn-tsan threads=300 concurrency=4 rss_mb=512
