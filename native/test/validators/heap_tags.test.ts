// Standard's free makes one test where it made two: "a is the start of one of the slab's blocks"
// (hk_block_start) and "the slab belongs to this thread's heap" (an owner compare), folded into
// one product through the heap tags (HEAP TAGS in native/src/types.h). heap_tags.c (beside this
// spec), compiled with the internal headers and Standard's static library, checks the folded test
// against the two it replaces for every byte address of the SuperSlabs of one block of every
// class, from two threads' heaps, with the thread's tag the owner's, another heap's, none, and
// the extremes a tag can take.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST, describeRun, run, ROOT } from '../helpers.ts';

const archive = path.join(DIST, 'lib', 'libhakmem.a');
/** The debug build's archive (HAKMEM_DIST=dist/native-debug): its headers' view needs HK_DEBUG too. */
const debug =
  fs.existsSync(archive) && execFileSync('nm', ['-A', archive], { encoding: 'utf8' }).includes('hk_slab_valid');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hk-tags-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!fs.existsSync(archive))('heap tags: one test on free, the same answers as two', () => {
  it('every address of the SuperSlabs of every class, five thread tags', async () => {
    const exe = path.join(dir, 'heap_tags');
    execFileSync('cc', [
      '-O2',
      ...(debug ? ['-DHK_DEBUG=1'] : []),
      '-std=gnu11',
      '-pthread',
      `-I${path.join(ROOT, 'native/src')}`,
      `-I${path.join(ROOT, 'native/include')}`,
      `-I${path.join(ROOT, 'native/generated/standard')}`,
      '-o',
      exe,
      path.join(ROOT, 'native/test/validators/heap_tags.c'),
      archive,
      '-lpthread',
    ]);
    const r = await run(exe, [], { timeoutMs: 120_000 });
    expect(r.exitCode, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/^heap_tags: \d+ addresses agree$/m);
  }, 180_000);
});
