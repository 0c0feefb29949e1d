/** The results directory: bench-results/<UTC timestamp>/ plus the `latest` symlink (a copy where symlinks fail). */
import fs from 'node:fs';
import path from 'node:path';

/** e.g. 2026-11-26T09-41-07Z (a file-name-safe UTC timestamp). */
export function utcStamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

/** Creates <root>/<prefix><stamp>/ (suffixing -2, -3 ... when it exists). */
export function createResultsDir(root: string, prefix = '', d = new Date()): string {
  fs.mkdirSync(root, { recursive: true });
  const base = path.join(root, `${prefix}${utcStamp(d)}`);
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Writes name -> content into dir. */
export function writeFiles(dir: string, files: Record<string, string>): string[] {
  return Object.entries(files).map(([name, content]) => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  });
}

/** Points <root>/<name> at dir (relative symlink), replacing an older link or copy. */
export function updateLatest(root: string, dir: string, name = 'latest'): string {
  const link = path.join(root, name);
  fs.rmSync(link, { recursive: true, force: true });
  try {
    fs.symlinkSync(path.relative(root, dir), link, 'dir');
  } catch {
    fs.cpSync(dir, link, { recursive: true });
  }
  return link;
}
