import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './paths.ts';

describe('defineConfig types', () => {
  it('make a wrong key or a wrongly typed value a TypeScript error (fixtures/config-types.ts)', async () => {
    const project = fileURLToPath(new URL('../fixtures/tsconfig.types.json', import.meta.url));
    const result = await execa('npx', ['tsc', '-p', project, '--noEmit'], { cwd: repoRoot, reject: false });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});
