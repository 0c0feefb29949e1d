// Builds the native allocator from the committed generated headers: `make -C native -j2`
// from the repository root (run by `nx run native:build` after codegen:generate).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { execa } from 'execa';

const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const makefile = path.join(root, 'native', 'Makefile');

if (!existsSync(makefile)) {
  console.error(`native build: ${path.relative(root, makefile)} does not exist; nothing to build the allocator with.`);
  process.exit(1);
}
try {
  await execa('make', ['-C', 'native', '-j2'], { cwd: root, stdio: 'inherit' });
} catch (err) {
  console.error(`native build: make -C native failed (exit ${err.exitCode ?? 'unknown'})`);
  process.exit(typeof err.exitCode === 'number' && err.exitCode !== 0 ? err.exitCode : 1);
}
