import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Output file (absolute path) -> content. */
export type Outputs = ReadonlyMap<string, string>;

/** Files whose content on disk differs from what would be written (missing counts as differing). */
export function compareOutputs(outputs: Outputs): string[] {
  const differing: string[] = [];
  for (const [file, content] of outputs) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== content) differing.push(file);
  }
  return differing;
}

/**
 * Writes every file into a temporary directory beside its destination first, then renames each
 * into place, so a failure while writing leaves no half-written file behind.
 */
export function writeOutputs(outputs: Outputs): string[] {
  const byDir = new Map<string, [string, string][]>();
  for (const [file, content] of outputs) {
    const dir = path.dirname(file);
    byDir.set(dir, [...(byDir.get(dir) ?? []), [file, content]]);
  }
  const staged: { tmpDir: string; moves: [string, string][] }[] = [];
  try {
    for (const [dir, files] of byDir) {
      mkdirSync(path.dirname(dir), { recursive: true });
      const tmpDir = mkdtempSync(path.join(path.dirname(dir), `.${path.basename(dir)}.tmp-`));
      const moves: [string, string][] = [];
      for (const [file, content] of files) {
        const tmp = path.join(tmpDir, path.basename(file));
        writeFileSync(tmp, content);
        moves.push([tmp, file]);
      }
      staged.push({ tmpDir, moves });
    }
    for (const { moves } of staged) {
      for (const [tmp, file] of moves) {
        mkdirSync(path.dirname(file), { recursive: true });
        renameSync(tmp, file);
      }
    }
  } finally {
    for (const { tmpDir } of staged) rmSync(tmpDir, { recursive: true, force: true });
  }
  return [...outputs.keys()];
}
