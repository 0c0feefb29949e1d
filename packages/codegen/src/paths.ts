import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root (this file is packages/codegen/src/paths.ts). */
export const repoRoot: string = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export const templatesDir: string = fileURLToPath(new URL('../templates', import.meta.url));

/** A path relative to the repository root, with forward slashes (for banners and messages). */
export function repoRelative(file: string): string {
  return path.relative(repoRoot, file).split(path.sep).join('/');
}
