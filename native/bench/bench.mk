# native/bench/bench.mk - the workload programs (included by native/Makefile).
#
# Provides the target `bench`: dist/native/bin/<name> from native/bench/<name>.c for every
# workload. Relies on $(CC), $(CFLAGS), $(ROOT) (repository root, absolute) and
# $(DIST) (= $(ROOT)/dist/native) from the including makefile.
# The programs call plain malloc/free/realloc and link against nothing but libc/libpthread:
# the allocator under test is chosen at run time with LD_PRELOAD.

# Keep the includer's default goal whether it includes us before or after its first target.
bench_saved_default_goal := $(.DEFAULT_GOAL)

BENCH_SRC_DIR := $(ROOT)/native/bench
BENCH_BIN_DIR := $(DIST)/bin
BENCH_NAMES   := random_mixed tiny_hot batch larson thread_churn mid_large_mt vm_mixed xthread large_mixed realloc_grow handoff exchange
BENCH_BINS    := $(addprefix $(BENCH_BIN_DIR)/,$(BENCH_NAMES))
BENCH_HEADERS := $(wildcard $(BENCH_SRC_DIR)/*.h) $(wildcard $(ROOT)/native/common/*.h)

.PHONY: bench
bench: $(BENCH_BINS)

$(BENCH_BINS): $(BENCH_BIN_DIR)/%: $(BENCH_SRC_DIR)/%.c $(BENCH_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BENCH_SRC_DIR) -I$(ROOT)/native/common -o $@ $< -lpthread

.DEFAULT_GOAL := $(bench_saved_default_goal)
