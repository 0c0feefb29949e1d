/** Markdown tables for callgrind instruction counts and strace syscall counts. */
import { markdownTable } from 'markdown-table';
import type { InstructionCount, SyscallCount } from '../types.ts';
import { TRACED } from '../bench/syscalls.ts';

export function instructionsTable(rows: readonly InstructionCount[]): string {
  return markdownTable(
    [
      ['workload', 'allocator', 'n', 'Ir at n', 'Ir at 2n', 'instructions/op'],
      ...rows.map((r) => [
        r.workload,
        r.allocator,
        String(r.n),
        r.error ? '–' : String(r.irAtN),
        r.error ? '–' : String(r.irAt2N),
        r.perOp == null ? 'FAILED' : r.perOp.toFixed(1),
      ]),
    ],
    { align: ['l', 'l', 'r', 'r', 'r', 'r'] },
  );
}

export function syscallsTable(rows: readonly SyscallCount[]): string {
  return markdownTable(
    [
      ['workload', 'allocator', 'n', ...TRACED.map((s) => `${s} (2n-n)`), 'per 1e8 ops'],
      ...rows.map((r) => [
        r.workload,
        r.allocator,
        String(r.n),
        ...TRACED.map((s) => (r.error ? '–' : String(r.steady[s] ?? 0))),
        r.steadyPer1e8Ops == null ? 'FAILED' : r.steadyPer1e8Ops.toFixed(1),
      ]),
    ],
    { align: ['l', 'l', 'r', ...TRACED.map(() => 'r' as const), 'r'] },
  );
}
