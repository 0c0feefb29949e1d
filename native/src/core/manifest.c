/* manifest.c: the build's manifest, embedded in the library file itself.
 *
 * The ELF section .hakmem_manifest holds one NUL-terminated text of key=value lines: mode,
 * profile, configuration hash, every box package with its version, the codegen version, the
 * compiler and the flags the library was compiled with. `npx hakmem info LIB` reads it from
 * the file (a .so, or the manifest.o member of a .a) without loading the library, so a copied
 * or installed library still says what it is. The values are the ones hak_build_info()
 * returns (front/api.c), from the same generated hakmem_build.h; the profile here is the
 * build's (HAKMEM_PROFILE can switch it at run time in Standard and OBSERVE).
 *
 * HAKMEM_BUILD_CFLAGS comes from native/Makefile (-D, include paths left out).
 */
#include "hakmem_build.h"

#ifndef HAKMEM_BUILD_CFLAGS
#define HAKMEM_BUILD_CFLAGS "unknown"
#endif

#if defined(__clang__)
#define HK_MANIFEST_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define HK_MANIFEST_COMPILER "gcc " __VERSION__
#else
#define HK_MANIFEST_COMPILER "unknown"
#endif

/* One line of the manifest per line of source (clang-format would join them). */
// clang-format off
__attribute__((section(".hakmem_manifest"), used, aligned(1)))
static const char hk_manifest[] =
    "hakmem-manifest=1\n"
    "mode=" HAKMEM_MODE_NAME "\n"
    "profile=" HAKMEM_PROFILE_NAME "\n"
    "config_hash=" HAKMEM_CONFIG_HASH "\n"
    HAKMEM_MANIFEST_BOXES
    "codegen=" HAKMEM_CODEGEN_VERSION "\n"
    "compiler=" HK_MANIFEST_COMPILER "\n"
    "cflags=" HAKMEM_BUILD_CFLAGS "\n";
// clang-format on
