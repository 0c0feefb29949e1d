import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, eta, formatDuration } from './progress.ts';
import type { RunRecord } from '../types.ts';

describe('progress', () => {
  it('formats durations and estimates the time left', () => {
    expect(formatDuration(5.4)).toBe('5s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 60)).toBe('3h01m');
    expect(formatDuration(Number.NaN)).toBe('?');
    expect(eta(10, 2, 6)).toBe(20);
  });
  it('prints one plain line per run when not on a TTY, failures in capitals', () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d) => (text += String(d)));
    const p = createProgress({ tty: false, stream: stream as unknown as NodeJS.WriteStream });
    const ev = { index: 1, total: 2, workload: 'tiny_hot', allocator: 'glibc', round: 1, rounds: 1 };
    const ok: RunRecord = {
      workload: 'tiny_hot',
      allocator: 'glibc',
      round: 1,
      order: 0,
      argv: [],
      status: 'ok',
      exitCode: 0,
      signal: null,
      wallSeconds: 1,
      maxRssKb: 1,
      result: { name: 'tiny_hot', ops: 1, seconds: 1, mops: 12.345, extra: {} },
      stderrTail: '',
    };
    p.start(ev);
    p.done(ev, ok);
    p.done({ ...ev, index: 2, allocator: 'x' }, { ...ok, allocator: 'x', status: 'crashed', signal: 11, result: null });
    p.stop();
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^\[1\/2\] tiny_hot glibc round 1\/1: 12\.35 M ops\/s \| elapsed \d+s eta/);
    expect(lines[1]).toContain('CRASHED (SIGSEGV)');
  });
});
