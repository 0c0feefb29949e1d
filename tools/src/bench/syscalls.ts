/**
 * Steady-state syscall counts: `strace -f -c -e trace=mmap,munmap,madvise,mremap,brk` at n and at 2n;
 * the difference is what the workload costs once warm (target: zero).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { MEMORY_SYSCALLS, parseResultLine, parseStraceSummary, straceCountArgs } from '@hakmem/parse-output';
import type { Allocator, SyscallCount } from '../types.ts';
import { programOf, type WorkloadSpec, withArg } from './workloads.ts';

/** The calls counted, in the order of the table's columns. */
export const TRACED = MEMORY_SYSCALLS;

async function straceRun(
  exe: string,
  args: string[],
  a: Allocator,
): Promise<{ counts: Record<string, number>; ops: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-strace-'));
  const file = path.join(dir, 'strace.txt');
  try {
    const r = await execa(
      'strace',
      straceCountArgs({ output: file, preload: a.preload, syscalls: TRACED, argv: [exe, ...args] }),
      {
        env: { ...process.env, ...a.env, LD_PRELOAD: undefined },
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      },
    );
    const res = parseResultLine(String(r.stdout), path.basename(exe));
    if (r.exitCode !== 0 || !res || !fs.existsSync(file)) {
      throw new Error(
        `strace ${path.basename(exe)} ${args.join(' ')} under ${a.name}: exit ${r.exitCode ?? r.signal}${res ? '' : ', no result line'}`,
      );
    }
    const calls = parseStraceSummary(fs.readFileSync(file, 'utf8'));
    return { counts: Object.fromEntries(TRACED.map((s) => [s, calls[s] ?? 0])), ops: res.ops };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureSyscalls(o: {
  binDir: string;
  workloads: readonly WorkloadSpec[];
  allocators: readonly Allocator[];
  /** The allocators a workload runs with (bench leaves out the pairs it skips by design). */
  allocatorsFor?: (w: WorkloadSpec) => readonly Allocator[];
  quick: boolean;
  log?: (l: string) => void;
}): Promise<SyscallCount[]> {
  const out: SyscallCount[] = [];
  for (const w of o.workloads) {
    const exe = path.join(o.binDir, programOf(w.name));
    const n = o.quick ? w.scale.quickN : w.scale.n;
    const base = o.quick ? w.quick : w.full;
    for (const a of o.allocatorsFor?.(w) ?? o.allocators) {
      try {
        const r1 = await straceRun(exe, withArg(base, w.scale.key, n), a);
        const r2 = await straceRun(exe, withArg(base, w.scale.key, 2 * n), a);
        const steady = Object.fromEntries(TRACED.map((s) => [s, (r2.counts[s] ?? 0) - (r1.counts[s] ?? 0)]));
        const total = Object.values(steady).reduce((x, y) => x + y, 0);
        const dOps = r2.ops - r1.ops;
        const per = dOps > 0 ? (total / dOps) * 1e8 : null;
        out.push({
          workload: w.name,
          allocator: a.name,
          n,
          atN: r1.counts,
          at2N: r2.counts,
          steady,
          steadyPer1e8Ops: per,
        });
        o.log?.(`  ${w.name} ${a.name}: ${total} steady-state calls (${per?.toFixed(1) ?? '?'} per 1e8 ops)`);
      } catch (e) {
        out.push({
          workload: w.name,
          allocator: a.name,
          n,
          atN: {},
          at2N: {},
          steady: {},
          steadyPer1e8Ops: null,
          error: (e as Error).message,
        });
        o.log?.(`  ${w.name} ${a.name}: FAILED ${(e as Error).message}`);
      }
    }
  }
  return out;
}
