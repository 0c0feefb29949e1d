import { describe, expect, it } from 'vitest';
import { classifyRun, describeFailure, parseChildReport, parseEpochLines, parseResultLine } from './parse-result.ts';

describe('parseResultLine', () => {
  it('reads the fields and keeps extra key=value pairs', () => {
    const r = parseResultLine('random_mixed ops=20000000 seconds=0.2874 mops=69.59 threads=2\n');
    expect(r).toEqual({ name: 'random_mixed', ops: 20000000, seconds: 0.2874, mops: 69.59, extra: { threads: '2' } });
  });
  it('skips noise and epoch lines and takes the last result line for the named workload', () => {
    const out = [
      'warming up',
      'epoch=0 ops=10 seconds=1 mops=1 rss_kb=100',
      'other ops=1 seconds=1 mops=1',
      'tiny_hot ops=100 seconds=1.0 mops=0.0001',
      '',
    ].join('\n');
    expect(parseResultLine(out, 'tiny_hot')?.ops).toBe(100);
    expect(parseResultLine(out, 'random_mixed')).toBeNull();
    expect(parseResultLine(out)?.name).toBe('tiny_hot');
  });
  it('rejects malformed lines', () => {
    expect(parseResultLine('')).toBeNull();
    expect(parseResultLine('random_mixed ops=abc seconds=1 mops=2')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1 mops=')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1 mops=2 garbage')).toBeNull();
    expect(parseResultLine('random_mixed ops=-1 seconds=1 mops=2')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1 mops=NaN')).toBeNull();
  });
});

describe('parseEpochLines', () => {
  it('reads epoch lines and ignores the rest', () => {
    const out = 'epoch=0 ops=100 seconds=1.0 mops=0.0001 rss_kb=2000\nepoch=1 ops=x seconds=1 mops=1 rss_kb=1\nepoch=2 ops=200 seconds=1.0 mops=0.0002 rss_kb=2100\nrandom_mixed ops=300 seconds=2 mops=0.00015\n';
    expect(parseEpochLines(out)).toEqual([
      { epoch: 0, ops: 100, seconds: 1, mops: 0.0001, rssKb: 2000 },
      { epoch: 2, ops: 200, seconds: 1, mops: 0.0002, rssKb: 2100 },
    ]);
  });
});

describe('child report and classification', () => {
  it('parses an hk-run report', () => {
    const r = parseChildReport('status=exited code=0 signal=0 wall_s=0.055706 maxrss_kb=1916 utime_s=0.05 stime_s=0.0\n');
    expect(r).toMatchObject({ how: 'exited', code: 0, wallSeconds: 0.055706, maxRssKb: 1916 });
    expect(parseChildReport('')).toBeNull();
    expect(parseChildReport('status=weird code=0')).toBeNull();
  });
  it('classifies ok, failed, crashed, timeout and malformed runs', () => {
    const base = { code: 0, signal: 0, wallSeconds: 1, maxRssKb: 1, userSeconds: 0, systemSeconds: 0 };
    const line = parseResultLine('x ops=1 seconds=1 mops=1');
    expect(classifyRun({ ...base, how: 'exited' }, line)).toBe('ok');
    expect(classifyRun({ ...base, how: 'exited' }, null)).toBe('malformed');
    expect(classifyRun({ ...base, how: 'exited', code: 2 }, line)).toBe('failed');
    expect(classifyRun({ ...base, how: 'signaled', code: -1, signal: 11 }, null)).toBe('crashed');
    expect(classifyRun({ ...base, how: 'timeout', signal: 9 }, null)).toBe('timeout');
    expect(classifyRun(null, line)).toBe('failed');
    expect(describeFailure('crashed', null, 11)).toBe('crashed (SIGSEGV)');
    expect(describeFailure('failed', 2, null)).toBe('failed (exit 2)');
  });
});
