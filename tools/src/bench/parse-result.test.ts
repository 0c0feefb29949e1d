import { describe, expect, it } from 'vitest';
import { parseResultLine } from '@hakmem/parse-output';
import { classifyRun, describeFailure, parseChildReport } from './parse-result.ts';

describe('child report and classification', () => {
  it('parses an hk-run report', () => {
    const r = parseChildReport(
      'status=exited code=0 signal=0 wall_s=0.055706 maxrss_kb=1916 utime_s=0.05 stime_s=0.0\n',
    );
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
