import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchResults, readBenchResults, ResultsFileError } from '../results/read-results.ts';
import { summarize } from '../results/summarize.ts';
import { tableFromResults } from './table.ts';
import type { BenchResults, RunRecord } from '../types.ts';

function run(workload: string, allocator: string, round: number, mops: number | null): RunRecord {
  return {
    workload,
    allocator,
    round,
    order: 0,
    argv: [workload],
    status: mops == null ? 'crashed' : 'ok',
    exitCode: mops == null ? null : 0,
    signal: mops == null ? 11 : null,
    wallSeconds: 0.5,
    maxRssKb: 2048,
    result: mops == null ? null : { name: workload, ops: 100, seconds: 1, mops, extra: {} },
    stderrTail: '',
  };
}

const noise = [1, -1, 0.5, -0.5, 0.8, -0.8, 0.2, -0.2, 0];
const runs: RunRecord[] = [
  ...noise
    .slice(0, 5)
    .flatMap((e, i) => [
      run('random_mixed', 'hakmem-fast', i + 1, 66 * (1 + e / 100)),
      run('random_mixed', 'glibc', i + 1, 41 * (1 - e / 100)),
      run('random_mixed', 'mimalloc', i + 1, 60 * (1 + e / 100)),
    ]),
  ...noise.flatMap((e, i) => [
    run('xthread', 'hakmem-fast', i + 1, 9 * (1 + e / 20)),
    run('xthread', 'glibc', i + 1, 0.9 * (1 + e / 50)),
    run('xthread', 'mimalloc', i + 1, 9 * (1 - e / 20)),
  ]),
];
const workloads = [
  { name: 'random_mixed', args: [], rounds: 5, threaded: false },
  { name: 'xthread', args: [], rounds: 9, threaded: true },
];
const allocators = ['hakmem-fast', 'glibc', 'mimalloc'];

function fixture(): BenchResults {
  return {
    schema: 'hakmem-bench/3',
    context: {
      date: '2026-11-27T10:20:30.123Z',
      gitSha: '0123456789abcdef0123',
      gitDirty: false,
      hakmem: {
        'hakmem-fast': {
          path: '/x/libhakmem-fast.so',
          mode: 'fast',
          profile: 'balanced',
          configHash: 'a24576dd43572ac9',
          boxVersions: 'box-front@0.1.0',
        },
      },
      compiler: 'cc 12',
      cflags: '-O2',
      peers: {},
      cpuModel: 'Xeon',
      nproc: 2,
      memTotalKb: 1,
      kernel: 'Linux',
      node: 'v20',
    },
    config: {
      rounds: 5,
      mtRounds: 9,
      quick: false,
      baseline: 'mimalloc',
      workloads,
      allocators: allocators.map((name) => ({ name, preload: name === 'glibc' ? null : `/x/${name}.so` })),
      missingPeers: [],
    },
    runs,
    ...(({ rows, verdicts }) => ({ summary: rows, verdicts }))(
      summarize(
        runs,
        workloads.map((w) => w.name),
        allocators,
        { random_mixed: 5, xthread: 9 },
      ),
    ),
  };
}

describe('tableFromResults', () => {
  it('prints the provenance line, the table and the legend', () => {
    const out = tableFromResults(fixture(), { source: 'bench-results/x/results.json' });
    const [head, blank, ...rest] = out.split('\n');
    expect(head).toBe(
      'Source: bench-results/x/results.json · git 0123456789ab · 2026-11-27T10:20:30Z · hakmem: hakmem-fast fast/balanced config a24576dd43572ac9 · 5 rounds: random_mixed; 9 rounds: xthread · Xeon, 2 CPUs',
    );
    expect(blank).toBe('');
    const table = rest.join('\n');
    expect(table).toMatch(
      /\| random_mixed +\| hakmem-fast +\| +★ +\| +\*\*66\.\d\d\*\* \|.*\| +1\.100 \[1\.10–1\.10\] \|/,
    );
    // xthread: hakmem-fast and mimalloc swing in opposite directions around the same median: a tie,
    // on hakmem-fast's row; the peer compared with is in bold, unmarked
    expect(table).toMatch(/\| xthread +\| hakmem-fast +\| +tie +\|/);
    expect(table).toMatch(/\| xthread +\| mimalloc +\| +\| +\*\*9\.00\*\* \|/);
    expect(table).toMatch(/\| xthread +\| glibc +\| +\| +0\.900 \|/);
    expect(table).toContain('9 ok');
    // the verdicts, one per workload, with Standard / FAST (not measured here)
    expect(table).toMatch(/\| random_mixed +\| +★ +\| hakmem-fast +\| mimalloc +\| +1\.100 \[1\.10–1\.10\] \| +– +\|/);
    expect(table).toMatch(/\| xthread +\| +tie +\| hakmem-fast +\| mimalloc +\| +1\.000 \[0\.\d\d–1\.\d\d\] \| +– +\|/);
    expect(out).toContain(
      "Verdict: the best hakmem build (highest median among allocators named hakmem* or whose library carries hakmem's manifest)",
    );
  });
  it('filters workloads and allocators, with verdicts among the allocators shown', () => {
    const out = tableFromResults(fixture(), { source: 'f', workloads: 'xthread', allocators: 'glibc,hakmem-fast' });
    expect(out).toContain('9 rounds: xthread');
    expect(out).not.toContain('random_mixed');
    const rows = out.split('\n').filter((l) => l.startsWith('| xthread'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/\| glibc +\| +\|/);
    // against glibc alone hakmem-fast is clearly ahead; its ratio to mimalloc is still there
    expect(rows[1]).toMatch(/\| hakmem-fast +\| +★ +\| .*\| +1\.\d{3} \[0\.\d\d–1\.\d\d\] \|/);
    expect(rows[2]).toMatch(/\| xthread +\| +★ +\| hakmem-fast +\| glibc +\| +10\.\d{3} /);
    expect(out).toContain('Verdicts among the allocators shown.');
  });
  it('refuses filter names the file does not have', () => {
    expect(() => tableFromResults(fixture(), { source: 'f', workloads: 'larson' })).toThrow(
      /--workloads: larson not in the results file/,
    );
    expect(() => tableFromResults(fixture(), { source: 'f', allocators: 'jemalloc' })).toThrow(/UsageError|jemalloc/);
  });
});

describe('tableFromResults --against and --counts', () => {
  it("prints one allocator's ratio to each other allocator, with what its interval says", () => {
    const out = tableFromResults(fixture(), { source: 'f', against: 'hakmem-fast' });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^Source: f · git 0123456789ab/);
    expect(lines.find((l) => l.startsWith('| hakmem-fast vs'))).toMatch(
      /\| hakmem-fast vs +\| +glibc +\| +mimalloc +\|/,
    );
    // random_mixed: hakmem-fast and mimalloc move together, 1.1x every round: ahead, with a zero-width interval
    expect(lines.find((l) => l.startsWith('| random_mixed'))).toMatch(/\| +1\.100 \[1\.10–1\.10\] ahead \|$/);
    // xthread: they swing in opposite directions around the same median: a tie
    const xthread = lines.find((l) => l.startsWith('| xthread'))!;
    expect(xthread).toMatch(/\| +1\.000 \[0\.\d\d–1\.\d\d\] tie \|$/);
    expect(xthread).toMatch(/\| xthread +\| +10\.\d{3} \[\d+\.\d\d–\d+\.\d\d\] ahead \|/);
    expect(out).toContain('ahead / behind: the interval lies wholly above / below 1.0');
    const behind = tableFromResults(fixture(), { source: 'f', against: 'glibc', allocators: 'hakmem-fast' });
    expect(behind).toMatch(/\| random_mixed +\| +0\.6\d\d \[0\.\d\d–0\.\d\d\] behind \|/);
  });
  it('adds Standard / FAST as its own column when the file holds both builds', () => {
    const f = fixture();
    const std = f.runs
      .filter((x) => x.allocator === 'hakmem-fast')
      .map((x) => ({ ...x, allocator: 'hakmem', result: { ...x.result!, mops: x.result!.mops * 0.95 } }));
    const names = ['hakmem-fast', 'hakmem', 'glibc', 'mimalloc'];
    const { rows, verdicts } = summarize([...f.runs, ...std], ['random_mixed', 'xthread'], names, {
      random_mixed: 5,
      xthread: 9,
    });
    const g = {
      ...f,
      runs: [...f.runs, ...std],
      summary: rows,
      verdicts,
      config: { ...f.config, allocators: names.map((name) => ({ name, preload: null })) },
    };
    const out = tableFromResults(g, { source: 'f', against: 'hakmem-fast', allocators: 'hakmem-fast,mimalloc' });
    expect(out).toMatch(/\| hakmem-fast vs +\| +mimalloc +\| +Standard \/ FAST +\|/);
    expect(out).toMatch(/\| random_mixed +\| .* \| +0\.950 \[0\.95–0\.95\] +\|/);
    expect(out).toContain('Standard / FAST: hakmem over hakmem-fast, per round');
    // against one build with the other as a column: no second copy of the same ratio
    expect(tableFromResults(g, { source: 'f', against: 'hakmem' })).not.toContain('Standard / FAST');
    // --standard names another build as Standard: its ratio to FAST comes from the rounds
    const other = tableFromResults(g, {
      source: 'f',
      against: 'hakmem-fast',
      allocators: 'hakmem-fast,glibc',
      standard: 'mimalloc',
    });
    expect(other).toContain('Standard / FAST: mimalloc over hakmem-fast, per round');
    expect(other).not.toMatch(/\| random_mixed +\| .* \| +0\.950 \[0\.95–0\.95\] +\|/);
    // and as one of the columns, no second copy either
    const shown = tableFromResults(g, {
      source: 'f',
      against: 'hakmem-fast',
      allocators: 'hakmem-fast,hakmem,mimalloc',
      standard: 'mimalloc',
    });
    expect(shown).not.toContain('Standard / FAST');
    expect(shown).toMatch(/\| hakmem-fast vs +\| +hakmem +\| +mimalloc +\|$/m);
    expect(() => tableFromResults(g, { source: 'f', against: 'hakmem-fast', standard: 'jemalloc' })).toThrow(
      '--standard: jemalloc not in the results file',
    );
    expect(() => tableFromResults(g, { source: 'f', standard: 'hakmem' })).toThrow('--standard goes with --against');
  });
  it('refuses an allocator the file does not have, or both views at once', () => {
    expect(() => tableFromResults(fixture(), { source: 'f', against: 'jemalloc' })).toThrow(
      '--against: jemalloc not in the results file (it has hakmem-fast, glibc, mimalloc)',
    );
    expect(() => tableFromResults(fixture(), { source: 'f', against: 'glibc', allocators: 'glibc' })).toThrow(
      /no other allocator/,
    );
    expect(() => tableFromResults(fixture(), { source: 'f', against: 'glibc', counts: true })).toThrow(
      '--against and --counts: choose one',
    );
  });
  it('prints the instruction and system-call counts, workloads by allocators', () => {
    const f = fixture();
    const ins = (allocator: string, perOp: number | null) => ({
      workload: 'random_mixed',
      allocator,
      n: 1000,
      irAtN: 1,
      irAt2N: 2,
      opsAtN: 1000,
      opsAt2N: 2000,
      perOp,
    });
    f.instructions = [ins('hakmem-fast', 56.04), { ...ins('mimalloc', null), error: 'exit SIGABRT' }];
    f.syscalls = [
      {
        workload: 'xthread',
        allocator: 'glibc',
        n: 1000,
        atN: {},
        at2N: {},
        steady: { mmap: 3 },
        steadyPer1e8Ops: 1400,
      },
      // counted, but the run of 2n made no more operations than the run of n
      {
        workload: 'xthread',
        allocator: 'mimalloc',
        n: 1,
        atN: {},
        at2N: {},
        steady: { mmap: 2 },
        steadyPer1e8Ops: null,
      },
    ];
    const out = tableFromResults(f, { source: 'f', counts: true });
    expect(out).toMatch(/\| instructions \/ op +\| +hakmem-fast +\| +glibc +\| +mimalloc +\|/);
    expect(out).toMatch(/\| random_mixed +\| +56\.0 +\| +– +\| +FAILED +\|/);
    expect(out).toMatch(/\| xthread +\| +– +\| +1400\.0 +\| +n\/a +\|/);
    expect(out).toContain('n/a: the run of 2n made no more operations than the run of n');
    expect(out).not.toMatch(/\| instructions.*\n(\|.*\n)*\| xthread/);
    expect(() => tableFromResults(fixture(), { source: 'f', counts: true })).toThrow(
      /holds no instruction or system-call counts \(run bench with --instructions or --syscalls\)/,
    );
  });
});

describe('reading results files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-table-'));
  it('reads a file or a directory holding results.json', () => {
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(fixture()));
    expect(readBenchResults(dir).results.summary).toHaveLength(6);
    expect(readBenchResults(path.join(dir, 'results.json')).upgradedFrom).toBeNull();
  });
  it('names a missing file (exit 2), bad JSON and a wrong schema (exit 1)', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as ResultsFileError;
      }
      throw new Error('did not throw');
    };
    const missing = err(() => readBenchResults(path.join(dir, 'nope.json')));
    expect(missing).toBeInstanceOf(ResultsFileError);
    expect(missing.exitCode).toBe(2);
    expect(missing.message).toMatch(/nope\.json: no such file/);
    const notJson = err(() => parseBenchResults('{', 'x.json'));
    expect([notJson.exitCode, notJson.message]).toEqual([1, expect.stringMatching(/^x\.json is not JSON/)]);
    const other = err(() => parseBenchResults(JSON.stringify({ schema: 'hakmem-ab/1' }), 'ab.json'));
    expect(other.exitCode).toBe(1);
    expect(other.message).toBe(
      'ab.json is not a hakmem bench results file (schema "hakmem-ab/1"; expected "hakmem-bench/3", or an older "hakmem-bench/2" or "hakmem-bench/1")',
    );
    const broken = fixture() as unknown as Record<string, unknown>;
    delete broken.runs;
    expect(err(() => parseBenchResults(JSON.stringify(broken), 'b.json')).message).toMatch(
      /^b\.json: results\.json does not match its schema \(hakmem-bench\/3\).*runs/,
    );
    expect(err(() => parseBenchResults('[]', 'c.json')).message).toMatch(/schema missing/);
  });
  it('summarises a hakmem-bench/2 file again from its runs: verdicts by the hakmem-against-peers rule', () => {
    const f = fixture();
    // a /2 document: its own verdicts among all allocators, vsRunnerUp on the top row, no verdicts array
    const v2 = {
      ...f,
      schema: 'hakmem-bench/2',
      verdicts: undefined,
      summary: f.summary.map((s) => ({
        ...s,
        verdict: s.allocator === 'glibc' ? null : 'tie',
        vsRunnerUp: null,
      })),
    };
    const r = parseBenchResults(JSON.stringify(v2), 'v2.json');
    expect(r.upgradedFrom).toBe(2);
    expect(r.results.schema).toBe('hakmem-bench/3');
    expect(r.results.verdicts).toEqual(f.verdicts);
    expect(r.results.summary).toEqual(f.summary);
    expect(tableFromResults(r.results, { source: 'v2.json', upgradedFrom: 2 })).toContain(
      'Summarised again from the runs of a hakmem-bench/2 file.',
    );
    const broken = { ...v2, summary: [{ workload: 'x' }] };
    expect(() => parseBenchResults(JSON.stringify(broken), 'v2.json')).toThrow(/\(hakmem-bench\/2\)/);
  });
  it('summarises a hakmem-bench/1 file again from its runs', () => {
    const f = fixture();
    const v1 = {
      ...f,
      schema: 'hakmem-bench/1',
      config: {
        ...f.config,
        rounds: 9,
        mtRounds: undefined,
        workloads: f.config.workloads.map((w) => ({ name: w.name, args: w.args })),
      },
      verdicts: undefined,
      summary: f.summary.map((s) => ({
        workload: s.workload,
        allocator: s.allocator,
        runs: s.runs,
        failures: s.failures,
        failureKinds: s.failureKinds,
        medianMops: s.medianMops,
        cv: s.cv,
        ratioToMimalloc: s.ratioToMimalloc,
        ratioToGlibc: s.ratioToGlibc,
        medianMaxRssKb: s.medianMaxRssKb,
        best: s.best,
      })),
    };
    const r = parseBenchResults(JSON.stringify(v1), 'old.json');
    expect(r.upgradedFrom).toBe(1);
    expect(r.results.schema).toBe('hakmem-bench/3');
    expect(r.results.config.workloads.map((w) => w.rounds)).toEqual([9, 9]);
    expect(r.results.summary.find((s) => s.workload === 'xthread' && s.allocator === 'hakmem-fast')!.verdict).toBe(
      'tie',
    );
    expect(tableFromResults(r.results, { source: 'old.json', upgradedFrom: 1 })).toContain(
      'Summarised again from the runs of a hakmem-bench/1 file.',
    );
  });
});
