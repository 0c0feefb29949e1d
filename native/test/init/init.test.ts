// Early and awkward first calls, and pointers hakmem did not hand out:
// init_paths.c (beside this spec) with ctor_lib.so (ctor_lib.c) preloaded before or after each
// library (so a foreign constructor may be the allocator's very first caller), plus dlsym,
// getenv and atexit from constructors, dlopen from a thread, and foreign/bogus frees.
import { describe, expect, it } from 'vitest';
import { LIBS, describeRun, expectOk, run, testBin } from '../helpers.ts';

const ctorLib = () => testBin('ctor_lib.so');

describe.sequential('init_paths', () => {
  it('runs under glibc with ctor_lib.so (the control)', async () => {
    const r = await run(testBin('init_paths'), [], { preload: ctorLib(), timeoutMs: 60_000 });
    expectOk(r);
    expect(r.stdout, describeRun(r)).toMatch(/^init_paths: ok \(\d+ checks\)$/m);
    expect(r.stdout).toMatch(/^ctor_lib: atexit ok$/m);
  }, 90_000);

  it('fails when ctor_lib.so is not preloaded (the test can fail)', async () => {
    const r = await run(testBin('init_paths'), [], { timeoutMs: 60_000 });
    expect(r.exitCode, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/constructor did not complete/);
  }, 90_000);

  describe.each(LIBS)('$file', (lib) => {
    for (const order of ['ctor_lib first', 'hakmem first'] as const) {
      it(`${order}: constructors, dlsym, getenv, atexit and foreign frees all work`, async () => {
        const preload = order === 'ctor_lib first' ? `${ctorLib()} ${lib.path}` : `${lib.path} ${ctorLib()}`;
        // Standard and OBSERVE refuse the foreign pointers; warn reports them and goes on
        const r = await run(testBin('init_paths'), [], {
          env: { LD_PRELOAD: preload, HAKMEM_VERBOSE: '1', HAKMEM_ON_INVALID: 'warn' },
          timeoutMs: 60_000,
        });
        expectOk(r);
        if (lib.mode !== 'fast') {
          expect(r.stderr, describeRun(r)).toMatch(
            /^hakmem: realloc\(\): invalid pointer 0x[0-9a-f]+ \(not allocated by hakmem\)$/m,
          );
          expect(r.stderr).toMatch(
            /^hakmem: free\(\): invalid pointer 0x[0-9a-f]+ \(not the start of a live large block/m,
          );
          expect(
            r.stderr.match(/^hakmem: free\(\): invalid pointer 0x[0-9a-f]+ \(not allocated by hakmem\)$/gm)?.length,
          ).toBe(3);
        } else {
          expect(r.stderr, describeRun(r)).not.toMatch(/^hakmem: /m);
        }
        // the hakmem-only checks (foreign, stack and interior frees) ran: more checks than glibc
        // (Standard and OBSERVE make one more: realloc's refusal)
        const checks = lib.mode === 'fast' ? 109 : 110;
        expect(r.stdout, describeRun(r)).toMatch(new RegExp(`^init_paths: ok \\(${checks} checks\\)$`, 'm'));
        expect(r.stdout).toMatch(/^ctor_lib: atexit ok$/m);
        if (lib.mode !== 'fast') expect(r.stderr).toMatch(new RegExp(`^hakmem ${lib.mode} profile=`, 'm'));
      }, 90_000);
    }
  });
});
