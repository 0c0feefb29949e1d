// Syscall budget (docs/workloads.md, "The protocol"): strace -f -c over
// random_mixed at n and at 2n iterations; the difference is the steady-state count of
// mmap/munmap/madvise/mremap, and the target is zero (the predecessor's madvise storm made
// 1,081 madvise calls per million operations). batch the same way: its working set swings by
// 13 regions (6,400 blocks of 4 KiB) hundreds of times a second, which the pool's count
// hysteresis alone unmapped and mapped again every time (issue 10). large_mixed too: its
// working set of 4-32 MiB blocks swings by more than the large cache's 128 MiB, which unmapped
// and mapped a block's worth at every swing (480 calls at 2,000 iterations, 893 at 4,000).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { parseStraceSummary, straceCountArgs } from '@hakmem/parse-output';
import {
  acquireHeavyLock,
  bin,
  describeRun,
  expectOk,
  libByMode,
  LOCK_HOOK_TIMEOUT,
  need,
  readResultLine,
  run,
} from './helpers.ts';

const STEADY = ['mmap', 'munmap', 'madvise', 'mremap'] as const;
const N = 2_000_000;
const BATCH_N = 100_000; /* blocks per (n, size) pair: 16 batches of 6,400 */

let release: (() => void) | undefined;
let tmp = '';
let strace = '';
beforeAll(async () => {
  release = await acquireHeavyLock();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hakmem-strace-'));
  const which = await execa('sh', ['-c', 'command -v strace'], { reject: false });
  strace = String(which.stdout ?? '').trim();
}, LOCK_HOOK_TIMEOUT);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  release?.();
});

async function traced(
  libPath: string,
  iters: number,
  tag: string,
  workload: 'random_mixed' | 'batch' | 'large_mixed' = 'random_mixed',
  env: Record<string, string> = {},
): Promise<Record<string, number>> {
  if (!strace) throw new Error('strace is not installed (Debian: apt-get install strace); syscalls.test.ts needs it');
  const out = path.join(tmp, `${tag}-${workload}-${iters}.txt`);
  const args = workload === 'random_mixed' ? [`iters=${iters}`, 'ws=400', 'seed=1'] : [`iters=${iters}`];
  // LD_PRELOAD for the traced program only, not for strace itself
  const r = await run(
    strace,
    straceCountArgs({
      output: out,
      preload: need(libPath),
      argv: [bin(workload), ...args],
    }),
    { timeoutMs: 120_000, env },
  );
  expectOk(r);
  const ops = readResultLine(r.stdout, workload).ops;
  if (workload === 'random_mixed') expect(ops, describeRun(r)).toBe(iters);
  else expect(ops, describeRun(r)).toBeGreaterThan(0);
  return parseStraceSummary(readFileSync(out, 'utf8'));
}

describe.sequential.each([libByMode('fast'), libByMode('standard')])('$file', (lib) => {
  it(`random_mixed at ${2 * N} iterations makes no more mmap/munmap/madvise/mremap calls than at ${N}`, async () => {
    const n1 = await traced(lib.path, N, lib.mode);
    const n2 = await traced(lib.path, 2 * N, lib.mode);
    const report = STEADY.map((s) => `${s}: ${n1[s] ?? 0} at n, ${n2[s] ?? 0} at 2n`).join('; ');
    for (const s of STEADY) {
      expect(n2[s] ?? 0, `${lib.file}: steady-state ${s} calls (${report})`).toBeLessThanOrEqual(n1[s] ?? 0);
    }
    // and the warm-up itself stays small (the predecessor made thousands)
    const total1 = STEADY.reduce((a, s) => a + (n1[s] ?? 0), 0);
    expect(total1, `${lib.file}: ${report}`).toBeLessThan(200);
  }, 240_000);

  it(`batch at ${2 * BATCH_N} blocks per pair makes no more mmap/munmap/madvise/mremap calls than at ${BATCH_N}`, async () => {
    const n1 = await traced(lib.path, BATCH_N, lib.mode, 'batch');
    const n2 = await traced(lib.path, 2 * BATCH_N, lib.mode, 'batch');
    const report = STEADY.map((s) => `${s}: ${n1[s] ?? 0} at n, ${n2[s] ?? 0} at 2n`).join('; ');
    for (const s of STEADY) {
      expect(n2[s] ?? 0, `${lib.file}: steady-state ${s} calls (${report})`).toBeLessThanOrEqual(n1[s] ?? 0);
    }
  }, 240_000);
});

// Standard only, with a purge delay far longer than the run: the cache's limits rise when a
// mapping is made within purgeDelayMs of one it let go, and on a loaded machine the default
// second could pass between them by chance.
describe.sequential.each([libByMode('standard')])('$file: large_mixed', (lib) => {
  it('large_mixed at 4,000 iterations maps and unmaps no more than at 2,000; grows (mremap) at most half as many again', async () => {
    const env = { HAKMEM_PURGE_DELAY_MS: '60000' };
    const n1 = await traced(lib.path, 2000, lib.mode, 'large_mixed', env);
    const n2 = await traced(lib.path, 4000, lib.mode, 'large_mixed', env);
    const report = STEADY.map((s) => `${s}: ${n1[s] ?? 0} at n, ${n2[s] ?? 0} at 2n`).join('; ');
    for (const s of ['mmap', 'munmap', 'madvise'] as const)
      expect(n2[s] ?? 0, `${lib.file}: steady-state ${s} calls (${report})`).toBeLessThanOrEqual(n1[s] ?? 0);
    expect(n2.mremap ?? 0, report).toBeLessThanOrEqual(1.5 * (n1.mremap ?? 0));
    const total1 = STEADY.reduce((a, s) => a + (n1[s] ?? 0), 0);
    expect(total1, `${lib.file}: ${report}`).toBeLessThan(250);
  }, 240_000);
});
