/**
 * `hakmem misuse`: how a run is read (from hk-run's report and what the program printed), real
 * runs of a few cases under glibc, Scudo and hakmem Standard, the command, and the committed
 * results file behind docs/reliability.md's table (it must cover every case the program knows).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNative } from '../bench/build-native.ts';
import {
  defaultsEnv,
  defaultTestsDir,
  describeMisuseRun,
  measureMisuse,
  misuseCases,
  misuseCell,
  misuseTableFromResults,
  readMisuseResults,
  readMisuseRun,
  shortReport,
  type MisuseRun,
} from './misuse.ts';
import { defaultLibDir, repoRoot, toolsDir } from '../paths.ts';

const misuse = { name: 'double_free', program: 'misuse' };
const exited = (code: number) => ({ how: 'exited' as const, code, signal: 0, wallSeconds: 0.1 });
const killed = (signal: number) => ({ how: 'signaled' as const, code: 0, signal, wallSeconds: 0.1 });

describe('reading a misuse run', () => {
  it('calls an abort after a report caught, and shows the report without its prefix or addresses', () => {
    const r = readMisuseRun(
      misuse,
      killed(6),
      'misuse: double_free begins\n',
      'hakmem: free(): double free of 0x7f822c020500 (class 3, 64 B)\nhakmem: aborting (HAKMEM_ON_INVALID=warn ...)\n',
    );
    expect(r).toMatchObject({ signal: 'SIGABRT', returned: false, finished: false });
    expect(describeMisuseRun(r)).toBe('abort: "free(): double free of … (class 3, 64 B)"');
    const scudo = readMisuseRun(
      misuse,
      killed(6),
      '',
      'Scudo ERROR: invalid chunk state when deallocating address 0x7f9c1f81e0f0\n',
    );
    expect(describeMisuseRun(scudo)).toBe('abort: "invalid chunk state when deallocating address …"');
  });
  it('tells a crash in the call from one after it, and a silent finish from corruption', () => {
    expect(describeMisuseRun(readMisuseRun(misuse, killed(11), 'misuse: double_free begins\n', ''))).toBe('SIGSEGV');
    const later = readMisuseRun(misuse, killed(7), 'misuse: double_free begins\nmisuse: double_free done\n', '');
    expect(describeMisuseRun(later)).toBe('SIGBUS later');
    const ok = readMisuseRun(
      misuse,
      exited(0),
      'misuse: double_free done\nmisuse: double_free ok (18000 checks)\n',
      '',
    );
    expect(describeMisuseRun(ok)).toBe('ok, not reported');
    const bad = readMisuseRun(
      misuse,
      exited(1),
      'misuse: FAIL (1 of 18000 checks failed)\n',
      'misuse: FAIL misuse.c:40: block 3 (64 B at 0x1) byte 0 changed: handed out twice?\n',
    );
    expect(bad.report).toBeNull(); // the program's own lines are not the allocator's report
    expect(describeMisuseRun(bad)).toBe('blocks corrupted (exit 1), not reported');
    expect(describeMisuseRun(readMisuseRun(misuse, killed(6), '', ''))).toBe('SIGABRT');
    expect(describeMisuseRun(readMisuseRun(misuse, { ...exited(0), how: 'timeout' }, '', ''))).toBe('hang (killed)');
  });
  it('says how many runs ended each way when they differ', () => {
    const a = readMisuseRun(misuse, killed(11), '', '');
    const b = readMisuseRun(misuse, killed(6), '', 'free(): invalid size\n');
    expect(misuseCell([a, a, a])).toBe('SIGSEGV');
    expect(misuseCell([a, b, a])).toBe('SIGSEGV (2 of 3); abort: "free(): invalid size" (1 of 3)');
  });
  it('cuts a long report at a word', () => {
    const s = shortReport(
      'hakmem: malloc(): corrupted free list of class 3 (64 B) in a unified cache: 0x561b75361c80 is not a free block (a freed block was written after free)',
    );
    expect(s).toBe('malloc(): corrupted free list of class 3 (64 B) in a unified cache: … is not a …');
  });
  it("runs each allocator at its defaults: no allocator's options from the environment", () => {
    expect(
      defaultsEnv({
        PATH: '/bin',
        HAKMEM_ON_INVALID: 'warn',
        SCUDO_OPTIONS: 'x',
        MIMALLOC_SECURE: '1',
        MALLOC_CHECK_: '3',
      }),
    ).toEqual({
      HAKMEM_ON_INVALID: undefined,
      SCUDO_OPTIONS: undefined,
      MIMALLOC_SECURE: undefined,
      MALLOC_CHECK_: undefined,
    });
  });
});

describe('real runs', () => {
  beforeAll(async () => {
    if (
      !fs.existsSync(path.join(defaultTestsDir, 'misuse')) ||
      !fs.existsSync(path.join(defaultLibDir, 'libhakmem.so'))
    )
      await buildNative({ quiet: true });
  }, 600_000);

  it('knows every case of the program, and the cross-thread double free', async () => {
    const cases = await misuseCases();
    const listed = (await execa(path.join(defaultTestsDir, 'misuse'), ['list'])).stdout.trim().split('\n');
    expect(cases.map((c) => c.name)).toEqual([...listed, 'double_free_remote']);
    expect(cases.every((c) => c.what.length > 0)).toBe(true);
  });

  it('reads glibc, Scudo and hakmem Standard on three cases as they behave', async () => {
    const r = await measureMisuse({
      allocators: 'glibc,scudo,hakmem',
      cases: 'double_free,wild,uaf_poison',
      runs: 1,
      timeoutSeconds: 60,
      libDir: defaultLibDir,
      log: () => {},
    });
    const cell = (c: string, a: string) => misuseCell(r.results.find((x) => x.case === c && x.allocator === a)!.runs);
    expect(cell('double_free', 'glibc')).toMatch(/^abort: ".*double free detected/);
    expect(cell('wild', 'glibc')).toBe('SIGSEGV');
    expect(cell('double_free', 'scudo')).toBe('abort: "invalid chunk state when deallocating address …"');
    for (const c of ['double_free', 'wild', 'uaf_poison']) expect(cell(c, 'hakmem')).toMatch(/^abort: "/);
    const table = misuseTableFromResults(r, { source: 'x.json' });
    // glibc's uaf_poison is caught or not by the address bits of the run (safe-linking decodes the
    // written pointer; it aborts only when the result is misaligned): only hakmem's count is fixed
    expect(table, table).toMatch(
      /\| \*\*caught\*\* \(abort with a report, every run\) +\| [12] of 3 +\| \d of 3 +\| 3 of 3 +\|/,
    );
    expect(r.context.peers['libclang-rt-14-dev']).toBeDefined();
  }, 300_000);

  it('hakmem misuse writes misuse.json, which hakmem table reads again', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-misuse-'));
    const bin = path.join(toolsDir, 'bin', 'hakmem.mjs');
    const r = await execa(
      'node',
      [bin, 'misuse', '--no-build', '--runs', '1', '--cases', 'wild', '--allocators', 'glibc,hakmem', '--out', out],
      { cwd: repoRoot, reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\| `wild` \(`free\(\(void \*\)1\)`\) +\| SIGSEGV +\| abort: "free\(\): invalid pointer …/,
    );
    const file = path.join(out, 'misuse-latest', 'misuse.json');
    const t = await execa('node', [bin, 'table', file], { cwd: repoRoot, reject: false });
    expect(t.exitCode, t.stderr).toBe(0);
    expect(t.stdout).toContain('| `wild`');
    const bad = await execa('node', [bin, 'misuse', '--no-build', '--cases', 'nope', '--out', out], {
      cwd: repoRoot,
      reject: false,
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--cases: nope unknown \(known: double_free, /);
  }, 300_000);
});

describe('the committed misuse table (docs/reliability.md)', () => {
  it('covers every case the program knows, under glibc, mimalloc, Scudo and both hakmem builds', async () => {
    const dir = path.join(repoRoot, 'docs', 'results');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('-misuse.json'));
    expect(files.length).toBeGreaterThan(0);
    const newest = files.sort().at(-1)!;
    const text = fs.readFileSync(path.join(repoRoot, 'docs', 'reliability.md'), 'utf8');
    expect(text, `docs/reliability.md shows docs/results/${newest}`).toContain(
      `<!-- generated: hakmem table docs/results/${newest} -->`,
    );
    const r = readMisuseResults(path.join(dir, newest))!;
    expect(r.config.allocators.map((a) => a.name)).toEqual(['glibc', 'mimalloc', 'scudo', 'hakmem-fast', 'hakmem']);
    const listed = (await execa(path.join(defaultTestsDir, 'misuse'), ['list'])).stdout.trim().split('\n');
    expect(
      r.config.cases.map((c) => c.name),
      'a misuse case was added or renamed: run npx hakmem misuse, commit its misuse.json as docs/results/<date>-<sha>-misuse.json and point docs/reliability.md at it',
    ).toEqual([...listed, 'double_free_remote']);
    const runs: MisuseRun[] = r.results.flatMap((x) => x.runs);
    expect(runs.length).toBe(r.config.cases.length * 5 * r.config.runs);
  });
});
