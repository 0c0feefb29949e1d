/**
 * The provenance of a measured hakmem library, read from the library file itself: its
 * .hakmem_manifest section (mode, profile, config hash, box versions; see info.ts). The source
 * tree's generated headers can disagree with the library that was measured; the file cannot.
 * Nothing is loaded or run. The profile is the one the library was built with; a run-time
 * HAKMEM_PROFILE is recorded with the allocator's environment.
 */
import path from 'node:path';
import { readLibraryInfo, type Manifest } from '../commands/info.ts';
import type { LibraryBuildInfo } from '../types.ts';

/** LibraryBuildInfo from a manifest; box versions as "box-front@0.1.0 box-superslab@0.1.0 ...". */
export function toLibraryBuildInfo(lib: string, m: Manifest): LibraryBuildInfo {
  const boxes = Object.entries(m.boxes).map(([box, version]) => `${box}@${version}`);
  return {
    path: lib,
    mode: m.mode || null,
    profile: m.profile || null,
    configHash: m.configHash || null,
    boxVersions: boxes.length ? boxes.join(' ') : null,
  };
}

/** A hakmem library by its file name (libhakmem.so, libhakmem-fast.so, ...). */
export function looksLikeHakmem(lib: string): boolean {
  return /^libhakmem[-.]/.test(path.basename(lib));
}

/**
 * The build info of every preloaded library that carries a hakmem manifest, plus those named
 * libhakmem* that do not (null fields and a note saying why).
 */
export function hakmemBuildInfos(
  allocators: readonly { name: string; preload: string | null }[],
): Record<string, LibraryBuildInfo> {
  const out: Record<string, LibraryBuildInfo> = {};
  for (const a of allocators) {
    if (!a.preload) continue;
    try {
      out[a.name] = toLibraryBuildInfo(a.preload, readLibraryInfo(a.preload).manifest);
    } catch (e) {
      if (looksLikeHakmem(a.preload)) {
        out[a.name] = {
          path: a.preload,
          mode: null,
          profile: null,
          configHash: null,
          boxVersions: null,
          note: (e as Error).message,
        };
      }
    }
  }
  return out;
}
