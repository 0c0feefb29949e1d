import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PREREQS, checkPrereqs, findMissing } from './prereqs.ts';
import { fakeMachine } from './prereqs-fixture.ts';
import { repoRoot } from '../paths.ts';

const hakmem = path.join(repoRoot, 'tools', 'bin', 'hakmem.mjs');
const checkScript = (env: Record<string, string>) => {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.HAKMEM_CHROMIUM;
  return execa(process.execPath, [hakmem, 'check-prereqs'], {
    cwd: repoRoot,
    env: childEnv,
    extendEnv: false,
    reject: false,
    timeout: 10_000,
  });
};

describe('prerequisites table', () => {
  it('names every package the project needs once, each with a probe and a reason', () => {
    const pkgs = PREREQS.map((p) => p.pkg);
    expect(new Set(pkgs).size).toBe(pkgs.length);
    for (const want of [
      'gcc',
      'g++',
      'make',
      'binutils',
      'valgrind',
      'strace',
      'git',
      'python3',
      'gzip',
      'chromium',
      'libmimalloc2.0',
      'libjemalloc2',
      'libtcmalloc-minimal4',
      'clang',
      'clang-format',
      'libclang-rt-14-dev',
    ]) {
      expect(pkgs).toContain(want);
    }
    for (const p of PREREQS) {
      expect(p.probes.length, p.pkg).toBeGreaterThan(0);
      expect(p.why, p.pkg).not.toBe('');
    }
  });
});

describe('the check', () => {
  const machine = fakeMachine(['valgrind', 'chromium', 'binutils', 'libmimalloc2.0']);
  afterAll(() => machine.cleanup());

  it('finds nothing missing on a complete (fake) machine', () => {
    const full = fakeMachine([]);
    try {
      expect(findMissing(PREREQS, full.env)).toEqual([]);
      expect(checkPrereqs(PREREQS, full.env)).toBeNull();
    } finally {
      full.cleanup();
    }
  });

  it('names each missing package once, with the file or command that is absent, and says how to install', () => {
    const line = checkPrereqs(PREREQS, machine.env);
    expect(line).toBe(
      'hakmem: missing prerequisites: binutils (nm), valgrind, chromium (/usr/bin/chromium), libmimalloc2.0 (libmimalloc.so.2); run: npm run setup',
    );
  });

  it('as a script: one line on stderr and exit 1 within 10 s when something is missing', async () => {
    const lacking = fakeMachine(['valgrind', 'chromium']);
    const t0 = performance.now();
    const r = await checkScript(lacking.vars).finally(() => lacking.cleanup());
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('hakmem: missing prerequisites: valgrind, chromium (/usr/bin/chromium); run: npm run setup');
  }, 15_000);

  it('as a script: this machine has everything (exit 0)', async () => {
    const r = await checkScript({});
    expect(r.stderr).toBe(`hakmem: all ${PREREQS.length} prerequisites present`);
    expect(r.exitCode).toBe(0);
  }, 15_000);
});
