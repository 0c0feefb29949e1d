import { describe, expect, it } from 'vitest';
import { parseEpochLines, parseResultLine, readResultLine } from './result-line.ts';

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
  it('takes the last line for a name printed twice, and reads CRLF output', () => {
    expect(parseResultLine('w ops=1 seconds=1 mops=1\r\nw ops=2 seconds=1 mops=2\r\n', 'w')?.ops).toBe(2);
  });
  it('rejects malformed lines', () => {
    expect(parseResultLine('')).toBeNull();
    expect(parseResultLine('random_mixed ops=abc seconds=1 mops=2')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1 mops=')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1 mops=2 garbage')).toBeNull();
    expect(parseResultLine('random_mixed ops=-1 seconds=1 mops=2')).toBeNull();
    expect(parseResultLine('random_mixed ops=1.5 seconds=1 mops=2')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=1 mops=NaN')).toBeNull();
    expect(parseResultLine('random_mixed ops=1 seconds=Infinity mops=2')).toBeNull();
  });
});

describe('readResultLine', () => {
  it('returns the line, or throws quoting the malformed line or the whole output', () => {
    expect(readResultLine('x\nbatch ops=4 seconds=0.5 mops=0.000008\n', 'batch').ops).toBe(4);
    expect(() => readResultLine('batch ops=4 seconds=0.5\n', 'batch')).toThrow(
      "malformed result line: 'batch ops=4 seconds=0.5'",
    );
    expect(() => readResultLine('nothing here\n', 'batch')).toThrow(
      /no result line starting with 'batch ' in:\nnothing here/,
    );
  });
});

describe('parseEpochLines', () => {
  it('reads epoch lines in order and ignores the rest', () => {
    const out =
      'epoch=0 ops=100 seconds=1.0 mops=0.0001 rss_kb=2000\nepoch=1 ops=x seconds=1 mops=1 rss_kb=1\nepoch=2 ops=200 seconds=1.0 mops=0.0002 rss_kb=2100\nrandom_mixed ops=300 seconds=2 mops=0.00015\n';
    expect(parseEpochLines(out)).toEqual([
      { epoch: 0, ops: 100, seconds: 1, mops: 0.0001, rssKb: 2000 },
      { epoch: 2, ops: 200, seconds: 1, mops: 0.0002, rssKb: 2100 },
    ]);
  });
});
