/*
 * ctor_lib.c - a shared library whose constructor allocates, calls dlsym, getenv and atexit,
 * and whose atexit handler allocates again. Preloaded before or after libhakmem, its
 * constructor can be the very first call into the allocator (before hakmem's own
 * constructor has run): initialisation must neither recurse nor deadlock there.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hk_program.h"

int ctor_lib_ok;

static void at_exit_alloc(void)
{
    char *p = malloc(300);
    char *q = calloc(3, 1000);
    if (!p || !q || q[2999] != 0) {
        static const char msg[] = "ctor_lib: atexit allocation failed\n";
        hk_write_err(msg, sizeof msg - 1);
        _exit(3);
    }
    snprintf(p, 300, "ctor_lib: atexit ok\n");
    (void)!write(1, p, strlen(p));
    free(q);
    free(p);
}

__attribute__((constructor)) static void ctor_lib_init(void)
{
    char *p = malloc(64);
    void *sym = dlsym(RTLD_DEFAULT, "malloc");             /* may allocate (dlerror state) */
    void *none = dlsym(RTLD_DEFAULT, "no_such_symbol_hk"); /* allocates the error string */
    const char *err = dlerror();
    const char *home = getenv("PATH");
    void *big = malloc(1 << 20);
    void *aligned = NULL;
    int rc = posix_memalign(&aligned, 4096, 100);
    p = realloc(p, 5000);
    if (!p || !sym || none || !err || !home || !big || rc != 0 || ((unsigned long)aligned & 4095)) return;
    memset(big, 1, 1 << 20);
    free(big);
    free(aligned);
    free(p);
    if (atexit(at_exit_alloc) != 0) return;
    ctor_lib_ok = 1;
}
