// The generated headers as C: each compiles alone in every mode, with every warning an error.
// What the real library does with them (the environment, the run-time invariant check, the
// configuration hash) is tested against the built libraries in native/test/env.test.ts.
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from './generate.ts';
import { MODES, type Mode } from './types.ts';

const CFLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror'];
let out: string;
const dir = (mode: Mode): string => path.join(out, mode);

beforeAll(async () => {
  out = mkdtempSync(path.join(os.tmpdir(), 'hakmem-headers-'));
  await generate({ outDir: out, docsFile: path.join(out, 'knobs.md') });
});

describe.each(MODES)('%s headers', (mode) => {
  it('each compiles on its own with cc -std=c11 -Wall -Wextra -Werror -c', async () => {
    const headers = readdirSync(dir(mode))
      .filter((f) => f.endsWith('.h'))
      .sort();
    expect(headers).toEqual([
      'env_box.h',
      'front_box.h',
      'hakmem_build.h',
      'large_box.h',
      'remote_box.h',
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
