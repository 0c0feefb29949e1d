// Misuse is caught where it happens (issue 8): misuse.c (beside this spec) makes one misuse, then
// runs a workload that checks every block's contents. Standard and OBSERVE report it in one
// line and abort (HAKMEM_ON_INVALID=abort, the default); with warn they report it, skip the
// call and the workload finds nothing wrong. FAST does not check its fast path: it must
// survive, silently, the misuses it contains (foreign pointers, a SuperSlab's header, large
// blocks); the ones it does not see are listed in docs/reliability.md. Not run under glibc,
// which aborts on most of these by design (see docs/reliability.md for its behaviour).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, LIBS, ROOT, describeRun, expectOk, libByMode, run, testBin } from '../helpers.ts';

const P = '0x[0-9a-f]+';
/** case -> the line Standard and OBSERVE print (after "hakmem: "). */
const CASES: Record<string, RegExp> = {
  double_free: new RegExp(`free\\(\\): double free of ${P} \\(class \\d+, 64 B\\)`),
  double_free_aba: new RegExp(`free\\(\\): double free of ${P} \\(class \\d+, 112 B\\)`),
  double_free_mid: new RegExp(`free\\(\\): double free of ${P} \\(class \\d+, 20480 B\\)`),
  double_free_large: new RegExp(`free\\(\\): invalid pointer ${P} \\(not the start of a live large block`),
  interior_16: new RegExp(`free\\(\\): invalid pointer ${P} \\(16 B into the block ${P} of class \\d+, 112 B\\)`),
  interior_1: new RegExp(`free\\(\\): invalid pointer ${P} \\(1 B into the block ${P} of class \\d+, 64 B\\)`),
  interior_mid: new RegExp(`free\\(\\): invalid pointer ${P} \\(4096 B into the block ${P} of class \\d+, 20480 B\\)`),
  interior_large: new RegExp(`free\\(\\): invalid pointer ${P} \\(not the start of a live large block`),
  beyond_large: new RegExp(`free\\(\\): invalid pointer ${P} \\(not the start of a live large block`),
  header: new RegExp(`free\\(\\): invalid pointer ${P} \\(in the header of a hakmem SuperSlab\\)`),
  stack: new RegExp(`free\\(\\): invalid pointer ${P} \\(not allocated by hakmem\\)`),
  global: new RegExp(`free\\(\\): invalid pointer ${P} \\(not allocated by hakmem\\)`),
  wild: /free\(\): invalid pointer 0x1 \(not allocated by hakmem\)/,
  realloc_freed: new RegExp(`realloc\\(\\): ${P} was already freed \\(class \\d+, 64 B\\)`),
  realloc_interior: new RegExp(
    `realloc\\(\\): invalid pointer ${P} \\(16 B into the block ${P} of class \\d+, 112 B\\)`,
  ),
  realloc_stack: new RegExp(`realloc\\(\\): invalid pointer ${P} \\(not allocated by hakmem\\)`),
  uaf_poison: new RegExp(
    `malloc\\(\\): corrupted free list of class \\d+ \\(64 B\\) in a unified cache: ${P} is not a free block`,
  ),
  uaf_poison_mid: new RegExp(
    `malloc\\(\\): corrupted free list of class \\d+ \\(4096 B\\) in a unified cache: ${P} is not a free block`,
  ),
};
/** The cases FAST contains without a check on its fast path (docs/reliability.md). */
const FAST_CONTAINS = [
  'double_free_large',
  'interior_large',
  'beyond_large',
  'header',
  'stack',
  'global',
  'wild',
  'realloc_stack',
];

const checking = LIBS.filter((l) => l.mode !== 'fast');
const fast = LIBS.find((l) => l.mode === 'fast')!;

describe('misuse: the case list is the one the program knows', () => {
  it('misuse list', async () => {
    const r = await run(testBin('misuse'), ['list'], {});
    expectOk(r);
    expect(r.stdout.trim().split('\n').sort()).toEqual(Object.keys(CASES).sort());
  });
  it('an unknown case exits 2 and names it', async () => {
    const r = await run(testBin('misuse'), ['nope'], {});
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown case 'nope'/);
  });
});

describe.each(checking)('$file: every misuse is reported where it happens', (lib) => {
  it.each(Object.entries(CASES))(
    '%s: one line, then abort',
    async (name, line) => {
      const r = await run(testBin('misuse'), [name], { preload: lib.path, timeoutMs: 60_000 });
      expect(r.signal, describeRun(r)).toBe('SIGABRT');
      expect(r.stdout, describeRun(r)).toMatch(new RegExp(`^misuse: ${name} begins$`, 'm'));
      expect(r.stderr, describeRun(r)).toMatch(new RegExp(`^hakmem: ${line.source}`, 'm'));
      expect(r.stdout).not.toMatch(/ ok \(/); // nothing ran after the misuse
    },
    90_000,
  );

  it.each(Object.entries(CASES))(
    '%s with HAKMEM_ON_INVALID=warn: reported, skipped, nothing corrupted',
    async (name, line) => {
      const r = await run(testBin('misuse'), [name], {
        preload: lib.path,
        env: { HAKMEM_ON_INVALID: 'warn' },
        timeoutMs: 60_000,
      });
      expectOk(r);
      expect(r.stderr, describeRun(r)).toMatch(new RegExp(`^hakmem: ${line.source}`, 'm'));
      expect(r.stdout, describeRun(r)).toMatch(new RegExp(`^misuse: ${name} ok \\(\\d+ checks\\)$`, 'm'));
    },
    90_000,
  );

  it('HAKMEM_ON_INVALID=ignore: silent, and still nothing corrupted', async () => {
    for (const name of ['double_free', 'interior_16', 'header', 'uaf_poison']) {
      const r = await run(testBin('misuse'), [name], { preload: lib.path, env: { HAKMEM_ON_INVALID: 'ignore' } });
      expectOk(r);
      expect(r.stderr, describeRun(r)).not.toMatch(/^hakmem: /m);
      expect(r.stdout, describeRun(r)).toMatch(new RegExp(`^misuse: ${name} ok`, 'm'));
    }
  }, 120_000);
});

describe(`${fast.file}: the misuses FAST contains`, () => {
  it.each(FAST_CONTAINS)(
    '%s: no word, no crash, nothing corrupted',
    async (name) => {
      const r = await run(testBin('misuse'), [name], { preload: fast.path, timeoutMs: 60_000 });
      expectOk(r);
      expect(r.stderr, describeRun(r)).not.toMatch(/^hakmem: /m);
      expect(r.stdout, describeRun(r)).toMatch(new RegExp(`^misuse: ${name} ok \\(\\d+ checks\\)$`, 'm'));
    },
    90_000,
  );
});

// The hardened profile (unifiedCache.safeLinking): built here from its own headers,
// as a user would (hakmem.config.ts `profile: 'hardened'`; npm run codegen --out; make custom).
describe.sequential('the hardened profile: safe-linked unified caches', () => {
  const out = path.join(DIST, 'hardened');
  const lib = path.join(out, 'lib', 'libhakmem.so');
  beforeAll(async () => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    const config = path.join(out, 'hardened.config.ts'); // inside the repository: resolves @hakmem/codegen
    fs.writeFileSync(
      config,
      "import { defineConfig } from '@hakmem/codegen';\nexport default defineConfig({ profile: 'hardened' });\n",
    );
    await execa(
      'npm',
      ['run', '-s', 'codegen', '--', '--mode', 'standard', '--config', config, '--out', path.join(out, 'gen')],
      { cwd: ROOT },
    );
    await execa('make', [
      '-s',
      '-C',
      path.join(ROOT, 'native'),
      'custom',
      `HAKMEM_GENERATED_DIR=${path.join(out, 'gen')}`,
      `HAKMEM_OUT=${out}`,
    ]);
  }, 180_000);

  it('the build says so: safe-linking on, profile hardened', () => {
    expect(fs.readFileSync(path.join(out, 'gen', 'unified_cache_box.h'), 'utf8')).toMatch(
      /#define HK_UNIFIED_CACHE_SAFE_LINKING true/,
    );
  });

  it('a freed block shows no heap address (plain Standard shows the next free block)', async () => {
    const plain = await run(testBin('misuse'), ['peek'], { preload: libByMode('standard').path });
    expect(plain.stdout, describeRun(plain)).toMatch(/^misuse: peek raw$/m);
    const hard = await run(testBin('misuse'), ['peek'], { preload: lib });
    expect(hard.stdout, describeRun(hard)).toMatch(/^misuse: peek encoded$/m);
  }, 60_000);

  it.each(['uaf_poison', 'double_free', 'interior_16', 'header'])(
    '%s: reported and aborted as in Standard',
    async (name) => {
      const r = await run(testBin('misuse'), [name], { preload: lib, timeoutMs: 60_000 });
      expect(r.signal, describeRun(r)).toBe('SIGABRT');
      expect(r.stderr, describeRun(r)).toMatch(new RegExp(`^hakmem: ${CASES[name]!.source}`, 'm'));
    },
    90_000,
  );

  it.each(['mt_cross_free', 'thread_churn'])(
    '%s runs clean',
    async (name) => {
      const r = await run(testBin(name), [], { preload: lib, timeoutMs: 120_000 });
      expectOk(r);
      expect(r.stdout, describeRun(r)).toMatch(new RegExp(`^${name}: ok`, 'm'));
    },
    150_000,
  );
});
