# native/test/tests.mk - the C test programs (included by native/Makefile).
#
# Each program sits beside the spec that runs it, native/test/<topic>/<name>.c (or .cpp), and is
# built to dist/native/tests/<name>: the output directory is flat, the specs find a program by its
# name (testBin in native/test/helpers.ts).
#
# Targets:
#   tests      dist/native/tests/<name> for the plain-API tests (no link against hakmem:
#              they are run with and without LD_PRELOAD by native/test/**/*.test.ts)
#   tests-api  dist/native/tests/api_hak, which calls the hak_* API: compiled against
#              $(ROOT)/native/include/hakmem.h and linked against $(DIST)/lib/libhakmem.so
#              (rpath set, so it runs from anywhere). Needs the library built first.
# Relies on $(CC), $(CFLAGS), $(ROOT), $(DIST) from the including makefile; C++ uses $(CXX).
#
# -fno-builtin keeps the compiler from folding malloc/calloc/free semantics into the
# tests (e.g. assuming calloc'd memory reads as zero, or deleting stores before free).

tests_saved_default_goal := $(.DEFAULT_GOAL)

TESTS_SRC_DIR   := $(ROOT)/native/test
TESTS_BIN_DIR   := $(DIST)/tests
TESTS_C_NAMES   := api_semantics mt_cross_free thread_churn fork_stress init_paths huge_alloc trim alloc_limits realloc_growth double_free_remote misuse exited_free dtor_alloc purge_delay aligned_many many_threads xthread_plateau large_addr large_reuse large_fit cache_budget carve_order block_sets \
                   realloc_limit thread_key_fail map_limit faults
TESTS_CXX_NAMES := cxx_new_delete
TESTS_API_NAMES := api_hak
TESTS_BINS      := $(addprefix $(TESTS_BIN_DIR)/,$(TESTS_C_NAMES) $(TESTS_CXX_NAMES)) $(TESTS_BIN_DIR)/ctor_lib.so \
                   $(TESTS_BIN_DIR)/faultinj.so
TESTS_API_BINS  := $(addprefix $(TESTS_BIN_DIR)/,$(TESTS_API_NAMES))
TESTS_HEADERS   := $(wildcard $(TESTS_SRC_DIR)/*.h) $(wildcard $(ROOT)/native/common/*.h)
TESTS_CFLAGS    := -fno-builtin -I$(TESTS_SRC_DIR) -I$(ROOT)/native/common
TESTS_CXX       ?= $(if $(CXX),$(CXX),g++)
TESTS_CXXFLAGS  := -O2 -g -Wall -Wextra -Werror -std=gnu++17 -pthread -fno-builtin -I$(TESTS_SRC_DIR) -I$(ROOT)/native/common
HAKMEM_SO       := $(DIST)/lib/libhakmem.so

# The source of a program by its file name: the one native/test/<topic>/<file>.
tests_src = $(or $(wildcard $(TESTS_SRC_DIR)/*/$(1)),$(error native/test/*/$(1): no such test program))

.PHONY: tests tests-api
tests: $(TESTS_BINS)
tests-api: $(TESTS_API_BINS)

# $(1) = program name; one rule each, since the sources sit in their specs' folders
define TESTS_C_RULE
$(TESTS_BIN_DIR)/$(1): $(call tests_src,$(1).c) $(TESTS_HEADERS)
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS) $(TESTS_CFLAGS) -o $$@ $$< -lpthread -ldl
endef
$(foreach n,$(TESTS_C_NAMES),$(eval $(call TESTS_C_RULE,$(n))))

define TESTS_CXX_RULE
$(TESTS_BIN_DIR)/$(1): $(call tests_src,$(1).cpp) $(TESTS_HEADERS)
	@mkdir -p $$(@D)
	$(TESTS_CXX) $(TESTS_CXXFLAGS) -o $$@ $$< -lpthread
endef
$(foreach n,$(TESTS_CXX_NAMES),$(eval $(call TESTS_CXX_RULE,$(n))))

# a library whose constructor allocates: preloaded by init_paths' spec
$(TESTS_BIN_DIR)/ctor_lib.so: $(call tests_src,ctor_lib.c) $(TESTS_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TESTS_CFLAGS) -fPIC -shared -o $@ $< -ldl

# the failure injector (issue 29): preloaded before an allocator, it fails its mmap, mremap, munmap,
# madvise or thread-key registration on a schedule (FAULTINJ); the os-faults spec and `npm run faults`
$(TESTS_BIN_DIR)/faultinj.so: $(call tests_src,faultinj.c) $(wildcard $(ROOT)/native/common/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(ROOT)/native/common -fPIC -shared -o $@ $< -ldl

define TESTS_API_RULE
$(TESTS_BIN_DIR)/$(1): $(call tests_src,$(1).c) $(TESTS_HEADERS) $(ROOT)/native/include/hakmem.h $(HAKMEM_SO)
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS) $(TESTS_CFLAGS) -I$(ROOT)/native/include -o $$@ $$< \
		-L$(DIST)/lib -lhakmem -Wl,-rpath,$(DIST)/lib -lpthread
endef
$(foreach n,$(TESTS_API_NAMES),$(eval $(call TESTS_API_RULE,$(n))))

.DEFAULT_GOAL := $(tests_saved_default_goal)
