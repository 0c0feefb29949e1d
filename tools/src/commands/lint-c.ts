/**
 * The C part of `npm run lint` / `npm run format`: clang-format over every tracked C and C++
 * source, in check mode (`--dry-run -Werror`, exit 1 and the offending lines on stderr) or with
 * `--fix` (rewrites in place). The style is `.clang-format` at the root, overridden per directory
 * (native/test, native/bench, tools/native keep their 4-space indent). CI uses Debian 12's
 * clang-format 14 (prereqs.ts); another major version may format a few constructs differently.
 *
 *   hakmem lint-c           check
 *   hakmem lint-c --fix     rewrite
 *   hakmem lint-c --list    print the files it covers
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { repoRoot } from '../paths.ts';

/** Files clang-format leaves alone, with the reason (paths relative to the root; a trailing `/` is a directory). */
export const C_FORMAT_EXCLUDED: ReadonlyMap<string, string> = new Map([
  // No .clang-format with DisableFormat inside it: Nx restores that directory from its cache as
  // codegen's output, which would drop a file codegen does not write.
  ['native/generated/', 'written by codegen; `codegen --check` compares it byte for byte'],
  ['packages/codegen/fixtures/', 'test inputs whose exact text the tests read'],
]);

const C_SOURCE = /\.(c|h|cc|cpp|hpp)$/;

/** Whether clang-format covers a repository-relative path. */
export function isFormattedC(file: string, excluded: ReadonlyMap<string, string> = C_FORMAT_EXCLUDED): boolean {
  if (!C_SOURCE.test(file)) return false;
  for (const ex of excluded.keys()) {
    if (ex.endsWith('/') ? file.startsWith(ex) : file === ex) return false;
  }
  return true;
}

/** The tracked C and C++ sources clang-format covers, sorted (a new file counts once it is `git add`ed). */
export function cSources(cwd: string = repoRoot): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--', '*.c', '*.h', '*.cc', '*.cpp', '*.hpp'], {
    cwd,
    encoding: 'utf8',
  });
  return out
    .split('\0')
    .filter((f) => f && isFormattedC(f))
    .sort();
}

/** Checks (or with `fix` rewrites, or with `list` prints) the C sources; the exit status. */
export function runLintC({ fix = false, list = false }: { fix?: boolean; list?: boolean } = {}): number {
  const files = cSources();
  if (list) {
    process.stdout.write(files.map((f) => `${f}\n`).join(''));
    return 0;
  }
  const version = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    process.stderr.write('lint: clang-format not found; run: npm run setup\n');
    return 1;
  }
  const major = /version (\d+)/.exec(version.stdout)?.[1];
  if (major !== '14') {
    process.stderr.write(`lint: clang-format ${major ?? '?'} (CI uses 14); its output may differ in places\n`);
  }
  const args = fix ? ['-i', ...files] : ['--dry-run', '-Werror', ...files];
  const r = spawnSync('clang-format', args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    if (!fix) process.stderr.write('lint: C sources are not clang-formatted; run: npm run format\n');
    return r.status ?? 1;
  }
  process.stderr.write(`lint: ${files.length} C sources ${fix ? 'formatted' : 'clang-formatted'}\n`);
  return 0;
}
