import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BOUNDS,
  FaultsUsageError,
  judgeFaultRun,
  parseFaultinjLog,
  parseScenarioLine,
  planFaultCases,
  resolveFaultTargets,
  sampleCases,
} from './faults.ts';

const counts = { mmap: 3, mremap: 1, munmap: 2, madvise: 0, setspecific: 1 };
const ok = (stdout: string) => ({ exitCode: 0, signal: undefined, timedOut: false, stdout, stderr: '' });
const base = { nulls: 0, vmKb: 70_000, rssKb: 1_700 };

describe('faultinj log and scenario line', () => {
  it('reads the call counts of the last exit line', () => {
    const text =
      'faultinj calls mmap=1 mremap=0 munmap=0 madvise=0 setspecific=0 failed mmap=0 mremap=0 munmap=0 madvise=0 setspecific=0\n' +
      'faultinj calls mmap=21 mremap=32 munmap=14 madvise=0 setspecific=1 failed mmap=1 mremap=0 munmap=0 madvise=0 setspecific=0\n';
    expect(parseFaultinjLog(text)).toEqual({ mmap: 21, mremap: 32, munmap: 14, madvise: 0, setspecific: 1 });
    expect(parseFaultinjLog('nothing here')).toBeNull();
    expect(parseFaultinjLog('faultinj calls mmap=x mremap=0 munmap=0 madvise=0 setspecific=0 failed')).toBeNull();
  });

  it("reads the program's result line", () => {
    expect(
      parseScenarioLine('faults: scenario=large nulls=2 vm_kb=70208 rss_kb=1684\nfaults: ok (60 checks)\n'),
    ).toEqual({
      nulls: 2,
      vmKb: 70208,
      rssKb: 1684,
    });
    expect(parseScenarioLine('faults: ok (60 checks)\n')).toBeNull();
  });
});

describe('the plan', () => {
  it('fails every call of every site once, then exhausts mmap after each K, then the seeded runs', () => {
    const cases = planFaultCases(counts, { probRuns: 2 });
    expect(cases.filter((c) => c.kind === 'nth').map((c) => c.rule)).toEqual([
      'mmap:nth=1',
      'mmap:nth=2',
      'mmap:nth=3',
      'mremap:nth=1',
      'munmap:nth=1',
      'munmap:nth=2',
      'setspecific:nth=1',
    ]);
    expect(cases.filter((c) => c.kind === 'after').map((c) => c.rule)).toEqual([
      'mmap:after=0',
      'mmap:after=1',
      'mmap:after=2',
    ]);
    expect(cases.filter((c) => c.kind === 'prob').map((c) => c.rule)).toEqual([
      'mem:prob=0.05:seed=1',
      'mem:prob=0.05:seed=2',
    ]);
    expect(planFaultCases(counts, { kinds: ['after'] })).toHaveLength(3);
  });

  it('samples evenly, ends included, without repeats', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    expect(sampleCases(xs, 5)).toEqual([0, 25, 50, 74, 99]);
    expect(sampleCases(xs, 1)).toEqual([0]);
    expect(sampleCases(xs, 500)).toHaveLength(100);
    expect(sampleCases(xs, 0)).toEqual([]);
  });
});

describe('the verdict', () => {
  it('passes a run that ends as the baseline did', () => {
    expect(
      judgeFaultRun(ok('faults: scenario=x nulls=3 vm_kb=70000 rss_kb=1800\n'), 'nth', base, DEFAULT_BOUNDS).status,
    ).toBe('ok');
  });

  it('names a crash, a hang, a broken contract and a missing line', () => {
    const crash = { ...ok(''), exitCode: undefined, signal: 'SIGSEGV' };
    expect(judgeFaultRun(crash, 'nth', base, DEFAULT_BOUNDS).status).toBe('crashed');
    expect(judgeFaultRun({ ...ok(''), timedOut: true }, 'nth', base, DEFAULT_BOUNDS).status).toBe('hung');
    expect(judgeFaultRun({ ...ok(''), exitCode: 3 }, 'nth', base, DEFAULT_BOUNDS).status).toBe('hung');
    const broken = {
      ...ok(''),
      exitCode: 1,
      stderr: 'faults: FAIL x.c:1: malloc(5) = NULL with errno 0, want ENOMEM\n',
    };
    const v = judgeFaultRun(broken, 'nth', base, DEFAULT_BOUNDS);
    expect(v.status).toBe('broken-contract');
    expect(v.detail).toContain('want ENOMEM');
    expect(judgeFaultRun(ok('faults: ok\n'), 'nth', base, DEFAULT_BOUNDS).status).toBe('no-result');
  });

  it('holds RSS always and the address space except on probabilistic runs', () => {
    const rss = ok(`faults: scenario=x nulls=0 vm_kb=70000 rss_kb=${1700 + DEFAULT_BOUNDS.rssSlackKb + 1}\n`);
    expect(judgeFaultRun(rss, 'prob', base, DEFAULT_BOUNDS).status).toBe('leaked');
    const vm = ok(`faults: scenario=x nulls=0 vm_kb=${70000 + DEFAULT_BOUNDS.vmSlackKb + 1} rss_kb=1700\n`);
    expect(judgeFaultRun(vm, 'after', base, DEFAULT_BOUNDS).status).toBe('leaked');
    expect(judgeFaultRun(vm, 'prob', base, DEFAULT_BOUNDS).status).toBe('ok');
  });
});

describe('targets', () => {
  it('refuses an unknown allocator, naming the allowed ones', () => {
    expect(() => resolveFaultTargets(['hakmem', 'nope'])).toThrow(FaultsUsageError);
    expect(() => resolveFaultTargets(['nope'])).toThrow(/allowed: hakmem-fast, hakmem, hakmem-observe, glibc/);
    expect(resolveFaultTargets(['glibc'])).toEqual([{ name: 'glibc', lib: undefined }]);
  });
});
