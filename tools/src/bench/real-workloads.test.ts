/**
 * The real workloads (docs/real-workloads.md): each runs once at its --quick size under glibc
 * and under hakmem Standard through runRounds (the path `hakmem bench` takes) and passes its
 * self-check; only the measured program runs on the allocator; a wrong input or expected output
 * fails the run, a crashing allocator crashes it; a program that is not installed is skipped with
 * one line. Nothing here depends on speed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryTable } from '../report/format-table.ts';
import { defaultBinDir, defaultLibDir, repoRoot, toolsBuildDir, toolsDir } from '../paths.ts';
import type { ProbeEnv } from './prereqs.ts';
import { endRssTable, missingNeed, presentWorkloads } from './real-workloads.ts';
import { ensureHkRun } from './run-measured.ts';
import { runRounds } from './run-rounds.ts';
import { summarize } from '../results/summarize.ts';
import type { Allocator, RunRecord } from '../types.ts';
import {
  isRealWorkload,
  REAL_DIR,
  REAL_WORKLOADS,
  selectWorkloads,
  UsageError,
  workloadLaunch,
  workloadSpec,
} from './workloads.ts';

const STANDARD = path.join(defaultLibDir, 'libhakmem.so');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-real-test-'));
let hkRun = '';

beforeAll(async () => {
  if (!fs.existsSync(STANDARD)) throw new Error(`missing ${STANDARD}: build it first with npm run build`);
  hkRun = await ensureHkRun();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('real workloads by name', () => {
  it('the group real is the five programs, alone or mixed with names; a repeated name runs once', () => {
    expect(selectWorkloads('real').map((w) => w.name)).toEqual(['redis', 'sqlite', 'lua', 'z3', 'gs']);
    expect(selectWorkloads('random_mixed,real,lua').map((w) => w.name)).toEqual([
      'random_mixed',
      'redis',
      'sqlite',
      'lua',
      'z3',
      'gs',
    ]);
    expect(selectWorkloads(undefined).map((w) => w.name)).toEqual(expect.arrayContaining(['tiny_hot', 'redis', 'gs']));
    expect(workloadSpec('sqlite:rows=2000').full).toEqual(['rows=2000']);
    expect(() => workloadSpec('real:rows=2')).toThrow(/real is a group \(redis, sqlite, lua, z3, gs\)/);
    expect(() => workloadSpec('nope')).toThrow(UsageError);
    expect(() => workloadSpec('nope')).toThrow(/groups: real/);
  });

  it('a real workload gets the allocator in HK_REAL_PRELOAD, for its driver to preload into the measured program only', () => {
    expect(isRealWorkload('sqlite:rows=2000')).toBe(true);
    expect(isRealWorkload('larson:threads=4')).toBe(false);
    const real = workloadLaunch('z3', '/bin-dir', { preload: '/x/lib.so', env: { HAKMEM_PROFILE: 'lean' } });
    expect(real).toEqual({
      program: path.join(toolsDir, 'real', 'z3', 'run'),
      preload: null,
      env: { HAKMEM_PROFILE: 'lean', HK_REAL_PRELOAD: '/x/lib.so', HK_RUN: path.join(toolsBuildDir, 'hk-run') },
    });
    expect(workloadLaunch('tiny_hot', '/bin-dir', { preload: '/x/lib.so' })).toEqual({
      program: '/bin-dir/tiny_hot',
      preload: '/x/lib.so',
      env: {},
    });
  });
});

describe('a program that is not installed', () => {
  const bare = (): ProbeEnv => {
    const dir = fs.mkdtempSync(path.join(tmp, 'path-'));
    fs.symlinkSync(fs.realpathSync('/usr/bin/lua5.4'), path.join(dir, 'lua5.4'));
    return { pathDirs: [dir], root: '/', libDirs: [] };
  };

  it('is skipped with one line naming its Debian package; the others stay', () => {
    const lines: string[] = [];
    const left = presentWorkloads(selectWorkloads('random_mixed,redis,lua,gs'), (l) => lines.push(l), bare());
    expect(left.map((w) => w.name)).toEqual(['random_mixed', 'lua']);
    expect(lines).toEqual([
      'skipping redis: redis-server not found (Debian package redis-server; npm run setup installs it)',
      'skipping gs: gs not found (Debian package ghostscript; npm run setup installs it)',
    ]);
    const noDoc: ProbeEnv = { ...bare(), pathDirs: process.env.PATH!.split(':'), root: tmp };
    expect(missingNeed(workloadSpec('gs'), noDoc)).toBe(
      'skipping gs: /usr/share/doc/ghostscript/GS9_Color_Management.pdf not found (Debian package ghostscript-doc; npm run setup installs it)',
    );
  });

  it('leaves a clear error when nothing is left to run', () => {
    expect(() => presentWorkloads(selectWorkloads('redis,z3'), () => {}, bare())).toThrow(
      /no workload left to run: redis, z3 cannot run here/,
    );
  });

  it('hakmem bench says so in one line and runs the rest', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'path-'));
    fs.symlinkSync(fs.realpathSync('/usr/bin/lua5.4'), path.join(dir, 'lua5.4'));
    const r = await execa(
      'node',
      [
        path.join(toolsDir, 'bin', 'hakmem.mjs'),
        'bench',
        '--quick',
        '--no-build',
        '--allocators',
        'glibc',
        '--workloads',
        'redis,lua',
        '--out',
        tmp,
        '--progress',
        'lines',
      ],
      { cwd: repoRoot, reject: false, env: { CI: 'true', HAKMEM_PREREQ_PATH: dir } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('skipping'))).toEqual([
      'skipping redis: redis-server not found (Debian package redis-server; npm run setup installs it)',
    ]);
    expect(r.stdout).toMatch(/\| lua +\| glibc +\|.*\| 1 ok \|/);
    expect(r.stdout).not.toMatch(/\| redis /);
    // hakmem table takes the group too: the real programs the file has
    const bin = path.join(toolsDir, 'bin', 'hakmem.mjs');
    const results = path.join(tmp, 'latest', 'results.json');
    const t = await execa('node', [bin, 'table', results, '--workloads', 'real'], { cwd: repoRoot, reject: false });
    expect(t.exitCode, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/\| lua +\| glibc +\|/);
  }, 120_000);
});

/** The `objects=N` the lua script prints at this many rounds, from its committed expected output. */
function luaObjects(rounds: number): number {
  const text = fs.readFileSync(path.join(REAL_DIR, 'lua', 'expected', `rounds-${rounds}.txt`), 'utf8');
  return Number(/^objects=(\d+)$/m.exec(text)![1]);
}

/** A library that replaces nothing: it only writes the name of every process it is loaded into to $HK_WITNESS. */
async function witnessLibrary(): Promise<string> {
  const so = path.join(tmp, 'libwitness.so');
  fs.writeFileSync(
    `${so}.c`,
    [
      '#include <stdio.h>',
      '#include <stdlib.h>',
      '__attribute__((constructor)) static void witness(void) {',
      '    const char *to = getenv("HK_WITNESS");',
      '    char comm[64] = "?\\n";',
      '    FILE *c = fopen("/proc/self/comm", "r");',
      '    if (c) { if (!fgets(comm, sizeof comm, c)) comm[0] = 0; fclose(c); }',
      '    FILE *o = to ? fopen(to, "a") : NULL;',
      '    if (o) { fputs(comm, o); fclose(o); }',
      '}',
      '',
    ].join('\n'),
  );
  await execa('cc', ['-shared', '-fPIC', '-o', so, `${so}.c`]);
  return so;
}

describe('each real workload at its quick size, under glibc and hakmem Standard', () => {
  const witnessed = path.join(tmp, 'witnessed.txt');
  const allocators: Allocator[] = [
    // glibc's malloc, with the witness library preloaded: it shows which processes get the preload
    { name: 'glibc', preload: null, env: { HK_WITNESS: witnessed } },
    { name: 'hakmem', preload: STANDARD },
  ];
  let runs: RunRecord[] = [];
  beforeAll(async () => {
    allocators[0]!.preload = await witnessLibrary();
    runs = await runRounds({
      binDir: defaultBinDir,
      workloads: REAL_WORKLOADS.map((w) => ({ name: w.name, args: w.quick })),
      allocators,
      rounds: 1,
      timeoutSeconds: 120,
    });
  }, 300_000);

  // redis at requests=8000: 7 tests x 8000, 5 x 5328, 4 x 2000, 2 x 40, then 5328 long-key SETs and 2656 INCRs
  const OPS: Record<string, () => number> = {
    redis: () => 98_704,
    sqlite: () => 100_000,
    lua: () => luaObjects(3),
    z3: () => 8,
  };

  it.each(REAL_WORKLOADS.map((w) => w.name))('%s passes its self-check under both', (name) => {
    for (const a of allocators) {
      const r = runs.find((x) => x.workload === name && x.allocator === a.name)!;
      expect(r.status, `${name} under ${a.name}: ${r.stderrTail}`).toBe('ok');
      expect(r.result!.name).toBe(name);
      if (OPS[name]) expect(r.result!.ops).toBe(OPS[name]!());
      else expect(r.result!.ops).toBeGreaterThan(4); // gs: its 4 pages and the manual's
      // mops = ops / seconds (seconds printed to 4 decimals): higher is faster
      expect((r.result!.mops * r.result!.seconds * 1e6) / r.result!.ops).toBeCloseTo(1, 2);
      // the peak RSS is the measured program's, as its driver reported it, not the driver's
      expect(r.maxRssKb).toBe(Number(r.result!.extra.maxrss_kb));
      expect(r.maxRssKb!).toBeGreaterThan(4096);
    }
  });

  it('only the measured program runs on the allocator: not the driver, its shell, hk-run or redis-benchmark', () => {
    const loaded = fs.readFileSync(witnessed, 'utf8').split('\n').filter(Boolean);
    expect(loaded).toEqual(['redis-server', 'sqlite3', 'lua5.4', 'z3', 'gs']);
  });

  it("redis also reports the server's RSS at its end, not above its peak", () => {
    for (const a of allocators) {
      const r = runs.find((x) => x.workload === 'redis' && x.allocator === a.name)!;
      const end = Number(r.result!.extra.end_rss_kb);
      expect(end).toBeGreaterThan(1024);
      // the kernel updates the peak (hiwater) lazily, so it can trail a later VmRSS by a few pages
      expect(end).toBeLessThanOrEqual(r.maxRssKb! * 1.05);
    }
    // summary.md and report.html show it, workloads by allocators
    const table = endRssTable(runs)!;
    expect(table.split('\n')[0]).toMatch(/^\| workload +\| glibc +\| hakmem +\|$/);
    expect(table.split('\n').slice(2)).toEqual([expect.stringMatching(/^\| redis +\| +\d+\.\d +\| +\d+\.\d +\|$/)]);
    expect(endRssTable(runs.filter((r) => r.workload !== 'redis'))).toBeNull();
  });

  it('a wrong size has no expected output: the run fails and the table says FAILED', async () => {
    const failed = await runRounds({
      binDir: defaultBinDir,
      workloads: [{ name: 'sqlite:rows=1234', args: ['rows=1234'] }],
      allocators: [{ name: 'glibc', preload: null }],
      rounds: 1,
    });
    expect(failed[0]).toMatchObject({ status: 'failed', exitCode: 1, result: null });
    expect(failed[0]!.stderrTail).toMatch(/sqlite: self-check failed: no expected output .*rows-1234\.txt/);
    const { rows, verdicts } = summarize(failed, ['sqlite:rows=1234'], ['glibc'], { 'sqlite:rows=1234': 1 });
    const table = summaryTable(rows, verdicts);
    expect(table).toMatch(/\| sqlite:rows=1234 \| glibc .*1\/1 FAILED \|/);
  });
});

describe('the self-checks fail', () => {
  /** A copy of tools/real to break. */
  function copy(): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'real-'));
    fs.cpSync(REAL_DIR, dir, { recursive: true });
    return dir;
  }
  const edit = (file: string, from: string | RegExp, to: string) => {
    const text = fs.readFileSync(file, 'utf8');
    const next = text.replace(from, to);
    expect(next, `${file}: nothing to replace`).not.toBe(text);
    fs.writeFileSync(file, next);
  };
  const drive = (dir: string, name: string, args: string[], env: Record<string, string> = {}) =>
    execa(path.join(dir, name, 'run'), args, { env: { HK_RUN: hkRun, ...env }, reject: false });

  it('sqlite: a changed expected output, and a broken script', async () => {
    const dir = copy();
    edit(path.join(dir, 'sqlite', 'expected', 'rows-100000.txt'), /^end\|(\d)/m, 'end|9$1');
    const r = await drive(dir, 'sqlite', ['rows=100000']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^sqlite: self-check failed: output differs from .*sqlite\/expected\/rows-100000\.txt: /m);
    expect(r.stdout).toBe('');
    edit(
      path.join(dir, 'sqlite', 'workload.sql'),
      'CREATE INDEX item_grp ON item(grp);',
      'CREATE INDEX item_grp ON item(nope);',
    );
    const broken = await drive(dir, 'sqlite', ['rows=100000']);
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toMatch(/^sqlite: self-check failed: sqlite3 exited with status 1/m);
  });

  it('lua: a changed seed changes every figure', async () => {
    const dir = copy();
    edit(path.join(dir, 'lua', 'workload.lua'), 'local seed = 88172645', 'local seed = 88172646');
    const r = await drive(dir, 'lua', ['rounds=3']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^lua: self-check failed: output differs from /m);
  });

  it('z3: a problem declaring the wrong answer, and an answer missing', async () => {
    const dir = copy();
    const problems = path.join(dir, 'z3', 'problems');
    const file = (part: string) =>
      path.join(
        problems,
        fs.readdirSync(problems).find((f) => f.includes(part))!,
      );
    edit(file('pigeons-7'), '(set-info :status unsat)', '(set-info :status sat)');
    const r = await drive(dir, 'z3', ['problems=5']);
    expect(r.exitCode).toBe(1);
    // z3 itself refuses an answer that contradicts the declared status (exit 1)
    expect(r.stderr).toMatch(/^z3: self-check failed: z3 exited with status 1: /m);
    edit(file('pigeons-7'), '(set-info :status sat)', '(set-info :status unsat)');
    edit(file('queens-12'), '(check-sat)', '');
    const missing = await drive(dir, 'z3', ['problems=5']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(
      /^z3: self-check failed: z3 answered sat sat sat unsat where the problems declare sat sat sat sat unsat $/m,
    );
  });

  it('gs: a page fewer than expected', async () => {
    const dir = copy();
    edit(path.join(dir, 'gs', 'expected', 'pages-4.txt'), 'pages=4', 'pages=5');
    const r = await drive(dir, 'gs', ['pages=4']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^gs: self-check failed: output differs from /m);
  });

  it('redis: a counter that does not add up', async () => {
    const dir = copy();
    edit(path.join(dir, 'redis', 'run'), '[[ $counter == "$incrs" ]]', '[[ $counter == "$((incrs + 1))" ]]');
    const r = await drive(dir, 'redis', ['requests=800']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^redis: self-check failed: hk:counter is '256' after 256 INCRs/m);
  });

  it('a crashing allocator crashes the run (the driver dies of the same signal)', async () => {
    const so = path.join(tmp, 'libcrash.so');
    fs.writeFileSync(
      `${so}.c`,
      '#include <stdlib.h>\n__attribute__((constructor)) static void boom(void) { abort(); }\n',
    );
    await execa('cc', ['-shared', '-fPIC', '-o', so, `${so}.c`]);
    const runs = await runRounds({
      binDir: defaultBinDir,
      workloads: [{ name: 'lua', args: ['rounds=3'] }],
      allocators: [{ name: 'crashy', preload: so }],
      rounds: 1,
    });
    expect(runs[0]).toMatchObject({ status: 'crashed', signal: 6, result: null });
    expect(runs[0]!.stderrTail).toMatch(/lua: lua5\.4 was killed by signal 6 \(ABRT\)/);
  });

  it('refuses a bad size, an unknown key and an inherited LD_PRELOAD, with exit 2', async () => {
    const bad = await drive(REAL_DIR, 'lua', ['rounds=x']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('lua: rounds=x: expected a whole number >= 1');
    const unknown = await drive(REAL_DIR, 'z3', ['rows=3']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe("z3: unknown argument 'rows=3'; allowed: problems=20 (key=value, the defaults shown)");
    const preloaded = await drive(REAL_DIR, 'sqlite', [], { LD_PRELOAD: STANDARD });
    expect(preloaded.exitCode).toBe(2);
    expect(preloaded.stderr).toMatch(/sqlite: LD_PRELOAD is set .*pass the allocator in HK_REAL_PRELOAD instead/);
  });
});
