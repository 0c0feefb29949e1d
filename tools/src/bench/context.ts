/** Collects the context a figure must carry: git SHA, build config, compiler, peers, machine, date. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { hakmemBuildInfos } from './build-info.ts';
import { PEERS } from './find-allocators.ts';
import { repoRoot } from '../paths.ts';
import type { Allocator, RunContext } from '../types.ts';

async function run(cmd: string, args: string[], cwd = repoRoot): Promise<string | null> {
  const r = await execa(cmd, args, { cwd, reject: false, stdin: 'ignore' });
  return r.exitCode === 0 ? String(r.stdout).trim() : null;
}

/** Reads `#define NAME "value"` strings from a generated hakmem_build.h (ab's temporary builds). */
export function readBuildHeader(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^\s*#define\s+(HAKMEM_\w+)\s+"([^"]*)"/gm)) out[m[1]!] = m[2]!;
  return out;
}

function cpuModel(): string {
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1]!.trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function memTotalKb(): number | null {
  try {
    const m = fs.readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s*(\d+)/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** `dpkg-query -W` versions of the peers' packages and libc6. */
export async function peerVersions(): Promise<Record<string, string>> {
  const pkgs = [...Object.values(PEERS).map((p) => p.pkg), 'libc6'];
  const r = await execa('dpkg-query', ['-W', '-f=${Package} ${Version}\\n', ...pkgs], { reject: false });
  const out: Record<string, string> = {};
  for (const line of String(r.stdout ?? '').split('\n')) {
    const [pkg, version] = line.trim().split(/\s+/);
    if (pkg && version) out[pkg] = version;
  }
  return out;
}

/** CFLAGS as written in native/Makefile (first assignment), when it exists. */
function makefileCflags(): string | null {
  const mk = path.join(repoRoot, 'native', 'Makefile');
  if (!fs.existsSync(mk)) return null;
  const m = fs.readFileSync(mk, 'utf8').match(/^\s*CFLAGS\s*[:?+]?=\s*(.+)$/m);
  return m ? m[1]!.trim() : null;
}

/**
 * The context of a run. The hakmem entries come from the measured libraries themselves
 * (their .hakmem_manifest section), one per allocator that is a hakmem library.
 */
export async function collectContext(allocators: readonly Allocator[]): Promise<RunContext> {
  const [sha, status, cc, peers, hakmem] = await Promise.all([
    run('git', ['rev-parse', 'HEAD']),
    run('git', ['status', '--porcelain']),
    run('cc', ['--version']),
    peerVersions(),
    Promise.resolve(hakmemBuildInfos(allocators)),
  ]);
  return {
    date: new Date().toISOString(),
    gitSha: sha ?? 'unknown',
    gitDirty: status === null ? null : status.length > 0,
    hakmem,
    compiler: cc?.split('\n')[0] ?? 'unknown',
    cflags: makefileCflags(),
    peers,
    cpuModel: cpuModel(),
    nproc: os.availableParallelism(),
    memTotalKb: memTotalKb(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}
