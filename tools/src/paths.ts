/** Where things live in the repository. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** tools/ */
export const toolsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root (the npm workspace root). */
export const repoRoot = path.resolve(toolsDir, '..');

export const distDir = path.join(repoRoot, 'dist');
export const defaultBinDir = path.join(distDir, 'native', 'bin');
export const defaultLibDir = path.join(distDir, 'native', 'lib');
export const toolsBuildDir = path.join(distDir, 'tools');
export const defaultResultsDir = path.join(repoRoot, 'bench-results');
export const generatedDir = path.join(repoRoot, 'native', 'generated');
