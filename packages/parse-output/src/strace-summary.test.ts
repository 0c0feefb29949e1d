import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMORY_SYSCALLS, parseStraceSummary, straceCountArgs } from './strace-summary.ts';

describe('parseStraceSummary', () => {
  it('reads calls per syscall, with and without an errors column, without the total', () => {
    const text = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.000300          10        33           mmap
 20.00    0.000100          33         3           munmap
 10.00    0.000050          25         2         1 madvise
  0.00    0.000000           0         1           rt_sigaction
------ ----------- ----------- --------- --------- ----------------
100.00    0.000450          11        39         1 total
`;
    expect(parseStraceSummary(text)).toEqual({ mmap: 33, munmap: 3, madvise: 2, rt_sigaction: 1 });
  });
  it('is empty for an empty table or other text', () => {
    expect(parseStraceSummary('')).toEqual({});
    expect(parseStraceSummary('strace: Process 12 attached\n')).toEqual({});
  });
});

describe('straceCountArgs', () => {
  it('traces threads, sets LD_PRELOAD for the program only, and counts the memory calls by default', () => {
    expect(straceCountArgs({ output: '/tmp/o', preload: '/lib/x.so', argv: ['prog', 'iters=1'] })).toEqual([
      '-f',
      '-c',
      '-e',
      'trace=mmap,munmap,madvise,mremap,brk',
      '-o',
      '/tmp/o',
      '-E',
      'LD_PRELOAD=/lib/x.so',
      'prog',
      'iters=1',
    ]);
    expect(straceCountArgs({ output: 'o', preload: null, syscalls: ['brk'], argv: ['p'] })).toEqual([
      '-f',
      '-c',
      '-e',
      'trace=brk',
      '-o',
      'o',
      'p',
    ]);
  });
  it('reads what the real strace writes (a program that maps memory)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-strace-'));
    try {
      const output = path.join(dir, 'summary.txt');
      // the shell maps its libraries at start: mmap is counted; nothing outside MEMORY_SYSCALLS is
      execFileSync('strace', straceCountArgs({ output, argv: ['/bin/sh', '-c', 'exit 0'] }), { stdio: 'ignore' });
      const calls = parseStraceSummary(fs.readFileSync(output, 'utf8'));
      expect(calls.mmap).toBeGreaterThan(0);
      expect(Object.keys(calls).every((s) => (MEMORY_SYSCALLS as readonly string[]).includes(s))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
