// Every workspace package declares what it imports: a bare import in a package's TypeScript or
// JavaScript (tests included) must name a package in its dependencies or devDependencies, so
// nothing works only because the root's node_modules happens to hold it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

function workspaces(): string[] {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces
    .flatMap((w) =>
      w.endsWith('/*') ? readdirSync(path.join(ROOT, w.slice(0, -2))).map((d) => path.join(w.slice(0, -2), d)) : [w],
    )
    .filter((d) => {
      try {
        return statSync(path.join(ROOT, d, 'package.json')).isFile();
      } catch {
        return false;
      }
    });
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'fixtures') continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

/** The packages a file imports (from, import() and bare import of a quoted name); node: builtins and relative paths left out. */
export function importedPackages(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"./][^'"]*)['"]/g)) {
    const spec = m[1]!;
    if (spec.startsWith('node:')) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return [...names];
}

describe('workspace dependencies', () => {
  it('importedPackages finds bare imports and skips builtins and relative paths', () => {
    expect(
      importedPackages(
        `import a from 'execa';\nimport { x } from '@hakmem/box-kit';\nimport fs from 'node:fs';\nimport './y.ts';\nawait import('vitest/config');`,
      ).sort(),
    ).toEqual(['@hakmem/box-kit', 'execa', 'vitest']);
  });

  for (const ws of workspaces()) {
    it(`${ws} declares every package it imports`, () => {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, ws, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      const declared = new Set([
        pkg.name,
        ...Object.keys(pkg.dependencies ?? {}),
        ...Object.keys(pkg.devDependencies ?? {}),
      ]);
      const missing = sources(path.join(ROOT, ws)).flatMap((f) =>
        importedPackages(readFileSync(f, 'utf8'))
          .filter((p) => !declared.has(p))
          .map((p) => `${path.relative(ROOT, f)}: ${p}`),
      );
      expect(missing).toEqual([]);
    });
  }
});
