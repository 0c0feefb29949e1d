/**
 * Marginal instructions per operation with callgrind: (Ir at 2n - Ir at n) / (ops at 2n - ops at n),
 * which removes start-up costs. The allocator is preloaded through LD_PRELOAD in valgrind's
 * environment (callgrind, unlike memcheck, does not replace malloc).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parseCallgrindCollected, parseResultLine } from '@hakmem/parse-output';
import type { Allocator, InstructionCount } from '../types.ts';
import { programOf, type WorkloadSpec, withArg } from './workloads.ts';

export function marginalPerOp(irN: number, ir2N: number, opsN: number, ops2N: number): number | null {
  const dOps = ops2N - opsN;
  return dOps > 0 ? (ir2N - irN) / dOps : null;
}

async function callgrind(
  exe: string,
  args: string[],
  a: Allocator,
  baseEnv: NodeJS.ProcessEnv = process.env,
): Promise<{ ir: number; ops: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-cg-'));
  try {
    const env: Record<string, string | undefined> = { ...baseEnv, ...a.env, LD_PRELOAD: a.preload ?? undefined };
    const r = await execa(
      'valgrind',
      ['--tool=callgrind', `--callgrind-out-file=${path.join(dir, 'callgrind.out')}`, exe, ...args],
      {
        env,
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      },
    );
    const ir = parseCallgrindCollected(String(r.stderr));
    const res = parseResultLine(String(r.stdout), path.basename(exe));
    if (r.exitCode !== 0 || ir === null || !res) {
      throw new Error(
        `callgrind ${path.basename(exe)} ${args.join(' ')} under ${a.name}: exit ${r.exitCode ?? r.signal}${ir === null ? ', no Collected line' : ''}${res ? '' : ', no result line'}`,
      );
    }
    return { ir, ops: res.ops };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureInstructions(o: {
  binDir: string;
  workloads: readonly WorkloadSpec[];
  allocators: readonly Allocator[];
  quick: boolean;
  log?: (l: string) => void;
  /** The environment the programs run in (default: this process's), before the allocator's own. */
  env?: NodeJS.ProcessEnv;
}): Promise<InstructionCount[]> {
  const out: InstructionCount[] = [];
  for (const w of o.workloads) {
    const exe = path.join(o.binDir, programOf(w.name));
    const n = o.quick ? w.scale.quickN : w.scale.n;
    for (const a of o.allocators) {
      const base = o.quick ? w.quick : w.full;
      try {
        const r1 = await callgrind(exe, withArg(base, w.scale.key, n), a, o.env);
        const r2 = await callgrind(exe, withArg(base, w.scale.key, 2 * n), a, o.env);
        const perOp = marginalPerOp(r1.ir, r2.ir, r1.ops, r2.ops);
        out.push({
          workload: w.name,
          allocator: a.name,
          n,
          irAtN: r1.ir,
          irAt2N: r2.ir,
          opsAtN: r1.ops,
          opsAt2N: r2.ops,
          perOp,
        });
        o.log?.(`  ${w.name} ${a.name}: ${perOp?.toFixed(1) ?? '?'} instructions/op`);
      } catch (e) {
        out.push({
          workload: w.name,
          allocator: a.name,
          n,
          irAtN: 0,
          irAt2N: 0,
          opsAtN: 0,
          opsAt2N: 0,
          perOp: null,
          error: (e as Error).message,
        });
        o.log?.(`  ${w.name} ${a.name}: FAILED ${(e as Error).message}`);
      }
    }
  }
  return out;
}
