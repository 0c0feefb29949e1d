/**
 * The provenance of a hakmem library, read from the library itself: the build-info probe
 * (tools/native/build-info.c) loads it and prints what its hak_build_info() reports (mode,
 * profile, config hash, box versions). The source tree's generated headers can disagree
 * with the library that was measured; the library cannot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { repoRoot, toolsBuildDir, toolsDir } from './paths.ts';
import type { LibraryBuildInfo } from './types.ts';

const source = path.join(toolsDir, 'native', 'build-info.c');
const includeDir = path.join(repoRoot, 'native', 'include');

/** Compiles the probe into dist/tools/ when it is missing or older than its source or hakmem.h; returns its path. */
export async function ensureBuildInfoProbe(outDir = toolsBuildDir): Promise<string> {
  const exe = path.join(outDir, 'build-info');
  const newest = Math.max(fs.statSync(source).mtimeMs, fs.statSync(path.join(includeDir, 'hakmem.h')).mtimeMs);
  if (!(fs.existsSync(exe) && fs.statSync(exe).mtimeMs >= newest)) {
    fs.mkdirSync(outDir, { recursive: true });
    const tmp = `${exe}.${process.pid}.tmp`;
    await execa('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-I', includeDir, '-o', tmp, source, '-ldl']);
    fs.renameSync(tmp, exe); // atomic: concurrent test workers never see a half-written binary
  }
  return exe;
}

/** The probe's `key=value` lines. */
export function parseBuildInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_]+)=(.*)$/);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** LibraryBuildInfo from the probe's fields; box versions as "box-front@0.1.0 box-superslab@0.1.0 ...". */
export function toLibraryBuildInfo(lib: string, f: Record<string, string>): LibraryBuildInfo {
  const boxes = ['front', 'superslab', 'remote', 'env'].filter((b) => f[`box_${b}`]).map((b) => `box-${b}@${f[`box_${b}`]}`);
  return {
    path: lib,
    mode: f.mode || null,
    profile: f.profile || null,
    configHash: f.config_hash || null,
    boxVersions: boxes.length ? boxes.join(' ') : null,
  };
}

export type ProbeResult = { ok: true; info: LibraryBuildInfo } | { ok: false; notHakmem: boolean; message: string };

/**
 * Asks `lib` for its build info, with the allocator's environment (the profile may come from
 * HAKMEM_PROFILE). The probe dlopen()s the library; a library that cannot be dlopen()ed (e.g.
 * initial-exec TLS: "cannot allocate memory in static TLS block") is loaded with LD_PRELOAD instead.
 */
export async function probeBuildInfo(lib: string, env: Record<string, string> = {}): Promise<ProbeResult> {
  let probe: string;
  try {
    probe = await ensureBuildInfoProbe();
  } catch (e) {
    return { ok: false, notHakmem: false, message: `the build-info probe did not compile: ${(e as Error).message.split('\n')[0]}` };
  }
  const base = { ...process.env, LD_PRELOAD: undefined, ...env };
  let r = await execa(probe, [lib], { env: base, extendEnv: false, reject: false, stdin: 'ignore', timeout: 30_000 });
  if (r.exitCode !== 0 && /cannot (load|allocate)/.test(String(r.stderr))) {
    r = await execa(probe, [lib], { env: { ...base, LD_PRELOAD: lib }, extendEnv: false, reject: false, stdin: 'ignore', timeout: 30_000 });
  }
  if (r.exitCode === 0) return { ok: true, info: toLibraryBuildInfo(lib, parseBuildInfo(String(r.stdout))) };
  const stderr = String(r.stderr ?? '').trim().split('\n').filter((l) => l.startsWith('build-info:')).pop();
  const message = stderr ?? `the build-info probe ${r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode}`}`;
  return { ok: false, notHakmem: /does not export hak_build_info/.test(message), message };
}

/** A hakmem library by its file name (libhakmem.so, libhakmem-fast.so, ...). */
export function looksLikeHakmem(lib: string): boolean {
  return /^libhakmem[-.]/.test(path.basename(lib));
}

/**
 * The build info of every preloaded library that is a hakmem library: the ones whose
 * hak_build_info() answers, plus those named libhakmem* whose probe failed (null fields and a note).
 */
export async function hakmemBuildInfos(
  allocators: readonly { name: string; preload: string | null; env?: Record<string, string> }[],
): Promise<Record<string, LibraryBuildInfo>> {
  const out: Record<string, LibraryBuildInfo> = {};
  for (const a of allocators) {
    if (!a.preload) continue;
    const r = await probeBuildInfo(a.preload, a.env);
    if (r.ok) out[a.name] = r.info;
    else if (looksLikeHakmem(a.preload)) {
      out[a.name] = { path: a.preload, mode: null, profile: null, configHash: null, boxVersions: null, note: r.message };
    }
  }
  return out;
}
