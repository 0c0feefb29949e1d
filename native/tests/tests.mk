# native/tests/tests.mk - the C tests (included by native/Makefile).
#
# Targets:
#   tests      dist/native/tests/<name> for the plain-API tests (no link against hakmem:
#              they are run with and without LD_PRELOAD by native/test/*.test.ts)
#   tests-api  dist/native/tests/api_hak, which calls the hak_* API: compiled against
#              $(ROOT)/native/include/hakmem.h and linked against $(DIST)/lib/libhakmem.so
#              (rpath set, so it runs from anywhere). Needs the library built first.
# Relies on $(CC), $(CFLAGS), $(ROOT), $(DIST) from the including makefile; C++ uses $(CXX).
#
# -fno-builtin keeps the compiler from folding malloc/calloc/free semantics into the
# tests (e.g. assuming calloc'd memory reads as zero, or deleting stores before free).

tests_saved_default_goal := $(.DEFAULT_GOAL)

TESTS_SRC_DIR   := $(ROOT)/native/tests
TESTS_BIN_DIR   := $(DIST)/tests
TESTS_C_NAMES   := api_semantics mt_cross_free thread_churn fork_stress init_paths huge_alloc trim alloc_limits realloc_growth double_free_remote misuse exited_free dtor_alloc purge_delay aligned_many many_threads xthread_plateau large_addr large_reuse large_fit cache_budget carve_order block_sets \
                   realloc_limit thread_key_fail map_limit faults
TESTS_CXX_NAMES := cxx_new_delete
TESTS_API_NAMES := api_hak
TESTS_BINS      := $(addprefix $(TESTS_BIN_DIR)/,$(TESTS_C_NAMES) $(TESTS_CXX_NAMES)) $(TESTS_BIN_DIR)/ctor_lib.so \
                   $(TESTS_BIN_DIR)/faultinj.so
TESTS_API_BINS  := $(addprefix $(TESTS_BIN_DIR)/,$(TESTS_API_NAMES))
TESTS_HEADERS   := $(wildcard $(TESTS_SRC_DIR)/*.h)
TESTS_CFLAGS    := -fno-builtin -I$(TESTS_SRC_DIR)
TESTS_CXX       ?= $(if $(CXX),$(CXX),g++)
TESTS_CXXFLAGS  := -O2 -g -Wall -Wextra -Werror -std=gnu++17 -pthread -fno-builtin -I$(TESTS_SRC_DIR)
HAKMEM_SO       := $(DIST)/lib/libhakmem.so

.PHONY: tests tests-api
tests: $(TESTS_BINS)
tests-api: $(TESTS_API_BINS)

$(addprefix $(TESTS_BIN_DIR)/,$(TESTS_C_NAMES)): $(TESTS_BIN_DIR)/%: $(TESTS_SRC_DIR)/%.c $(TESTS_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TESTS_CFLAGS) -o $@ $< -lpthread -ldl

# a library whose constructor allocates: preloaded by init_paths' spec
$(TESTS_BIN_DIR)/ctor_lib.so: $(TESTS_SRC_DIR)/ctor_lib.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TESTS_CFLAGS) -fPIC -shared -o $@ $< -ldl

# the failure injector (issue 29): preloaded before an allocator, it fails its mmap, mremap, munmap,
# madvise or thread-key registration on a schedule (FAULTINJ); the faults spec and `npm run faults`
$(TESTS_BIN_DIR)/faultinj.so: $(TESTS_SRC_DIR)/faultinj.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

$(addprefix $(TESTS_BIN_DIR)/,$(TESTS_CXX_NAMES)): $(TESTS_BIN_DIR)/%: $(TESTS_SRC_DIR)/%.cpp $(TESTS_HEADERS)
	@mkdir -p $(@D)
	$(TESTS_CXX) $(TESTS_CXXFLAGS) -o $@ $< -lpthread

$(TESTS_API_BINS): $(TESTS_BIN_DIR)/%: $(TESTS_SRC_DIR)/%.c $(TESTS_HEADERS) $(ROOT)/native/include/hakmem.h $(HAKMEM_SO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TESTS_CFLAGS) -I$(ROOT)/native/include -o $@ $< \
		-L$(DIST)/lib -lhakmem -Wl,-rpath,$(DIST)/lib -lpthread

.DEFAULT_GOAL := $(tests_saved_default_goal)
