/** Resolves allocator names to libraries: hakmem's builds, glibc, and the Debian peers when installed. */
import fs from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import { defaultLibDir } from '../paths.ts';
import type { Allocator } from '../types.ts';
import { UsageError, splitList } from './workloads.ts';

export const ALLOCATOR_NAMES = ['hakmem-fast', 'hakmem', 'glibc', 'mimalloc', 'jemalloc', 'tcmalloc', 'scudo'] as const;

/** LLVM's name for the CPU in its runtime libraries' file names. */
const LLVM_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386' };

/**
 * The directories of LLVM's runtime libraries, `/usr/lib/llvm-<v>/lib/clang/<version>/lib/linux`,
 * the newest LLVM first (Debian's libclang-rt-<v>-dev puts them there, outside the library path).
 */
export function llvmRuntimeDirs(root = '/usr/lib'): string[] {
  const versions = (dir: string, re: RegExp) => {
    try {
      return fs
        .readdirSync(dir)
        .filter((d) => re.test(d))
        .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    } catch {
      return [];
    }
  };
  return versions(root, /^llvm-\d+$/).flatMap((llvm) => {
    const clang = path.join(root, llvm, 'lib', 'clang');
    return versions(clang, /^\d/).map((v) => path.join(clang, v, 'lib', 'linux'));
  });
}

/**
 * The peers Debian ships: library file name, the package that ships it and, when it is not in
 * the library path, where the package puts it. Scudo is LLVM's hardened allocator (the default
 * of Android and Fuchsia), from `libclang-rt-14-dev` (`npm run setup` installs it).
 */
export const PEERS: Record<
  string,
  { file: string; pkg: string; dirs?: () => string[]; skips?: Readonly<Record<string, string>> }
> = {
  mimalloc: { file: 'libmimalloc.so.2', pkg: 'libmimalloc2.0' },
  jemalloc: { file: 'libjemalloc.so.2', pkg: 'libjemalloc2' },
  tcmalloc: { file: 'libtcmalloc_minimal.so.4', pkg: 'libtcmalloc-minimal4' },
  scudo: {
    file: `libclang_rt.scudo_standalone-${LLVM_ARCH[process.arch] ?? process.arch}.so`,
    pkg: 'libclang-rt-14-dev',
    dirs: () => llvmRuntimeDirs(),
    skips: {
      realloc_grow:
        "Scudo moves the buffer on almost every growth: at --quick's 16 MiB one run took minutes here, and the time grows with the square of max, so at the defaults' 256 MiB a run would take hours",
    },
  },
};

let multiarchCache: string | null | undefined;
function multiarch(): string | null {
  if (multiarchCache === undefined) {
    try {
      multiarchCache = execaSync('gcc', ['-print-multiarch']).stdout.trim() || null;
    } catch {
      multiarchCache = null;
    }
  }
  return multiarchCache;
}

/** The standard library directories, the multiarch one first. */
export function libraryDirs(): string[] {
  const ma = multiarch();
  const dirs = [
    ...(ma ? [`/usr/lib/${ma}`, `/lib/${ma}`, `/usr/local/lib/${ma}`] : []),
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/lib64',
    '/lib',
  ];
  return [...new Set(dirs)];
}

/** The path of an installed peer's library, or null; `dirs` replaces where it is looked for. */
export function findPeer(name: string, dirs?: readonly string[]): string | null {
  const peer = PEERS[name];
  if (!peer) return null;
  for (const d of dirs ?? [...(peer.dirs?.() ?? []), ...libraryDirs()]) {
    const p = path.join(d, peer.file);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

export interface ResolvedAllocators {
  allocators: Allocator[];
  /** Requested allocators that are not available, with the reason. */
  missing: { name: string; reason: string }[];
}

/**
 * Resolves `--allocators` (comma list, default all six) plus `--lib NAME=PATH` extras.
 * Missing peers and unbuilt hakmem libraries are reported, not fatal; unknown names are.
 */
export function resolveAllocators(opts: {
  list?: string;
  libs?: string[];
  libDir?: string;
  peerDirs?: string[];
}): ResolvedAllocators {
  const names = opts.list ? splitList(opts.list) : [...ALLOCATOR_NAMES];
  const libDir = opts.libDir ?? defaultLibDir;
  const allocators: Allocator[] = [];
  const missing: { name: string; reason: string }[] = [];
  for (const name of names) {
    if (name === 'glibc') {
      allocators.push({ name, preload: null });
    } else if (name === 'hakmem-fast' || name === 'hakmem') {
      const p = path.join(libDir, name === 'hakmem' ? 'libhakmem.so' : 'libhakmem-fast.so');
      if (fs.existsSync(p)) allocators.push({ name, preload: p });
      else missing.push({ name, reason: `${p} not built (run npm run build)` });
    } else if (PEERS[name]) {
      const p = findPeer(name, opts.peerDirs);
      if (p) allocators.push({ name, preload: p });
      else
        missing.push({
          name,
          reason: `${PEERS[name]!.file} not installed (npm run peers, or apt-get install ${PEERS[name]!.pkg})`,
        });
    } else {
      throw new UsageError(
        `unknown allocator "${name}"; known: ${ALLOCATOR_NAMES.join(', ')} (add others with --lib NAME=PATH)`,
      );
    }
  }
  for (const spec of opts.libs ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--lib expects NAME=PATH, got "${spec}"`);
    const name = spec.slice(0, eq);
    const p = path.resolve(spec.slice(eq + 1));
    if (allocators.some((a) => a.name === name))
      throw new UsageError(`--lib ${name}: that name is already in the list`);
    if (!fs.existsSync(p)) throw new UsageError(`--lib ${name}: ${p} does not exist`);
    allocators.push({ name, preload: p });
  }
  if (allocators.length === 0)
    throw new UsageError(`no allocator available: ${missing.map((m) => `${m.name}: ${m.reason}`).join('; ')}`);
  return { allocators, missing };
}

/** Workloads a peer is not run on, and why (`skips`): one line each in the bench's output and results. */
export function skippedPairs(
  workloads: readonly string[],
  allocators: readonly Allocator[],
): { workload: string; allocator: string; reason: string }[] {
  return workloads.flatMap((w) =>
    allocators.flatMap((a) => {
      const reason = PEERS[a.name]?.skips?.[w.split(':', 1)[0]!];
      return reason ? [{ workload: w, allocator: a.name, reason }] : [];
    }),
  );
}

/** The ratio baseline: mimalloc when it is in the run, else glibc, else the first allocator. */
export function baselineOf(allocators: readonly Allocator[]): string {
  if (allocators.some((a) => a.name === 'mimalloc')) return 'mimalloc';
  if (allocators.some((a) => a.name === 'glibc')) return 'glibc';
  return allocators[0]!.name;
}
