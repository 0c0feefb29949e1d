// The generated headers as C: each compiles alone in every mode, and a probe program built
// against each mode sees the right gate values (test/fixtures/gate_probe.c).
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from './generate.ts';
import { MODES, type Mode } from './types.ts';

const probe = fileURLToPath(new URL('../test/fixtures/gate_probe.c', import.meta.url));
const CFLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror'];
let out: string;
const dir = (mode: Mode): string => path.join(out, mode);

async function buildProbe(mode: Mode): Promise<string> {
  const exe = path.join(out, `probe-${mode}`);
  await execa('cc', [...CFLAGS, '-D_DEFAULT_SOURCE', `-I${dir(mode)}`, probe, '-o', exe]);
  return exe;
}

/** The probe's `key=value` lines as a record. */
function values(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout.split(/\s+/).filter((w) => w.includes('=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
  );
}

beforeAll(async () => {
  out = mkdtempSync(path.join(os.tmpdir(), 'hakmem-headers-'));
  await generate({ outDir: out, docsFile: path.join(out, 'knobs.md') });
});

describe.each(MODES)('%s headers', (mode) => {
  it('each compiles on its own with cc -std=c11 -Wall -Wextra -Werror -c', async () => {
    const headers = readdirSync(dir(mode)).filter((f) => f.endsWith('.h')).sort();
    expect(headers).toEqual([
      'env_gate_box.h',
      'front_gate_box.h',
      'hakmem_build.h',
      'remote_queue_box.h',
      'superslab_box.h',
      'unified_cache_box.h',
    ]);
    await Promise.all(
      headers.map((h) =>
        execa('cc', [...CFLAGS, `-I${dir(mode)}`, '-x', 'c', '-c', '-', '-o', path.join(out, `${mode}-${h}.o`)], {
          input: `#include "${h}"\n`,
        }),
      ),
    );
  });
});

describe('FAST', () => {
  it('prints the build constants and its object imports no getenv', async () => {
    const exe = await buildProbe('fast');
    const { stdout } = await execa(exe, [], { env: { HAKMEM_UCACHE_CAPACITY: '7', HAKMEM_PROFILE: 'lean' } });
    expect(values(stdout)).toMatchObject({
      mode: 'fast',
      profile: 'balanced',
      'uc.enabled': '1',
      'uc.capacity': '128',
      'uc.refill_batch': '32',
      'front.large_cache_bytes': '134217728',
      'ss.release_mode': 'unmap',
      classes: '52',
      tiny: '20',
      last: '262144',
    });
    expect(stdout).not.toContain('count.');
    const { stdout: symbols } = await execa('nm', [exe]);
    expect(symbols).not.toMatch(/getenv/);
  });
});

describe('Standard', () => {
  let exe: string;
  beforeAll(async () => {
    exe = await buildProbe('standard');
  });

  it('without environment, sees the build profile values', async () => {
    const { stdout, stderr } = await execa(exe, [], { env: {}, extendEnv: false });
    expect(values(stdout)).toMatchObject({ mode: 'standard', 'uc.capacity': '128', 'ss.release_mode': 'unmap' });
    expect(stderr).toBe('');
  });

  it('picks up an override and a run-time profile', async () => {
    const { stdout } = await execa(exe, [], {
      extendEnv: false,
      env: { HAKMEM_PROFILE: 'lean', HAKMEM_UCACHE_CAPACITY: '77', HAKMEM_SUPERSLAB_RELEASE_MODE: 'decommit', HAKMEM_STATS: '1' },
    });
    expect(values(stdout)).toMatchObject({
      'uc.capacity': '77',
      'uc.refill_batch': '8',
      'uc.max_bytes_per_class': '131072',
      'front.large_cache_bytes': '16777216',
      'ss.release_mode': 'decommit',
      'env.stats': '1',
    });
  });

  it('an invalid value warns once, naming variable, value and what is accepted, and keeps the default', async () => {
    const { stdout, stderr } = await execa(exe, [], { extendEnv: false, env: { HAKMEM_UCACHE_CAPACITY: '70000' } });
    expect(values(stdout)['uc.capacity']).toBe('128');
    expect(stderr.trim().split('\n')).toEqual([
      'hakmem: HAKMEM_UCACHE_CAPACITY=70000 is invalid; accepted: an integer in [1, 65535]; keeping the default',
    ]);
    const bad = await execa(exe, [], { extendEnv: false, env: { HAKMEM_SUPERSLAB_RELEASE_MODE: 'sometimes' } });
    expect(values(bad.stdout)['ss.release_mode']).toBe('unmap');
    expect(bad.stderr.trim()).toBe(
      'hakmem: HAKMEM_SUPERSLAB_RELEASE_MODE=sometimes is invalid; accepted: unmap, decommit, never; keeping the default',
    );
  });
});

describe('OBSERVE', () => {
  it('counts: HK_UC_COUNT increments are visible', async () => {
    const exe = await buildProbe('observe');
    const { stdout } = await execa(exe, [], { extendEnv: false, env: { HAKMEM_UCACHE_CAPACITY: '64' } });
    expect(values(stdout)).toMatchObject({
      mode: 'observe',
      'uc.capacity': '64',
      'count.uc.refills': '3',
      'count.uc.hits[3]': '5',
      'count.ss.mmap_calls': '1',
    });
  });
});
