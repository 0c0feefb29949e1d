/**
 * The machine prerequisites: one table of Debian packages, what proves each is present and why
 * the project needs it. `npm run setup` (setup.ts) installs from it; `npm run check-prereqs`
 * (check-prereqs.ts) and the vitest global setup check it so that a missing program stops
 * `npm test` at once with one line, instead of a failure deep in the suite.
 *
 * Presence is probed, not asked of dpkg: a command on PATH, a file, or a library in the
 * standard library directories. Node and python3 may come from outside Debian (nvm, pyenv):
 * a command found on PATH counts as present whatever installed it. Node itself is not in the
 * table: `npm ci`, which must run first, already needs it (and Debian 12's nodejs is too old).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PEERS, libraryDirs } from './find-allocators.ts';
import { REAL_NEEDS } from './real-needs.ts';

/** A command on PATH, an absolute file (`*` matches one path segment), or a library file name. */
export type Probe = { cmd: string } | { file: string } | { lib: string };

export interface Prereq {
  /** The Debian package that provides it. */
  pkg: string;
  /** Every probe must succeed for the package to count as present. */
  probes: Probe[];
  why: string;
}

const peer = (name: string, why: string): Prereq => ({
  pkg: PEERS[name]!.pkg,
  probes: [{ lib: PEERS[name]!.file }],
  why,
});

/** The packages of the real workloads (real-needs.ts), one entry per package with all its probes. */
function realPrereqs(): Prereq[] {
  const byPkg = new Map<string, Prereq>();
  for (const [workload, needs] of Object.entries(REAL_NEEDS))
    for (const n of needs) {
      const p = byPkg.get(n.pkg) ?? {
        pkg: n.pkg,
        probes: [],
        why: `the ${workload} real workload of hakmem bench (docs/real-workloads.md)`,
      };
      p.probes.push(n.probe);
      byPkg.set(n.pkg, p);
    }
  return [...byPkg.values()];
}

export const PREREQS: readonly Prereq[] = [
  { pkg: 'gcc', probes: [{ cmd: 'gcc' }, { cmd: 'cc' }], why: 'builds native/ (the Makefile and the tests call cc)' },
  { pkg: 'g++', probes: [{ cmd: 'g++' }, { cmd: 'c++' }], why: 'builds the C++ operator new/delete tests' },
  { pkg: 'make', probes: [{ cmd: 'make' }], why: 'runs native/Makefile' },
  {
    pkg: 'pkg-config',
    probes: [{ cmd: 'pkg-config' }],
    why: 'the install test builds a program with pkg-config --cflags --libs hakmem',
  },
  { pkg: 'binutils', probes: [{ cmd: 'nm' }], why: 'the linker and assembler; nm checks exported symbols' },
  { pkg: 'valgrind', probes: [{ cmd: 'valgrind' }], why: 'callgrind instruction counts (bench --instructions)' },
  { pkg: 'strace', probes: [{ cmd: 'strace' }], why: 'the syscall budget tests and bench --syscalls' },
  {
    pkg: 'linux-perf',
    probes: [{ cmd: 'perf' }],
    why: 'hakmem profile: where CPU time goes, by timer sampling (works without hardware counters)',
  },
  { pkg: 'git', probes: [{ cmd: 'git' }], why: 'a real program under LD_PRELOAD; the commit in run context' },
  { pkg: 'python3', probes: [{ cmd: 'python3' }], why: 'a real program under LD_PRELOAD' },
  { pkg: 'gzip', probes: [{ cmd: 'gzip' }], why: 'a real program under LD_PRELOAD' },
  {
    pkg: 'coreutils',
    probes: [{ cmd: 'sort' }, { cmd: 'sha256sum' }],
    why: 'sort and sha256sum in the real-program tests',
  },
  {
    pkg: 'chromium',
    probes: [{ file: process.env.HAKMEM_CHROMIUM ?? '/usr/bin/chromium' }],
    why: 'renders the HTML report in the end-to-end test',
  },
  peer('mimalloc', 'peer allocator in the benchmark (the ratio baseline)'),
  peer('jemalloc', 'peer allocator in the benchmark'),
  peer('tcmalloc', 'peer allocator in the benchmark'),
  { pkg: 'clang', probes: [{ cmd: 'clang' }], why: 'sanitizer and fuzzing builds' },
  { pkg: 'clang-format', probes: [{ cmd: 'clang-format' }], why: 'npm run lint checks the C sources (.clang-format)' },
  {
    pkg: 'libclang-rt-14-dev',
    probes: [{ file: '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a' }],
    why: "clang's sanitizer and libFuzzer runtimes",
  },
  ...realPrereqs(),
];

/** Where the probes look; injectable so tests can simulate a machine that lacks something. */
export interface ProbeEnv {
  /** Directories searched for commands (PATH). */
  pathDirs: string[];
  /** Prefix for file probes and library directories ('/' on the real machine). */
  root: string;
  /** Library directories, before the root prefix. */
  libDirs: string[];
}

const MULTIARCH: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  ia32: 'i386-linux-gnu',
};

/**
 * The real machine, with two overrides for tests: HAKMEM_PREREQ_PATH replaces PATH for command
 * probes, HAKMEM_PREREQ_ROOT is prepended to file probes and library directories.
 */
export function defaultProbeEnv(env: NodeJS.ProcessEnv = process.env): ProbeEnv {
  const pathVar = env.HAKMEM_PREREQ_PATH ?? env.PATH ?? '';
  // libraryDirs() asks gcc for the multiarch directory; add it from the CPU too, so a machine
  // without gcc reports gcc missing, not also every peer library.
  const ma = MULTIARCH[process.arch];
  const libDirs = [...new Set([...libraryDirs(), ...(ma ? [`/usr/lib/${ma}`, `/lib/${ma}`] : [])])];
  return { pathDirs: pathVar.split(':').filter(Boolean), root: env.HAKMEM_PREREQ_ROOT ?? '/', libDirs };
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Whether an absolute path with `*` segments matches an existing file. */
function globExists(pattern: string): boolean {
  const parts = pattern.split('/').filter(Boolean);
  const walk = (dir: string, i: number): boolean => {
    if (i === parts.length) return fs.existsSync(dir);
    const part = parts[i]!;
    if (!part.includes('*')) return walk(path.join(dir, part), i + 1);
    const re = new RegExp(
      `^${part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return false;
    }
    return names.some((n) => re.test(n) && walk(path.join(dir, n), i + 1));
  };
  return walk(pattern.startsWith('/') ? '/' : '.', 0);
}

export function probeOk(probe: Probe, env: ProbeEnv): boolean {
  if ('cmd' in probe) return env.pathDirs.some((d) => isExecutable(path.join(d, probe.cmd)));
  if ('file' in probe) return globExists(path.join(env.root, probe.file));
  return env.libDirs.some((d) => fs.existsSync(path.join(env.root, d, probe.lib)));
}

export interface Missing {
  prereq: Prereq;
  /** The probes that failed. */
  failed: Probe[];
}

/** The prerequisites whose probes fail; filesystem look-ups only, no child process but gcc's multiarch. */
export function findMissing(prereqs: readonly Prereq[] = PREREQS, env: ProbeEnv = defaultProbeEnv()): Missing[] {
  const out: Missing[] = [];
  for (const prereq of prereqs) {
    const failed = prereq.probes.filter((p) => !probeOk(p, env));
    if (failed.length) out.push({ prereq, failed });
  }
  return out;
}

const probeText = (p: Probe): string => ('cmd' in p ? p.cmd : 'file' in p ? p.file : p.lib);

/** `chromium (/usr/bin/chromium)`, or just `valgrind` when the missing command is the package's name. */
export function describeMissing(m: Missing): string {
  const what = m.failed.map(probeText).filter((t) => t !== m.prereq.pkg);
  return what.length ? `${m.prereq.pkg} (${what.join(', ')})` : m.prereq.pkg;
}

export const SETUP_COMMAND = 'npm run setup';

/** The one line `npm test` stops with. */
export function missingLine(missing: readonly Missing[]): string {
  return `hakmem: missing prerequisites: ${missing.map(describeMissing).join(', ')}; run: ${SETUP_COMMAND}`;
}

/** The check: null when everything is present, else the one line to print. */
export function checkPrereqs(prereqs: readonly Prereq[] = PREREQS, env: ProbeEnv = defaultProbeEnv()): string | null {
  const missing = findMissing(prereqs, env);
  return missing.length ? missingLine(missing) : null;
}
