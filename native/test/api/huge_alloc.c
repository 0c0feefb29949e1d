/*
 * huge_alloc - requests far beyond the machine's memory must fail the way they fail under
 * glibc (the kernel's overcommit policy decides, not the allocator): prints one line per
 * request, "<what>: NULL errno=ENOMEM" or "<what>: ok", so the spec can compare the output
 * under each library with the output under glibc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static void try(const char *what, void *(*fn)(size_t), size_t n)
{
    errno = 0;
    void *p = fn(n);
    printf("%s: %s\n", what, p ? "ok" : errno == ENOMEM ? "NULL errno=ENOMEM" : "NULL errno=?");
    free(p);
}

static void *one_tib_calloc(size_t n) { return calloc(1, n); }
static void *grow(size_t n)
{
    void *p = malloc(100);
    void *q = p ? realloc(p, n) : NULL;
    if (!q) free(p);
    return q;
}

int main(void)
{
    try("malloc(1 TiB)", malloc, (size_t)1 << 40);
    try("calloc(1, 1 TiB)", one_tib_calloc, (size_t)1 << 40);
    try("realloc(p, 1 TiB)", grow, (size_t)1 << 40);
    try("malloc(64 MiB)", malloc, (size_t)64 << 20);
    return 0;
}
