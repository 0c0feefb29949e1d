/** `strace -c`: the arguments that count a program's system calls, and the summary table it writes. */

/** The calls the syscall budget counts (docs/workloads.md, "The protocol"). */
export const MEMORY_SYSCALLS = ['mmap', 'munmap', 'madvise', 'mremap', 'brk'] as const;

/**
 * strace's arguments to count `syscalls` in `argv` (the program and its arguments) and its
 * threads and children (-f), writing the table to `output`. With `preload`, LD_PRELOAD is set
 * for the traced program only (-E), never for strace itself.
 */
export function straceCountArgs(o: {
  output: string;
  preload?: string | null;
  syscalls?: readonly string[];
  argv: readonly string[];
}): string[] {
  const syscalls = o.syscalls ?? MEMORY_SYSCALLS;
  return [
    '-f',
    '-c',
    '-e',
    `trace=${syscalls.join(',')}`,
    '-o',
    o.output,
    ...(o.preload ? ['-E', `LD_PRELOAD=${o.preload}`] : []),
    ...o.argv,
  ];
}

/**
 * Calls per system call from the summary table of `strace -c`:
 *
 *     % time     seconds  usecs/call     calls    errors syscall
 *     ------ ----------- ----------- --------- --------- ----------------
 *      60.00    0.000006           0        15           mmap
 *      40.00    0.000004           2         2         1 munmap
 *     ------ ----------- ----------- --------- --------- ----------------
 *     100.00    0.000010           0        17         1 total
 *
 * Every system call in the table (not the total); a call that is absent was not made.
 */
export function parseStraceSummary(text: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    // % time, seconds, usecs/call, calls, [errors], syscall
    const m = /^\s*\d+(?:\.\d+)?\s+\d+(?:\.\d+)?\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_][a-z_0-9]*)\s*$/.exec(line);
    if (m && m[2] !== 'total') calls[m[2]!] = Number(m[1]);
  }
  return calls;
}
