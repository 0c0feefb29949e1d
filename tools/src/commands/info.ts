/**
 * `hakmem info LIB`: what a hakmem library is, read from the file alone. The libraries carry
 * their manifest in the ELF section .hakmem_manifest (native/src/core/manifest.c): key=value lines
 * with the mode, the build's profile, the configuration hash, every box package's version, the
 * codegen version, the compiler and the flags. A shared library is read directly; a static
 * library (ar archive) through its manifest.o member. Nothing is loaded or run.
 */
import fs from 'node:fs';
import { ElfError, findSection } from '../bench/elf.ts';

export const MANIFEST_SECTION = '.hakmem_manifest';

export class InfoError extends Error {
  override name = 'InfoError';
}

export interface Manifest {
  /** The manifest format (1). */
  format: number;
  mode: string;
  profile: string;
  configHash: string;
  /** Box package (e.g. box-front) -> version, in build order. */
  boxes: Record<string, string>;
  codegen: string;
  compiler: string;
  cflags: string;
  /** Lines this reader does not know (a newer manifest). */
  other: Record<string, string>;
}

export interface LibraryInfo {
  file: string;
  /** The archive member holding the manifest (static libraries). */
  member?: string;
  manifest: Manifest;
}

/** Parses the section's text (up to its first NUL). */
export function parseManifest(text: string): Manifest {
  const body = text.split('\0')[0] ?? '';
  const m: Manifest = {
    format: 0,
    mode: '',
    profile: '',
    configHash: '',
    boxes: {},
    codegen: '',
    compiler: '',
    cflags: '',
    other: {},
  };
  for (const line of body.split('\n')) {
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'hakmem-manifest') m.format = Number(value);
    else if (key === 'mode') m.mode = value;
    else if (key === 'profile') m.profile = value;
    else if (key === 'config_hash') m.configHash = value;
    else if (key.startsWith('box.')) m.boxes[key.slice(4)] = value;
    else if (key === 'codegen') m.codegen = value;
    else if (key === 'compiler') m.compiler = value;
    else if (key === 'cflags') m.cflags = value;
    else m.other[key] = value;
  }
  return m;
}

/** Reads the manifest of a library file; InfoError (one line) when there is none. */
export function readLibraryInfo(file: string): LibraryInfo {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new InfoError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let found;
  try {
    found = findSection(buf, MANIFEST_SECTION);
  } catch (e) {
    if (e instanceof ElfError) throw new InfoError(`${file}: no hakmem manifest: ${e.message}`);
    throw e;
  }
  if (!found)
    throw new InfoError(
      `${file}: no hakmem manifest (no ${MANIFEST_SECTION} section): not a hakmem library, or one built before manifests`,
    );
  const manifest = parseManifest(found.data.toString('utf8'));
  if (manifest.format < 1) throw new InfoError(`${file}: the ${MANIFEST_SECTION} section is not a hakmem manifest`);
  return found.member ? { file, member: found.member, manifest } : { file, manifest };
}

/** Human-readable: one field a line. */
export function formatInfo(info: LibraryInfo): string {
  const m = info.manifest;
  const rows: [string, string][] = [
    ['mode', m.mode],
    ['profile', m.mode === 'fast' ? m.profile : `${m.profile} (built in; HAKMEM_PROFILE switches it at run time)`],
    ['config hash', m.configHash],
    ...Object.entries(m.boxes).map(([name, v]): [string, string] => [`@hakmem/${name}`, v]),
    ['@hakmem/codegen', m.codegen],
    ['compiler', m.compiler],
    ['flags', m.cflags],
    ...Object.entries(m.other),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const head = `${info.file}${info.member ? ` (${info.member})` : ''}: hakmem ${m.mode}`;
  return [head, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n') + '\n';
}

export function infoJson(info: LibraryInfo): string {
  const { other, ...m } = info.manifest;
  return `${JSON.stringify({ file: info.file, ...(info.member ? { member: info.member } : {}), ...m, ...(Object.keys(other).length ? { other } : {}) }, null, 2)}\n`;
}

/** The command: output and exit code (0, or 1 with one line on stderr). */
export function runInfo(file: string, opts: { json?: boolean } = {}): { stdout: string; stderr: string; code: number } {
  try {
    const info = readLibraryInfo(file);
    return { stdout: opts.json ? infoJson(info) : formatInfo(info), stderr: '', code: 0 };
  } catch (e) {
    if (e instanceof InfoError) return { stdout: '', stderr: `hakmem info: ${e.message}\n`, code: 1 };
    throw e;
  }
}
