import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cSources, isFormattedC } from './lint-c.ts';
import { repoRoot } from '../paths.ts';

/** clang-format's output for `text` as if it were the file `name` (so the directory's .clang-format applies). */
const formatAs = (name: string, text: string): string => {
  const r = spawnSync('clang-format', [`--assume-filename=${name}`], { cwd: repoRoot, input: text, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

const MESSY = 'int f(int x){\nif(x>0)\nreturn x;\nint *p=&x;return *p;}\n';

describe('clang-format over the C sources', () => {
  it('covers the tracked C and C++ sources, never the generated headers or the codegen fixtures', () => {
    const files = cSources();
    expect(files).toContain('native/src/core/os.c');
    expect(files).toContain('native/include/hakmem.h');
    expect(files).toContain('native/test/api/cxx_new_delete.cpp');
    expect(files.some((f) => f.startsWith('native/generated/'))).toBe(false);
    expect(isFormattedC('native/generated/fast/hakmem_build.h')).toBe(false);
    expect(isFormattedC('packages/codegen/fixtures/probe.c')).toBe(false);
    expect(isFormattedC('native/src/README.md')).toBe(false);
  });

  it('formats native/src with a 2-space indent and native/test with 4', () => {
    expect(formatAs('native/src/x.c', MESSY)).toBe(
      'int f(int x) {\n  if (x > 0) return x;\n  int *p = &x;\n  return *p;\n}\n',
    );
    expect(formatAs('native/test/x.c', MESSY)).toBe(
      'int f(int x)\n{\n    if (x > 0) return x;\n    int *p = &x;\n    return *p;\n}\n',
    );
  });

  it('the check fails on a file that is not formatted', () => {
    const r = spawnSync('clang-format', ['--dry-run', '-Werror', '--assume-filename=native/src/x.c'], {
      cwd: repoRoot,
      input: MESSY,
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/code should be clang-formatted/);
  });
});
