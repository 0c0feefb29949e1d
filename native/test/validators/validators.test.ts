// The debug build's validators (hk_slab_valid, hk_superslab_valid in native/src/superslab/superslab.c)
// state types.h's accounting as code and run where the state changes. Against a debug build
// (HAKMEM_DIST=dist/native-debug, as .ci/run runs it), slab_valid.c (beside this spec) is compiled
// with the internal headers and the static library, breaks one invariant by hand, and must die on
// the validator's line naming it. Against a build without HK_DEBUG there is nothing to check.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST, describeRun, run, ROOT } from '../helpers.ts';

const archive = path.join(DIST, 'lib', 'libhakmem.a');
const debug =
  fs.existsSync(archive) && execFileSync('nm', ['-A', archive], { encoding: 'utf8' }).includes('hk_slab_valid');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hk-valid-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function build(): string {
  const exe = path.join(dir, 'slab_valid');
  if (!fs.existsSync(exe))
    execFileSync('cc', [
      '-O1',
      '-fno-builtin', // gcc would drop a store to a block's slab just before free(), which it knows reads nothing
      '-g',
      '-DHK_DEBUG=1',
      '-std=gnu11',
      '-pthread',
      `-I${path.join(ROOT, 'native/src')}`,
      `-I${path.join(ROOT, 'native/include')}`,
      `-I${path.join(ROOT, 'native/generated/standard')}`,
      '-o',
      exe,
      path.join(ROOT, 'native/test/validators/slab_valid.c'),
      archive,
      '-lpthread',
    ]);
  return exe;
}

describe.skipIf(!debug)('the debug build validates slabs where they change (HAKMEM_DIST=dist/native-debug)', () => {
  it('nothing broken: the program runs to its end', async () => {
    const r = await run(build(), ['none'], { timeoutMs: 30_000 });
    expect(r.exitCode, describeRun(r)).toBe(0);
  });

  it.each([
    ['used', /internal invariant broken at .*superslab\.c:\d+: s->used <= s->carved && s->carved <= s->capacity/],
    ['carved', /internal invariant broken at .*superslab\.c:\d+: s->used <= s->carved && s->carved <= s->capacity/],
  ])('a slab whose %s is wrong is caught when its blocks come back', async (what, line) => {
    const r = await run(build(), [what], { timeoutMs: 30_000 });
    expect(r.signal ?? r.exitCode, describeRun(r)).toBe('SIGABRT');
    expect(r.stderr, describeRun(r)).toMatch(line);
  });
});
