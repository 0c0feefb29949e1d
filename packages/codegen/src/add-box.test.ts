// A box is added in one place: in a temporary copy of the repository, a throw-away package
// packages/box-probe (its package.json and src/box.ts, nothing else) is generated, type-checked
// in hakmem.config.ts, built with gcc in all three modes and read back from the library: its
// knobs from the environment (HAKMEM_VERBOSE=2), its invariant at run time, its version in the
// start-up line. No codegen file, template, C file or list is edited.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './paths.ts';

let copy: string;
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const lib = (name: string): string => path.join(copy, 'dist', 'lib', name);

const BOX_TS = `import { atMost, counter, defineBox, int } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

/** A throw-away box for the add-a-box test. */
export const probe = defineBox({
  name: 'probe',
  packageName: pkg.name,
  version: pkg.version,
  configPath: 'probe',
  cPrefix: 'probe',
  envPrefix: 'PROBE_',
  knobs: {
    /** How many at most. */
    limit: int({ default: 8, min: 1, max: 100, scope: 'env' }),
    /** How many at once. */
    batch: int({ default: 2, min: 1, max: 100, scope: 'env' }),
    /** Fixed at build time. */
    slots: int({ default: 4, min: 1, max: 16, scope: 'const' }),
  },
  invariants: [atMost('probe.batch', 'probe.limit')],
  counters: {
    /** Things that happened. */
    events: counter(),
  },
});
`;

async function preloaded(library: string, env: Record<string, string>): Promise<string[]> {
  const r = await execa('/bin/ls', [copy], { env: { ...env, LD_PRELOAD: library }, extendEnv: true, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stderr.split('\n').filter(Boolean);
}

beforeAll(async () => {
  copy = mkdtempSync(path.join(os.tmpdir(), 'hakmem-add-box-'));
  const skip = new Set(['node_modules', 'dist', '.git', 'bench-results', 'test-artifacts']);
  for (const entry of [
    'packages',
    'native',
    'docs',
    'hakmem.config.ts',
    'package.json',
    'tsconfig.base.json',
    'tsconfig.json',
  ]) {
    cpSync(path.join(repoRoot, entry), path.join(copy, entry), {
      recursive: true,
      filter: (src) => !skip.has(path.basename(src)),
    });
  }
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
  const pkg = path.join(copy, 'packages', 'box-probe');
  mkdirSync(path.join(pkg, 'src'), { recursive: true });
  writeFileSync(
    path.join(pkg, 'package.json'),
    `${JSON.stringify({ name: '@hakmem/box-probe', version: '0.0.7', private: true, type: 'module', exports: { '.': './src/box.ts' }, dependencies: { '@hakmem/box-kit': '0.1.0' }, hakmem: { order: 50, cFiles: [] } }, null, 2)}\n`,
  );
  writeFileSync(path.join(pkg, 'src', 'box.ts'), BOX_TS);
  const gen = await execa(tsx, [path.join(copy, 'packages', 'codegen', 'src', 'cli.ts')], { cwd: copy, reject: false });
  expect(gen.stderr).toBe('');
  expect(gen.exitCode).toBe(0);
  await execa('make', ['-s', '-C', path.join(copy, 'native'), `DIST=${path.join(copy, 'dist')}`, '-j2', 'libs'], {
    env: { MAKEFLAGS: '' },
  });
}, 600_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('a new box package alone', () => {
  it('gets a header of its own in every mode, from the generic template, placed by its hakmem.order', () => {
    for (const mode of ['fast', 'standard', 'observe']) {
      const header = readFileSync(path.join(copy, 'native', 'generated', mode, 'probe_box.h'), 'utf8');
      expect(header).toContain('static inline int64_t hk_probe_limit(void)');
      expect(header).toContain('#define HK_PROBE_SLOTS 4');
    }
    const build = readFileSync(path.join(copy, 'native', 'generated', 'standard', 'hakmem_build.h'), 'utf8');
    expect(build).toContain(
      '#define HAKMEM_BOX_VERSIONS "box-front@0.1.0 box-unified-cache@0.1.0 box-large@0.1.0 box-superslab@0.1.0 box-remote@0.1.0 box-probe@0.0.7 box-env@',
    );
    expect(existsSync(path.join(copy, 'packages', 'codegen', 'templates', 'probe_box.h.hbs'))).toBe(false);
  });

  it("is part of hakmem.config.ts's type: its knobs are typed, a wrong value is an error", async () => {
    writeFileSync(
      path.join(copy, 'probe.config.ts'),
      `import { defineConfig } from './packages/codegen/src/config.ts';\n` +
        `export default defineConfig({ profile: 'lean', probe: { limit: 50, slots: 8 } });\n` +
        `// @ts-expect-error a string for an int knob\n` +
        `defineConfig({ probe: { limit: 'many' } });\n` +
        `// @ts-expect-error no such knob\n` +
        `defineConfig({ probe: { limt: 5 } });\n`,
    );
    writeFileSync(
      path.join(copy, 'tsconfig.probe.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['probe.config.ts'], exclude: [] }),
    );
    const r = await execa(
      path.join(repoRoot, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.probe.json', '--noEmit'],
      { cwd: copy, reject: false },
    );
    expect(r.stdout + r.stderr).toBe('');
    // and codegen takes the value from a config file
    const gen = await execa(
      tsx,
      ['packages/codegen/src/cli.ts', '--config', 'probe.config.ts', '--mode', 'fast', '--out', 'gen-fast'],
      { cwd: copy, reject: false },
    );
    expect(gen.exitCode, gen.stderr).toBe(0);
    expect(readFileSync(path.join(copy, 'gen-fast', 'probe_box.h'), 'utf8')).toContain(
      'static inline int64_t hk_probe_limit(void) { return 50; }',
    );
  });

  it('builds with gcc in all three modes and the Standard library reads its knobs and checks its invariant', async () => {
    for (const name of ['libhakmem.so', 'libhakmem-fast.so', 'libhakmem-observe.so'])
      expect(existsSync(lib(name)), name).toBe(true);
    const lines = await preloaded(lib('libhakmem.so'), { HAKMEM_VERBOSE: '2', HAKMEM_PROBE_LIMIT: '50' });
    expect(lines[0]).toMatch(
      /^hakmem standard profile=balanced config=[0-9a-f]{16} .*box-probe@0\.0\.7 box-env@\S+ overrides: HAKMEM_PROBE_LIMIT=50 /,
    );
    expect(lines).toContain('hakmem:   probe.limit = 50 (environment HAKMEM_PROBE_LIMIT)');
    expect(lines).toContain('hakmem:   probe.batch = 2 (default)');
    expect(lines).toContain('hakmem:   probe.slots = 4 (default, build-time)');
    const broken = await preloaded(lib('libhakmem.so'), { HAKMEM_PROBE_LIMIT: '5', HAKMEM_PROBE_BATCH: '6' });
    expect(broken).toEqual([
      "hakmem: ignoring the environment's configuration: HAKMEM_PROBE_BATCH=6 and HAKMEM_PROBE_LIMIT=5 break probe.batch = 6 must be <= probe.limit (5); keeping the build's (profile balanced)",
    ]);
  });

  it('has its counters in the OBSERVE report (native/src/env/stats.c walks every box with counters)', async () => {
    const lines = await preloaded(lib('libhakmem-observe.so'), { HAKMEM_STATS: 'json' });
    const report = JSON.parse(lines.find((l) => l.startsWith('{"hakmem_stats":')) ?? 'null') as {
      boxes: Record<string, unknown>;
    } | null;
    expect(report, lines.join('\n')).not.toBeNull();
    expect(report!.boxes.probe).toEqual({ events: 0 });
  });
});
